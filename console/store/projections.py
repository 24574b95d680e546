"""Projections: how each kind of event changes the current-state tables.

Appliers are pure functions of (connection, event) with no clock and no catalog lookups, so a
seat replaying events pulled from the server builds exactly the tables the writing seat built.
Everything an applier needs (deadlines, unit kind, place key) travels in the payload.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.kernel.vocab import REPORT_KINDS, REPORT_VIAS, IncidentType, Level

if TYPE_CHECKING:
    from console.store.transaction import EventRecord

Applier = Callable[[sqlite3.Connection, "EventRecord"], None]
APPLIERS: dict[str, Applier] = {}
# kind → the payload keys its applier reads; the sync server refuses an event without them,
# so one seat's bug cannot stop every other seat's projection.
REQUIRES: dict[str, tuple[str, ...]] = {}


def applier(kind: str, *requires: str) -> Callable[[Applier], Applier]:
    def register(fn: Applier) -> Applier:
        APPLIERS[kind] = fn
        REQUIRES[kind] = requires
        return fn

    return register


def missing_keys(kind: str, payload: dict[str, Any]) -> list[str]:
    return [k for k in REQUIRES.get(kind, ()) if k not in payload]


def unmet_reference(conn: sqlite3.Connection, event: EventRecord) -> str | None:
    """What a pulled event refers to that this seat has not got yet, or None.

    Events from other seats may arrive before the incident or order they act on (after a
    server restore, seats re-push in their own order), so such an event waits as pending.
    """
    p = event.payload
    if event.kind not in ("incident.created", "catalog.loaded") and "incident_id" in p:
        ids = [p["incident_id"]] + ([p["into"]] if "into" in p else [])
        for incident_id in ids:
            if conn.execute("SELECT 1 FROM incidents WHERE id=?", (incident_id,)).fetchone() is None:
                return f"incident {incident_id}"
    if event.kind != "order.issued" and "order_id" in p and conn.execute(
        "SELECT 1 FROM orders WHERE id=?", (p["order_id"],)
    ).fetchone() is None:
        return f"order {p['order_id']}"
    return None


def apply_event(conn: sqlite3.Connection, event: EventRecord) -> None:
    fn = APPLIERS.get(event.kind)
    if fn is None:
        raise ValueError(f"no projection for event kind {event.kind!r}")
    fn(conn, event)


def registry_rank(event_id: str, payload: dict[str, Any]) -> str:
    """Which unit registry wins: one a person loaded (``catalog reload``) beats the seed a seat
    loads from its own data/ on first start, then the newer id wins. So a seat installed later
    with an older data/ directory adopts the county's edited registry instead of undoing it."""
    return f"{0 if payload.get('seed') else 1}:{event_id}"


@applier("catalog.loaded", "version", "body")
def _catalog_loaded(conn: sqlite3.Connection, e: EventRecord) -> None:
    conn.execute(
        "INSERT INTO catalog_snapshot (id, version, body, loaded_at, event_id) VALUES (1, ?, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET version=excluded.version, body=excluded.body,"
        " loaded_at=excluded.loaded_at, event_id=excluded.event_id"
        " WHERE excluded.event_id > catalog_snapshot.event_id",
        (e.payload["version"], e.payload["body"], e.recorded_at, registry_rank(e.id, e.payload)),
    )


_CALL_KEYS = ("call_id", "incident_id", "phone", "caller_name", "text", "address", "area")


def _insert_call(conn: sqlite3.Connection, e: EventRecord, p: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO calls (id, incident_id, phone, caller_name, received_at, text, address, area)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (p["call_id"], p["incident_id"], p["phone"], p["caller_name"], e.happened_at, p["text"],
         p["address"], p["area"]),
    )


