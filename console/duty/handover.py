"""Shift handover (交接班): what the outgoing operator hands over, and the record of it.

``summary`` gathers what is being handed over at an instant: open incidents, overdue orders
(the board's own deadline computation, ``compute_board``), supervised orders still open
(督办) and the notes written since this seat's shift began. ``hand_over`` records
``shift.handed_over`` once the receiving operator has proved themself with their PIN, and the
seat then acts as the receiver. Handovers are insert only (``shift_handovers``); ``log`` lists
those of one day in the center's local date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from console.duty import operators
from console.kernel.clock import iso, parse_instant
from console.kernel.errors import BadInput
from console.kernel.inputs import bounded, day_bounds
from console.kernel.model import Incident
from console.orders import accountability
from console.orders.accountability import Supervision
from console.orders.board import BoardRow, compute_board
from console.store.context import Context
from console.store.queries import Reader, incident_from_row

#: Without a sign-in or handover at this seat, notes of this many past hours are handed over.
NOTES_WITHOUT_SHIFT = timedelta(hours=12)
MAX_NOTES = 20
MAX_NOTE = 1000


@dataclass(frozen=True)
class Note:
    at: datetime
    incident_no: int
    operator: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "incident": self.incident_no, "operator": self.operator,
                "note": self.text}


@dataclass(frozen=True)
class ShiftSummary:
    at: datetime
    operator: str                   # who is handing over (this seat's operator now)
    since: datetime | None          # when this seat's shift began (sign-in or handover)
    open_incidents: list[Incident]
    overdue: list[BoardRow]
    supervised: list[tuple[BoardRow, Supervision]]
    notes: list[Note]               # newest first

    def to_json(self) -> dict[str, Any]:
        now = self.at
        return {
            "at": iso(now), "operator": self.operator,
            "since": iso(self.since) if self.since else None,
            "open_incidents": [{"no": i.no, "id": i.id, "category": i.category,
                                "address": i.address, "created_at": iso(i.created_at)}
                               for i in self.open_incidents],
            "overdue_orders": [{"no": r.order.no, "id": r.order.id, "unit": r.order.unit,
                                "incident": r.order.incident_no, "stage": r.clock.stage,
                                "remaining_s": r.clock.remaining_s} for r in self.overdue],
            "supervised": [{"order": r.order.no, **s.to_json(now)} for r, s in self.supervised],
            "notes": [n.to_json() for n in self.notes],
        }


@dataclass(frozen=True)
class Handover:
    event_id: str
    seat: str
    at: datetime
    from_operator: str
    to_operator: str
    note: str
    open_incidents: list[int]
    overdue_orders: list[int]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.event_id, "seat": self.seat, "at": iso(self.at),
                "from_operator": self.from_operator, "to_operator": self.to_operator,
                "note": self.note, "open_incidents": self.open_incidents,
                "overdue_orders": self.overdue_orders}


def _notes(db: Reader, session: operators.SeatSession | None, now: datetime) -> list[Note]:
    """Notes since the shift began: events after the session's own event (a key range)."""
    if session is not None:
        row = db.one("SELECT seq FROM events WHERE id = ?", (session.event_id,))
        after, since = (int(row[0]) if row else 0), ""
    else:
        after, since = 0, iso(now - NOTES_WITHOUT_SHIFT)
    rows = db.all(
        "SELECT e.happened_at, e.operator, e.payload, i.no FROM events e"
        " JOIN incidents i ON i.id = e.subject"
        " WHERE e.seq > ? AND e.kind = 'incident.noted' AND e.happened_at >= ?"
        " ORDER BY e.seq DESC LIMIT ?", (after, since, MAX_NOTES))
    return [Note(parse_instant(r[0]), r[3], r[1], str(json.loads(r[2]).get("note", "")))
            for r in rows]


def summary(ctx: Context, now: datetime | None = None) -> ShiftSummary:
    """What would be handed over at ``now``; reads only."""
    at = now or ctx.clock.now()
    board = compute_board(ctx, at)
    overdue = [r for r in board.rows if r.clock.state == "overdue"]
    incidents = [incident_from_row(r) for r in ctx.store.all(
        "SELECT * FROM incidents WHERE status = 'open' ORDER BY no")]
    sups = accountability.supervisions_of(ctx.store, [r.order.id for r in board.rows])
    supervised = [(r, sups[r.order.id]) for r in board.rows if r.order.id in sups]
    session = operators.seat_session(ctx.store, ctx.seat)
    live = session if session is not None and session.login else None
    return ShiftSummary(at, ctx.operator, live.since if live else None, incidents, overdue,
                        supervised, _notes(ctx.store, live, at))


def hand_over(ctx: Context, to_login: str, pin: str, note: str = "") -> Handover:
    """交接班: the receiver proves their PIN; the seat then acts as the receiver."""
    text = bounded(note, MAX_NOTE, "交接备注", "handover note")
    receiver = operators.checked(ctx, to_login, pin, "handover")
    if receiver.login == ctx.operator:
        raise BadInput("shift.same_operator", zh="{l} 已是本席位的值班员，不能交接给自己",
                       en="{l} is already on duty at this seat; a handover needs someone else",
                       l=receiver.login)
    at = ctx.clock.now()
    found = summary(ctx, at)
    giver = ctx.operator
    incidents = [i.no for i in found.open_incidents]
    overdue = [r.order.no for r in found.overdue]
    payload: dict[str, Any] = {
        "from_operator": giver, "to_operator": receiver.login, "note": text,
        "open_incidents": incidents, "overdue_orders": overdue,
        "incident_ids": [i.id for i in found.open_incidents],
        "order_ids": [r.order.id for r in found.overdue],
        "at": iso(at),
    }
    with ctx.transaction() as tx:
        current = operators.find(tx, receiver.login)
        if current is None or not current.active:
            raise BadInput("operator.disabled", zh="值班员 {l} 已停用",
                           en="operator {l} is disabled", l=receiver.login)
        event = tx.append("shift.handed_over", payload, subject=receiver.login, happened_at=at)
    ctx.operator = receiver.login
    return Handover(event.id, event.seat, at, giver, receiver.login, text, incidents, overdue)


def log(ctx: Context, day: date) -> list[Handover]:
    """The handovers of one day (the center's local date), every seat, oldest first."""
    start, end = day_bounds(day, ctx.config.tz)
    rows = ctx.store.all(
        "SELECT * FROM shift_handovers WHERE handed_at >= ? AND handed_at < ?"
        " ORDER BY handed_at, event_id", (iso(start), iso(end)))
    return [Handover(r["event_id"], r["seat"], parse_instant(r["handed_at"]), r["from_operator"],
                     r["to_operator"], r["note"], json.loads(r["open_incidents"]),
                     json.loads(r["overdue_orders"])) for r in rows]
