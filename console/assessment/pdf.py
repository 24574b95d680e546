"""The assessment as a printable report (PDF, A4): a title page with the center and the period,
the per-unit table, a bar chart per on-time figure, the three lists and the operators' table.

fpdf2 because it is pure Python, actively maintained, embeds TrueType fonts as subsets (a
Chinese report carries only the glyphs it uses, a few hundred KB instead of 5 MB) and draws the
charts with its own primitives: no hand-written PDF. The Chinese font is found on the machine,
never downloaded: WenQuanYi Micro Hei from Debian's ``fonts-wqy-microhei`` (Apache-2.0 or
GPL-3 with the font exception, both allow embedding), or another CJK TrueType font named by
``[reports] font`` in config.toml.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF

from console.assessment.model import LIST_NAMES, LISTS, STAGE_NAMES, STAGES, Assessment
from console.assessment.tables import Column, Table, shown, tables
from console.kernel.clean import one_line
from console.kernel.errors import BadInput

#: Where Debian (and derivatives) put CJK TrueType fonts fpdf2 can embed, best first.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
#: A printed list stops here; the XLSX holds every order.
PDF_LIST_LIMIT = 300
_FAMILY = "cjk"
# the per-unit table on paper: fewer columns than the workbook, the ones the meeting reads
_PAPER_UNIT_KEYS = ("name", "received", "ack_rate", "ack_p50", "ack_p90", "arrive_rate", "arrive_p50",
                    "arrive_p90", "feedback_rate", "feedback_p50", "feedback_p90", "returns_accepted",
                    "returns_rejected", "reassigned_away", "handed_over", "urges", "satisfaction",
                    "delta_ack_rate")


def find_font(configured: str = "") -> Path:
    """The configured font, or the first CJK font installed; refused with the package to
    install when there is none (the report is never printed with empty boxes)."""
    for raw in ([configured] if configured else []) + list(FONT_CANDIDATES):
        path = Path(raw).expanduser()
        if path.is_file():
            return path
    raise BadInput("report.font",
                   zh="找不到中文字体：请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei），"
                      "或在 config.toml 的 [reports] font 中指定一个 TrueType 中文字体",
                   en="no Chinese font found: install fonts-wqy-microhei (apt-get install"
                      " fonts-wqy-microhei) or name a CJK TrueType font in config.toml [reports] font")


class _Report(FPDF):
    def __init__(self, font: Path, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(_FAMILY, "", str(font))
        self.set_font(_FAMILY, size=9)
        self.footer_text = footer_text
        self.set_auto_page_break(auto=True, margin=12)
        self.set_creator("linkage-console")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(_FAMILY, size=7)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}", align="C")


def _title_page(pdf: _Report, a: Assessment, tz: ZoneInfo) -> None:
    pdf.add_page()
    p, f = a.period, a.center_figure
    pdf.set_y(60)
    pdf.set_font(_FAMILY, size=20)
    pdf.multi_cell(0, 12, one_line(a.center), align="C")
    pdf.ln(4)
    pdf.set_font(_FAMILY, size=16)
    pdf.cell(0, 10, "社会应急联动工作考核报告", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FAMILY, size=11)
    pdf.cell(0, 8, "Assessment report for the joint meeting", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    lines = [
        f"考核时段 / period: {p.first.isoformat()} — {p.last.isoformat()}",
        f"截至 / as of: {a.cutoff.astimezone(tz).strftime('%Y-%m-%d %H:%M')} ({tz})",
        f"上期 / previous period: {a.previous.first.isoformat()} — {a.previous.last.isoformat()}",
        f"需派单警情 / incidents needing an order: {f.dispatched}",
        f"60 秒内派单 / first order within 60 s: {shown(f.share(f.within_60), 'pct', tz)}",
        f"120 秒内派单 / first order within 120 s: {shown(f.share(f.within_120), 'pct', tz)}",
    ]
    lines += [f"{LIST_NAMES[k][0]} / {LIST_NAMES[k][1]}: {len(a.lists[k])}" for k in LISTS]
    for line in lines:
        pdf.cell(0, 7, line, align="C", new_x="LMARGIN", new_y="NEXT")


def _fit(pdf: _Report, text: str, width: float) -> str:
    """Cut ``text`` to ``width`` mm, with an ellipsis."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _short(header: str) -> str:
    """A heading for a narrow printed column: the stage alone names a time from the issue."""
    for long, short in _SHORT:
        header = header.replace(long, short)
    return header


_SHORT = (("下达→", ""), ("issue→", ""), (" on-time rate change", " Δ"), ("准时率变化", "准时率Δ"),
          (" on-time rate", " on time"), ("退单（同意）", "退单同意"), ("退单（驳回）", "退单驳回"),
          ("returns accepted", "ret. acc."), ("returns rejected", "ret. rej."),
          ("orders received", "orders"), ("reassigned away", "reassigned"),
          ("urges received", "urges"), ("handed over", "handover"))