@applier("incident.created", *_CALL_KEYS, "place_key", "category", "disposition")
def _incident_created(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO incidents (id, created_at, seat, phone, caller_name, address, place_key, area,"
        " category, text, status, disposition, status_event, category_event, disposition_event,"
        " source, reporting_unit, drill)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)",
        (p["incident_id"], e.happened_at, e.seat, p["phone"], p["caller_name"], p["address"],
         p["place_key"], p["area"], p["category"], p["text"], p["disposition"], e.id, e.id, e.id,
         p.get("source", "center"), p.get("reporting_unit", ""), 1 if p.get("drill") is True else 0),
    )
    _insert_call(conn, e, p)


@applier("call.added", *_CALL_KEYS)
def _call_added(conn: sqlite3.Connection, e: EventRecord) -> None:
    _insert_call(conn, e, e.payload)


# Incident status (with closed_at and merged_into), category and disposition are each a
# last-writer-wins register by event id: ids are UUIDv7 and a seat never mints one below an id
# it has seen, so an action taken after seeing another wins over it whatever order the two
# reach a third seat in. ``status_event`` / ``category_event`` / ``disposition_event`` hold the
# id of the event that set the value now shown.
def _set_status(conn: sqlite3.Connection, e: EventRecord, status: str, *,
                closed_at: str | None, merged_into: str | None = None) -> None:
    conn.execute(
        "UPDATE incidents SET status=?, closed_at=?, merged_into=?, status_event=?"
        " WHERE id=? AND status_event < ?",
        (status, closed_at, merged_into, e.id, e.payload["incident_id"], e.id),
    )


@applier("incident.merged", "incident_id", "into")
def _incident_merged(conn: sqlite3.Connection, e: EventRecord) -> None:
    _set_status(conn, e, "merged", closed_at=e.happened_at, merged_into=e.payload["into"])


@applier("incident.recategorized", "incident_id", "category")
def _incident_recategorized(conn: sqlite3.Connection, e: EventRecord) -> None:
    conn.execute(
        "UPDATE incidents SET category=?, category_event=? WHERE id=? AND category_event < ?",
        (e.payload["category"], e.id, e.payload["incident_id"], e.id),
    )


# Several services on one incident: every transfer (110/119/120/12345) is one row of
# ``incident_transfers`` (insert only), so a fight with an injury lists 110 and 120, each with
# its own time, whatever order the events arrive in. A transfer made while linkage orders run
# carries ``keep_open``: it leaves the status alone (the incident stays open until its orders are
# done). Without it (every transfer written before several services were possible, and a
# transfer of an incident with nothing running) the status becomes ``transferred`` as it always
# did, so old logs replay to the same tables.
@applier("incident.transferred", "incident_id", "disposition")
def _incident_transferred(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    if p["disposition"] != "answered":
        conn.execute(
            "INSERT OR IGNORE INTO incident_transfers (event_id, incident_id, service, transferred_at,"
            " note, operator, seat) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (e.id, p["incident_id"], str(p["disposition"]).removeprefix("transfer_"), e.happened_at,
             p.get("note", ""), e.operator, e.seat),
        )
    if p.get("keep_open") is not True:
        status = "closed" if p["disposition"] == "answered" else "transferred"
        _set_status(conn, e, status, closed_at=e.happened_at)
    conn.execute(
        "UPDATE incidents SET disposition=?, disposition_event=? WHERE id=? AND disposition_event < ?",
        (e.payload["disposition"], e.id, e.payload["incident_id"], e.id),
    )


@applier("incident.noted", "incident_id")
def _incident_noted(conn: sqlite3.Connection, e: EventRecord) -> None:
    """Notes live only in the event log; the timeline reads them from there."""


@applier("incident.closed", "incident_id")
def _incident_closed(conn: sqlite3.Connection, e: EventRecord) -> None:
    _set_status(conn, e, "closed", closed_at=e.happened_at)


@applier("incident.reopened", "incident_id")
def _incident_reopened(conn: sqlite3.Connection, e: EventRecord) -> None:
    _set_status(conn, e, "open", closed_at=None)


@applier("order.issued", "order_id", "incident_id", "unit", "unit_kind", "area", "first_contact")
def _order_issued(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO orders (id, incident_id, unit, unit_kind, area, status, first_contact,"
        " handover_from, reassigned_from, issued_at, steps, ack_due, depart_due, arrive_due,"
        " feedback_due, initial_handling, phase, activation) VALUES (?, ?, ?, ?, ?, 'issued', ?, ?,"
        " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (p["order_id"], p["incident_id"], p["unit"], p["unit_kind"], p["area"],
         1 if p["first_contact"] else 0, p.get("handover_from"), p.get("reassigned_from"),
         e.happened_at, json.dumps({"issued": e.happened_at}), p.get("ack_due"),
         p.get("depart_due"), p.get("arrive_due"), p.get("feedback_due"),
         # a handover's note is the first unit's initial handling (先期处置), kept with the order
         p.get("note", "") if p.get("handover_from") else "",
         # daily / initial (先期处置) / plan, and the plan activation that issued it
         # (console/tiered/activation.py); orders issued before phases were recorded keep ''
         str(p.get("phase", "")), str(p.get("activation", ""))),
    )


# Order steps only move forward: the status shown is the highest-ranked step recorded on any
# seat, so two seats recording steps of one order converge. Closing side paths outrank the
# main line; "returned" outranks it too, as the order then needs a dispatcher.
STEP_RANK = {s: i for i, s in enumerate((
    "issued", "delivered", "acknowledged", "en_route", "on_scene", "feedback", "returned",
    "completed", "handed_over", "reassigned", "cancelled",
))}

# A return (退单) is kept whole in ``order_returns`` and its reviews in ``order_return_reviews``
# (insert only). A return stands unless its latest review (by event id) rejected it; the order's
# "returned" step, return_event / return_reason / return_decision and status are recomputed by
# ``_settle_order`` from those rows and the other steps after every event that touches them, so
# any arrival order of steps, returns and reviews gives the same row.
_STANDING_RETURNS = (
    "SELECT r.event_id, r.returned_at, r.reason, (SELECT v.decision FROM order_return_reviews v"
    " WHERE v.return_event = r.event_id AND v.order_id = r.order_id"
    " ORDER BY v.event_id DESC LIMIT 1) AS decision"
    " FROM order_returns r WHERE r.order_id = ? ORDER BY r.event_id DESC"
)


def _settle_order(conn: sqlite3.Connection, order_id: str, steps: dict[str, str]) -> None:
    """Write the order's steps (without "returned") plus the standing return, and the status."""
    steps = {k: v for k, v in steps.items() if k != "returned"}
    standing = next((r for r in conn.execute(_STANDING_RETURNS, (order_id,))
                     if r[3] != "reject"), None)
    event, reason, decision = "", "", ""
    if standing is not None:
        event, reason, decision = standing[0], standing[2], standing[3] or ""
        steps["returned"] = standing[1]
    status = max(steps, key=lambda s: STEP_RANK.get(s, -1))
    ordered = dict(sorted(steps.items(), key=lambda kv: (kv[1], STEP_RANK.get(kv[0], 99))))
    conn.execute("UPDATE orders SET status=?, steps=?, return_reason=?, return_event=?,"
                 " return_decision=?, taken_at=?, departed_at=?, arrived_at=?, fed_back_at=?,"
                 " ended_at=? WHERE id=?",
                 (status, json.dumps(ordered), reason, event, decision,
                  *_milestones(steps, accepted_return=decision == "accept"), order_id))


# An order's milestones, as the assessment (console/assessment/) reads them: a stage is met by
# its own step or by any later main-line step (a unit may first report from the scene); the
# unit stops answering for the order when it is handed over, reassigned, cancelled or its
# return is accepted. ISO UTC text sorts as time, so ``min`` of the strings is the earliest.
_MILESTONE_STEPS = (
    ("acknowledged", "en_route", "on_scene", "feedback", "completed", "handed_over"),
    ("en_route", "on_scene", "feedback", "completed"),
    ("on_scene", "feedback", "completed"),
    ("feedback", "completed"),
)


def _milestones(steps: dict[str, str], *, accepted_return: bool) -> tuple[str | None, ...]:
    met = tuple(min((steps[k] for k in keys if k in steps), default=None) for keys in _MILESTONE_STEPS)
    ends = [steps[k] for k in ("handed_over", "reassigned", "cancelled") if k in steps]
    if accepted_return and "returned" in steps:
        ends.append(steps["returned"])
    return (*met, min(ends, default=None))


def _order_steps(conn: sqlite3.Connection, order_id: str) -> dict[str, str] | None:
    row = conn.execute("SELECT steps FROM orders WHERE id=?", (order_id,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


@applier("order.stepped", "order_id", "status")
def _order_stepped(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    steps = _order_steps(conn, p["order_id"])
    if steps is None:
        return
    new = p["status"]
    if new == "returned":
        conn.execute(
            "INSERT OR IGNORE INTO order_returns (event_id, order_id, returned_at, reason, operator,"
            " seat) VALUES (?, ?, ?, ?, ?, ?)",
            (e.id, p["order_id"], e.happened_at, p.get("reason", ""), e.operator, e.seat),
        )
    else:
        # A step recorded on two seats keeps the earlier reported time (ISO UTC sorts as text).
        steps[new] = min(steps.get(new, e.happened_at), e.happened_at)
    _settle_order(conn, p["order_id"], steps)


@applier("order.return_reviewed", "order_id", "return_event", "decision")
def _order_return_reviewed(conn: sqlite3.Connection, e: EventRecord) -> None:
    """退单审核: accept keeps the order returned (to be reassigned or cancelled); reject hands it
    back to the unit at the status it had before the return."""
    p = e.payload
    steps = _order_steps(conn, p["order_id"])
    if steps is None:
        return
    conn.execute(
        "INSERT OR IGNORE INTO order_return_reviews (event_id, order_id, return_event, reviewed_at,"
        " decision, note, operator, seat) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["order_id"], p["return_event"], e.happened_at, p["decision"], p.get("note", ""),
         e.operator, e.seat),
    )
    _settle_order(conn, p["order_id"], steps)


# A roster filing (备案) is stored whole, never edited: which filing rules an instant is decided
# on read (console/duty/rosters.py: the newest filing whose period covers it), so the tables are the
# same whatever order filings arrive in, and superseded filings stay visible.
@applier("roster.filed", "unit", "period_from", "period_to", "filed_at", "shifts")
def _roster_filed(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    shifts = p["shifts"]
    conn.execute(
        "INSERT INTO roster_filings (event_id, unit, period_from, period_to, filed_at, recorded_at,"
        " seat, operator, shifts, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["unit"], p["period_from"], p["period_to"], p["filed_at"], e.recorded_at, e.seat,
         e.operator, len(shifts), p.get("source", "")),
    )
    conn.executemany(
        "INSERT INTO roster_shifts (event_id, start_at, n, unit, end_at, person, phone, vehicle,"
        " contact, responsible) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(e.id, s["start"], n, p["unit"], s["end"], s["person"], s["phone"], s.get("vehicle", ""),
          s.get("contact", ""), s.get("responsible", "")) for n, s in enumerate(shifts)],
    )


# Urges (催办), supervisions (督办) and callbacks (回访) only append, one row per event: the
# count of urges, the current supervise level (the highest; its deadline from the highest-level
# event, ties to the larger id) and the latest callback (larger id) are computed on read
# (console/orders/accountability.py), so the tables are the same whatever order the events arrive in.
@applier("order.urged", "order_id", "to", "how")
def _order_urged(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO order_urges (event_id, order_id, urged_at, operator, seat, to_whom, how, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["order_id"], e.happened_at, e.operator, e.seat, p["to"], p["how"],
         p.get("note", "")),
    )


@applier("order.supervised", "order_id", "level", "reason", "due")
def _order_supervised(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO order_supervisions (event_id, order_id, supervised_at, operator, seat, level,"
        " reason, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["order_id"], e.happened_at, e.operator, e.seat, int(p["level"]), p["reason"],
         p["due"]),
    )


@applier("incident.called_back", "incident_id", "result")
def _incident_called_back(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO incident_callbacks (event_id, incident_id, called_at, operator, seat, result,"
        " note, reopen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["incident_id"], e.happened_at, e.operator, e.seat, p["result"], p.get("note", ""),
         1 if p.get("reopen") else 0),
    )


# Operators (console/duty/operators.py): four last-writer-wins registers per login, each with the id
# of the event that set it: the name, the PIN hash (with its KDF parameters), the role and
# whether the login is active. A pin change or a disable arriving before the enrolment leaves a
# nameless row the enrolment then names. Sign-in attempts are insert only (the lockout).
def _operator_row(conn: sqlite3.Connection, login: str) -> None:
    conn.execute("INSERT OR IGNORE INTO operators (login) VALUES (?)", (login,))


def _operator_pin(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "UPDATE operators SET salt=?, pin_hash=?, iterations=?, kdf=?, scrypt_n=?, scrypt_r=?,"
        " scrypt_p=?, pin_event=? WHERE login=? AND pin_event < ?",
        (p["salt"], p["pin_hash"], int(p.get("iterations", 0)), p.get("kdf", ""),
         int(p.get("scrypt_n", 0)), int(p.get("scrypt_r", 0)), int(p.get("scrypt_p", 0)), e.id,
         p["login"], e.id),
    )


def _operator_active(conn: sqlite3.Connection, e: EventRecord, active: bool) -> None:
    conn.execute("UPDATE operators SET active=?, active_event=? WHERE login=? AND active_event < ?",
                 (1 if active else 0, e.id, e.payload["login"], e.id))


def _operator_role(conn: sqlite3.Connection, e: EventRecord, role: str) -> None:
    conn.execute("UPDATE operators SET role=?, role_event=? WHERE login=? AND role_event < ?",
                 (role, e.id, e.payload["login"], e.id))


def _attempt(conn: sqlite3.Connection, e: EventRecord, login: object, ok: bool) -> None:
    """One sign-in attempt: a failure, or a proof of the PIN (which ends a run of failures)."""
    if isinstance(login, str) and login:
        conn.execute("INSERT OR IGNORE INTO operator_attempts VALUES (?, ?, ?, ?, ?)",
                     (e.id, login, 1 if ok else 0, e.recorded_at, e.seat))


@applier("operator.enrolled", "login", "name", "salt", "pin_hash")
def _operator_enrolled(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    _operator_row(conn, p["login"])
    conn.execute("UPDATE operators SET name=?, enrolled_at=?, name_event=?"
                 " WHERE login=? AND name_event < ?",
                 (p["name"], e.happened_at, e.id, p["login"], e.id))
    _operator_pin(conn, e)
    _operator_active(conn, e, True)
    _operator_role(conn, e, "admin" if p.get("role") == "admin" else "operator")
    _attempt(conn, e, p["login"], True)
    _attempt(conn, e, p.get("by"), True)


@applier("operator.pin_changed", "login", "salt", "pin_hash")
def _operator_pin_changed(conn: sqlite3.Connection, e: EventRecord) -> None:
    _operator_row(conn, e.payload["login"])
    _operator_pin(conn, e)
    _attempt(conn, e, e.payload["login"], True)
    _attempt(conn, e, e.payload.get("by"), True)


@applier("operator.disabled", "login")
def _operator_disabled(conn: sqlite3.Connection, e: EventRecord) -> None:
    _operator_row(conn, e.payload["login"])
    _operator_active(conn, e, False)
    _attempt(conn, e, e.payload.get("by"), True)


@applier("operator.role_set", "login", "role")
def _operator_role_set(conn: sqlite3.Connection, e: EventRecord) -> None:
    _operator_row(conn, e.payload["login"])
    _operator_role(conn, e, "admin" if e.payload["role"] == "admin" else "operator")
    _attempt(conn, e, e.payload.get("by"), True)


@applier("operator.sign_in_failed", "login")
def _operator_sign_in_failed(conn: sqlite3.Connection, e: EventRecord) -> None:
    _attempt(conn, e, e.payload["login"], False)


# Who is signed in at a seat: the seat's latest sign-in, sign-out or shift handover (by id).
def _seat_operator(conn: sqlite3.Connection, e: EventRecord, login: str) -> None:
    conn.execute(
        "INSERT INTO seat_operators (seat, login, since, event_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(seat) DO UPDATE SET login=excluded.login, since=excluded.since,"
        " event_id=excluded.event_id WHERE excluded.event_id > seat_operators.event_id",
        (e.seat, login, e.happened_at, e.id),
    )


@applier("operator.signed_in", "login")
def _operator_signed_in(conn: sqlite3.Connection, e: EventRecord) -> None:
    _seat_operator(conn, e, e.payload["login"])
    _attempt(conn, e, e.payload["login"], True)


@applier("operator.signed_out", "login")
def _operator_signed_out(conn: sqlite3.Connection, e: EventRecord) -> None:
    _seat_operator(conn, e, "")


# A shift handover (交接班, console/duty/handover.py) is stored whole, insert only, and moves the seat
# to the receiving operator.
@applier("shift.handed_over", "from_operator", "to_operator", "open_incidents", "overdue_orders")
def _shift_handed_over(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO shift_handovers (event_id, seat, handed_at, from_operator, to_operator, note,"
        " open_incidents, overdue_orders) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, e.seat, e.happened_at, p["from_operator"], p["to_operator"], p.get("note", ""),
         json.dumps(p["open_incidents"]), json.dumps(p["overdue_orders"])),
    )
    _seat_operator(conn, e, p["to_operator"])
    _attempt(conn, e, p["to_operator"], True)       # the receiver proved their PIN


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


# A roll-call call (点名) only appends, one row per event: the current round, each unit's result
# (its latest call by event id) and the day's record are decided on read (console/duty/rollcall.py).
@applier("rollcall.recorded", "unit", "result", "round_id")
def _rollcall_recorded(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO rollcall_calls (event_id, round_id, unit, called_at, operator, seat, result,"
        " duty_person, duty_phone, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["round_id"], p["unit"], e.happened_at, e.operator, e.seat, p["result"],
         p.get("duty_person", ""), p.get("duty_phone", ""), p.get("note", "")),
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
