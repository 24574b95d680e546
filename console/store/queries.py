"""Reads: projection rows → read models, and lookups by the references people type."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from typing import Any

from console.kernel.clean import clean_payload, multi_line, one_line
from console.kernel.clock import iso, parse_instant
from console.kernel.errors import NotFound
from console.kernel.inputs import parse_ref
from console.kernel.model import Call, Disposition, Incident, IncidentStatus, Order, OrderStatus, ReturnRecord, acked_at
from console.kernel.vocab import Level
from console.store.transaction import EventRecord, Store, Transaction

# Explicit columns, read by position in ``order_from_row`` (the board reads a thousand rows
# per repaint; name lookups on sqlite3.Row cost more than the rest of the conversion).
ORDER_COLUMNS = (
    "o.no, o.id, o.incident_id, i.no AS incident_no, o.unit, o.unit_kind, o.area, o.status,"
    " o.first_contact, o.handover_from, o.reassigned_from, o.issued_at, o.steps, o.ack_due,"
    " o.depart_due, o.arrive_due, o.feedback_due, o.return_reason, o.return_event,"
    " o.return_decision, o.initial_handling, o.phase, o.activation, i.drill"
)
ORDER_SELECT = f"SELECT {ORDER_COLUMNS} FROM orders o JOIN incidents i ON i.id = o.incident_id"


def _id_match(column: str, key: str) -> tuple[str, str]:
    """SQL and parameter that find an id or an id prefix through the UNIQUE index.

    Ids are lowercase hex; GLOB with a bound pattern (case-sensitive, unlike LIKE) lets SQLite
    turn a prefix into an index range instead of scanning the table.
    """
    if len(key) == 36:
        return f"{column} = ?", key
    return f"{column} GLOB ?", key.replace("[", "").replace("*", "").replace("?", "") + "*"


def _t(value: str | None) -> datetime | None:
    return _instant(value) if value else None


def _instant(value: str) -> datetime:
    """Stored instants are always UTC ``…Z`` (``clock.iso``); 3.11 parses them directly."""
    return datetime.fromisoformat(value)


def clean_record(e: EventRecord) -> EventRecord:
    """An event as shown to a person (a timeline): its words cleaned (console/kernel/clean.py); the
    stored event, the legal record, is untouched."""
    return replace(e, kind=one_line(e.kind), operator=one_line(e.operator), seat=one_line(e.seat),
                   payload=clean_payload(e.payload))


def incident_from_row(row: sqlite3.Row) -> Incident:
    return Incident(
        no=row["no"], id=row["id"], created_at=parse_instant(row["created_at"]),
        phone=one_line(row["phone"]), caller_name=one_line(row["caller_name"]),
        address=one_line(row["address"]), area=row["area"], category=one_line(row["category"]),
        text=multi_line(row["text"]),
        status=IncidentStatus(row["status"]), disposition=Disposition(row["disposition"]),
        merged_into=row["merged_into"], closed_at=_t(row["closed_at"]), seat=one_line(row["seat"]),
        source=row["source"], reporting_unit=one_line(row["reporting_unit"]), drill=bool(row["drill"]),
    )


def call_from_row(row: sqlite3.Row) -> Call:
    return Call(
        no=row["no"], id=row["id"], incident_id=row["incident_id"], phone=one_line(row["phone"]),
        caller_name=one_line(row["caller_name"]), received_at=parse_instant(row["received_at"]),
        text=multi_line(row["text"]), address=one_line(row["address"]), area=row["area"],
    )


def order_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Order:
    (no, id_, incident_id, incident_no, unit, unit_kind, area, status, first_contact,
     handover_from, reassigned_from, issued_at, steps, ack_due, depart_due, arrive_due,
     feedback_due, return_reason, return_event, return_decision,
     initial_handling, phase, activation, drill) = tuple(row)[:24]
    parsed = {k: _instant(v) for k, v in json.loads(steps).items()}
    return Order(
        no=no, id=id_, incident_id=incident_id, incident_no=incident_no, unit=one_line(unit),
        unit_kind=unit_kind, area=area, status=OrderStatus(status),
        first_contact=bool(first_contact), handover_from=handover_from,
        reassigned_from=reassigned_from, issued_at=_instant(issued_at),
        steps=parsed, ack_due=_t(ack_due), depart_due=_t(depart_due), arrive_due=_t(arrive_due),
        feedback_due=_t(feedback_due), return_reason=multi_line(return_reason),
        return_event=return_event, return_decision=return_decision,
        initial_handling=multi_line(initial_handling),
        handover_acked_at=acked_at(parsed) if handover_from else None,
        phase=phase, activation=activation, drill=bool(drill),
    )


Reader = Store | Transaction


def _one_by_ref(db: Reader, ref: str | int, select: str, alias: str, what: tuple[str, str]) -> sqlite3.Row:
    """The row a person's reference names: a local number or a (prefix of a) global id."""
    key = parse_ref(str(ref), *what)
    if isinstance(key, int):
        row = db.one(f"{select} WHERE {alias}no = ?", (key,))
    else:
        where, param = _id_match(f"{alias}id", key)
        row = db.one(f"{select} WHERE {where} ORDER BY {alias}id LIMIT 1", (param,))
    if row is None:
        raise NotFound(f"{what[1]}.not_found", zh="找不到{what_zh} {ref}", en="no {what_en} {ref}",
                       what_zh=what[0], what_en=what[1], ref=str(ref)[:40])
    return row


