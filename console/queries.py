"""Reads: projection rows → read models, and lookups by the references people type."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from console.clock import iso, parse_instant
from console.errors import NotFound
from console.inputs import parse_ref
from console.model import Call, Disposition, Incident, IncidentStatus, Order, OrderStatus
from console.store import Store, Transaction

ORDER_SELECT = (
    "SELECT o.*, i.no AS incident_no FROM orders o JOIN incidents i ON i.id = o.incident_id"
)


def _t(value: str | None) -> datetime | None:
    return parse_instant(value) if value else None


def incident_from_row(row: sqlite3.Row) -> Incident:
    return Incident(
        no=row["no"], id=row["id"], created_at=parse_instant(row["created_at"]),
        phone=row["phone"], caller_name=row["caller_name"], address=row["address"],
        area=row["area"], category=row["category"], text=row["text"],
        status=IncidentStatus(row["status"]), disposition=Disposition(row["disposition"]),
        merged_into=row["merged_into"], closed_at=_t(row["closed_at"]), seat=row["seat"],
    )


def call_from_row(row: sqlite3.Row) -> Call:
    return Call(
        no=row["no"], id=row["id"], incident_id=row["incident_id"], phone=row["phone"],
        caller_name=row["caller_name"], received_at=parse_instant(row["received_at"]),
        text=row["text"], address=row["address"], area=row["area"],
    )


def order_from_row(row: sqlite3.Row) -> Order:
    steps = {k: parse_instant(v) for k, v in json.loads(row["steps"]).items()}
    return Order(
        no=row["no"], id=row["id"], incident_id=row["incident_id"],
        incident_no=row["incident_no"], unit=row["unit"], unit_kind=row["unit_kind"],
        area=row["area"], status=OrderStatus(row["status"]),
        first_contact=bool(row["first_contact"]), handover_from=row["handover_from"],
        reassigned_from=row["reassigned_from"], issued_at=parse_instant(row["issued_at"]),
        steps=steps, ack_due=_t(row["ack_due"]), depart_due=_t(row["depart_due"]),
        arrive_due=_t(row["arrive_due"]), feedback_due=_t(row["feedback_due"]),
        return_reason=row["return_reason"],
    )


Reader = Store | Transaction


def get_incident(db: Reader, ref: str | int) -> Incident:
    key = parse_ref(str(ref), "警情", "incident")
    if isinstance(key, int):
        row = db.one("SELECT * FROM incidents WHERE no = ?", (key,))
    else:
        row = db.one("SELECT * FROM incidents WHERE id LIKE ? || '%' ORDER BY no LIMIT 1", (key,))
    if row is None:
        raise NotFound("incident.not_found", zh="找不到警情 {ref}", en="no incident {ref}",
                       ref=str(ref)[:40])
    return incident_from_row(row)


def get_order(db: Reader, ref: str | int) -> Order:
    key = parse_ref(str(ref), "派单", "order")
    if isinstance(key, int):
        row = db.one(ORDER_SELECT + " WHERE o.no = ?", (key,))
    else:
        row = db.one(ORDER_SELECT + " WHERE o.id LIKE ? || '%' ORDER BY o.no LIMIT 1", (key,))
    if row is None:
        raise NotFound("order.not_found", zh="找不到派单 {ref}", en="no order {ref}",
                       ref=str(ref)[:40])
    return order_from_row(row)


def orders_of(db: Reader, incident_ids: list[str]) -> list[Order]:
    marks = ",".join("?" * len(incident_ids))
    rows = db.all(ORDER_SELECT + f" WHERE o.incident_id IN ({marks}) ORDER BY o.no",
                  tuple(incident_ids))
    return [order_from_row(r) for r in rows]


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


def merged_into(db: Reader, incident_id: str) -> list[str]:
    """Ids of the incidents merged into this one (so their calls show with it)."""
    return [r[0] for r in db.all("SELECT id FROM incidents WHERE merged_into = ?", (incident_id,))]


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


def possible_duplicates(
    db: Reader, phone: str, place: str, category: str, since: datetime
) -> list[Incident]:
    """Live incidents from the same number, or at the same place in the same category."""
    rows = db.all(
        "SELECT * FROM incidents WHERE status != 'merged' AND no IN ("
        " SELECT i.no FROM calls c JOIN incidents i ON i.id = c.incident_id"
        "  WHERE ? != '' AND c.phone = ? AND c.received_at >= ?"
        " UNION SELECT no FROM incidents"
        "  WHERE ? != '' AND place_key = ? AND category = ? AND created_at >= ?)"
        " ORDER BY no DESC",
        (phone, phone, iso(since), place, place, category, iso(since)),
    )
    return [incident_from_row(r) for r in rows]
