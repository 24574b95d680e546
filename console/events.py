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

if TYPE_CHECKING:
    from console.store import EventRecord

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
        " category, text, status, disposition, status_event, category_event, disposition_event)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
        (p["incident_id"], e.happened_at, e.seat, p["phone"], p["caller_name"], p["address"],
         p["place_key"], p["area"], p["category"], p["text"], p["disposition"], e.id, e.id, e.id),
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


@applier("incident.transferred", "incident_id", "disposition")
def _incident_transferred(conn: sqlite3.Connection, e: EventRecord) -> None:
    status = "closed" if e.payload["disposition"] == "answered" else "transferred"
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
        " feedback_due) VALUES (?, ?, ?, ?, ?, 'issued', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (p["order_id"], p["incident_id"], p["unit"], p["unit_kind"], p["area"],
         1 if p["first_contact"] else 0, p.get("handover_from"), p.get("reassigned_from"),
         e.happened_at, json.dumps({"issued": e.happened_at}), p.get("ack_due"),
         p.get("depart_due"), p.get("arrive_due"), p.get("feedback_due")),
    )


# Order steps only move forward: the status shown is the highest-ranked step recorded on any
# seat, so two seats recording steps of one order converge. Closing side paths outrank the
# main line; "returned" outranks it too, as the order then needs a dispatcher.
STEP_RANK = {s: i for i, s in enumerate((
    "issued", "delivered", "acknowledged", "en_route", "on_scene", "feedback", "returned",
    "completed", "handed_over", "reassigned", "cancelled",
))}


@applier("order.stepped", "order_id", "status")
def _order_stepped(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    row = conn.execute("SELECT steps, status, return_reason FROM orders WHERE id=?",
                       (p["order_id"],)).fetchone()
    if row is None:
        return
    steps = json.loads(row[0])
    new = p["status"]
    # A step recorded on two seats keeps the earlier reported time (ISO UTC sorts as text).
    steps[new] = min(steps.get(new, e.happened_at), e.happened_at)
    status = max(row[1], new, key=lambda s: STEP_RANK.get(s, -1))
    reason = p.get("reason", "")
    if not reason or (row[2] and row[2] <= reason):
        reason = row[2]
    ordered = dict(sorted(steps.items(), key=lambda kv: (kv[1], STEP_RANK.get(kv[0], 99))))
    conn.execute("UPDATE orders SET status=?, steps=?, return_reason=? WHERE id=?",
                 (status, json.dumps(ordered), reason, p["order_id"]))


# A roster filing (备案) is stored whole, never edited: which filing rules an instant is decided
# on read (console/rosters.py: the newest filing whose period covers it), so the tables are the
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
# (console/accountability.py), so the tables are the same whatever order the events arrive in.
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


# A roll-call call (点名) only appends, one row per event: the current round, each unit's result
# (its latest call by event id) and the day's record are decided on read (console/rollcall.py).
@applier("rollcall.recorded", "unit", "result", "round_id")
def _rollcall_recorded(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO rollcall_calls (event_id, round_id, unit, called_at, operator, seat, result,"
        " duty_person, duty_phone, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["round_id"], p["unit"], e.happened_at, e.operator, e.seat, p["result"],
         p.get("duty_person", ""), p.get("duty_phone", ""), p.get("note", "")),
    )
