"""Sync in the console: a slow server never blocks the UI, other seats' incidents show up.

The waits below are bounded polls for a condition (a connection made, a pass finished), never
assertions on how long something took; the one bound on time is the deadline's own promise.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from conftest import one_row
from sync_harness import COUNTY, DripServer

from central.store import CentralStore
from central.testing import serve_in_thread
from console.calls import intake
from console.kernel.clock import FakeClock, SystemClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp


def _seat(root: Path, name: str, server: str, token: str, clock: FakeClock, **sync: int) -> Services:
    (root / name).mkdir()
    extra = "".join(f"{k} = {v}\n" for k, v in sync.items())
    (root / name / "config.toml").write_text(
        f'[center]\ncounty = "{COUNTY}"\nseat = "{name}"\n[sync]\nserver = "{server}"\n{extra}',
        encoding="utf-8")
    services = open_services(root / name / "linkage.db", config_path=root / name / "config.toml", clock=clock)
    services.save_sync_token(token)
    return services


def test_the_deadline_stops_a_server_that_drips_bytes(tmp_path: Path) -> None:
    with DripServer(every=0.2, total=60) as drip:
        services = _seat(tmp_path, "seat-01", drip.url, "t" * 43, FakeClock("2026-11-28T06:00:00Z"),
                         deadline_seconds=1)
        try:
            started = time.monotonic()
            report = services.sync_once()
            elapsed = time.monotonic() - started
            assert drip.hung_up.wait(5), "the client never hung up on the dripping server"
        finally:
            services.close()
        print(f"\ndripping server: deadline 1 s, request given up after {elapsed:.2f} s "
              f"(httpx read timeout alone would wait {drip.total:.0f} s)")
        assert (report.ok, report.error_code) == (False, "timeout")
        assert not drip.finished.is_set()
        assert elapsed < 3.0  # the deadline's promise, with room for a loaded machine
        # the status was recorded: read below, on a fresh connection (this session is closed)
    reopened = open_services(tmp_path / "seat-01" / "linkage.db", config_path=tmp_path / "seat-01" / "config.toml",
                             clock=FakeClock("2026-11-28T06:00:00Z"))
    try:
        status = reopened.sync_status()
        assert (status.state, status.error_code, status.offline_since) == (
            "offline", "timeout", "2026-11-28T06:00:00.000Z")
    finally:
        reopened.close()


def test_a_slow_server_never_blocks_the_console(tmp_path: Path) -> None:
    asyncio.run(_slow_server_scenario(tmp_path))


async def _slow_server_scenario(tmp_path: Path) -> None:
    """While the sync thread is stuck in a dripping request, keys still work at once."""
    with DripServer(every=0.2, total=30) as drip:
        # The pass's deadline must outlast the keys below on a loaded machine (two screen changes
        # took over 4 s under a full suite beside other work); the drip lasts longer still.
        services = _seat(tmp_path, "seat-01", drip.url, "t" * 43, FakeClock("2026-11-28T06:00:00Z"),
                         deadline_seconds=10)
        app = LinkageApp(services, "zh", tick_seconds=0.2)
        try:
            async with app.run_test(size=(140, 40)) as pilot:
                for _ in range(100):
                    if drip.connected.is_set():
                        break
                    await pilot.pause(0.05)
                assert drip.connected.is_set()
                assert app.sync_worker.passes == 0  # the sync thread is inside its request …
                await pilot.press("f3")
                await pilot.pause()
                assert type(app.screen).__name__ == "RosterScreen"  # … and the UI answered anyway
                await pilot.press("f5")
                await pilot.pause()
                assert app.sync_worker.passes == 0 and not drip.finished.is_set()
                assert "同步：连接中" in str(app.board.status.render())
                for _ in range(400):
                    if app.sync_worker.passes:
                        break
                    await pilot.pause(0.05)
                await pilot.pause(0.3)
                line = str(app.board.status.render())
                assert "同步：离线" in line, line
        finally:
            services.close()


def test_incidents_from_other_seats_appear_on_the_board(tmp_path: Path) -> None:
    asyncio.run(_other_seats_scenario(tmp_path))


async def _other_seats_scenario(tmp_path: Path) -> None:
    clock = FakeClock("2026-11-28T06:00:00Z")
    central = CentralStore(tmp_path / "central.db", SystemClock())
    tokens = {name: central.add_token(COUNTY, name) for name in ("seat-01", "seat-02")}
    with serve_in_thread(central) as url:
        other = _seat(tmp_path, "seat-01", url, tokens["seat-01"], clock)
        mine = _seat(tmp_path, "seat-02", url, tokens["seat-02"], clock, interval_seconds=1)
        app = LinkageApp(mine, "zh", tick_seconds=0.2)
        try:
            async with app.run_test(size=(140, 40)) as pilot:
                intake.new_call(other.ctx, None, phone="13800000077", text="护栏倒在路上",
                                address="解放路8号", category="public_order")
                assert other.sync_once().ok
                text = ""
                for _ in range(300):
                    await pilot.pause(0.05)
                    text = " ".join(str(o.prompt) for o in app.board.incidents.options)
                    if "解放路8号" in text:
                        break
                assert "解放路8号" in text
                assert "同步：在线" in str(app.board.status.render())
                # and back: an order issued here reaches the other seat
                no = one_row(mine.store, "SELECT no FROM incidents")[0]
                mine.issue_orders(no, ["housing"])
                for _ in range(300):
                    await pilot.pause(0.05)
                    if mine.sync_status().queued == 0:
                        break
                assert other.sync_once().ok
                assert one_row(other.store, "SELECT unit FROM orders")[0] == "housing"
        finally:
            other.close()
            mine.close()
    central.close()
