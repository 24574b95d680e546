"""One console per seat database: an advisory lock held beside the database for the console's life.

Two consoles on one database would both take rings and both sync, so the second is refused
and told who holds the seat (pid, since when). The lock is ``fcntl.flock`` on
``<db>.console.lock``: the kernel drops it when the holding process ends for any reason,
``kill -9`` and power loss included, so a lock left by a dead console is never stale; the
next console simply takes it and overwrites the holder's details. The file itself is never
deleted (deleting a lock file races with a newcomer that already opened it).

Only the console (the TUI) takes the lock: one-shot commands (``linkage board``, ``linkage call
new …``) write through the store's own transactions and may run beside it. A console opened
with ``--read-only`` takes no lock either: it neither writes, syncs nor takes rings.

The descriptor is opened close-on-exec (Python's default), so a child the console starts (the
demo simulator) never inherits the lock and cannot keep it alive after the console is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from console.kernel.clock import SystemClock, iso, parse_instant
from console.kernel.errors import LinkageError

SUFFIX = ".console.lock"
# A console that lost its terminal or was told to stop takes up to ~1.5 s to save drafts and
# close (screens/lifeline.py); a restart right behind it (a respawned pane, a quick re-run after
# an SSH drop) waits that long for the seat before it refuses.
CLOSING_GRACE_S = 2.5


class SeatBusy(LinkageError):
    """Another console holds this database."""


def lock_path(db_path: Path | str) -> Path:
    return Path(f"{db_path}{SUFFIX}")


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as the holder wrote it (``pid`` 0 / ``since`` "" when unreadable)."""

    pid: int
    since: str  # ISO instant, UTC


class ConsoleLock:
    """Held from ``acquire`` to ``release`` (or the process's end, whichever comes first)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, db_path: Path | str, tz: tzinfo, grace_s: float = CLOSING_GRACE_S) -> ConsoleLock:
        """Take the seat's lock or refuse naming the holder; ``tz`` only formats that message.

        A holder that is still closing gets ``grace_s`` to let go before the refusal."""
        path = lock_path(db_path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        give_up = time.monotonic() + grace_s
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= give_up:
                        raise busy(read_holder(path), tz) from None
                    time.sleep(0.05)
        except BaseException:
            os.close(fd)
            raise
        # Ours now: whatever a previous (killed) holder wrote is replaced.
        body = json.dumps({"pid": os.getpid(), "since": iso(SystemClock().now())}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, body + b"\n", 0)
        return cls(path, fd)

    def release(self) -> None:
        """Give the seat up; the file stays (see the module docstring)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the last descriptor releases the flock


def read_holder(path: Path) -> Holder:
    """The holder's details; a holder still writing them (or an odd file) reads as unknown."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
        return Holder(pid=int(data.get("pid", 0)), since=str(data.get("since", "")))
    except (OSError, ValueError, TypeError, AttributeError):
        return Holder(pid=0, since="")


def busy(holder: Holder, tz: tzinfo) -> SeatBusy:
    pid = str(holder.pid) if holder.pid > 0 else "?"
    try:
        since = parse_instant(holder.since).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        since = "?"
    return SeatBusy(
        "console.locked",
        zh="此数据库已有控制台在运行（进程 {pid}，自 {since} 起）；同一席位只能开一个控制台，"
           "只看不改请加 --read-only",
        en="another console already runs on this database (pid {pid}, since {since}); one console "
           "per seat database: add --read-only to open a view that changes nothing",
        pid=pid, since=since)
