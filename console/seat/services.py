"""One seat session: opens the store, seeds the catalog, and offers every operation.

The CLI, the TUI and the tests all build one ``Services`` through ``open_services`` and call
the same methods, so there is exactly one way each action is carried out. The methods live
with their domain, one module each (calls.py, orders.py, duty.py, tiered.py, sync.py, on the
shared session.py); ``Services`` is their sum, so a caller keeps one object and one name per
action, and a reader finds an action next to the others of its domain.
"""

from __future__ import annotations

import os
from pathlib import Path

from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.registry import Catalog
from console.duty import operators
from console.kernel.clock import Clock, clock_from_env
from console.kernel.config import load_config
from console.orders.deadlines import load_rules
from console.seat.calls import CallsPart
from console.seat.duty import DutyPart, RosterEntry
from console.seat.orders import IncidentDetail, OrdersPart
from console.seat.sync import SyncPart
from console.seat.tiered import TieredPart
from console.store.context import Context
from console.store.transaction import Store

__all__ = ["DB_ENV", "IncidentDetail", "RosterEntry", "Services", "default_db_path", "open_services"]

DB_ENV = "LINKAGE_DB"


def default_db_path() -> Path:
    """The embedded default database: the user's data dir unless ``LINKAGE_DB`` says else."""
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV])
    from platformdirs import user_data_dir

    return Path(user_data_dir("linkage-console", appauthor=False)) / "linkage.db"


class Services(CallsPart, OrdersPart, DutyPart, TieredPart, SyncPart):
    """A seat session with every operation: the domain parts over one shared ``SeatSession``."""


def open_services(
    db: Path | str | None = None,
    *,
    config_path: Path | None = None,
    clock: Clock | None = None,
    data_dir: Path | None = None,
    operator: str | None = None,
) -> Services:
    """Open (creating and seeding on first start) the database and build a seat session."""
    config = load_config(config_path)
    clock = clock or clock_from_env()
    data = data_dir or default_data_dir()
    store = Store(db or default_db_path(), clock, push_drills=config.sync.include_drills,
                  busy_timeout_ms=config.store.busy_timeout_ms, check=config.store.check_on_open)
    try:
        rules = load_rules(config, data / "deadlines.toml")
        row = store.one("SELECT body FROM catalog_snapshot WHERE id = 1")
        seat, who = config.center.seat, operator or config.center.operator
        if row is None:
            catalog = load_catalog(data)
            with store.transaction(seat, who) as tx:
                tx.append("catalog.loaded", {"version": catalog.version, "body": catalog.to_json(),
                                             "seed": True})
        else:
            catalog = Catalog.from_json(row["body"])
        if operator is not None:  # never someone else's name once operators are enrolled
            operators.may_act_as(store, seat, operator)
    except BaseException:
        store.close()
        raise
    ctx = Context(store=store, config=config, clock=clock, catalog=catalog, rules=rules,
                  seat=seat, operator=who)
    if operator is None:  # the operator signed in at this seat, if any (console/duty/operators.py)
        ctx.operator = operators.signed_in(store, seat) or who
    return Services(ctx, data)
