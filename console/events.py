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


def applier(kind: str) -> Callable[[Applier], Applier]:
    def register(fn: Applier) -> Applier:
        APPLIERS[kind] = fn
        return fn

    return register


def apply_event(conn: sqlite3.Connection, event: EventRecord) -> None:
    fn = APPLIERS.get(event.kind)
    if fn is None:
        raise ValueError(f"no projection for event kind {event.kind!r}")
    fn(conn, event)


@applier("catalog.loaded")
def _catalog_loaded(conn: sqlite3.Connection, e: EventRecord) -> None:
    conn.execute(
        "INSERT INTO catalog_snapshot (id, version, body, loaded_at) VALUES (1, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET version=excluded.version, body=excluded.body,"
        " loaded_at=excluded.loaded_at",
        (e.payload["version"], e.payload["body"], e.recorded_at),
    )


def _insert_call(conn: sqlite3.Connection, e: EventRecord, p: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO calls (id, incident_id, phone, caller_name, received_at, text, address, area)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (p["call_id"], p["incident_id"], p["phone"], p["caller_name"], e.happened_at, p["text"],
         p["address"], p["area"]),
    )


@applier("incident.created")
def _incident_created(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO incidents (id, created_at, seat, phone, caller_name, address, place_key, area,"
        " category, text, status, disposition) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
        (p["incident_id"], e.happened_at, e.seat, p["phone"], p["caller_name"], p["address"],
         p["place_key"], p["area"], p["category"], p["text"], p["disposition"]),
    )
    _insert_call(conn, e, p)


@applier("call.added")
def _call_added(conn: sqlite3.Connection, e: EventRecord) -> None:
    _insert_call(conn, e, e.payload)


@applier("incident.merged")
def _incident_merged(conn: sqlite3.Connection, e: EventRecord) -> None:
    conn.execute(
        "UPDATE incidents SET status='merged', merged_into=?, closed_at=? WHERE id=?",
        (e.payload["into"], e.happened_at, e.payload["incident_id"]),
    )


@applier("incident.recategorized")
def _incident_recategorized(conn: sqlite3.Connection, e: EventRecord) -> None:
    conn.execute(
        "UPDATE incidents SET category=? WHERE id=?",
        (e.payload["category"], e.payload["incident_id"]),
    )


@applier("incident.transferred")
def _incident_transferred(conn: sqlite3.Connection, e: EventRecord) -> None:
    status = "closed" if e.payload["disposition"] == "answered" else "transferred"
    conn.execute(
        "UPDATE incidents SET status=?, disposition=?, closed_at=? WHERE id=?",
        (status, e.payload["disposition"], e.happened_at, e.payload["incident_id"]),
    )


@applier("incident.noted")
def _incident_noted(conn: sqlite3.Connection, e: EventRecord) -> None:
    """Notes live only in the event log; the timeline reads them from there."""


@applier("incident.closed")
def _incident_closed(conn: sqlite3.Connection, e: EventRecord) -> None:
    conn.execute(
        "UPDATE incidents SET status='closed', closed_at=? WHERE id=?",
        (e.happened_at, e.payload["incident_id"]),
    )


@applier("incident.reopened")
def _incident_reopened(conn: sqlite3.Connection, e: EventRecord) -> None:
    conn.execute(
        "UPDATE incidents SET status='open', closed_at=NULL WHERE id=?", (e.payload["incident_id"],)
    )


@applier("order.issued")
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


@applier("order.stepped")
def _order_stepped(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    row = conn.execute("SELECT steps FROM orders WHERE id=?", (p["order_id"],)).fetchone()
    steps = json.loads(row[0]) if row else {}
    steps[p["status"]] = e.happened_at
    conn.execute(
        "UPDATE orders SET status=?, steps=?, return_reason=CASE WHEN ?='' THEN return_reason"
        " ELSE ? END WHERE id=?",
        (p["status"], json.dumps(steps), p.get("reason", ""), p.get("reason", ""), p["order_id"]),
    )
