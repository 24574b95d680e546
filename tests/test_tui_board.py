"""The console opens on the board and the command bar drives the shared grammar."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import one_row
from textual.widgets import Input

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.widgets.board_view import BoardView


def _services(tmp_path: Path) -> tuple[Services, FakeClock]:
    clock = FakeClock("2026-11-28T06:00:00Z")
    services = open_services(tmp_path / "tui.db", clock=clock)
    services.new_call(phone="13800000001", text="小区停电两个小时了", address="人民路12号",
                      category="power_supply")
    return services, clock


def test_board_shows_countdown_and_command_bar_issues_order(tmp_path: Path) -> None:
    """Board lists the order with its countdown; typing `dp 1 water_co` issues a real order."""
    services, clock = _services(tmp_path)
    services.issue_order(1, "power")

    async def scenario() -> None:
        app = LinkageApp(services, "zh")
        async with app.run_test(size=(100, 24)) as pilot:
            await pilot.pause()
            view = app.screen.query_one(BoardView)
            assert [r.order.unit for r in view.rows] == ["power"]
            line = "".join(seg.text for seg in view.render_line(1))
            assert "县供电局" in line and "签收剩余 5:00" in line
            clock.advance(minutes=6)
            line = "".join(seg.text for seg in view.render_line(1))
            assert "超时" in line
            await pilot.press("f4")
            for ch in "dp 1 water_co":
                await pilot.press(ch if ch != " " else "space")
            await pilot.press("enter")
            await pilot.pause()
            assert sorted(r.order.unit for r in view.rows) == ["power", "water_co"]

    asyncio.run(scenario())
    units = [r["unit"] for r in services.store.all("SELECT unit FROM orders ORDER BY no")]
    assert units == ["power", "water_co"]
    services.close()


def test_command_bar_refusal_is_shown_in_place_and_keeps_text(tmp_path: Path) -> None:
    """A refused command shows the reason and leaves the typed text for correction."""
    services, _ = _services(tmp_path)
    before = one_row(services.store, "SELECT count(*) FROM events")[0]

    async def scenario() -> None:
        app = LinkageApp(services, "en")
        async with app.run_test(size=(100, 24)) as pilot:
            await pilot.pause()
            await pilot.press("f4")
            for ch in "ack 99":
                await pilot.press(ch if ch != " " else "space")
            await pilot.press("enter")
            await pilot.pause()
            answer = app.screen.query_one("#answer")
            assert "no order 99" in str(answer.render())
            assert app.screen.query_one("#command", Input).value == "ack 99"

    asyncio.run(scenario())
    assert one_row(services.store, "SELECT count(*) FROM events")[0] == before
    services.close()


def test_command_bar_completes_verbs_and_units(tmp_path: Path) -> None:
    """`ord` offers `order`; `dp 1 gd` offers `dp 1 gdj`; → accepts, Enter issues the order."""
    from console.commands.grammar import complete

    services, _ = _services(tmp_path)
    assert complete(services, "ord") == "order"
    assert complete(services, "order a") == "order ack"
    assert complete(services, "dp 1 pow") == "dp 1 power"
    assert complete(services, "ack 3") is None  # an order number is not guessed

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 24)) as pilot:
            await pilot.pause()
            await pilot.press("f4")
            for ch in "dp 1 gd":
                await pilot.press(ch if ch != " " else "space")
            await pilot.pause()
            await pilot.press("right")
            command = app.screen.query_one("#command", Input)
            assert command.value == "dp 1 gdj"
            await pilot.press("enter")
            await pilot.pause()

    asyncio.run(scenario())
    assert [r["unit"] for r in services.store.all("SELECT unit FROM orders")] == ["power"]
    services.close()


def test_letters_typed_on_the_board_go_to_the_command_bar(tmp_path: Path) -> None:
    """F4 and the first letters in one burst lose nothing (the bar takes focus after a refresh);
    typing on the board without F4 starts a command too; ':' only focuses the bar."""
    services = open_services(tmp_path / "keys.db", clock=FakeClock("2026-11-28T06:00:00Z"))

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("f4", "b", "o")
            assert app.board.command.value == "bo"
            app.board.command.value = ""
            app.board.board_view.focus()
            await pilot.pause()
            await pilot.press("h", "e")
            assert app.board.command.value == "he"
            assert app.focused is app.board.command
            app.board.command.value = ""
            app.board.board_view.focus()
            await pilot.pause()
            await pilot.press("colon", "b")
            assert app.board.command.value == "b"

    asyncio.run(scenario())
    services.close()
