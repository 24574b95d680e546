"""The WAL checkpoint schedule (console/store/checkpoint.py): passive while busy, truncate at a
quiet time, never waiting on another connection. Real SQLite files, real second connections."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from console.store.checkpoint import WalCheckpoints, checkpoint, wal_bytes

START = "2026-11-28T06:00:00Z"


def _calls(services: Services, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        services.new_call(phone=f"1380000{i:04d}", text="小区停水了，一滴水都没有", address=f"人民路{i}号",
                          category="water_supply")


def _services(tmp_path: Path) -> Services:
    return open_services(tmp_path / "seat.db", clock=FakeClock(START))


def test_a_quiet_time_truncates_the_wal_to_nothing(tmp_path: Path) -> None:
    services = _services(tmp_path)
    _calls(services, 30)
    assert wal_bytes(services.store.path) > 0
    keeper = WalCheckpoints(services.store, passive_every_s=60, quiet_s=300, truncate_every_s=3600)
    assert keeper.run(0.0) is None                          # the first minute is start-up's
    assert keeper.run(30.0) is None                         # not due yet: nothing done
    second = keeper.run(60.0)
    assert second is not None and second.mode == "PASSIVE" and not second.busy  # not quiet yet
    quiet = keeper.run(301.0)
    assert quiet is not None and quiet.mode == "TRUNCATE" and not quiet.busy
    assert quiet.wal_bytes == 0 and wal_bytes(services.store.path) == 0
    # the data is all there, through another connection
    conn = sqlite3.connect(services.store.path)
    assert conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 30
    conn.close()
    services.close()


def test_commits_keep_it_passive_and_a_truncate_waits_an_hour(tmp_path: Path) -> None:
    services = _services(tmp_path)
    keeper = WalCheckpoints(services.store, passive_every_s=60, quiet_s=300, truncate_every_s=3600)
    keeper.run(-60.0)
    modes = []
    for minute in range(10):                                # a commit every minute: never quiet
        _calls(services, 1, start=minute)
        keeper.run(minute * 60.0)                           # the commit is seen …
        result = keeper.run(minute * 60.0 + 15)             # … and 15 s later it is an idle moment
        assert result is not None
        modes.append(result.mode)
        keeper._last_run = minute * 60.0                    # one a minute
    assert set(modes) == {"PASSIVE"}
    done = keeper.run(10 * 60.0 + 300)
    assert done is not None and done.mode == "TRUNCATE"
    _calls(services, 1, start=50)
    assert keeper.run(10 * 60.0 + 300 + 400) is None        # the commit seen: not an idle moment
    later = keeper.run(10 * 60.0 + 300 + 1000)              # quiet again, but truncated < 1 h ago
    assert later is not None and later.mode == "PASSIVE"
    services.close()


def test_a_reader_elsewhere_makes_the_truncate_give_up_at_once_and_retry(tmp_path: Path) -> None:
    """Another connection holding a snapshot (the sync thread, a CLI): the truncate reports busy
    without waiting the busy timeout, the store still works, and the next quiet run succeeds."""
    services = _services(tmp_path)
    _calls(services, 20)
    reader = sqlite3.connect(services.store.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM incidents").fetchone()   # holds a read snapshot
    _calls(services, 5, start=20)
    blocked = checkpoint(services.store, "TRUNCATE")
    assert blocked.busy and blocked.wal_bytes > 0
    busy_timeout = services.store.conn.execute("PRAGMA busy_timeout").fetchone()[0]
    assert busy_timeout == services.config.store.busy_timeout_ms  # restored after the try
    keeper = WalCheckpoints(services.store, passive_every_s=60, quiet_s=300, truncate_every_s=3600)
    keeper.run(0.0)
    tried = keeper.run(400.0)
    assert tried is not None and tried.mode == "TRUNCATE" and tried.busy
    reader.execute("COMMIT")
    reader.close()
    retried = keeper.run(460.0)                             # a failed truncate is tried again
    assert retried is not None and retried.mode == "TRUNCATE" and not retried.busy
    assert wal_bytes(services.store.path) == 0
    services.close()


def test_a_read_only_view_leaves_the_wal_to_the_seats_console(tmp_path: Path) -> None:
    services = _services(tmp_path)
    _calls(services, 5)
    view = open_services(tmp_path / "seat.db", clock=FakeClock(START))
    view.store.make_read_only()
    keeper = WalCheckpoints(view.store, passive_every_s=60, quiet_s=300, truncate_every_s=3600)
    assert [keeper.run(t) for t in (0.0, 400.0, 4000.0)] == [None, None, None]
    assert keeper.error == "" and wal_bytes(services.store.path) > 0
    view.close()
    services.close()
