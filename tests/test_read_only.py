"""``--read-only``: a view of a seat database that changes nothing (the seat's console owns it).

The store refuses every write with a message (and SQLite's ``query_only`` refuses any write
that would bypass that check); the CLI exits 2; the console opens without asking for a
sign-in (it records nobody), takes no calls and starts no sync.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from conftest import Cli, one_row

from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.seat.services import Services, open_services
from screens.app import LinkageApp

START = "2026-11-28T06:00:00Z"


def _count(services: Services, table: str) -> int:
    row = services.store.one(f"SELECT count(*) FROM {table}")
    return int(row[0]) if row else 0


def test_a_read_only_store_refuses_every_write_and_keeps_its_rows(tmp_path: Path) -> None:
    services = open_services(tmp_path / "ro.db", clock=FakeClock(START))
    services.store.save_draft("intake", {"phone": "13800000001"})
    services.store.make_read_only()
    events = _count(services, "events")
    with pytest.raises(BadInput) as refused:
        services.new_call(phone="13800000002", text="停电了", category="power_supply")
    assert refused.value.code == "store.read_only"
    assert "只读" in refused.value.message("zh") and "read-only" in refused.value.message("en")
    with pytest.raises(BadInput):
        services.store.save_draft("intake", {"phone": "13800000003"})
    with pytest.raises(BadInput):
        services.store.clear_draft("intake")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):   # a write that skipped the check
        services.store.conn.execute("DELETE FROM drafts")
    assert _count(services, "events") == events
    assert services.store.load_draft("intake") == {"phone": "13800000001"}
    services.close()


def test_cli_read_only_refuses_changes_and_still_reads(cli: Cli) -> None:
    assert cli("board").code == 0                       # the database exists (seeded) first
    cli.refused("--read-only", "call", "new", "--phone", "13800000001", "--text", "小区停电两个小时了",
                code="store.read_only", zh="只读打开（--read-only）：不能修改任何记录",
                en="opened read-only (--read-only): nothing can be changed")
    assert cli("--read-only", "board", as_json=False).code == 0


def test_read_only_console_opens_without_sign_in_and_takes_no_call(tmp_path: Path) -> None:
    services = open_services(tmp_path / "ro.db", clock=FakeClock(START))
    services.enrol_operator("alice", "张三", "73914682")
    services.store.make_read_only()
    events = _count(services, "events")

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0, read_only=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.screen is app.board and not app.locked     # no sign-in screen
            await pilot.press("f2")
            await pilot.pause()
            assert app.screen is app.board
            assert any("只读打开：不能接警" in n.message for n in app._notifications)
            await pilot.press("f4")
            for ch in "new --phone 13800000001 --text 停电了":
                await pilot.press(ch if ch != " " else "space")
            await pilot.press("enter")
            await pilot.pause()
            assert "只读打开（--read-only）" in str(app.board.answer.render())
            assert app.sync_worker is None

    asyncio.run(scenario())
    assert _count(services, "events") == events
    services.close()


def test_a_read_only_view_keeps_no_phone_state_and_raises_nothing_for_it(tmp_path: Path) -> None:
    """The view shows the phones; the seat's own console keeps their state and the feed
    position. A view's ring or saved position is not written, and does not fail the panel."""
    from console.calls.phone_state import PhoneLog

    services = open_services(tmp_path / "ro.db", clock=FakeClock(START))
    try:
        services.store.make_read_only()
        log = PhoneLog(services.store)
        log.save_feed_position("anything")
        log.rang("ring-1", "13800000001", "", "1", services.ctx.clock.now())
        assert log.feed_position() is None
        assert one_row(services.store, "SELECT count(*) FROM phone_calls")[0] == 0
    finally:
        services.close()
