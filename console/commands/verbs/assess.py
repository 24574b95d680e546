"""``assess`` (考核, ``kh``): the assessment of a period for the joint meeting, as lines, as
``--json``, or written to an XLSX, PDF or CSV file (``--out``; the suffix picks the format)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from console.assessment.lines import assessment_lines, write_csvs
from console.assessment.model import Assessment
from console.calls import stats
from console.commands.grammar import Invocation, Outcome, command
from console.kernel.errors import BadInput
from console.seat.services import Services
from console.words import Words

FORMATS = (".xlsx", ".pdf", ".csv")


def _unit(inv: Invocation) -> str | None:
    raw = inv.get("unit")
    if not raw:
        return None
    from console.orders.dispatch import resolve_unit

    return resolve_unit(inv.services.ctx, raw).code


def write_files(s: Services, a: Assessment, path: Path, t: Words) -> list[Path]:
    """Write ``a`` to ``path`` in the format its suffix names; the paths written."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise BadInput("export.is_dir", zh="--out 指向的是目录：{p}", en="--out is a directory: {p}", p=path)
    if suffix == ".xlsx":
        from console.assessment.xlsx import write_xlsx

        return [write_xlsx(a, path, s.config.tz, t.lang)]
    if suffix == ".pdf":
        from console.assessment.pdf import find_font, write_pdf

        return [write_pdf(a, path, s.config.tz, find_font(s.config.reports.font))]
    if suffix == ".csv":
        return write_csvs(a, path, t)
    raise BadInput("assess.format", zh="--out 的文件名须以 .xlsx、.pdf 或 .csv 结尾：{p}",
                   en="--out must end in .xlsx, .pdf or .csv: {p}", p=path.name[:80])


@command("assess", aliases=("kh",), options=("from", "to", "unit", "out"),
         zh="考核：某时段（本地日期，默认今天）各单位签收/到场/反馈准时率与 P50/P90、退单、改派、移交、"
            "催办、督办、回访，有令不行/应而不急/联而不动清单，接警员用时，与上期对比（不含演练；"
            "--unit 只看一个单位；--out 文件.xlsx|.pdf|.csv）",
         en="assessment for local days (default today): each unit's on-time ack/arrive/feedback"
            " with p50/p90, returns, reassignments, handovers, urges, supervisions, callbacks; the"
            " three lists; operators' times; the trend against the previous period (drills left"
            " out; --unit one unit; --out FILE.xlsx|.pdf|.csv)")
def _assess(inv: Invocation) -> Outcome:
    s = inv.services
    p = stats.period(inv.get("from"), inv.get("to"), s.ctx.clock.now(), s.config.tz)
    a = s.assess(p, unit=_unit(inv))
    data: dict[str, Any] = {"assessment": a.to_json(), "out": []}
    lines = assessment_lines(inv.text, a)
    out = inv.get("out")
    if out:
        written = write_files(s, a, Path(out).expanduser(), inv.text)
        data["out"] = [str(w) for w in written]
        lines += [inv.text.pick(f"已写入 {w}", f"written to {w}") for w in written]
    return inv.outcome(data, lines)
