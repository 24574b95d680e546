"""The server's side of the hash chain (console/store/chain.py): check each pushed link, keep heads.

Each seat's chained events must arrive in chain order: an event's ``prev`` must be the hash of
the seat's last chained event the server holds (null for the first), and its ``hash`` the link
of its own content. A break is refused per event (``rejected``/``chain_break``), so a seat
cannot rewrite what it already synced, and a second copy of a seat's database cannot slip a
different history in. Events of a seat from before its chain (no ``hash``) are accepted only
until the seat's first chained event. A seat's quarantined events are never pushed; the push
names their links in ``skipped`` and the chain is bridged over them (their content is not
kept, their links are, in ``chain_skips``).

Called by ``CentralStore.apply_batch`` inside the batch's transaction; the push handler only
reads the ``skipped`` field through ``read_skipped``. Its SQL is what SQLite and PostgreSQL both
speak (central/pgstore.py runs it too).
"""

from __future__ import annotations

from typing import Any

from console.store import chain
from console.sync import protocol

MIGRATION = (
    "tamper evidence: each event's chain link, each seat's chain head, and the links a seat"
    " declared skipped (its quarantined events)",
    # untyped columns: a TEXT column added to ``events`` tips SQLite's planner (no statistics)
    # off the registry's partial index (tests/test_central_store.py); they hold text all the same
    """
    ALTER TABLE events ADD COLUMN chain_prev;
    ALTER TABLE events ADD COLUMN chain_hash;
    CREATE TABLE chain_heads (
        county TEXT NOT NULL,
        seat TEXT NOT NULL,
        hash TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (county, seat)
    ) WITHOUT ROWID;
    CREATE TABLE chain_skips (
        id TEXT PRIMARY KEY,
        county TEXT NOT NULL,
        seat TEXT NOT NULL,
        prev TEXT,
        hash TEXT NOT NULL,
        received_at TEXT NOT NULL
    )
    """,
)


def read_skipped(value: object) -> list[dict[str, Any]] | str:
    """The push's ``skipped`` links, or why they are malformed (a 422 ``invalid_request``)."""
    if not isinstance(value, list) or len(value) > protocol.MAX_SKIPPED_LINKS:
        return f"'skipped' must be a list of at most {protocol.MAX_SKIPPED_LINKS} links"
    for item in value:
        if not (isinstance(item, dict) and item.keys() == {"id", "prev", "hash"}
                and protocol.valid_id(item["id"])
                and chain.is_hash(item["hash"]) and (item["prev"] is None or chain.is_hash(item["prev"]))):
            return "each skipped link must be {id, prev, hash} with a UUIDv7 id and hex hashes"
    return list(value)


class ChainGate:
    """One seat's chain as one push batch sees it, read once inside the batch's transaction."""

    def __init__(self, conn: Any, county: str, seat: str, skipped: list[dict[str, Any]]) -> None:
        row = conn.execute("SELECT hash FROM chain_heads WHERE county = ? AND seat = ?", (county, seat)).fetchone()
        self.county, self.seat = county, seat
        self.head: str | None = row[0] if row else None
        self.head_id = ""
        self.started = row is not None
        self.skipped = {link["prev"]: link for link in skipped}  # bridge from a head to the next link
        self.bridged: list[dict[str, Any]] = []

    def admit(self, wire: dict[str, Any], body: str) -> tuple[str, str] | None:
        """None if the event may be stored (the head moves to it), else (code, English detail)."""
        link = wire.get(protocol.CHAIN)
        if link is None:
            if self.started:
                return "chain_missing", "this seat's events are hash-chained; an unchained event cannot follow"
            return None
        prev, digest = link["prev"], link["hash"]
        if chain.link(prev, body) != digest:
            return "bad_hash", "hash is not the link of this event's content after its prev"
        seen: set[str | None] = set()
        while prev != self.head and self.head in self.skipped and self.head not in seen:
            seen.add(self.head)
            bridge = self.skipped[self.head]
            self.bridged.append(bridge)
            self.head, self.head_id, self.started = bridge["hash"], bridge["id"], True
        if prev != self.head:
            return "chain_break", ("prev is not the hash of this seat's last event on the server"
                                   if self.started else "this seat's first chained event must have prev null")
        self.head, self.head_id, self.started = digest, wire["id"], True
        return None

    def save(self, conn: Any, now: str) -> None:
        """Keep the new head and the bridged links (same transaction as the events)."""
        if self.bridged:
            conn.executemany(
                "INSERT INTO chain_skips (id, county, seat, prev, hash, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(b["id"], self.county, self.seat, b["prev"], b["hash"], now) for b in self.bridged])
        if self.head_id:
            conn.execute("INSERT INTO chain_heads (county, seat, hash, event_id) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT (county, seat) DO UPDATE SET hash = excluded.hash, event_id = excluded.event_id",
                         (self.county, self.seat, self.head, self.head_id))
