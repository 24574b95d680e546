"""Toasts do not hide the work (issue 12 item 7), and Esc in the picker after F7 keeps the call
recoverable (item 14): short-lived toasts, one key clears them, answering clears the ring,
none over a form; the incident the picker was cancelled on waits, highlighted, for F8."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from burst import NOW, seed_board
from conftest import one_row
from textual.pilot import Pilot
from textual.widgets import OptionList

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import TOAST_SECONDS, LinkageApp
from screens.dialogs.picker import UnitPicker


def _services(tmp_path: Path, orders: int = 3) -> Services:
    services = open_services(tmp_path / "toasts.db", clock=FakeClock(NOW))
    seed_board(services, orders=orders, waiting=False)
    return services


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    waited = 0.0
    while not predicate():
        assert waited < timeout, f"not reached in time: {pilot.app.screen_stack}, focus {pilot.app.focused}"
        await pilot.pause(0.05)
        waited += 0.05


def _rack_shown(app: LinkageApp) -> bool:
    """A toast is drawn on the screen on top."""
    return any(t.styles.visibility == "visible" for t in app.screen.query("Toast"))


def test_toasts_are_short_and_one_key_clears_them(tmp_path: Path) -> None:
    """A 60-second toast (the ring's) lives 6 s at most; ctrl+z clears every toast."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.board.board_view.has_focus)
            app.notify("来电 13800000001，F6 接听", timeout=60, markup=False)
            await wait_until(pilot, lambda: any("F6 接听" in n.message for n in app._notifications))
            assert all(n.timeout <= TOAST_SECONDS for n in app._notifications)
            await pilot.press("ctrl+z")
            await wait_until(pilot, lambda: not list(app._notifications))

    asyncio.run(scenario())
    services.close()


def test_answering_clears_the_ring_toast_and_no_toast_covers_the_form(tmp_path: Path) -> None:
    """F6 (or F2) opens the form: the ring toast is gone, and on the form toasts are not drawn
    at all (the board's toast rack shows, the intake's is hidden)."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await wait_until(pilot, lambda: app.board.board_view.has_focus)
            app.notify("来电 13800000001，F6 接听", timeout=60, markup=False)
            await wait_until(pilot, lambda: bool(list(app._notifications)))
            assert _rack_shown(app)
            await pilot.press("f2")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "IntakeScreen")
            assert not list(app._notifications)
            app.notify("超时告警：派单 1", timeout=5, markup=False)
            await pilot.pause()
            assert not _rack_shown(app)

    asyncio.run(scenario())
    services.close()


def test_esc_in_the_picker_after_f7_keeps_the_incident_waiting_and_f8_brings_it_back(tmp_path: Path) -> None:
    """F2, a call, ctrl+y, F7, Esc: the call is saved as a waiting incident (no order), the
    board's waiting list has focus on it, and F8 reopens the picker for that same incident."""
    services = _services(tmp_path, orders=1)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.board.board_view.has_focus)
            await pilot.press("f2", *"13800000077", "tab", "tab", "tab", *"楼里停电了", "ctrl+y", "f7")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "UnitPicker")
            picker = app.screen
            assert isinstance(picker, UnitPicker)
            incident = picker.incident
            assert incident is not None
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is app.board and isinstance(app.focused, OptionList))
            assert one_row(services.store, "SELECT count(*) FROM orders WHERE incident_id = ?", (incident.id,))[0] == 0
            await pilot.press("f8")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "UnitPicker")
            picker = app.screen
            assert isinstance(picker, UnitPicker) and picker.incident is not None
            assert picker.incident.id == incident.id

    asyncio.run(scenario())
    services.close()
