"""Contingency plans (应急预案) from ``data/plans/``, checked against the catalog.

A plan says when it applies (incident types, levels, categories), which linkage units to
order and in what role (牵头 lead / 配合 support / 待命 standby), the checklist the center
works through after activating it, and which reports upward it requires. One plan per TOML
file, both languages for every text, so an administrator can add a county's plan without
touching code; the format is in ``data/README.md``.

Everything is validated at load: a unit code that is not in ``units.toml`` or a category not
in ``categories.toml`` would otherwise surface only in the middle of an emergency. Errors are
``DataError`` naming the file and the entry, in Chinese and English, like the catalog's.

``PlanBook.plans_for`` is the matcher. Activating a plan (orders, checklist progress, the
activation event) is built on top of these values elsewhere; this module is pure data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.catalog.datafile import DataEntry, display_path, read_toml
from console.catalog.registry import Catalog
from console.kernel.errors import DataError, NotFound
from console.kernel.vocab import REPORT_KINDS, IncidentType, Level, at_least, parse_level, parse_type
from console.tiered.escalation import entry_int, entry_level, entry_type

#: The roles a unit takes in a plan, in the order they are shown and ordered.
ROLES: tuple[str, ...] = ("lead", "support", "standby")
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "lead": ("牵头", "lead"),
    "support": ("配合", "support"),
    "standby": ("待命", "standby"),
    "center": ("指挥中心", "command center"),
}
#: Who can be responsible for a checklist step: a unit role, or the center itself.
STEP_ROLES: tuple[str, ...] = ("center", *ROLES)

_PLAN_FIELDS = ("code", "name_zh", "name_en", "note_zh", "note_en", "types", "levels",
                "categories", "reports", "unit", "step")
_UNIT_FIELDS = ("code", "role", "task_zh", "task_en", "min_level")
_STEP_FIELDS = ("text_zh", "text_en", "role", "unit", "due_minutes")


@dataclass(frozen=True)
class PlanUnit:
    """A unit the plan orders, with its role and its task."""

    code: str
    role: str
    task_zh: str
    task_en: str
    #: Ordered only at this level or a more severe one (``None``: at every level of the plan).
    min_level: Level | None = None


@dataclass(frozen=True)
class Step:
    """One checklist item (处置要点), in the plan's order."""

    no: int
    text_zh: str
    text_en: str
    #: Who carries it out: center, lead, support or standby (``None``: not said).
    role: str | None = None
    #: The unit responsible, one of the plan's units (``None``: not said).
    unit: str | None = None
    #: Due this many minutes after the plan is activated (``None``: no deadline).
    due_minutes: int | None = None

    def text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" else self.text_en


@dataclass(frozen=True)
class Plan:
    code: str
    name_zh: str
    name_en: str
    types: tuple[IncidentType, ...]
    levels: tuple[Level, ...]
    #: Categories that trigger it (empty: any category of its types).
    categories: tuple[str, ...]
    units: tuple[PlanUnit, ...]
    steps: tuple[Step, ...]
    #: Reports upward the plan requires, from ``REPORT_KINDS``, in filing order.
    reports: tuple[str, ...]
    note_zh: str = ""
    note_en: str = ""
    #: The file it came from (for messages).
    source: str = ""

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def applies(self, kind: IncidentType, level: Level, category: str | None = None) -> bool:
        """Whether the plan covers an incident of this type and level (and category, when
        one is given and the plan names categories)."""
        if kind not in self.types or level not in self.levels:
            return False
        return category is None or not self.categories or category in self.categories

    def units_at(self, level: Level) -> tuple[PlanUnit, ...]:
        """The units to order at ``level``: leads first, then support, then standby, each in
        the file's order; units with a ``min_level`` above ``level`` left out."""
        chosen = [u for u in self.units if u.min_level is None or at_least(level, u.min_level)]
        return tuple(sorted(chosen, key=lambda u: ROLES.index(u.role)))


@dataclass(frozen=True)
class PlanBook:
    """Every plan, by code, in file-name order."""

    plans: dict[str, Plan]

    def plan(self, code: str) -> Plan:
        try:
            return self.plans[code]
        except KeyError:
            raise NotFound("plans.not_found", zh="没有编码为 {c} 的应急预案",
                           en="no contingency plan with code {c}", c=code) from None

    def plans_for(self, kind: IncidentType | str, level: Level | str,
                  category: str | None = None) -> list[Plan]:
        """The plans for an incident of this type and level, and of this category if given.

        Plans that name the category come before plans that apply to any category of the
        type; file order breaks ties. ``daily`` has no plans. Strings are parsed as the
        dispatcher types them (``"accident"``, ``"事故灾难"``, ``"Ⅲ"``, ``"较大"``).
        """
        k = kind if isinstance(kind, IncidentType) else parse_type(kind)
        lvl = level if isinstance(level, Level) else parse_level(level)
        found = [p for p in self.plans.values() if p.applies(k, lvl, category)]
        return sorted(found, key=lambda p: not (category and category in p.categories))


def default_plans_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "plans"