def get_incident(db: Reader, ref: str | int) -> Incident:
    incident = incident_from_row(_one_by_ref(db, ref, "SELECT * FROM incidents", "", ("警情", "incident")))
    services = transfers_of(db, [incident.id]).get(incident.id)
    return replace(incident, transfers=tuple(services)) if services else incident


def transfers_of(db: Reader, incident_ids: list[str]) -> dict[str, list[str]]:
    """Incident id → the services it went to (110, 120, …) in the order they were reached."""
    if not incident_ids:
        return {}
    marks = ",".join("?" * len(incident_ids))
    out: dict[str, list[str]] = {}
    for row in db.all(f"SELECT incident_id, service FROM incident_transfers WHERE incident_id IN"
                      f" ({marks}) ORDER BY transferred_at, event_id", tuple(incident_ids)):
        if row[1] not in out.setdefault(row[0], []):
            out[row[0]].append(row[1])
    return out


def current_level(db: Reader, incident_id: str) -> Level | None:
    """The level the incident was last graded at (``incident_grades``), or None if never graded.
    The grade itself, with its counts and history, is ``console/tiered/grading.py``."""
    row = db.conn.execute("SELECT level FROM incident_grades WHERE incident_id = ? ORDER BY event_id DESC LIMIT 1",
                          (incident_id,)).fetchone()
    return Level(row["level"]) if row is not None else None


def get_order(db: Reader, ref: str | int) -> Order:
    order = order_from_row(_one_by_ref(db, ref, ORDER_SELECT, "o.", ("派单", "order")))
    if order.status != OrderStatus.HANDED_OVER:
        return order
    row = db.one(ORDER_SELECT + " WHERE o.handover_from = ? ORDER BY o.id LIMIT 1", (order.id,))
    return _handed(order, order_from_row(row)) if row is not None else order


def orders_of(db: Reader, incident_ids: list[str]) -> list[Order]:
    """The incidents' orders, each handed-over one linked to the order it was handed to (a
    handover stays within its incident, so the list itself holds the other end)."""
    marks = ",".join("?" * len(incident_ids))
    rows = db.all(ORDER_SELECT + f" WHERE o.incident_id IN ({marks}) ORDER BY o.no",
                  tuple(incident_ids))
    orders = [order_from_row(r) for r in rows]
    receiving = {o.handover_from: o for o in orders if o.handover_from}
    return [_handed(o, receiving[o.id]) if o.id in receiving else o for o in orders]


def _handed(order: Order, to: Order) -> Order:
    """``order`` with the handover chain's other end: who took it, and when they acknowledged."""
    return replace(order, handed_to=to.id, handover_acked_at=to.handover_acked_at)


def returns_of(db: Reader, order_id: str) -> list[ReturnRecord]:
    """Every return (退单) of an order, oldest first, each with its ruling review (the latest by
    event id) if it has one."""
    rows = db.all(
        "SELECT r.*, v.decision, v.note, v.reviewed_at, v.operator AS reviewer FROM order_returns r"
        " LEFT JOIN order_return_reviews v ON v.event_id = (SELECT w.event_id FROM"
        " order_return_reviews w WHERE w.return_event = r.event_id AND w.order_id = r.order_id"
        " ORDER BY w.event_id DESC LIMIT 1)"
        " WHERE r.order_id = ? ORDER BY r.event_id", (order_id,))
    return [ReturnRecord(event_id=r["event_id"], order_id=r["order_id"],
                         returned_at=_instant(r["returned_at"]), reason=r["reason"],
                         operator=r["operator"], decision=r["decision"] or "",
                         note=r["note"] or "", reviewed_at=_t(r["reviewed_at"]),
                         reviewer=r["reviewer"] or "") for r in rows]


def open_orders(db: Reader) -> list[Order]:
    rows = db.all(
        ORDER_SELECT + " WHERE o.status NOT IN ('completed', 'reassigned', 'cancelled',"
        " 'handed_over') ORDER BY o.no"
    )
    return [order_from_row(r) for r in rows]


def calls_of(db: Reader, incident_ids: list[str]) -> list[Call]:
    marks = ",".join("?" * len(incident_ids))
    rows = db.all(f"SELECT * FROM calls WHERE incident_id IN ({marks}) ORDER BY received_at",
                  tuple(incident_ids))
    return [call_from_row(r) for r in rows]


def merged_into(db: Reader, incident_id: str) -> list[Incident]:
    """The incidents merged into this one (so their calls and events show with it)."""
    rows = db.all("SELECT * FROM incidents WHERE merged_into = ? ORDER BY no", (incident_id,))
    return [incident_from_row(r) for r in rows]


def caller_history(db: Reader, phone: str, limit: int, before: datetime | None = None) -> list[Call]:
    """Earlier calls from a number, newest first (uses the (phone, received_at) index)."""
    if not phone:
        return []
    if before is None:
        rows = db.all("SELECT * FROM calls WHERE phone = ? ORDER BY received_at DESC LIMIT ?",
                      (phone, limit))
    else:
        rows = db.all(
            "SELECT * FROM calls WHERE phone = ? AND received_at < ?"
            " ORDER BY received_at DESC LIMIT ?", (phone, iso(before), limit))
    return [call_from_row(r) for r in rows]
