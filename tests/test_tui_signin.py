"""Sign-in at start: with an operator enrolled nothing gets past the sign-in screen but a
correct login and PIN (or ctrl+q); with none the console opens straight on the board."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.kernel.clock import FakeClock
from console.kernel.errors import LinkageError
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.signin import SignInScreen

PIN = "73914682"


def _services(tmp_path: Path, *, enrol: bool = True) -> Services:
    services = open_services(tmp_path / "signin.db", clock=FakeClock("2026-11-28T06:00:00Z"))
    if enrol:
        services.enrol_operator("alice", "张三", PIN)
    return services


async def _type(pilot: Pilot[Any], text: str) -> None:
    for ch in text:
        await pilot.press(ch)


def _count(services: Services, kind: str) -> int:
    row = services.store.one("SELECT count(*) FROM events WHERE kind = ?", (kind,))
    return int(row[0]) if row else 0


def test_without_operators_the_board_opens_directly(tmp_path: Path) -> None:
    services = _services(tmp_path, enrol=False)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.screen is app.board and not app.locked

    asyncio.run(scenario())
    services.close()


def test_sign_in_by_keys_wrong_pin_first_then_the_board_shows_the_operator(tmp_path: Path) -> None:
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SignInScreen)
            # no way past it: the board's and the app's keys do nothing
            for key in ("f2", "f3", "f5", "f4", "escape"):
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is screen, key
            await _type(pilot, "alice")
            await pilot.press("tab")
            await _type(pilot, "1111")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen
            assert isinstance(screen, SignInScreen)  # again: mypy reads `is` as making it a Screen
            assert "PIN 不正确" in str(screen.error.render())
            assert screen.pin.value == "" and screen.pin.has_focus
            assert _count(services, "operator.signed_in") == 0
            await _type(pilot, PIN)
            assert PIN not in app.export_screenshot()           # the PIN is masked
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.board and not app.locked
            status = str(app.board.status.render())
            assert "接警员 alice" in status
            await pilot.press("f3")                               # keys work again
            await pilot.pause()
            assert type(app.screen).__name__ == "RosterScreen"

    asyncio.run(scenario())
    row = services.store.one("SELECT operator, subject FROM events WHERE kind = 'operator.signed_in'")
    assert row is not None and tuple(row) == ("alice", "alice")
    assert services.ctx.operator == "alice"
    services.close()


def test_unknown_and_disabled_logins_are_refused_in_english(tmp_path: Path) -> None:
    services = _services(tmp_path)
    services.enrol_operator("bob", "李四", "4321", admin="alice", admin_pin=PIN)
    services.disable_operator("bob", admin="alice", admin_pin=PIN)

    async def scenario() -> None:
        app = LinkageApp(services, "en", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SignInScreen)
            await _type(pilot, "carol")
            await pilot.press("enter")                # moves to the empty PIN field
            await _type(pilot, "1234")
            await pilot.press("enter")
            await pilot.pause()
            assert "no operator carol" in str(screen.error.render())
            assert screen.login.has_focus
            screen.login.value = ""
            await _type(pilot, "bob")
            await pilot.press("tab")
            await _type(pilot, "4321")
            await pilot.press("enter")
            await pilot.pause()
            assert "operator bob is disabled" in str(screen.error.render())
            assert app.screen is screen

    asyncio.run(scenario())
    assert _count(services, "operator.signed_in") == 0
    services.close()


def test_wrong_pins_from_another_session_lock_the_sign_in_screen(tmp_path: Path) -> None:
    """The lockout lives in the database: five wrong PINs typed in another session (a CLI
    run) lock alice at this console's sign-in screen too, and the right PIN is refused."""
    services = _services(tmp_path)
    other = open_services(tmp_path / "signin.db", clock=FakeClock("2026-11-28T06:00:00Z"))
    for _ in range(5):
        with pytest.raises(LinkageError, match="wrong PIN"):
            other.sign_in("alice", "0000")
    other.close()

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SignInScreen)
            await _type(pilot, "alice")
            await pilot.press("tab")
            await _type(pilot, PIN)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen
            assert isinstance(screen, SignInScreen)  # again: mypy reads `is` as making it a Screen
            assert "PIN 已连续输错 5 次，请 60 秒后再试" in str(screen.error.render())

    asyncio.run(scenario())
    assert _count(services, "operator.signed_in") == 0
    assert _count(services, "operator.sign_in_failed") == 5
    services.close()
