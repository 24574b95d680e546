"""The assessment as an XLSX workbook (openpyxl): a summary sheet, then one sheet per table,
bilingual headers, the header row frozen, columns wide enough for Chinese, counts as numbers,
shares as percentages, durations as Excel durations ([h]:mm:ss) and times as local date-times.

openpyxl because it both writes and reads XLSX (the golden-file test reads the workbook back with
the same library), is the most used Python XLSX library, and has a streaming (write-only) mode
for the long lists of a busy year. Every string is cleaned as a CSV cell is
(``console/kernel/clean.py`` ``csv_cell``): one line, no control characters, and an apostrophe
before ``= + - @`` so no cell is ever a formula.
"""

from __future__ import annotations

import os
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from console.assessment.model import Assessment
from console.assessment.tables import Table, shown, tables
from console.kernel.clean import csv_cell

_FORMATS = {"pct": "0.0%", "dur": "[h]:mm:ss", "time": "yyyy-mm-dd hh:mm:ss", "int": "0"}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_SECONDS_PER_DAY = 86400.0


def text_width(text: str) -> int:
    """Display width: a CJK (wide) character takes two columns, as in a spreadsheet."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cell_value(value: Any, kind: str, tz: ZoneInfo) -> Any:
    """What the cell holds: numbers stay numbers, seconds become days (Excel's duration),
    instants become local naive date-times (a spreadsheet has no zones), text is cleaned."""
    if value is None:
        return None
    if kind == "dur":
        return float(value) / _SECONDS_PER_DAY
    if kind == "time" and isinstance(value, datetime):
        return value.astimezone(tz).replace(tzinfo=None, microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    return csv_cell(value)


def _widths(table: Table, tz: ZoneInfo, sample: int = 200) -> list[int]:
    """Column widths that fit the header (on two lines) and the first rows, capped."""
    out = []
    for n, col in enumerate(table.columns):
        head = max(text_width(col.zh), text_width(col.en))
        body = max((text_width(shown(r[n], col.kind, tz)) for r in table.rows[:sample]), default=0)
        out.append(min(max(head, body, 6) + 2, 48))
    return out


def _sheet(wb: Workbook, table: Table, tz: ZoneInfo) -> None:
    ws = wb.create_sheet(title=csv_cell(table.zh)[:31])
    for n, width in enumerate(_widths(table, tz), start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = "A2"
    header = []
    for col in table.columns:
        cell = WriteOnlyCell(ws, value=csv_cell(f"{col.zh}\n{col.en}".replace("\n", " / ")))
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
        header.append(cell)
    ws.append(header)
    # a date-time gets openpyxl's date-time format by itself; only shares and durations need a
    # styled cell (a styled cell costs several times a plain one: 200,000 list rows)
    styled = [col.kind in ("pct", "dur") for col in table.columns]
    fmts = [_FORMATS.get(col.kind) for col in table.columns]
    kinds = [col.kind for col in table.columns]
    for row in table.rows:
        out: list[Any] = []
        for value, kind, style, fmt in zip(row, kinds, styled, fmts, strict=True):
            v = cell_value(value, kind, tz)
            if style and v is not None:
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = fmt or "General"
                out.append(cell)
            else:
                out.append(v)
        ws.append(out)


def _summary(wb: Workbook, a: Assessment, tz: ZoneInfo) -> None:
    ws = wb.create_sheet(title="概况")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 60
    ws.freeze_panes = "A2"
    p = a.period
    f = a.center_figure
    rows: list[tuple[str, Any]] = [
        ("项目 / item", "值 / value"),
        ("中心 / center", a.center),
        ("时段 / period", f"{p.first.isoformat()} — {p.last.isoformat()}"),
        ("截至 / as of", a.cutoff.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")),
        ("时区 / time zone", str(tz)),
        ("需派单警情 / incidents needing an order", f.dispatched),
        ("60秒内派单 / first order within 60 s", f.share(f.within_60)),
        ("120秒内派单 / first order within 120 s", f.share(f.within_120)),
        ("上期 / previous period", f"{a.previous.first.isoformat()} — {a.previous.last.isoformat()}"),
    ]
    for n, (k, v) in enumerate(rows):
        key = WriteOnlyCell(ws, value=csv_cell(k))
        if n == 0:
            key.font = _HEADER_FONT
        val = WriteOnlyCell(ws, value=csv_cell(v) if isinstance(v, str) else v)
        if isinstance(v, float):
            val.number_format = "0.0%"
        ws.append([key, val])


def write_xlsx(a: Assessment, path: Path, tz: ZoneInfo, lang: str = "zh") -> Path:
    """Write the workbook beside ``path`` and rename it into place, so a reader never opens
    half a file."""
    wb = Workbook(write_only=True)
    _summary(wb, a, tz)
    for table in tables(a, lang):
        _sheet(wb, table, tz)
    wb.properties.title = csv_cell(f"{a.center} 考核 {a.period.first}—{a.period.last}")
    wb.properties.creator = "linkage-console"
    wb.properties.created = a.cutoff.replace(tzinfo=None)
    wb.properties.modified = a.cutoff.replace(tzinfo=None)
    tmp = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(tmp)
    os.replace(tmp, path)
    return path
