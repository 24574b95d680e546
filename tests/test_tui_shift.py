"""ctrl+w on the board: the shift handover screen lists what is handed over; the receiver's
login and PIN record ``shift.handed_over`` and the status line then shows the receiver."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from conftest import one_row
from textual.pilot import Pilot

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.shift_handover import ShiftHandoverScreen


def _services(tmp_path: Path) -> Services:
    clock = FakeClock("2026-11-28T06:00:00Z")
    services = open_services(tmp_path / "shift.db", clock=clock)
    services.enrol_operator("alice", "张三", "1234")
    services.enrol_operator("bob", "李四", "5678", admin="alice", admin_pin="1234")
    services.new_call(phone="13800000001", text="小区停电两个小时了", address="人民路12号",
                      category="power_supply")
    services.issue_order(1, "gdj")
    clock.advance(hours=1)                        # the order is now overdue for acknowledgement
    return services


async def _type(pilot: Pilot[Any], text: str) -> None:
    for ch in text:
        await pilot.press(ch)


async def _sign_in(pilot: Pilot[Any], login: str, pin: str) -> None:
    await pilot.pause()
    await _type(pilot, login)
    await pilot.press("tab")
    await _type(pilot, pin)
    await pilot.press("enter")
    await pilot.pause()


def test_handover_by_keys_lists_the_work_and_moves_the_seat_to_the_receiver(tmp_path: Path) -> None:
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await _sign_in(pilot, "alice", "1234")
            assert app.screen is app.board
            await pilot.press("ctrl+w")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ShiftHandoverScreen)
            listed = str(screen.summary.render())
            assert "未结警情 1" in listed and "#1 " in listed and "人民路12号" in listed
            assert "超时派单 1" in listed and "派单 1 → 县供电局" in listed and "超时" in listed
            # a wrong PIN is refused in place
            await _type(pilot, "bob")
            await pilot.press("tab")
            await _type(pilot, "0000")
            await pilot.press("enter")
            await pilot.pause()
            assert "PIN 不正确" in str(screen.error.render())
            assert one_row(services.store, "SELECT count(*) FROM shift_handovers")[0] == 0
            await _type(pilot, "5678")
            await pilot.press("tab")
            await _type(pilot, "ok")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.board
            assert "接警员 bob" in str(app.board.status.render())

    asyncio.run(scenario())
    row = services.store.one("SELECT operator, payload FROM events WHERE kind = 'shift.handed_over'")
    assert row is not None and row["operator"] == "alice"
    p = json.loads(row["payload"])
    assert (p["from_operator"], p["to_operator"], p["note"]) == ("alice", "bob", "ok")
    assert (p["open_incidents"], p["overdue_orders"]) == ([1], [1])
    assert services.ctx.operator == "bob"
    services.close()


def test_escape_leaves_the_handover_without_recording(tmp_path: Path) -> None:
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "en", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await _sign_in(pilot, "alice", "1234")
            await pilot.press("ctrl+w")
            await pilot.pause()
            assert isinstance(app.screen, ShiftHandoverScreen)
            assert "overdue orders (1)" in str(app.screen.summary.render())
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.board
            assert "operator alice" in str(app.board.status.render())

    asyncio.run(scenario())
    assert one_row(services.store, "SELECT count(*) FROM shift_handovers")[0] == 0
    services.close()


def test_typing_jjb_alone_in_the_command_bar_opens_the_handover(tmp_path: Path) -> None:
    """`交接班` / `jjb` typed alone opens the screen; with arguments it would run the verb."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await _sign_in(pilot, "alice", "1234")
            await pilot.press("f4")
            await pilot.pause()
            await _type(pilot, "jjb")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ShiftHandoverScreen)

    asyncio.run(scenario())
    services.close()
