"""Tiered response: gradings (分级), plan activations (预案启动) and their checklists, reports upward."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from console.kernel.vocab import REPORT_KINDS, REPORT_VIAS, IncidentType, Level
from console.store.projections.apply import applier

if TYPE_CHECKING:
    from console.store.transaction import EventRecord


# A grading (分级, console/tiered/grading.py) is stored whole, insert only: the grade now (latest by id)
# and the raising (earliest at plan level) are decided on read, whatever the arrival order.
@applier("incident.graded", "incident_id", "type", "level")
def _incident_graded(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    IncidentType(p["type"]), Level(p["level"])  # another seat's garbage is parked, not stored
    conn.execute(
        "INSERT INTO incident_grades (event_id, incident_id, graded_at, type, level, deaths, injured,"
        " trapped, reason, rule, operator, seat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["incident_id"], e.happened_at, p["type"], p["level"], p.get("deaths"),
         p.get("injured"), p.get("trapped"), p.get("reason", ""), p.get("rule", ""), e.operator,
         e.seat),
    )


# A plan activation (预案启动, console/tiered/activation.py) is stored whole with the snapshot of the plan
# as activated, and each checklist tick is one row: a step's state is its latest tick by event id,
# decided on read, so ticks from two seats converge whatever order they arrive in.
@applier("plan.activated", "incident_id", "plan", "level", "units", "steps")
def _plan_activated(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    Level(p["level"])
    snapshot = {k: p.get(k) for k in ("plan_name_zh", "plan_name_en", "type", "category", "units",
                                      "steps", "reports")}
    conn.execute(
        "INSERT INTO plan_activations (event_id, incident_id, plan, activated_at, level, forced,"
        " reason, snapshot, operator, seat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["incident_id"], p["plan"], e.happened_at, p["level"], 1 if p.get("forced") else 0,
         p.get("reason", ""), json.dumps(snapshot, ensure_ascii=False), e.operator, e.seat),
    )


@applier("plan.step_checked", "incident_id", "activation", "step", "done")
def _plan_step_checked(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO plan_step_checks (event_id, activation, incident_id, step, done, note,"
        " checked_at, operator, seat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["activation"], p["incident_id"], int(p["step"]), 1 if p["done"] else 0,
         p.get("note", ""), e.happened_at, e.operator, e.seat),
    )


# A report upward (信息报送) only appends, one row per event: which report settled which clock
# is decided on read (console/tiered/reports.py), so the order reports arrive in does not matter.
@applier("report.filed", "incident_id", "kind", "to", "via")
def _report_filed(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    if p["kind"] not in REPORT_KINDS or p["via"] not in REPORT_VIAS:
        raise ValueError(f"unknown report kind or way: {p['kind']!r} {p['via']!r}")
    conn.execute(
        "INSERT INTO upward_reports (event_id, incident_id, kind, to_whom, via, body, reported_at,"
        " operator, seat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["incident_id"], p["kind"], p["to"], p["via"], p.get("body", ""), e.happened_at,
         e.operator, e.seat),
    )
