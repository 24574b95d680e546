"""Projections: how each kind of event changes the current-state tables.

Appliers are pure functions of (connection, event) with no clock and no catalog lookups, so a
seat replaying events pulled from the server builds exactly the tables the writing seat built.
Everything an applier needs (deadlines, unit kind, place key) travels in the payload.

One module per domain registers its appliers with ``@applier`` (``apply.py``); they are all
loaded here, in ``DOMAINS``, so importing this package gives the whole register.
"""

from console.store.projections import catalog, duty, incidents, orders, tiered
from console.store.projections.apply import (
    APPLIERS,
    REQUIRES,
    Applier,
    applier,
    apply_event,
    missing_keys,
    unmet_reference,
)
from console.store.projections.catalog import registry_rank

#: The domains whose appliers make up the register (adding a module: name it here).
DOMAINS = (catalog, incidents, orders, duty, tiered)

__all__ = ["APPLIERS", "DOMAINS", "REQUIRES", "Applier", "applier", "apply_event",
           "missing_keys", "registry_rank", "unmet_reference"]
