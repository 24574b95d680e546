"""What the kill -9 tests share: a writer process whose confirmed saves are read line by line,
and the projection tables rebuilt from nothing but an event log.

A writer prints ``ready`` once it is up and ``saved ID ...`` after each COMMIT; a line cut off
by the kill was never confirmed to anyone, so it is ignored.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

from console.kernel.clock import FakeClock
from console.store.projections import apply_event
from console.store.transaction import Store, record_from_row

ROOT = Path(__file__).resolve().parent.parent
PROJECTIONS = ("incidents", "calls", "orders", "catalog_snapshot")


class WriterRun:
    """One writer process; a thread collects the complete lines it printed. Subclasses read
    their own kinds of line in ``on_line`` (and set their attributes before calling this
    ``__init__``: the reader starts at once)."""

    def __init__(self, argv: list[str], stderr: Path, env: dict[str, str]) -> None:
        self.err = stderr.open("ab")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, cwd=ROOT, env=env)
        self.saved: list[str] = []
        self.ready = threading.Event()
        self.writing = threading.Event()   # set once the first save of this run is reported
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            if not raw.endswith(b"\n"):      # cut off by the kill: never confirmed
                break
            line = raw.decode("utf-8").split()
            if not line:
                continue
            if line == ["ready"]:
                self.ready.set()
            elif line[0] == "saved":
                self.saved.extend(line[1:])
                self.writing.set()
            else:
                self.on_line(line)

    def on_line(self, line: list[str]) -> None:
        """A line other than ``ready`` / ``saved``."""

    def kill(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        return self.finish(30)

    def finish(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=30)
        self.err.close()
        return code

    def abandon(self) -> None:
        """The test failed half-way: leave no writer behind."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self.err.close()


def replayed(conn: sqlite3.Connection, tables: tuple[str, ...] = PROJECTIONS) -> dict[str, list[tuple[object, ...]]]:
    """The projection tables rebuilt from nothing but the event log, in log order."""
    fresh = Store(":memory:", FakeClock("2026-01-01T00:00:00Z"))
    try:
        fresh.conn.execute("BEGIN")
        cursor = conn.cursor()
        cursor.row_factory = sqlite3.Row   # by name, without touching the caller's connection
        for row in cursor.execute("SELECT * FROM events ORDER BY seq"):
            apply_event(fresh.conn, record_from_row(row))
        fresh.conn.execute("COMMIT")
        return {t: [tuple(r) for r in fresh.conn.execute(f"SELECT * FROM {t} ORDER BY 1")] for t in tables}
    finally:
        fresh.close()

