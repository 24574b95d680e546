"""Grading (分级): the dispatcher sets an incident's type and level; the rules only suggest.

An incident is *daily* (日常: the center dispatches it itself) until a dispatcher grades it at
plan level (Ⅰ–Ⅳ), which *raises* it: the center then coordinates the initial response and
reports upward at once (``console/tiered/reports.py``), with clocks that start at the raising.

Every grading is an ``incident.graded`` event kept whole in ``incident_grades`` (insert only).
The incident's grade is its latest grading by event id (last writer wins, as for category and
status), and the instant it was raised is the earliest plan-level grading: so two seats grading
one incident converge, and lowering and raising again never restarts the report clocks.
Casualty counts travel with the grading, because they are what the level is decided on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from console.kernel.clock import iso, parse_instant
from console.kernel.errors import BadInput, IllegalTransition
from console.kernel.inputs import bounded
from console.kernel.model import Incident
from console.kernel.vocab import (
    IncidentType,
    Level,
    is_plan_level,
    level_label,
    parse_level,
    parse_type,
    severity,
    type_label,
)
from console.store.context import Context
from console.store.queries import Reader, get_incident, incident_from_row
from console.store.transaction import select_in
from console.tiered.escalation import CASUALTY_FIELDS, EscalationRules, IncidentFacts, Suggestion, suggest

MAX_COUNT = 100_000


@dataclass(frozen=True)
class Grade:
    """An incident's grade now: its latest grading, and when it was first raised to plan level."""

    event_id: str
    incident_id: str
    type: IncidentType
    level: Level
    at: datetime
    operator: str
    reason: str
    rule: str
    deaths: int | None
    injured: int | None
    trapped: int | None
    raised_at: datetime | None     # the first plan-level grading; report clocks start here
    count: int                     # gradings so far

    @property
    def plan_level(self) -> bool:
        return is_plan_level(self.level)

    def casualties(self) -> dict[str, int | None]:
        return {"deaths": self.deaths, "injured": self.injured, "trapped": self.trapped}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.event_id, "incident_id": self.incident_id, "type": self.type.value,
                "level": self.level.value, "plan_level": self.plan_level, "at": iso(self.at),
                "operator": self.operator, "reason": self.reason, "rule": self.rule,
                **self.casualties(), "raised_at": iso(self.raised_at) if self.raised_at else None,
                "gradings": self.count}

    def label(self, lang: str) -> str:
        """``事故灾难 · Ⅲ级 较大`` / ``accident · III relatively serious``."""
        return f"{type_label(self.type, lang)} · {level_label(self.level, lang)}"


_COUNT_WORDS = {"deaths": ("死亡", "dead"), "injured": ("受伤", "injured"), "trapped": ("被困", "trapped")}


def parse_count(raw: str | int | None, name: str) -> int | None:
    """A casualty count as typed; empty is unknown (not zero)."""
    what_zh, what_en = _COUNT_WORDS[name]
    if raw is None or raw == "":
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_COUNT:
        raise BadInput("grade.bad_count", zh="{w}人数应为 0 到 {m} 的整数：{v}",
                       en="the number {e} must be a whole number from 0 to {m}: {v}",
                       w=what_zh, e=what_en, m=MAX_COUNT, v=str(raw)[:20])
    return value


def grade(ctx: Context, incident_ref: str | int, rules: EscalationRules, *, level: str | int,
          type: str | None = None, deaths: str | int | None = None,
          injured: str | int | None = None, trapped: str | int | None = None,
          reason: str = "", rule: str = "", at: str | None = None) -> Grade:
    """Record a grading. The type defaults to the previous grading's, else to the type the
    incident's category usually is; casualties not given keep their last known value.
    Lowering a raised incident back below plan level needs a reason."""
    new_level = parse_level(level)
    counts = {"deaths": parse_count(deaths, "deaths"), "injured": parse_count(injured, "injured"),
              "trapped": parse_count(trapped, "trapped")}
    why = bounded(reason, 1000, "定级理由", "grading reason")
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        incident = get_incident(tx, incident_ref)
        if incident.merged_into:
            raise IllegalTransition("grade.merged", zh="警情 #{no} 已并入其他警情，请对主警情分级",
                                    en="incident #{no} was merged; grade the incident it went into",
                                    no=incident.no)
        current = grade_of(tx, incident.id)
        if type:
            kind = parse_type(type)
        elif current is not None:
            kind = current.type
        elif incident.category in rules.category_types:
            kind = rules.category_types[incident.category]
        else:
            raise BadInput("grade.type_needed", zh="类别“{c}”没有默认事件类型，请用 --type 指定",
                           en="category {c} has no usual incident type; give --type", c=incident.category)
        for name in CASUALTY_FIELDS:
            if counts[name] is None and current is not None:
                counts[name] = getattr(current, name)
        if current is not None and (current.type, current.level, current.casualties()) == (
                kind, new_level, counts):
            raise BadInput("grade.unchanged", zh="警情 #{no} 已是 {gz}，没有变化",
                           en="incident #{no} is already graded {ge}; nothing changed",
                           no=incident.no, gz=current.label("zh"), ge=current.label("en"))
        lowered = current is not None and severity(new_level) < severity(current.level)
        if lowered and current is not None and current.plan_level and not why:
            raise BadInput("grade.lower_reason", zh="降级须填写原因（--reason）",
                           en="lowering the level needs a reason (--reason)")
        payload: dict[str, Any] = {"incident_id": incident.id, "type": kind.value,
                                   "level": new_level.value, "reason": why, "rule": rule[:80]}
        payload.update({k: v for k, v in counts.items() if v is not None})
        tx.append("incident.graded", payload, subject=incident.id, happened_at=when)
        found = grade_of(tx, incident.id)
    assert found is not None
    return found


