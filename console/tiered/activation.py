"""Contingency plan activation (预案启动), its checklist, and the initial response (先期处置).

Once an incident is raised to plan level (``console/tiered/grading.py``), the orders the center issues
before any plan is activated are its *initial response*; activating a plan proposes all the
plan's orders at once and the dispatcher confirms them with one key. Every order records its
phase (``daily`` / ``initial`` / ``plan``, see ``dispatch.order_phase``).

A ``plan.activated`` event carries a *snapshot* of the plan as activated (units with roles and
tasks, checklist steps with their deadlines, reports): plans are per-seat data files, and an
activation must read the same on every seat and after any replay, even if the file is edited
later. Checklist ticks are ``plan.step_checked`` events, one row each; a step's state is its
latest tick by event id, decided on read, so two seats ticking converge in any arrival order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.catalog.registry import Unit
from console.kernel.clock import iso, parse_instant
from console.kernel.errors import BadInput, IllegalTransition
from console.kernel.inputs import bounded
from console.kernel.model import Incident, IncidentStatus, Order
from console.kernel.vocab import Level, level_label
from console.orders.dispatch import issue_in
from console.store.context import Context
from console.store.queries import Reader, get_incident, orders_of
from console.tiered.grading import Grade, grade_of, require_raised
from console.tiered.plans import Plan, PlanBook, PlanUnit, role_label

PHASES: dict[str, tuple[str, str]] = {
    "daily": ("日常", "daily"),
    "initial": ("先期处置", "initial response"),
    "plan": ("预案", "plan"),
}


def phase_label(phase: str, lang: str) -> str:
    zh, en = PHASES.get(phase, (phase or "-", phase or "-"))
    return zh if lang == "zh" else en


@dataclass(frozen=True)
class ProposedOrder:
    """One unit of the plan at this level: to be ordered, or already ordered (``existing``)."""

    unit: PlanUnit
    existing: Order | None = None

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit.code, "role": self.unit.role, "task_zh": self.unit.task_zh,
                "task_en": self.unit.task_en,
                "min_level": self.unit.min_level.value if self.unit.min_level else None,
                "already_ordered": self.existing is not None,
                "order_no": self.existing.no if self.existing else None}


@dataclass(frozen=True)
class Proposal:
    """What activating ``plan`` for ``incident`` now would do."""

    incident: Incident
    grade: Grade
    plan: Plan
    items: tuple[ProposedOrder, ...]
    matches: bool            # the plan's triggers cover the incident's type, level and category
    already_active: bool     # this plan was activated on the incident before

    @property
    def to_order(self) -> list[ProposedOrder]:
        return [p for p in self.items if p.existing is None]

    def to_json(self) -> dict[str, Any]:
        return {"incident_id": self.incident.id, "incident_no": self.incident.no,
                "plan": self.plan.code, "plan_name_zh": self.plan.name_zh,
                "plan_name_en": self.plan.name_en, "level": self.grade.level.value,
                "type": self.grade.type.value, "matches": self.matches,
                "already_active": self.already_active,
                "units": [p.to_json() for p in self.items]}


@dataclass(frozen=True)
class StepCheck:
    """The latest tick of one checklist step."""

    event_id: str
    done: bool
    note: str
    at: datetime
    operator: str


@dataclass(frozen=True)
class ChecklistStep:
    """A step as activated (from the snapshot), with its state now."""

    n: int
    text_zh: str
    text_en: str
    role: str | None
    unit: str | None
    due_minutes: int | None
    due: datetime | None
    check: StepCheck | None = None

    @property
    def done(self) -> bool:
        return self.check is not None and self.check.done

    def text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" else self.text_en

    def overdue(self, now: datetime) -> bool:
        return not self.done and self.due is not None and now > self.due

    def to_json(self, now: datetime) -> dict[str, Any]:
        c = self.check
        return {"n": self.n, "text_zh": self.text_zh, "text_en": self.text_en, "role": self.role,
                "unit": self.unit, "due_minutes": self.due_minutes,
                "due": iso(self.due) if self.due else None, "done": self.done,
                "overdue": self.overdue(now), "note": c.note if c else "",
                "checked_at": iso(c.at) if c else None, "checked_by": c.operator if c else None}


@dataclass(frozen=True)
class Activation:
    """One activation of a plan on an incident, read back from its snapshot."""

    id: str
    incident_id: str
    plan: str
    name_zh: str
    name_en: str
    level: str
    at: datetime
    operator: str
    seat: str
    forced: bool
    reason: str
    units: tuple[dict[str, Any], ...]
    steps: tuple[ChecklistStep, ...] = field(default_factory=tuple)

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def progress(self) -> tuple[int, int]:
        return sum(1 for s in self.steps if s.done), len(self.steps)

    def overdue(self, now: datetime) -> list[ChecklistStep]:
        return [s for s in self.steps if s.overdue(now)]

    def step(self, n: int) -> ChecklistStep | None:
        return next((s for s in self.steps if s.n == n), None)

    def to_json(self, now: datetime) -> dict[str, Any]:
        done, total = self.progress()
        return {"id": self.id, "incident_id": self.incident_id, "plan": self.plan,
                "plan_name_zh": self.name_zh, "plan_name_en": self.name_en, "level": self.level,
                "activated_at": iso(self.at), "operator": self.operator, "seat": self.seat,
                "forced": self.forced, "reason": self.reason, "units": list(self.units),
                "progress": {"done": done, "total": total},
                "overdue": [s.n for s in self.overdue(now)],
                "steps": [s.to_json(now) for s in self.steps]}


# -- reads ----------------------------------------------------------------------------------
def activations_of(db: Reader, incident_id: str) -> list[Activation]:
    """The incident's activations, oldest first, each with its checklist state."""
    rows = db.all("SELECT * FROM plan_activations WHERE incident_id = ? ORDER BY event_id",
                  (incident_id,))
    if not rows:
        return []
    checks: dict[tuple[str, int], StepCheck] = {}
    for r in db.all("SELECT * FROM plan_step_checks WHERE incident_id = ? ORDER BY event_id",
                    (incident_id,)):   # ascending: the latest tick of each step wins
        checks[(r["activation"], r["step"])] = StepCheck(
            r["event_id"], bool(r["done"]), r["note"], parse_instant(r["checked_at"]), r["operator"])
    return [_activation(r, checks) for r in rows]


