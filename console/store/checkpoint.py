"""WAL checkpoints on a schedule, so a seat's write-ahead log stays bounded over a shift.

SQLite's automatic checkpoint runs inside a commit once the WAL passes 1,000 pages, and only
copies pages back: it never makes the ``-wal`` file smaller, and it cannot finish while another
connection (the sync thread, a CLI beside the console) holds an old snapshot, so on a busy
seat the file can keep growing between quiet moments. This job does two things:

- a **passive** checkpoint once a minute at an idle moment (no commit for ``idle_s``; never
  in the first minute, which belongs to start-up): it never waits for anyone and never blocks
  a writer, and at idle it finds little or nothing to do and costs one statement;
- a **truncate** checkpoint at a quiet time: no commit seen by the job for ``quiet_s`` seconds
  and none done for ``truncate_every_s``. It resets the WAL file to zero bytes. It is tried with
  the connection's busy timeout at zero, so a reader or writer elsewhere makes it give up at
  once (``busy``) instead of freezing the caller; the next quiet moment tries again.

``WalCheckpoints.run`` is the entry point a scheduler calls (the console drives it from the
board's periodic timer; it is a plain function of the store and a monotonic time, so a job
scheduler can register it unchanged). Nothing here is an event: checkpoints change no data.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from console.store.transaction import Store

PASSIVE_EVERY_S = 60.0
IDLE_S = 10.0                 # a passive checkpoint waits for 10 s without a commit: an idle moment
QUIET_S = 300.0               # no commit for five minutes: a quiet time
TRUNCATE_EVERY_S = 3600.0     # at most one truncate an hour


@dataclass(frozen=True)
class Checkpoint:
    """One ``PRAGMA wal_checkpoint`` and what it reported."""

    mode: str                 # PASSIVE | TRUNCATE
    busy: bool                # another connection kept it from finishing
    wal_pages: int            # frames in the WAL (-1: not in WAL mode)
    copied_pages: int         # frames copied back into the database
    wal_bytes: int            # the -wal file's size afterwards


def wal_bytes(db_path: str | Path) -> int:
    wal = Path(f"{db_path}-wal")
    try:
        return wal.stat().st_size
    except OSError:
        return 0


def checkpoint(store: Store, mode: str = "PASSIVE") -> Checkpoint:
    """One checkpoint on the store's connection. TRUNCATE never waits: busy means try later."""
    if mode not in ("PASSIVE", "TRUNCATE"):
        raise ValueError(f"checkpoint mode {mode!r}")
    conn = store.conn
    with store._lock:   # the store's connection is shared with its own writes on this thread
        if mode == "TRUNCATE":
            waited = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
            conn.execute("PRAGMA busy_timeout=0")
            try:
                row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                conn.execute(f"PRAGMA busy_timeout={waited}")
        else:
            row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return Checkpoint(mode, bool(row[0]), int(row[1]), int(row[2]), wal_bytes(store.path))


class WalCheckpoints:
    """The schedule: a passive checkpoint every ``passive_every_s``, a truncate at a quiet time.

    ``run(now)`` is cheap to call often (once a second is fine): it does nothing until the next
    checkpoint is due. ``now`` is a monotonic time in seconds (``time.monotonic()``).
    """

    def __init__(self, store: Store, *, passive_every_s: float = PASSIVE_EVERY_S, quiet_s: float = QUIET_S,
                 truncate_every_s: float = TRUNCATE_EVERY_S, idle_s: float = IDLE_S) -> None:
        self.store = store
        self.idle_s = idle_s
        self.passive_every_s = passive_every_s
        self.quiet_s = quiet_s
        self.truncate_every_s = truncate_every_s
        self._last_run: float | None = None
        self._last_truncate: float | None = None
        self._stamp: tuple[int, int] | None = None
        self._changed_at = 0.0
        self.error = ""
        self.done: list[Checkpoint] = []      # the last few, newest last (for `sync status`-like views)

    def run(self, now: float | None = None) -> Checkpoint | None:
        """Checkpoint if one is due; never raises (a timer calls it): a failure is kept in
        ``error`` and tried again at the next due time. A read-only view leaves the WAL to the
        seat's own console."""
        if self.store.read_only:
            return None
        now = time.monotonic() if now is None else now
        try:
            return self._run(now)
        except sqlite3.Error as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            return None

    def _run(self, now: float) -> Checkpoint | None:
        stamp = self.store.change_stamp()
        if stamp != self._stamp:
            self._stamp, self._changed_at = stamp, now
        if self._last_run is None:
            self._last_run = now               # the first minute is start-up's (sync, triage), not ours
            return None
        idle = now - self._changed_at
        if now - self._last_run < self.passive_every_s or idle < self.idle_s:
            return None
        self._last_run = now
        quiet = idle >= self.quiet_s
        due = self._last_truncate is None or now - self._last_truncate >= self.truncate_every_s
        if quiet and due and wal_bytes(self.store.path):
            result = checkpoint(self.store, "TRUNCATE")
            if not result.busy:
                self._last_truncate = now
        else:
            result = checkpoint(self.store, "PASSIVE")
        self.done = [*self.done[-9:], result]
        return result
