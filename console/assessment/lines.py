"""The assessment as lines for the CLI and the command bar, and its CSV files.

The lines are a summary (the meeting reads the XLSX or the PDF): the center's figure, each unit
that received orders with its on-time rates and p90s, the three lists' counts with their first
orders, and the operators."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from console.assessment.model import LIST_NAMES, LISTS, STAGES, Assessment
from console.assessment.tables import Table, shown, tables
from console.calls.stats import write_export
from console.kernel.clean import csv_cell

if TYPE_CHECKING:  # the words are the caller's (console/words.py)
    from console.words import Words

#: list entries shown in the lines; the files hold all of them
LINES_PER_LIST = 10


def assessment_lines(t: Words, a: Assessment) -> list[str]:
    tz = t.tz
    p, f = a.period, a.center_figure
    days = p.first.isoformat() + ("" if p.first == p.last else f" — {p.last.isoformat()}")
    lines = [t.pick(f"考核 {days}（截至 {t.time(a.cutoff, with_date=True)}，不含演练）",
                    f"Assessment {days} (as of {t.time(a.cutoff, with_date=True)}, drills left out)"),
             t.pick(f"需派单警情 {f.dispatched} · 60秒内派单 {shown(f.share(f.within_60), 'pct', tz)}"
                    f" · 120秒内 {shown(f.share(f.within_120), 'pct', tz)}",
                    f"incidents needing an order {f.dispatched} · first order within 60 s"
                    f" {shown(f.share(f.within_60), 'pct', tz)} · within 120 s"
                    f" {shown(f.share(f.within_120), 'pct', tz)}"),
             t.pick("单位 派单 签收准时率/P90 到场准时率/P90 反馈准时率/P90 退单(同意/驳回) 催办 满意率",
                    "unit orders ack-on-time/p90 arrive-on-time/p90 feedback-on-time/p90"
                    " returns(acc/rej) urges satisfaction")]
    idle_units = 0
    for u in a.units:
        if not u.received:
            idle_units += 1
            continue
        stages = " ".join(f"{shown(u.stage(s).rate, 'pct', tz)}/{shown(u.stage(s).p90_s, 'dur', tz)}"
                          for s in STAGES)
        lines.append(f"  {t.unit(u.unit)} {u.received} {stages} {u.returns_accepted}/{u.returns_rejected}"
                     f" {u.urges} {shown(u.satisfaction, 'pct', tz)}")
    if idle_units:
        lines.append(t.pick(f"  另有 {idle_units} 个单位本期未接收派单",
                            f"  {idle_units} more units received no order"))
    for key in LISTS:
        zh, en = LIST_NAMES[key]
        listed = a.lists[key]
        lines.append(t.pick(f"{zh}：{len(listed)} 单", f"{en} ({zh}): {len(listed)} orders"))
        for o in listed[:LINES_PER_LIST]:
            why = "，".join(t.pick(*_reason(r)) for r in o.reasons)
            lines.append(t.pick(f"  派单 {o.order_no}（警情 {o.incident_no}）{t.unit(o.unit)}"
                                f" 下达 {t.time(o.issued_at, with_date=True)}：{why}",
                                f"  order {o.order_no} (incident {o.incident_no}) {t.unit(o.unit)}"
                                f" issued {t.time(o.issued_at, with_date=True)}: {why}"))
        if len(listed) > LINES_PER_LIST:
            lines.append(t.pick(f"  …另有 {len(listed) - LINES_PER_LIST} 单（见 --out 导出）",
                                f"  … {len(listed) - LINES_PER_LIST} more (see --out)"))
    for op in a.operators:
        lines.append(t.pick(
            f"接警员 {op.login} {op.name}：来电 {op.calls} · 接听→首派 P50 {shown(op.answer_order_p50_s, 'dur', tz)}"
            f" P90 {shown(op.answer_order_p90_s, 'dur', tz)} · 转警 {op.transfers} · 合并 {op.merges}"
            f" · 改类别 {op.recategorized}",
            f"operator {op.login} {op.name}: calls {op.calls} · answer→first order p50"
            f" {shown(op.answer_order_p50_s, 'dur', tz)} p90 {shown(op.answer_order_p90_s, 'dur', tz)}"
            f" · transfers {op.transfers} · merges {op.merges} · triage corrections {op.recategorized}"))
    return lines


def _reason(key: str) -> tuple[str, str]:
    from console.assessment.model import REASONS
    return REASONS[key]


def table_csv(table: Table, t: Words) -> str:
    """One table as CSV text: bilingual header, values as shown (times local), cells cleaned."""
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow([csv_cell(c.header()) for c in table.columns])
    for row in table.rows:
        out.writerow([csv_cell("" if v is None else shown(v, c.kind, t.tz) if c.kind != "int" else v)
                      for v, c in zip(row, table.columns, strict=True)])
    return buf.getvalue()


def write_csvs(a: Assessment, path: Path, t: Words) -> list[Path]:
    """The per-unit table at ``path``; each list and the operators beside it
    (``<stem>-ignored.csv`` …), UTF-8 with a byte-order mark."""
    written = []
    for table in tables(a, t.lang):
        target = path if table.key == "units" else path.with_name(f"{path.stem}-{table.key}{path.suffix}")
        write_export(target, table_csv(table, t))
        written.append(target)
    return written