_GRADE_SQL = (
    "SELECT g.*, (SELECT min(r.graded_at) FROM incident_grades r WHERE r.incident_id = g.incident_id"
    "  AND r.level != 'daily') AS raised_at,"
    " (SELECT count(*) FROM incident_grades c WHERE c.incident_id = g.incident_id) AS n"
    " FROM incident_grades g WHERE g.event_id = (SELECT max(event_id) FROM incident_grades x"
    "  WHERE x.incident_id = g.incident_id) AND g.incident_id IN ({ids})"
)


def _grade(row: Any) -> Grade:
    return Grade(row["event_id"], row["incident_id"], IncidentType(row["type"]), Level(row["level"]),
                 parse_instant(row["graded_at"]), row["operator"], row["reason"], row["rule"],
                 row["deaths"], row["injured"], row["trapped"],
                 parse_instant(row["raised_at"]) if row["raised_at"] else None, int(row["n"]))


def grades_of(db: Reader, incident_ids: list[str]) -> dict[str, Grade]:
    return {r["incident_id"]: _grade(r) for r in select_in(db.conn, _GRADE_SQL, incident_ids)}


def grade_of(db: Reader, incident_id: str) -> Grade | None:
    return grades_of(db, [incident_id]).get(incident_id)


#: What a plan-level grade is required for, in words: (zh, en).
RAISED_FOR = {"plan": ("启动预案", "no plan can be activated"),
              "report": ("向上报送", "nothing is reported upward")}


def require_raised(db: Reader, incident: Incident, purpose: str) -> Grade:
    """The incident's grade, which must be at plan level (I–IV): the one rule that both plan
    activation and reports upward rest on, refused once, with one code (``grade.not_raised``)."""
    g = grade_of(db, incident.id)
    if g is None or not g.plan_level:
        what_zh, what_en = RAISED_FOR[purpose]
        raise IllegalTransition("grade.not_raised",
                                zh="警情 #{no} 未分级为预案级（Ⅰ–Ⅳ），不能{what_zh}；先分级：grade {no} 级别",
                                en="incident #{no} is not graded at plan level (I–IV): {what_en}; grade it"
                                   " first: grade {no} LEVEL", no=incident.no, what_zh=what_zh,
                                what_en=what_en)
    return g


def raised(db: Reader) -> list[tuple[Incident, Grade]]:
    """Every incident graded at plan level now, newest raising first."""
    rows = db.all("SELECT DISTINCT incident_id FROM incident_grades WHERE level != 'daily'")
    grades = grades_of(db, [r[0] for r in rows])
    live = [g for g in grades.values() if g.plan_level]
    incidents = {r["id"]: incident_from_row(r) for r in db.all(
        "SELECT * FROM incidents WHERE id IN (SELECT incident_id FROM incident_grades"
        " WHERE level != 'daily')")}
    out = [(incidents[g.incident_id], g) for g in live if g.incident_id in incidents]
    out.sort(key=lambda pair: pair[1].raised_at or pair[1].at, reverse=True)
    return out


def suggestions(db: Reader, incident: Incident, rules: EscalationRules,
                casualties: dict[str, int | None] | None = None) -> list[Suggestion]:
    """What the escalation rules suggest for a recorded incident: its text (every call),
    category, place and known casualties, and the incidents around it in time."""
    known = dict(casualties or {})
    current = grade_of(db, incident.id)
    for name in CASUALTY_FIELDS:
        if known.get(name) is None and current is not None:
            known[name] = getattr(current, name)
    texts = [r[0] for r in db.all("SELECT text FROM calls WHERE incident_id = ?", (incident.id,))]
    facts = IncidentFacts.of(incident, **known)
    if texts:
        facts = replace(facts, text="\n".join([incident.text, *texts]))
    window = max((r.within_minutes for r in rules.rules if r.kind == "cluster"), default=0)
    recent: list[Incident] = []
    if window:
        span = timedelta(minutes=window)
        recent = [incident_from_row(r) for r in db.all(
            "SELECT * FROM incidents WHERE created_at BETWEEN ? AND ? AND id != ?",
            (iso(incident.created_at - span), iso(incident.created_at + span), incident.id))]
    return suggest(facts, recent, rules)
