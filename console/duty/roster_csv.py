"""Roster files (值班表 CSV): read with every row checked, and write back.

Administrators keep rosters in a spreadsheet, so the file is a CSV in UTF-8 (with or without
the BOM Excel adds) or GBK/GB18030 (Excel's "CSV" on a Chinese Windows machine), or an XLSX
workbook (its first sheet), with a header row; a header cell may be the Chinese name, the English
name, or both (``单位/unit``). Times are the center's local time (``2026-12-01 08:00``) unless
they carry an offset. The whole file is checked before anything is written, and every bad row
is reported with the file, the line and the reason in both languages, so a half-imported
roster can never exist. The format is documented in ``data/README.md``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from console.catalog.registry import PHONE_RE, Catalog, Unit
from console.duty.rosters import MAX_SHIFT, TIER_FIELD, TIER_FIELD_LABELS, Shift
from console.kernel.clean import csv_cell, csv_value
from console.kernel.errors import BadInput
from console.kernel.inputs import clean_text, normalize, parse_phone, within_range

#: column → (Chinese header, English header, other accepted names)
COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "unit": ("单位", "unit", ("单位编码", "编码", "单位名称", "code", "unit code")),
    "start": ("开始", "start", ("开始时间", "起", "from", "begins")),
    "end": ("结束", "end", ("结束时间", "止", "to", "until", "ends")),
    "person": ("值班人", "person", ("值班人员", "姓名", "on duty", "name", "duty person")),
    "phone": ("值班电话", "phone", ("电话", "duty phone", "telephone")),
    "vehicle": ("车辆", "vehicle", ("值班车辆", "车牌", "duty vehicle")),
    "contact": ("联系人", "contact", ("联络员", "liaison")),
    "responsible": ("责任人", "responsible", ("负责人", "responsible person")),
}
REQUIRED = ("unit", "start", "end", "person", "phone")
HEADER = [f"{zh}/{en}" for zh, en, _ in COLUMNS.values()]
MAX_PROBLEMS = 20

_ALIASES = {name.lower(): key for key, (zh, en, more) in COLUMNS.items() for name in (zh, en, *more)}
_LOCAL = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?")
_SHORT_NUMBER = re.compile(r"\d{3,5}")  # 110, 119, 12345: a duty line may be a service number


@dataclass(frozen=True)
class Problem:
    line: int
    zh: str
    en: str


class RosterFileError(BadInput):
    """A roster file with bad rows: every problem (up to 20) with its line; nothing written."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        zh = "\n".join([f"值班表文件有 {len(self.problems)} 处错误，未导入任何内容：",
                        *(f"{file}:{p.line}: {p.zh}" for p in shown),
                        *([f"……另有 {more} 处"] if more else [])])
        en = "\n".join([f"roster file refused, nothing imported ({len(self.problems)} problems):",
                        *(f"{file}:{p.line}: {p.en}" for p in shown),
                        *([f"… and {more} more"] if more else [])])
        super().__init__("roster.file", zh=zh.replace("{", "{{").replace("}", "}}"),
                         en=en.replace("{", "{{").replace("}", "}}"))

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        data = super().to_json(lang)
        data["problems"] = [{"file": self.file, "line": p.line, "message": p.zh if lang == "zh" else p.en}
                            for p in self.problems]
        return data


@dataclass(frozen=True)
class RosterFile:
    """A checked file: per unit code, its shifts sorted by start (disjoint)."""

    path: str
    shifts: dict[str, list[Shift]]

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.shifts.values())


def _column(cell: str) -> str | None:
    text = normalize(cell).lower()
    if text in _ALIASES:
        return _ALIASES[text]
    for part in re.split(r"[/|()（）]+", text):
        if part.strip() in _ALIASES:
            return _ALIASES[part.strip()]
    return None


def parse_local_time(raw: str, tz: ZoneInfo) -> datetime | None:
    """``2026-12-01 08:00`` (also ``/`` or ``.`` between the date parts, ``T``, seconds) in the
    center's zone, or an ISO instant with an offset. A date is required: a file has no "today"."""
    text = normalize(raw)
    m = _LOCAL.fullmatch(text)
    try:
        if m:
            y, mo, d, h, mi, s = (int(g or 0) for g in m.groups())
            return within_range(datetime(y, mo, d, h, mi, s, tzinfo=tz), raw)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*([+-]\d{2}:?\d{2}|Z)", text):
            return within_range(datetime.fromisoformat(text.replace("Z", "+00:00")), raw)
    except (ValueError, BadInput):  # a year 1 or 9999 in a file is as malformed as a typo
        return None
    return None


