"""The unit registry: the catalog snapshot every seat starts from (``catalog.loaded``)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from console.store.projections.apply import applier

if TYPE_CHECKING:
    from console.store.transaction import EventRecord


def registry_rank(event_id: str, payload: dict[str, Any]) -> str:
    """Which unit registry wins: one a person loaded (``catalog reload``) beats the seed a seat
    loads from its own data/ on first start, then the newer id wins. So a seat installed later
    with an older data/ directory adopts the county's edited registry instead of undoing it."""
    return f"{0 if payload.get('seed') else 1}:{event_id}"


@applier("catalog.loaded", "version", "body")
def _catalog_loaded(conn: sqlite3.Connection, e: EventRecord) -> None:
    conn.execute(
        "INSERT INTO catalog_snapshot (id, version, body, loaded_at, event_id) VALUES (1, ?, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET version=excluded.version, body=excluded.body,"
        " loaded_at=excluded.loaded_at, event_id=excluded.event_id"
        " WHERE excluded.event_id > catalog_snapshot.event_id",
        (e.payload["version"], e.payload["body"], e.recorded_at, registry_rank(e.id, e.payload)),
    )
