"""What every part of a seat session holds: the context (store, config, clock, catalog), the
triage engine and the tiered-response data (both built on first use), and the few questions
every domain asks (is a unit on duty, how does an order's clock stand).

``Services`` (services.py) is this plus one part per domain (calls.py, orders.py, duty.py,
tiered.py, sync.py), so each domain's operations are read in one module and the class itself
says only what it is made of.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from console.catalog.loading import load_catalog
from console.catalog.registry import Catalog, Unit
from console.kernel.config import Config
from console.kernel.lazy import lazy
from console.kernel.model import Order
from console.orders.deadlines import OrderClock, order_clock
from console.store.context import Context
from console.store.transaction import Store

# The domains load on first use (console/kernel/lazy.py): the board's first frame needs
# none of them. Type checkers see the real modules.
if TYPE_CHECKING:
    from console.catalog.triage import Triage
    from console.duty import rosters
    from console.tiered.rulebook import TieredData
else:
    rosters = lazy("console.duty.rosters")


class SeatSession:
    """The session the domain parts of ``Services`` share (they inherit it)."""

    def __init__(self, ctx: Context, data_dir: Path) -> None:
        self.ctx = ctx
        self.data_dir = data_dir
        self._triage: Triage | None = None
        self._triage_lock = threading.Lock()
        # Where a verb that needs a PIN reads it (prompt → PIN): the CLI sets one that asks the
        # terminal or reads stdin (console/duty/pin_input.py); PINs never come from the command line.
        self.pin_reader: Callable[[str], str] | None = None

    @property
    def triage_engine(self) -> Triage:
        """Built on first use (a few hundred ms: keyword index and character tables), so the
        board opens without it; the console warms it in a worker thread after the first frame."""
        with self._triage_lock:
            if self._triage is None:
                from console.catalog.triage import Triage

                self._triage = Triage(self.ctx.catalog, data_dir=self.data_dir)
            return self._triage

    def forget_triage(self) -> None:
        """Drop the built engine (a new model was trained): the next use loads the new file."""
        with self._triage_lock:
            self._triage = None

    @cached_property
    def tiered(self) -> TieredData:
        """Escalation rules, contingency plans and report deadlines from ``data/``, read and
        checked on first use only, so the board opens without them."""
        from console.tiered.rulebook import load_tiered

        return load_tiered(self.data_dir, self.ctx.catalog)

    @property
    def config(self) -> Config:
        return self.ctx.config

    @property
    def catalog(self) -> Catalog:
        return self.ctx.catalog

    @property
    def store(self) -> Store:
        return self.ctx.store

    def close(self) -> None:
        self.ctx.store.close()

    def reload_catalog(self) -> bool:
        """Re-read ``data/``; records a catalog event only when something changed."""
        fresh = load_catalog(self.data_dir)
        if fresh.version == self.ctx.catalog.version:
            return False
        with self.ctx.transaction() as tx:
            tx.append("catalog.loaded", {"version": fresh.version, "body": fresh.to_json()})
        self.ctx.catalog = fresh
        with self._triage_lock:
            self._triage = None
        return True

    def refresh_catalog(self) -> bool:
        """Adopt a registry another seat loaded (it arrived by sync into the snapshot)."""
        row = self.store.one("SELECT version, body FROM catalog_snapshot WHERE id = 1")
        if row is None or row["version"] == self.ctx.catalog.version:
            return False
        self.ctx.catalog = Catalog.from_json(row["body"])
        with self._triage_lock:
            self._triage = None
        return True

    def on_duty(self, unit: Unit, at: datetime | None = None) -> bool:
        """On duty at ``at`` (now): the filed roster where one covers it, else duty hours."""
        return self.duty(unit, at).on_duty

    def duty(self, unit: Unit, at: datetime | None = None) -> rosters.Duty:
        at = at or self.ctx.clock.now()
        found = rosters.duty_at(self.store, at, [unit.code])
        return rosters.duty_of(unit, found, at.astimezone(self.config.tz))

    def clock_of(self, order: Order, now: datetime | None = None) -> OrderClock:
        return order_clock(order, now or self.ctx.clock.now(), self._soon())

    def _soon(self) -> timedelta:
        """How long before a deadline it counts as due soon (``[deadlines] due_soon_minutes``)."""
        return timedelta(minutes=self.config.deadlines.due_soon_minutes)