def parse_duty_phone(raw: str) -> str | None:
    """A duty phone as filed: a phone number, a short service number, or the fictional
    ``0000-`` numbers of the shipped data; None if it is none of these."""
    text = normalize(raw)
    if PHONE_RE.fullmatch(text) or _SHORT_NUMBER.fullmatch(text):
        return text
    try:
        return parse_phone(text) or None
    except BadInput:
        return None


def find_unit(catalog: Catalog, raw: str) -> Unit | None:
    """A unit by its code or its exact Chinese or English name (no fuzzy match in a file)."""
    text = normalize(raw)
    if text.lower() in catalog.units:
        return catalog.units[text.lower()]
    for unit in catalog.units.values():
        if text in (unit.name_zh, unit.name_en):
            return unit
    return None


def read_roster(path: Path, catalog: Catalog, tz: ZoneInfo,
                period: tuple[datetime, datetime] | None = None) -> RosterFile:
    """Parse and check a roster file; raises ``RosterFileError`` listing every bad row."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInput("roster.unreadable", zh="读不了值班表文件 {f}：{e}", en="cannot read roster file {f}: {e}",
                       f=str(path), e=exc.strerror or exc) from exc
    if raw[:4] == b"PK\x03\x04" or path.suffix.lower() == ".xlsx":
        return parse_roster(xlsx_text(raw, name, tz), name, catalog, tz, period)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel's "CSV" on a Chinese Windows machine is GBK; GB18030 is its superset
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise RosterFileError(name, [Problem(
                raw[:exc.start].count(b"\n") + 1,
                "文件不是 UTF-8 或 GBK/GB18030 编码（在表格软件中另存为“CSV UTF-8”或 XLSX）",
                "the file is neither UTF-8 nor GBK/GB18030 (save it as \"CSV UTF-8\" or XLSX from"
                " the spreadsheet)")]) from None
    return parse_roster(text, name, catalog, tz, period)


def xlsx_text(raw: bytes, name: str, tz: ZoneInfo) -> str:
    """The first sheet of an XLSX roster as CSV text, so it is checked exactly as a CSV is: a
    date-time cell becomes local ``YYYY-MM-DD HH:MM``, a whole number its digits (a phone
    typed as a number), a formula its cached value (never the formula)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, ValueError: not a workbook
        raise RosterFileError(name, [Problem(1, "无法读取 XLSX 文件",
                                             f"cannot read the XLSX file: {type(exc).__name__}")]) from None
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\n")
    for row in wb.worksheets[0].iter_rows(values_only=True):
        out.writerow([_xlsx_cell(v, tz) for v in row])
    wb.close()
    return buf.getvalue()


