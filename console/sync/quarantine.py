"""Pulled events this seat set aside: refused, failed or waiting. Never a reason to stop.

A pulled event goes one of three ways when it cannot simply be applied:

* ``refused``: it fails the checks every seat and the server share (its kind's schema, an id
  stamped far in the future). It is kept as it came in ``sync_refused``, outside the event
  log, so nothing that reads the log or the projections ever sees it.
* ``failed``: it passed the checks but applying it raised (another seat's bug, such as a call
  id used twice). It stays in the log, parked in ``pending_events`` with its error.
* ``waiting``: it refers to an incident or order that has not arrived yet; it is applied when
  that does (``Transaction.apply_pending``).

Dropping one (``linkage sync quarantine drop``) is this seat's own bookkeeping, not an event:
the quarantine is what *this* seat could not use, each seat decides for itself, and the city
server keeps the original either way. A dropped ``refused`` event is forgotten (pulled again
only after a server restore resets the cursor); a dropped ``failed`` or ``waiting`` one stays in
the log, unapplied, and is no longer listed or retried.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from console.store.transaction import UNAPPLIABLE, Store, select_in

WAITING, FAILED, REFUSED = "waiting", "failed", "refused"


@dataclass(frozen=True)
class Parked:
    event_id: str
    state: str        # refused | failed | waiting
    kind: str
    seat: str
    server_seq: int | None
    reason: str       # the code and detail, or what the event waits for

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def refuse(conn: sqlite3.Connection, wire: dict[str, Any], seq: int, problem: tuple[str, str],
           at: str) -> None:
    """Set a pulled event that failed the checks aside, as it came, inside the page's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO sync_refused (event_id, server_seq, kind, seat, code, detail, wire,"
        " refused_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (str(wire.get("id"))[:64], seq, str(wire.get("kind"))[:64], str(wire.get("seat"))[:64],
         problem[0], problem[1][:300], json.dumps(wire, ensure_ascii=False, default=str)[:300_000], at))


def parked(store: Store, limit: int = 1000) -> list[Parked]:
    """Everything set aside, refused first, each group oldest (by server seq) first."""
    found = [Parked(r[0], REFUSED, r[1], r[2], r[3], f"{r[4]}: {r[5]}") for r in store.all(
        "SELECT event_id, kind, seat, server_seq, code, detail FROM sync_refused"
        " ORDER BY server_seq LIMIT ?", (limit,))]
    for r in store.all(
            "SELECT p.event_id, e.kind, e.seat, e.server_seq, p.waiting_for FROM pending_events p"
            " JOIN events e ON e.id = p.event_id ORDER BY e.server_seq, e.seq LIMIT ?", (limit,)):
        failed = r[4].startswith(UNAPPLIABLE)
        found.append(Parked(r[0], FAILED if failed else WAITING, r[1], r[2], r[3],
                            r[4][len(UNAPPLIABLE):] if failed else r[4]))
    return found[:limit]


def counts(store: Store) -> dict[str, int]:
    """How many are set aside, by state."""
    row = store.one("SELECT count(*) FROM sync_refused")
    pending = store.one("SELECT count(*), sum(waiting_for LIKE ?) FROM pending_events", (UNAPPLIABLE + "%",))
    refused = int(row[0]) if row else 0
    total, failed = (int(pending[0] or 0), int(pending[1] or 0)) if pending else (0, 0)
    return {REFUSED: refused, FAILED: failed, WAITING: total - failed}


def drop(store: Store, seat: str, ids: list[str] | None) -> list[str]:
    """Forget the given parked events (all of them for ``None``); the ids actually dropped."""
    with store.transaction(seat, "sync") as tx:
        if ids is None:
            gone = [r[0] for r in tx.all("SELECT event_id FROM sync_refused")]
            gone += [r[0] for r in tx.all("SELECT event_id FROM pending_events")]
            tx.conn.execute("DELETE FROM sync_refused")
            tx.conn.execute("DELETE FROM pending_events")
            return gone
        gone = [r[0] for r in select_in(tx.conn, "SELECT event_id FROM sync_refused WHERE event_id IN ({ids})",
                                        ids)]
        gone += [r[0] for r in select_in(tx.conn, "SELECT event_id FROM pending_events WHERE event_id IN"
                                         " ({ids})", ids)]
        for part in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            marks = ",".join("?" * len(part))
            tx.conn.execute(f"DELETE FROM sync_refused WHERE event_id IN ({marks})", part)
            tx.conn.execute(f"DELETE FROM pending_events WHERE event_id IN ({marks})", part)
    return gone
