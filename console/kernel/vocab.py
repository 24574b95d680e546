"""Grading of incidents (分级): the incident type and the level, as the dispatcher sets them.

The policy splits incidents in two (seed §三(一)): daily help the center dispatches itself,
and incidents that need a government contingency plan (预案), where the center coordinates
the initial response (先期处置) and reports upward at once. The level is what draws that line:
``daily`` (日常) is below plan level, I–IV are the four grades of the Emergency Response Law
(《突发事件应对法》, 2024 revision, Art. 3).

The Law grades only natural disasters, accidents and public-health events. Social-safety
events (社会安全事件) follow other rules; the console still lets a dispatcher give one a level
(a county's own plan may define one, and the report clocks need a level to run), and says so
where the level is shown (``graded_by_law``).

Levels are ordered by severity: I (特别重大) is the most severe, ``daily`` the least. This
module is pure vocabulary: no store, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from console.kernel.errors import BadInput


class IncidentType(StrEnum):
    """The four kinds of 突发事件 (Emergency Response Law Art. 2)."""

    NATURAL_DISASTER = "natural_disaster"
    ACCIDENT = "accident"
    PUBLIC_HEALTH = "public_health"
    SOCIAL_SAFETY = "social_safety"


TYPE_LABELS: dict[IncidentType, tuple[str, str]] = {
    IncidentType.NATURAL_DISASTER: ("自然灾害", "natural disaster"),
    IncidentType.ACCIDENT: ("事故灾难", "accident"),
    IncidentType.PUBLIC_HEALTH: ("公共卫生事件", "public health incident"),
    IncidentType.SOCIAL_SAFETY: ("社会安全事件", "social safety incident"),
}

#: Types the Law grades I–IV. A level on a social-safety event is the county's own call.
GRADED_BY_LAW = frozenset(
    {IncidentType.NATURAL_DISASTER, IncidentType.ACCIDENT, IncidentType.PUBLIC_HEALTH}
)


class Level(StrEnum):
    """Severity level. ``DAILY`` is below plan level: the center handles it by itself."""

    I = "I"  # noqa: E741 - the Roman numeral is the official name of the grade
    II = "II"
    III = "III"
    IV = "IV"
    DAILY = "daily"


LEVEL_LABELS: dict[Level, tuple[str, str]] = {
    Level.I: ("特别重大（Ⅰ级）", "extraordinarily serious (I)"),
    Level.II: ("重大（Ⅱ级）", "serious (II)"),
    Level.III: ("较大（Ⅲ级）", "relatively serious (III)"),
    Level.IV: ("一般（Ⅳ级）", "general (IV)"),
    Level.DAILY: ("日常", "daily (below plan level)"),
}

#: Most severe first.
LEVELS_BY_SEVERITY: tuple[Level, ...] = (Level.I, Level.II, Level.III, Level.IV, Level.DAILY)
#: The levels at which a government contingency plan applies.
PLAN_LEVELS: tuple[Level, ...] = LEVELS_BY_SEVERITY[:-1]

_SEVERITY = {level: len(LEVELS_BY_SEVERITY) - 1 - i for i, level in enumerate(LEVELS_BY_SEVERITY)}

_TYPE_ALIASES: dict[str, IncidentType] = {}
for _t, (_zh, _en) in TYPE_LABELS.items():
    _TYPE_ALIASES.update({_t.value: _t, _zh: _t, _en: _t, _t.value.replace("_", " "): _t})
_TYPE_ALIASES.update({
    "自然": IncidentType.NATURAL_DISASTER, "灾害": IncidentType.NATURAL_DISASTER,
    "natural": IncidentType.NATURAL_DISASTER, "zrzh": IncidentType.NATURAL_DISASTER,
    "事故": IncidentType.ACCIDENT, "事故灾害": IncidentType.ACCIDENT,
    "sgzn": IncidentType.ACCIDENT, "accidents": IncidentType.ACCIDENT,
    "公共卫生": IncidentType.PUBLIC_HEALTH, "公卫": IncidentType.PUBLIC_HEALTH,
    "卫生": IncidentType.PUBLIC_HEALTH, "health": IncidentType.PUBLIC_HEALTH,
    "ggws": IncidentType.PUBLIC_HEALTH,
    "社会安全": IncidentType.SOCIAL_SAFETY, "社会": IncidentType.SOCIAL_SAFETY,
    "social": IncidentType.SOCIAL_SAFETY, "social security": IncidentType.SOCIAL_SAFETY,
    "shaq": IncidentType.SOCIAL_SAFETY,
})

_LEVEL_ALIASES: dict[str, Level] = {
    "I": Level.I, "1": Level.I, "一": Level.I, "特别重大": Level.I, "特大": Level.I,
    "II": Level.II, "2": Level.II, "二": Level.II, "重大": Level.II,
    "III": Level.III, "3": Level.III, "三": Level.III, "较大": Level.III,
    "IV": Level.IV, "4": Level.IV, "四": Level.IV, "一般": Level.IV,
    "DAILY": Level.DAILY, "日常": Level.DAILY, "0": Level.DAILY, "NONE": Level.DAILY,
    "未分级": Level.DAILY, "不分级": Level.DAILY,
    "EXTRAORDINARILY SERIOUS": Level.I, "SERIOUS": Level.II,
    "RELATIVELY SERIOUS": Level.III, "GENERAL": Level.IV,
}
#: Decorations around the core of a level: "Ⅲ级", "III 级", "level 3", "(III)", "较大事件".
_LEVEL_NOISE = re.compile(r"^(?:LEVEL|GRADE)\s*|\s*(?:级|LEVEL|事件|突发事件)$|[()（）]")


def parse_type(raw: str) -> IncidentType:
    """An incident type from a code, a Chinese or English name, or an abbreviation."""
    key = unicodedata.normalize("NFKC", raw or "").strip().lower().replace("-", "_")
    found = _TYPE_ALIASES.get(key) or _TYPE_ALIASES.get(key.replace("_", " "))
    if found is None:
        raise BadInput(
            "grading.bad_type",
            zh="事件类型 {v!r} 无效：应为 自然灾害、事故灾难、公共卫生事件 或 社会安全事件",
            en="unknown incident type {v!r}: use natural_disaster, accident, public_health "
               "or social_safety",
            v=raw,
        )
    return found


def parse_level(raw: str | int) -> Level:
    """A level from I/II/III/IV, 1–4, Ⅰ–Ⅳ (any case), 一–四, 特别重大/重大/较大/一般,
    with or without 级, or ``daily``/日常 for below plan level."""
    text = unicodedata.normalize("NFKC", str(raw)).strip().upper()  # NFKC: Ⅲ → III, ⅳ → iv
    key = text
    for _ in range(3):  # "(Ⅲ级)", "LEVEL 3", "较大事件": peel the decorations off
        stripped = _LEVEL_NOISE.sub("", key)
        if stripped == key:
            break
        key = stripped
    found = _LEVEL_ALIASES.get(text) or _LEVEL_ALIASES.get(key)
    if found is None:
        raise BadInput(
            "grading.bad_level",
            zh="级别 {v!r} 无效：应为 Ⅰ（特别重大）、Ⅱ（重大）、Ⅲ（较大）、Ⅳ（一般）或 日常",
            en="unknown level {v!r}: use I (extraordinarily serious), II (serious), "
               "III (relatively serious), IV (general) or daily",
            v=str(raw),
        )
    return found


def severity(level: Level) -> int:
    """A number that grows with severity: daily 0, IV 1, III 2, II 3, I 4."""
    return _SEVERITY[level]


def at_least(level: Level, minimum: Level) -> bool:
    """Whether ``level`` is as severe as ``minimum`` or more (II is at least III)."""
    return _SEVERITY[level] >= _SEVERITY[minimum]


def most_severe(levels: list[Level] | tuple[Level, ...]) -> Level:
    """The most severe of ``levels`` (``daily`` for none)."""
    return max(levels, key=severity, default=Level.DAILY)


def is_plan_level(level: Level) -> bool:
    """Whether the level calls for a government contingency plan (anything above daily)."""
    return level is not Level.DAILY


def graded_by_law(kind: IncidentType) -> bool:
    """Whether the Emergency Response Law grades this type (social safety it does not)."""
    return kind in GRADED_BY_LAW


def type_label(kind: IncidentType, lang: str) -> str:
    zh, en = TYPE_LABELS[kind]
    return zh if lang == "zh" else en


def level_label(level: Level, lang: str) -> str:
    zh, en = LEVEL_LABELS[level]
    return zh if lang == "zh" else en


#: The reports a plan can require, in the order they are filed.
REPORT_KINDS: tuple[str, ...] = ("initial_phone", "initial_written", "follow_up", "final")


#: How a report goes upward (``report.filed`` ``via``); the report log is ``console/tiered/reports.py``.
REPORT_VIAS: dict[str, tuple[str, str]] = {
    "phone": ("电话", "phone"),
    "fax": ("传真", "fax"),
    "system": ("系统报送", "reporting system"),
    "in_person": ("当面", "in person"),
}
