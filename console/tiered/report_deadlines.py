"""Reporting deadlines (信息报送时限) per level, with per-province overrides.

When an incident is raised to plan level the center reports upward: an initial report by
phone, a written initial report, follow-ups, and a final report after closure. The national
rule for 重特大 events is phone within 30 min and writing within 1 h (国务院应急办, 2015);
provinces are often stricter (Henan: 15 / 35 min for 重大 and above, follow-ups at 08:00 and
17:00). ``data/report_deadlines.toml`` holds the defaults, the per-level values and the
province tables; this module reads it and answers "which deadlines apply to level L here".

Values resolve in layers, each overriding the one before: ``[default]``, ``[level.L]``,
``[province.P.default]``, ``[province.P.level.L]``. Pure data: the clocks that run against
these numbers belong to the report log, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from console.catalog.datafile import CODE_RE, display_path, read_toml
from console.kernel.errors import BadInput, DataError
from console.kernel.vocab import PLAN_LEVELS, Level, parse_level

REPORT_LABELS: dict[str, tuple[str, str]] = {
    "initial_phone": ("电话首报", "initial report by phone"),
    "initial_written": ("书面首报", "written initial report"),
    "follow_up": ("续报", "follow-up report"),
    "final": ("终报", "final report"),
}
_KEYS = ("initial_phone_minutes", "initial_written_minutes", "follow_up_minutes",
         "follow_up_at", "final_days")
_HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


@dataclass(frozen=True)
class ReportDeadlines:
    """The deadlines that apply to one level (in one province)."""

    level: Level
    #: Minutes after the incident is raised to plan level.
    initial_phone_minutes: int
    initial_written_minutes: int
    #: Minutes between follow-ups; ``None`` when only fixed times apply.
    follow_up_minutes: int | None
    #: Fixed local times of day for follow-ups (Henan: 08:00, 17:00). When given they are
    #: the schedule; ``follow_up_minutes`` is then only a fallback for a consumer that
    #: cannot use fixed times.
    follow_up_at: tuple[time, ...]
    #: Days after the incident is closed by which the final report is due.
    final_days: int
    #: The province whose table applied, or "" for the national defaults.
    province: str = ""


@dataclass(frozen=True)
class Province:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class ReportRules:
    """The whole file, resolved per level and province on demand."""

    base: dict[Level, ReportDeadlines]
    provinces: dict[str, Province]
    #: Per province, the deadlines per level with its overrides applied.
    by_province: dict[str, dict[Level, ReportDeadlines]]
    #: The province the file selects (``use_province = "henan"``), "" for none.
    province: str = ""

    def for_level(self, level: Level | str, province: str | None = None) -> ReportDeadlines | None:
        """The deadlines for ``level`` in ``province`` (the file's choice by default);
        ``None`` for ``daily``: below plan level nothing is reported upward."""
        lvl = parse_level(level) if not isinstance(level, Level) else level
        if lvl is Level.DAILY:
            return None
        where = self.province if province is None else province
        if not where:
            return self.base[lvl]
        if where not in self.by_province:
            raise BadInput("reports.unknown_province",
                           zh="report_deadlines.toml 中没有省份 {p}",
                           en="no province {p} in report_deadlines.toml", p=where)
        return self.by_province[where][lvl]


def default_report_rules_path() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "report_deadlines.toml"


def load_report_rules(path: Path) -> ReportRules:
    """Parse and check ``report_deadlines.toml``; a ``DataError`` names the file and the
    table, in both languages."""
    doc = read_toml(path)
    where = display_path(path)
    extra = sorted(set(doc) - {"use_province", "default", "level", "province"})
    if extra:
        raise DataError(where, zh="未知的顶层键 {k}", en="unknown top-level key(s) {k}",
                        k=", ".join(extra))
    default = _layer(doc.get("default"), f"{where}: [default]")
    missing = [k for k in _KEYS if k not in default and k != "follow_up_at"]
    if missing:
        raise DataError(f"{where}: [default]", zh="缺少字段 {k}", en="missing field(s) {k}",
                        k=", ".join(missing))
    base_levels = _levels(doc.get("level", {}), f"{where}: [level]")
    base = {lvl: _resolve(lvl, [default, base_levels.get(lvl, {})], "", where)
            for lvl in PLAN_LEVELS}

    raw_provinces = doc.get("province", {})
    if not isinstance(raw_provinces, dict):
        raise DataError(where, zh="province 必须写成 [province.代码] 表",
                        en="province must be written as [province.code] tables")
    provinces: dict[str, Province] = {}
    by_province: dict[str, dict[Level, ReportDeadlines]] = {}
    for code, table in raw_provinces.items():
        at = f"{where}: [province.{code}]"
        _province_code(code, at)
        if not isinstance(table, dict):
            raise DataError(at, zh="必须是一个表", en="must be a table")
        unknown = sorted(set(table) - {"name_zh", "name_en", "default", "level"})
        if unknown:
            raise DataError(at, zh="未知字段 {k}", en="unknown field(s) {k}", k=", ".join(unknown))
        names = []
        for key in ("name_zh", "name_en"):
            value = table.get(key)
            if not isinstance(value, str) or not value.strip():
                raise DataError(at, zh="缺少字段 {k}（省份名称要写两种语言）",
                                en="missing field {k} (name the province in both languages)",
                                k=key)
            names.append(value.strip())
        provinces[code] = Province(code, names[0], names[1])
        p_default = _layer(table.get("default"), f"{where}: [province.{code}.default]")
        p_levels = _levels(table.get("level", {}), f"{where}: [province.{code}.level]")
        by_province[code] = {
            lvl: _resolve(lvl, [default, base_levels.get(lvl, {}), p_default,
                                p_levels.get(lvl, {})], code, where)
            for lvl in PLAN_LEVELS
        }
    selected = doc.get("use_province", "")
    if not isinstance(selected, str) or (selected and selected not in provinces):
        raise DataError(where, zh="use_province = {v!r}：没有这个省份表（[province.代码]）",
                        en="use_province = {v!r}: no such [province.code] table", v=selected)
    return ReportRules(base, provinces, by_province, selected)


def _layer(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DataError(where, zh="必须是一个表", en="must be a table")
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise DataError(where, zh="未知字段 {k}", en="unknown field(s) {k}", k=", ".join(unknown))
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "follow_up_at":
            if not isinstance(value, list) or not all(
                isinstance(v, str) and _HHMM.fullmatch(v) for v in value
            ):
                raise DataError(where, zh="follow_up_at 必须是 \"HH:MM\" 时刻列表",
                                en='follow_up_at must be a list of "HH:MM" times')
            out[key] = tuple(sorted(time.fromisoformat(v) for v in set(value)))
        elif type(value) is not int or value <= 0:
            raise DataError(where, zh="{k} 必须是正整数", en="{k} must be a positive whole number",
                            k=key)
        else:
            out[key] = value
    return out


def _levels(raw: Any, where: str) -> dict[Level, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise DataError(where, zh="必须是一个表", en="must be a table")
    out: dict[Level, dict[str, Any]] = {}
    for key, value in raw.items():
        try:
            lvl = parse_level(key)
        except BadInput:
            lvl = Level.DAILY
        if lvl is Level.DAILY:
            raise DataError(where, zh="级别 {v!r} 无效（应为 I、II、III 或 IV）",
                            en="unknown level {v!r} (use I, II, III or IV)", v=key)
        out[lvl] = _layer(value, f"{where[:-1]}.{key}]")
    return out


def _resolve(level: Level, layers: list[dict[str, Any]], province: str,
             where: str) -> ReportDeadlines:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    result = ReportDeadlines(
        level=level,
        initial_phone_minutes=merged["initial_phone_minutes"],
        initial_written_minutes=merged["initial_written_minutes"],
        follow_up_minutes=merged.get("follow_up_minutes"),
        follow_up_at=merged.get("follow_up_at", ()),
        final_days=merged["final_days"],
        province=province,
    )
    if result.initial_written_minutes < result.initial_phone_minutes:
        label = f"province {province}, level {level.value}" if province else f"level {level.value}"
        raise DataError(where, zh="{l}：书面首报时限（{w} 分钟）早于电话首报（{p} 分钟）",
                        en="{l}: the written initial report ({w} min) is due before the phone "
                           "report ({p} min)", l=label, w=result.initial_written_minutes,
                        p=result.initial_phone_minutes)
    return result


def _province_code(code: str, where: str) -> str:
    if not CODE_RE.fullmatch(code):
        raise DataError(where, zh="省份代码 {c!r} 格式不对（小写字母、数字、_）",
                        en="malformed province code {c!r} (lowercase letters, digits, _)", c=code)
    return code


def report_label(kind: str, lang: str) -> str:
    zh, en = REPORT_LABELS[kind]
    return zh if lang == "zh" else en

