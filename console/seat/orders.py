"""The seat's part of orders: dispatch (issue, steps, handover, reassign, returns and their
review), accountability (urge 催办, supervise 督办, callback 回访), the board, and an order or
an incident with everything the incident screen shows (console/orders/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from console.catalog.registry import Unit
from console.kernel.lazy import lazy
from console.kernel.model import Call, Incident, Order, ReturnRecord
from console.orders.board import Board, compute_board
from console.orders.deadlines import OrderClock
from console.seat.session import SeatSession
from console.store.queries import (
    caller_history,
    calls_of,
    clean_record,
    get_incident,
    get_order,
    merged_into,
    orders_of,
    returns_of,
)
from console.store.transaction import EventRecord

# The domains load on first use (console/kernel/lazy.py): the board's first frame needs
# none of them. Type checkers see the real modules.
if TYPE_CHECKING:
    from console.orders import accountability, dispatch
else:
    accountability, dispatch = lazy("console.orders.accountability"), lazy("console.orders.dispatch")


@dataclass(frozen=True)
class IncidentDetail:
    incident: Incident
    calls: list[Call]
    orders: list[tuple[Order, OrderClock]]
    timeline: list[EventRecord]
    history: list[Call]
    merged: list[Incident]       # repeat incidents merged into this one
    callback: accountability.Callback | None = None   # the latest callback (回访), if any
    urges: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # order id → (n, last)
    supervisions: dict[str, accountability.Supervision] = field(default_factory=dict)


class OrdersPart(SeatSession):
    """Orders: what the dispatcher does to an order, and what the board and incident screen read."""

    def issue_order(self, incident: str | int, unit: str, at: str | None = None,
                    note: str = "") -> Order:
        return dispatch.issue(self.ctx, incident, unit, at=at, note=note)

    def off_duty(self, codes: list[str]) -> list[Unit]:
        """Tier 2/3 units among ``codes`` that are off duty now: an order to one is not refused
        (someone may still pick it up), but the dispatcher is told to phone and make sure."""
        units = [self.catalog.units[c] for c in codes if c in self.catalog.units]
        return [u for u in units if u.tier > 1 and not self.on_duty(u)]

    def issue_orders(self, incident: str | int, units: list[str], at: str | None = None,
                     note: str = "") -> list[Order]:
        """Order several units at once, in one transaction: all are saved or none."""
        return dispatch.issue_many(self.ctx, incident, units, at=at, note=note)

    def step(self, order: str | int, verb: str, at: str | None = None, note: str = "",
             reason: str = "") -> Order:
        return dispatch.step(self.ctx, order, verb, at=at, note=note, reason=reason)

    def step_many(self, orders: list[str], verb: str, at: str | None = None, note: str = "",
                  reason: str = "") -> list[Order]:
        """One step for several orders, all or nothing (``ack 5 6 7``)."""
        return dispatch.step_many(self.ctx, list(orders), verb, at=at, note=note, reason=reason)

    def handover(self, order: str | int, unit: str, at: str | None = None,
                 note: str = "") -> Order:
        return dispatch.handover(self.ctx, order, unit, at=at, note=note)

    def reassign(self, order: str | int, unit: str, at: str | None = None,
                 note: str = "") -> Order:
        return dispatch.reassign(self.ctx, order, unit, at=at, note=note)

    def review_return(self, order: str | int, decision: str, note: str = "",
                      at: str | None = None) -> Order:
        """退单审核: ``decision`` accept (stays returned: reassign or cancel it next) or reject
        (back to the unit where it stood; needs ``note``)."""
        return dispatch.review_return(self.ctx, order, decision, note=note, at=at)

    def returns(self, order_id: str) -> list[ReturnRecord]:
        """Every return of an order with its review, oldest first."""
        return returns_of(self.store, order_id)

    def urge(self, order: str | int, to: str, how: str = "phone", note: str = "",
             at: str | None = None) -> accountability.Urge:
        return accountability.urge(self.ctx, order, to=to, how=how, note=note, at=at)

    def supervise(self, order: str | int, level: str | int, reason: str,
                  minutes: str | int | None = None, at: str | None = None) -> accountability.Supervision:
        return accountability.supervise(self.ctx, order, level=level, reason=reason,
                                        minutes=minutes, at=at)

    def callback(self, incident: str | int, result: str, note: str = "", reopen: bool = False,
                 at: str | None = None) -> accountability.Callback:
        return accountability.callback(self.ctx, incident, result, note=note, reopen=reopen, at=at)

    def urges(self, order_id: str) -> list[accountability.Urge]:
        return accountability.urges_of(self.store, order_id)

    def urge_counts(self, order_ids: list[str]) -> dict[str, tuple[int, datetime]]:
        return accountability.urge_counts(self.store, order_ids)

    def supervision(self, order_id: str) -> accountability.Supervision | None:
        return accountability.supervision_of(self.store, order_id)

    def supervisions(self, order_ids: list[str]) -> dict[str, accountability.Supervision]:
        return accountability.supervisions_of(self.store, order_ids)

    def callbacks(self, incident_id: str) -> list[accountability.Callback]:
        return accountability.callbacks_of(self.store, [incident_id])

    def board(self, now: datetime | None = None) -> Board:
        return compute_board(self.ctx, now)

    def order(self, ref: str | int) -> tuple[Order, OrderClock]:
        order = get_order(self.store, ref)
        return order, self.clock_of(order)

    def incident(self, ref: str | int) -> IncidentDetail:
        incident = get_incident(self.store, ref)
        merged = merged_into(self.store, incident.id)
        ids = [incident.id, *(m.id for m in merged)]
        orders = [(o, self.clock_of(o)) for o in orders_of(self.store, ids)]
        history = [c for c in caller_history(self.store, incident.phone, 50)
                   if c.incident_id not in ids][: self.config.intake.history_limit]
        order_ids = [o.id for o, _ in orders]
        return IncidentDetail(incident, calls_of(self.store, ids), orders,
                              [clean_record(e) for e in self.store.events_for(ids)], history, merged,
                              accountability.latest_callback(self.store, incident.id),
                              accountability.urge_counts(self.store, order_ids),
                              accountability.supervisions_of(self.store, order_ids))