def _activation(row: Any, checks: dict[tuple[str, int], StepCheck]) -> Activation:
    snap = json.loads(row["snapshot"])
    at = parse_instant(row["activated_at"])
    steps = []
    for s in snap.get("steps") or []:
        due_minutes = s.get("due_minutes")
        steps.append(ChecklistStep(
            n=int(s["n"]), text_zh=str(s.get("text_zh", "")), text_en=str(s.get("text_en", "")),
            role=s.get("role"), unit=s.get("unit"), due_minutes=due_minutes,
            due=at + timedelta(minutes=int(due_minutes)) if due_minutes else None,
            check=checks.get((row["event_id"], int(s["n"])))))
    return Activation(
        id=row["event_id"], incident_id=row["incident_id"], plan=row["plan"],
        name_zh=str(snap.get("plan_name_zh") or row["plan"]),
        name_en=str(snap.get("plan_name_en") or row["plan"]), level=row["level"], at=at,
        operator=row["operator"], seat=row["seat"], forced=bool(row["forced"]),
        reason=row["reason"], units=tuple(snap.get("units") or ()), steps=tuple(steps))


def matching_plans(db: Reader, plans: PlanBook, incident: Incident) -> list[Plan]:
    """The plans whose triggers cover the incident's grade and category (none below plan level)."""
    g = grade_of(db, incident.id)
    if g is None or not g.plan_level:
        return []
    return plans.plans_for(g.type, g.level, incident.category)


# -- propose and activate -------------------------------------------------------------------
def _open_incident(incident: Incident) -> None:
    if incident.merged_into:
        raise IllegalTransition("plan.merged", zh="警情 #{no} 已并入其他警情，请对主警情启动预案",
                                en="incident #{no} was merged; activate the plan on the incident"
                                   " it went into", no=incident.no)
    if incident.status != IncidentStatus.OPEN:
        raise IllegalTransition("plan.incident_not_open", zh="警情 #{no} 已不在处置中，不能启动预案",
                                en="incident #{no} is no longer open; no plan can be activated",
                                no=incident.no)



def _proposal(db: Reader, plans: PlanBook, incident_ref: str | int, plan_code: str) -> Proposal:
    incident = get_incident(db, incident_ref)
    plan = plans.plan(plan_code.strip())
    _open_incident(incident)
    g = require_raised(db, incident, "plan")
    open_orders = {o.unit: o for o in orders_of(db, [incident.id]) if o.is_open}
    items = tuple(ProposedOrder(u, open_orders.get(u.code)) for u in plan.units_at(g.level))
    active = db.one("SELECT 1 FROM plan_activations WHERE incident_id = ? AND plan = ? LIMIT 1",
                    (incident.id, plan.code)) is not None
    return Proposal(incident, g, plan, items, plan.applies(g.type, g.level, incident.category),
                    active)


def propose(ctx: Context, plans: PlanBook, incident_ref: str | int, plan_code: str) -> Proposal:
    """The orders ``plan`` would issue for the incident now (nothing is written): its units at
    the incident's level, those with an open order on the incident marked already ordered."""
    return _proposal(ctx.store, plans, incident_ref, plan_code)


