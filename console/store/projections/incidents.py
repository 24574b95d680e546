"""Incidents and their calls: creation, repeats merged, category, transfers, notes, closing."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from console.store.projections.apply import applier

if TYPE_CHECKING:
    from console.store.transaction import EventRecord


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


@applier("incident.triage_corrected", "incident_id", "chosen")
def _incident_triage_corrected(conn: sqlite3.Connection, e: EventRecord) -> None:
    """Corrections live only in the event log; ``linkage triage report`` reads them there."""


@applier("incident.noted", "incident_id")
def _incident_noted(conn: sqlite3.Connection, e: EventRecord) -> None:
    """Notes live only in the event log; the timeline reads them from there."""


@applier("incident.closed", "incident_id")
def _incident_closed(conn: sqlite3.Connection, e: EventRecord) -> None:
    _set_status(conn, e, "closed", closed_at=e.happened_at)


@applier("incident.reopened", "incident_id")
def _incident_reopened(conn: sqlite3.Connection, e: EventRecord) -> None:
    _set_status(conn, e, "open", closed_at=None)
