"""The order board: every open order with where it stands against its deadline now.

Computed from the stored deadlines on demand (one query, no per-order state kept between
calls), so the TUI can repaint the countdown column at any instant and the CLI gets the same
answer headless.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from console.kernel.clean import one_line
from console.kernel.model import Incident, Order
from console.orders.deadlines import OrderClock, order_clock
from console.store.context import Context
from console.store.queries import ORDER_COLUMNS, incident_from_row, order_from_row

_STATE_RANK = {"overdue": 0, "due_soon": 1, "normal": 2, "none": 3}


@dataclass(frozen=True)
class BoardRow:
    order: Order
    clock: OrderClock
    category: str
    address: str
    transfers: tuple[str, ...] = ()   # services its incident also went to (120 beside the gas company)


@dataclass(frozen=True)
class Board:
    at: datetime
    rows: list[BoardRow]          # open orders, most urgent first
    waiting: list[Incident]       # open incidents with no open order (need a dispatcher)

    # Real counts leave drills (演练) out; drill rows are still on the board to be worked.
    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.clock.state == "overdue" and not r.order.drill)

    @property
    def open_orders(self) -> int:
        return sum(1 for r in self.rows if not r.order.drill)

    @property
    def waiting_real(self) -> int:
        return sum(1 for i in self.waiting if not i.drill)

    def drills(self) -> dict[str, int]:
        """The drill counts, kept apart from the real ones (``board --json`` ``drill``)."""
        rows = [r for r in self.rows if r.order.drill]
        return {"open_orders": len(rows),
                "overdue": sum(1 for r in rows if r.clock.state == "overdue"),
                "waiting": sum(1 for i in self.waiting if i.drill)}


def compute_board(ctx: Context, now: datetime | None = None) -> Board:
    at = now or ctx.clock.now()
    due_soon = timedelta(minutes=ctx.config.deadlines.due_soon_minutes)
    rows = []
    cursor = ctx.store.conn.execute(
        f"SELECT {ORDER_COLUMNS}, i.category, i.address FROM orders o"
        " JOIN incidents i ON i.id = o.incident_id"
        " WHERE o.status NOT IN ('completed', 'reassigned', 'cancelled', 'handed_over')"
    )
    cursor.row_factory = None  # plain tuples: positional access, no Row objects
    # An order whose row has not changed since the last board is the same Order: reuse it
    # (the board is recomputed on every change and most rows are untouched). Clocks are
    # always computed afresh, for this instant.
    previous, current = ctx.board_orders, {}
    for row in cursor:
        cached = previous.get(row[1])
        order = cached[1] if cached is not None and cached[0] == row else order_from_row(row)
        current[row[1]] = (row, order)
        rows.append(BoardRow(order, order_clock(order, at, due_soon), one_line(row[-2]), one_line(row[-1])))
    ctx.board_orders = current
    # an incident with linkage orders may also have gone to 110/119/120: the board says so
    services: dict[str, list[str]] = {}
    for incident_id, service in ctx.store.conn.execute(
            "SELECT incident_id, service FROM incident_transfers WHERE incident_id IN ("
            " SELECT incident_id FROM orders WHERE status NOT IN"
            " ('completed', 'reassigned', 'cancelled', 'handed_over'))"
            " ORDER BY transferred_at, event_id"):
        if service not in services.setdefault(incident_id, []):
            services[incident_id].append(service)
    if services:
        rows = [replace(r, transfers=tuple(services[r.order.incident_id]))
                if r.order.incident_id in services else r for r in rows]
    # within a state, real orders before drill ones: a drill never buries a real emergency
    rows.sort(key=lambda r: (_STATE_RANK[r.clock.state], r.order.drill,
                             r.clock.remaining_s if r.clock.remaining_s is not None else 1e12,
                             r.order.no))
    waiting = [
        incident_from_row(r)
        for r in ctx.store.all(
            "SELECT * FROM incidents i WHERE status = 'open' AND NOT EXISTS ("
            " SELECT 1 FROM orders o WHERE o.incident_id = i.id AND o.status NOT IN"
            " ('completed', 'reassigned', 'cancelled', 'handed_over')) ORDER BY drill, no"
        )
    ]
    return Board(at, rows, waiting)
