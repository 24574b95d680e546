"""What every service needs, gathered once per seat session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from console.kernel.clock import Clock
from console.kernel.config import Config
from console.kernel.inputs import parse_reported_time
from console.kernel.model import Order
from console.store.transaction import Store

if TYPE_CHECKING:
    from console.catalog.registry import Catalog
    from console.orders.deadlines import DeadlineRule


@dataclass
class Context:
    store: Store
    config: Config
    clock: Clock
    catalog: Catalog
    rules: tuple[DeadlineRule, ...]
    seat: str
    operator: str
    # order id → (board row, Order) from the last board, see board.compute_board
    board_orders: dict[str, tuple[Any, Order]] = field(default_factory=dict)

    def transaction(self):  # type: ignore[no-untyped-def]
        return self.store.transaction(self.seat, self.operator)

    def reported_time(self, raw: str | None) -> datetime:
        """Parse a ``--at`` value against this seat's clock, zone and tolerance."""
        return parse_reported_time(
            raw, self.clock.now(), self.config.tz,
            timedelta(seconds=self.config.deadlines.future_tolerance_seconds),
        )
