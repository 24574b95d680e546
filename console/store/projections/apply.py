"""The register of appliers (kind → function) and the two questions asked of a pulled event:
can this seat apply it yet (``unmet_reference``), and how (``apply_event``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.store.transaction import EventRecord

Applier = Callable[[sqlite3.Connection, "EventRecord"], None]
APPLIERS: dict[str, Applier] = {}
# kind → the payload keys its applier reads; the sync server refuses an event without them,
# so one seat's bug cannot stop every other seat's projection.
REQUIRES: dict[str, tuple[str, ...]] = {}


def applier(kind: str, *requires: str) -> Callable[[Applier], Applier]:
    def register(fn: Applier) -> Applier:
        APPLIERS[kind] = fn
        REQUIRES[kind] = requires
        return fn

    return register


def missing_keys(kind: str, payload: dict[str, Any]) -> list[str]:
    return [k for k in REQUIRES.get(kind, ()) if k not in payload]


def unmet_reference(conn: sqlite3.Connection, event: EventRecord) -> str | None:
    """What a pulled event refers to that this seat has not got yet, or None.

    Events from other seats may arrive before the incident or order they act on (after a
    server restore, seats re-push in their own order), so such an event waits as pending.
    """
    p = event.payload
    if event.kind not in ("incident.created", "catalog.loaded") and "incident_id" in p:
        ids = [p["incident_id"]] + ([p["into"]] if "into" in p else [])
        for incident_id in ids:
            if conn.execute("SELECT 1 FROM incidents WHERE id=?", (incident_id,)).fetchone() is None:
                return f"incident {incident_id}"
    if event.kind != "order.issued" and "order_id" in p and conn.execute(
        "SELECT 1 FROM orders WHERE id=?", (p["order_id"],)
    ).fetchone() is None:
        return f"order {p['order_id']}"
    return None


def apply_event(conn: sqlite3.Connection, event: EventRecord) -> None:
    fn = APPLIERS.get(event.kind)
    if fn is None:
        raise ValueError(f"no projection for event kind {event.kind!r}")
    fn(conn, event)