def _xlsx_cell(value: Any, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value if value.tzinfo is None else value.astimezone(tz).replace(tzinfo=None)
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_roster(text: str, name: str, catalog: Catalog, tz: ZoneInfo,
                 period: tuple[datetime, datetime] | None = None) -> RosterFile:
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text))
    columns: list[str | None] | None = None
    rows: list[tuple[int, Shift]] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if columns is None:
            columns = [_column(c) if c.strip() else None for c in cells]
            for cell, key in zip(cells, columns, strict=True):
                if key is None and cell.strip():
                    problems.append(Problem(line, f"未知的列名“{cell.strip()[:30]}”",
                                            f"unknown column '{cell.strip()[:30]}'"))
            for key in REQUIRED:
                if key not in columns:
                    zh, en, _ = COLUMNS[key]
                    problems.append(Problem(line, f"缺少列“{zh}/{en}”", f"missing column '{zh}/{en}'"))
            if problems:
                break
            continue
        shift = _row(cells, columns, line, catalog, tz, problems)
        if shift is not None:
            rows.append((line, shift))
    if columns is None:
        problems.append(Problem(1, "文件是空的：需要表头行和至少一个班次",
                                "the file is empty: it needs a header row and at least one shift"))
    elif not rows and not problems:
        problems.append(Problem(reader.line_num, "没有班次", "no shifts in the file"))
    by_unit: dict[str, list[tuple[int, Shift]]] = {}
    for line, shift in rows:
        by_unit.setdefault(shift.unit, []).append((line, shift))
    for unit_rows in by_unit.values():
        unit_rows.sort(key=lambda r: (r[1].start, r[0]))
        reach = unit_rows[0]  # the shift seen so far that ends last
        for line_b, b in unit_rows[1:]:
            line_a, a = reach
            if b.end > a.end:
                reach = (line_b, b)
            if b.start < a.end:  # blamed on the later line of the file, naming the earlier
                first, later = sorted((line_a, line_b))
                problems.append(Problem(
                    later, f"与第 {first} 行的班次重叠（{a.unit}）",
                    f"overlaps the shift on line {first} ({a.unit})"))
    if period:
        for line, shift in rows:
            if shift.start < period[0] or shift.end > period[1]:
                problems.append(Problem(line, "班次超出 --from/--to 给出的备案时段",
                                        "the shift lies outside the period given by --from/--to"))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise RosterFileError(name, problems)
    return RosterFile(name, {u: [s for _, s in r] for u, r in by_unit.items()})


def _row(cells: list[str], columns: list[str | None], line: int, catalog: Catalog, tz: ZoneInfo,
         problems: list[Problem]) -> Shift | None:
    values = {key: clean_text(csv_value(cell)) for key, cell in zip(columns, cells, strict=False) if key}
    before = len(problems)

    def bad(zh: str, en: str) -> None:
        problems.append(Problem(line, zh, en))

    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
        bad("这一行的列比表头多", "this row has more cells than the header")
    unit = find_unit(catalog, values.get("unit", ""))
    if unit is None:
        shown = values.get("unit", "")[:30]
        bad(f"没有这个联动单位：“{shown}”", f"no such linkage unit: '{shown}'")
    times = []
    for key, zh, en in (("start", "开始", "start"), ("end", "结束", "end")):
        value = parse_local_time(values.get(key, ""), tz)
        if value is None:
            shown = values.get(key, "")[:30]
            bad(f"{zh}时间无法识别：“{shown}”（应为 2026-12-01 08:00）",
                f"unrecognised {en} time: '{shown}' (expected 2026-12-01 08:00)")
        times.append(value)
    start, end = times
    if start is not None and end is not None:
        if end <= start:
            bad("结束时间不晚于开始时间", "the end is not after the start")
        elif end - start > MAX_SHIFT:
            bad("班次超过 7 天", "the shift is longer than 7 days")
    if not values.get("person"):
        bad("缺少值班人", "the person on duty is missing")
    phone = parse_duty_phone(values.get("phone", ""))
    if phone is None:
        shown = values.get("phone", "")[:30]
        bad(f"值班电话格式不正确：“{shown}”", f"malformed duty phone: '{shown}'")
    if unit is not None:
        needed = TIER_FIELD[unit.tier]
        if not values.get(needed):
            zh, en = TIER_FIELD_LABELS[needed]
            regime = {1: ("一级单位“四定”须填", "a tier 1 unit (four fixed) needs"),
                      2: ("二级单位“三定”须填", "a tier 2 unit (three fixed) needs"),
                      3: ("三级单位“三到位”须填", "a tier 3 unit (three in place) needs")}[unit.tier]
            bad(f"{regime[0]}{zh}", f"{regime[1]} a {en}")
    if len(problems) > before or unit is None or start is None or end is None or phone is None:
        return None
    return Shift(unit.code, start, end, values["person"], phone, values.get("vehicle", ""),
                 values.get("contact", ""), values.get("responsible", ""))


def _local(value: datetime, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def write_roster(shifts: Sequence[Shift], tz: ZoneInfo) -> str:
    """The CSV text of ``shifts`` (header with both names, local times): import reads it back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for s in shifts:
        writer.writerow([csv_cell(v) for v in (s.unit, _local(s.start, tz), _local(s.end, tz), s.person,
                                                s.phone, s.vehicle, s.contact, s.responsible)])
    return out.getvalue()