def _table(pdf: _Report, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
           tz: ZoneInfo, note: str = "") -> None:
    """A landscape page (or more) of ``rows`` under a bilingual two-line heading, repeated on
    every page."""
    pdf.add_page(orientation="L")
    width = pdf.epw
    weights = [3.0 if c.kind in ("text", "time") else 1.6 if c.kind in ("dur", "pct") else 1.2
               for c in columns]
    widths = [width * w / sum(weights) for w in weights]

    def heading() -> None:
        pdf.set_font(_FAMILY, size=12)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FAMILY, size=6.5)
        pdf.set_fill_color(221, 235, 247)
        y = pdf.get_y()
        x = pdf.l_margin
        for col, w in zip(columns, widths, strict=True):
            pdf.rect(x, y, w, 8, style="DF")
            pdf.set_xy(x, y + 0.3)
            pdf.cell(w, 3.7, _fit(pdf, _short(col.zh), w - 1), align="C")
            pdf.set_xy(x, y + 4)
            pdf.cell(w, 3.7, _fit(pdf, _short(col.en), w - 1), align="C")
            x += w
        pdf.set_xy(pdf.l_margin, y + 8)
        pdf.set_font(_FAMILY, size=7)

    heading()
    kinds = [c.kind for c in columns]
    for row in rows:
        if pdf.get_y() + 5 > pdf.h - pdf.b_margin:
            pdf.add_page(orientation="L")
            heading()
        for value, kind, w in zip(row, kinds, widths, strict=True):
            text = _fit(pdf, one_line(shown(value, kind, tz)), w - 1)
            pdf.cell(w, 5, text, border=1, align="L" if kind == "text" else "R")
        pdf.ln(5)
    if note:
        pdf.ln(2)
        pdf.cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")


def _chart(pdf: _Report, a: Assessment, stage: str) -> None:
    """Horizontal bars: each unit's on-time rate for ``stage`` (units judged on it only)."""
    zh, en = STAGE_NAMES[stage]
    judged = [u for u in a.units if u.stage(stage).judged]
    judged.sort(key=lambda u: (u.stage(stage).rate or 0.0, u.unit))
    pdf.add_page(orientation="P")
    pdf.set_font(_FAMILY, size=12)
    pdf.cell(0, 8, f"{zh}准时率 / {en} on-time rate", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FAMILY, size=7)
    label_w, bar_w, row_h = 45.0, pdf.epw - 60.0, 5.0
    for u in judged[:45]:
        rate = u.stage(stage).rate or 0.0
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w, row_h - 1, _fit(pdf, one_line(u.name_zh), label_w - 1))
        pdf.set_fill_color(70, 130, 180) if rate >= 0.9 else pdf.set_fill_color(220, 120, 60)
        pdf.rect(pdf.l_margin + label_w, y + 0.5, max(bar_w * rate, 0.2), row_h - 2, style="F")
        pdf.set_xy(pdf.l_margin + label_w + bar_w + 1, y)
        pdf.cell(14, row_h - 1, f"{rate * 100:.1f}%")
        pdf.set_y(y + row_h)
    if not judged:
        pdf.cell(0, 6, "（本期无可评价的派单 / no order was judged on this stage）")


def write_pdf(a: Assessment, path: Path, tz: ZoneInfo, font: Path) -> Path:
    """Write the report beside ``path`` and rename it into place."""
    pdf = _Report(font, f"{one_line(a.center)} · {a.period.first.isoformat()} — {a.period.last.isoformat()}")
    pdf.set_title(one_line(f"{a.center} 考核报告 {a.period.first}—{a.period.last}"))
    pdf.set_creation_date(a.cutoff)
    _title_page(pdf, a, tz)
    by_key = {t.key: t for t in tables(a, "zh")}
    units = by_key["units"]
    keep = [n for n, c in enumerate(units.columns) if c.key in _PAPER_UNIT_KEYS]
    shown_units = [u for u in units.rows if u[2]] or units.rows
    _table(pdf, f"{units.zh} / {units.en}", [units.columns[n] for n in keep],
           [[r[n] for n in keep] for r in shown_units], tz,
           note=f"未接收派单的单位不列出 / units without orders are left out: "
                f"{len(units.rows) - len(shown_units)}")
    for stage in STAGES:
        _chart(pdf, a, stage)
    for key in LISTS:
        t: Table = by_key[key]
        more = len(t.rows) - PDF_LIST_LIMIT
        _table(pdf, f"{t.zh} / {t.en}（{len(t.rows)}）", t.columns, t.rows[:PDF_LIST_LIMIT], tz,
               note=f"另有 {more} 条见 XLSX / {more} more in the XLSX" if more > 0 else "")
    ops = by_key["operators"]
    _table(pdf, f"{ops.zh} / {ops.en}", ops.columns, ops.rows, tz)
    tmp = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(tmp))
    os.replace(tmp, path)
    return path