def load_plans(plans_dir: Path, catalog: Catalog) -> PlanBook:
    """Every ``*.toml`` in ``plans_dir`` (sorted by name), checked against ``catalog``.

    A missing or empty directory is no plans: a center can run before its plans are
    written. A broken file stops the load, with the file and the entry named.
    """
    plans: dict[str, Plan] = {}
    files = sorted(Path(plans_dir).glob("*.toml")) if Path(plans_dir).is_dir() else []
    for path in files:
        plan = _parse_plan(read_toml(path), display_path(path), catalog)
        if plan.code in plans:
            raise DataError(f"{plan.source}: plan ({plan.code})",
                            zh="预案编码 {c} 重复（已在 {f} 中使用）",
                            en="duplicate plan code {c} (already used in {f})",
                            c=plan.code, f=plans[plan.code].source)
        plans[plan.code] = plan
    return PlanBook(plans)


def _parse_plan(raw: dict[str, Any], file: str, catalog: Catalog) -> Plan:
    e = DataEntry(raw, "plan", 0, file, _PLAN_FIELDS)
    code = e.code_value("code")
    types = tuple(dict.fromkeys(_each(e, "types", entry_type)))
    levels = tuple(dict.fromkeys(_each(e, "levels", entry_level)))
    if Level.DAILY in levels:
        e.fail("levels 不能含日常：日常事件由中心直接调度，不启动预案",
               "levels cannot include daily: daily incidents are dispatched without a plan")
    categories = e.code_list("categories", required=False)
    for c in categories:
        if c not in catalog.categories:
            e.fail("categories 中的类别 {c} 不存在于 categories.toml",
                   "category {c} in categories does not exist in categories.toml", c=c)
    reports = e.code_list("reports")
    for r in reports:
        if r not in REPORT_KINDS:
            e.fail("reports 中的 {r!r} 无效（应为 {a}）", "reports: unknown report {r!r} (use {a})",
                   r=r, a=", ".join(REPORT_KINDS))
    reports = tuple(r for r in REPORT_KINDS if r in reports)
    units = _units(e, file, catalog, levels)
    steps = _steps(e, file, {u.code for u in units})
    return Plan(
        code=code, name_zh=e.text("name_zh"), name_en=e.text("name_en"), types=types,
        levels=levels, categories=categories, units=units, steps=steps, reports=reports,
        note_zh=e.text("note_zh", "", empty=True), note_en=e.text("note_en", "", empty=True),
        source=file,
    )


def _each(e: DataEntry, key: str, parse: Any) -> list[Any]:
    """A non-empty list, each item parsed as a one-value entry would be (same messages)."""
    value = e._get(key, ...)
    if value is ...:
        e.fail("缺少字段 {k}", "missing field {k}", k=key)
    if not isinstance(value, list) or not value:
        e.fail("{k} 必须是非空列表", "{k} must be a non-empty list", k=key)
    out = []
    for item in value:
        one = DataEntry({key: item}, e.kind, e.index, e.file, (key,))
        one.code = e.code
        out.append(parse(one, key))
    return out


def _tables(e: DataEntry, key: str) -> list[Any]:
    value = e._get(key, [])
    if not isinstance(value, list) or not value:
        e.fail("至少需要一个 [[{k}]]", "needs at least one [[{k}]]", k=key)
    return value


def _units(e: DataEntry, file: str, catalog: Catalog,
           levels: Iterable[Level]) -> tuple[PlanUnit, ...]:
    prefix = f"{file}: plan ({e.code})"
    out: dict[str, PlanUnit] = {}
    for i, raw in enumerate(_tables(e, "unit"), 1):
        u = DataEntry(raw, "unit", i, prefix, _UNIT_FIELDS)
        code = u.code_value("code")
        if code not in catalog.units:
            u.fail("单位编码 {c} 不存在于 units.toml", "unit code {c} does not exist in units.toml",
                   c=code)
        if code in out:
            u.fail("单位 {c} 重复列出", "unit {c} is listed twice", c=code)
        role = u.choice("role", ROLES)
        min_level = entry_level(u, "min_level") if "min_level" in u.raw else None
        if min_level is Level.DAILY:
            u.fail("min_level 必须是 I、II、III 或 IV（省略则所有级别都调派）",
                   "min_level must be I, II, III or IV (leave it out to order the unit at "
                   "every level)")
        if min_level is not None and not any(at_least(lvl, min_level) for lvl in levels):
            u.fail("min_level {m} 比预案适用的所有级别都高，该单位永远不会被调派",
                   "min_level {m} is above every level of the plan: the unit would never be "
                   "ordered", m=min_level.value)
        out[code] = PlanUnit(code, role, u.text("task_zh"), u.text("task_en"), min_level)
    if not any(p.role == "lead" for p in out.values()):
        e.fail("预案至少需要一个牵头单位（role = \"lead\"）",
               'a plan needs at least one lead unit (role = "lead")')
    return tuple(out.values())


def _steps(e: DataEntry, file: str, unit_codes: set[str]) -> tuple[Step, ...]:
    prefix = f"{file}: plan ({e.code})"
    out = []
    for i, raw in enumerate(_tables(e, "step"), 1):
        s = DataEntry(raw, "step", i, prefix, _STEP_FIELDS)
        role = s.choice("role", STEP_ROLES) if "role" in s.raw else None
        unit = s.code_value("unit") if "unit" in s.raw else None
        if unit is not None and unit not in unit_codes:
            s.fail("unit {c} 不在本预案的 [[unit]] 中", "unit {c} is not one of this plan's units",
                   c=unit)
        due = entry_int(s, "due_minutes", minimum=1) if "due_minutes" in s.raw else None
        out.append(Step(i, s.text("text_zh"), s.text("text_en"), role, unit, due))
    return tuple(out)


def role_label(role: str, lang: str) -> str:
    zh, en = ROLE_LABELS[role]
    return zh if lang == "zh" else en