def activate(ctx: Context, plans: PlanBook, incident_ref: str | int, plan_code: str, *,
             force: bool = False, reason: str = "", at: str | None = None
             ) -> tuple[Activation, list[Order]]:
    """Activate ``plan``: in one transaction the ``plan.activated`` snapshot and one order per
    proposed unit (phase ``plan``). A plan whose triggers do not cover the incident needs
    ``force`` with a reason; the same plan twice on one incident is refused."""
    why = bounded(reason, 1000, "启动理由", "activation reason")
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        p = _proposal(tx, plans, incident_ref, plan_code)
        incident, plan, g = p.incident, p.plan, p.grade
        if p.already_active:
            raise BadInput("plan.already_active", zh="警情 #{no} 已启动过“{pz}”",
                           en="{pe} is already active on incident #{no}", no=incident.no,
                           pz=plan.name_zh, pe=plan.name_en)
        if not p.matches and not force:
            raise BadInput("plan.no_match",
                           zh="“{pz}”的启动条件不包括本警情（{gz}，类别 {c}）；确需启动请加 --force --reason",
                           en="the triggers of {pe} do not cover this incident ({ge}, category {c});"
                              " to activate it anyway add --force --reason", pz=plan.name_zh,
                           pe=plan.name_en, gz=g.label("zh"), ge=g.label("en"), c=incident.category)
        if not p.matches and not why:
            raise BadInput("plan.force_reason", zh="强制启动不匹配的预案须填写原因（--reason）",
                           en="forcing a plan that does not match needs a reason (--reason)")
        if when < incident.created_at:
            raise BadInput("plan.before_incident", zh="启动时间早于接警时间",
                           en="the activation time is before the call was received")
        units: list[tuple[PlanUnit, Unit]] = []
        for item in p.to_order:
            unit = ctx.catalog.units.get(item.unit.code)
            if unit is None:
                raise BadInput("plan.unit_unknown", zh="预案中的单位 {u} 不在当前单位名录中",
                               en="unit {u} of the plan is not in the current unit registry",
                               u=item.unit.code)
            units.append((item.unit, unit))
        event = tx.append("plan.activated", {
            "incident_id": incident.id, "plan": plan.code, "plan_name_zh": plan.name_zh,
            "plan_name_en": plan.name_en, "level": g.level.value, "type": g.type.value,
            "category": incident.category, "forced": not p.matches, "reason": why,
            "units": [{"code": i.unit.code, "role": i.unit.role, "task_zh": i.unit.task_zh,
                       "task_en": i.unit.task_en,
                       "already_ordered": i.existing is not None} for i in p.items],
            "steps": [{"n": s.no, "text_zh": s.text_zh, "text_en": s.text_en, "role": s.role,
                       "unit": s.unit, "due_minutes": s.due_minutes} for s in plan.steps],
            "reports": list(plan.reports),
        }, subject=incident.id, happened_at=when)
        existing = orders_of(tx, [incident.id])
        issued: list[Order] = []
        for plan_unit, unit in units:
            note = f"{plan.name_zh}·{role_label(plan_unit.role, 'zh')}：{plan_unit.task_zh}"
            order = issue_in(ctx, tx, incident, unit, when, existing, note=note, phase="plan",
                             activation=event.id)
            existing.append(order)
            issued.append(order)
        found = next(a for a in activations_of(tx, incident.id) if a.id == event.id)
    return found, issued


# -- the checklist ----------------------------------------------------------------------------
def _pick_activation(db: Reader, incident: Incident, plan_code: str | None) -> Activation:
    found = activations_of(db, incident.id)
    if plan_code:
        found = [a for a in found if a.plan == plan_code.strip()]
    if not found:
        raise BadInput("plan.none_active", zh="警情 #{no} 没有已启动的预案{p}",
                       en="incident #{no} has no activated plan{p}", no=incident.no,
                       p=f" ({plan_code})" if plan_code else "")
    return found[-1]


def parse_step(raw: str | int) -> int:
    try:
        n = int(str(raw).strip())
    except ValueError:
        n = 0
    if n < 1:
        raise BadInput("plan.bad_step", zh="步骤应为从 1 开始的序号：{v}",
                       en="the step must be a number from 1: {v}", v=str(raw)[:20])
    return n


def check(ctx: Context, incident_ref: str | int, step: str | int, *, done: bool = True,
          note: str = "", plan: str | None = None, at: str | None = None) -> Activation:
    """Tick (or, ``done=False``, untick) a checklist step of the incident's latest activation
    (or of ``plan``'s); a note alone is kept with the step's current state."""
    n = parse_step(step)
    text = bounded(note, 1000, "备注", "note")
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        incident = get_incident(tx, incident_ref)
        a = _pick_activation(tx, incident, plan)
        current = a.step(n)
        if current is None:
            raise BadInput("plan.no_such_step", zh="“{pz}”没有第 {n} 步（共 {t} 步）",
                           en="{pe} has no step {n} (it has {t})", pz=a.name_zh, pe=a.name_en,
                           n=n, t=len(a.steps))
        if current.done == done and not text:
            raise BadInput("plan.step_unchanged",
                           zh="第 {n} 步已是“{s}”，没有变化", en="step {n} is already {e}; nothing changed",
                           n=n, s="已完成" if done else "未完成", e="done" if done else "not done")
        if when < a.at:
            raise BadInput("plan.check_before_activation", zh="时间早于预案启动时间",
                           en="the time is before the plan was activated")
        tx.append("plan.step_checked", {"incident_id": incident.id, "activation": a.id, "step": n,
                                        "done": done, "note": text},
                  subject=incident.id, happened_at=when)
        return next(x for x in activations_of(tx, incident.id) if x.id == a.id)


def level_text(level: str, lang: str) -> str:
    try:
        return level_label(Level(level), lang)
    except ValueError:
        return level
