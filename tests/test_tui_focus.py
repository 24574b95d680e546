"""The selection and focus model as a table: (where focus is) × (key) → (what must happen).

The board holds 15 open orders (tests/burst.py ``seed_board``: 1–7 overdue for
acknowledgement, 8–15 acknowledged) and a bus complaint waiting for a unit (incident #16), at
80×24, where only some of the 15 rows are drawn. Every case starts from one state: the board
focused, after F4 (the command bar focused), after a step dialog closed, or with the waiting
list focused; it presses one key and checks the screen that opened (and the order its title
names), where focus went, and that nothing was written when nothing should be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from burst import NOW, seed_board
from conftest import one_row
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.intake import IntakeScreen
from screens.widgets.board_view import BoardView


def _services(tmp_path: Path) -> Services:
    services = open_services(tmp_path / "focus.db", clock=FakeClock(NOW))
    seed_board(services)
    return services


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    waited = 0.0
    while not predicate():
        if waited >= timeout:
            app = pilot.app
            raise AssertionError(f"not reached in time: {app.screen_stack}, focus {app.focused}")
        await pilot.pause(0.05)
        waited += 0.05


def _view(app: LinkageApp) -> BoardView:
    return app.board.board_view


def _events(services: Services) -> int:
    return int(one_row(services.store, "SELECT count(*) FROM events")[0])


async def _board(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, LinkageApp)
    await wait_until(pilot, lambda: app.screen is app.board and _view(app).has_focus
                     and bool(_view(app).rows))


async def from_board(pilot: Pilot[Any]) -> None:
    await _board(pilot)


async def after_f4(pilot: Pilot[Any]) -> None:
    await _board(pilot)
    await pilot.press("down")                      # select order 2
    await pilot.press("f4")
    await wait_until(pilot, lambda: isinstance(pilot.app.focused, Input))


async def after_dialog(pilot: Pilot[Any]) -> None:
    await _board(pilot)
    await pilot.press("down")
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "StepDialog")
    await pilot.press("escape")
    await _board(pilot)


async def in_waiting_list(pilot: Pilot[Any]) -> None:
    await _board(pilot)
    await pilot.press("tab")                       # board → waiting list
    await wait_until(pilot, lambda: isinstance(pilot.app.focused, OptionList))


def _screen(name: str, order: str | None = None) -> Callable[[LinkageApp], bool]:
    """The screen ``name`` is on top; for a step dialog, its title names ``order``."""
    def check(app: LinkageApp) -> bool:
        screen = app.screen
        if type(screen).__name__ != name:
            return False
        return order is None or order in getattr(screen, "title_text", "")
    return check


def _board_focused_on(order_no: int) -> Callable[[LinkageApp], bool]:
    def check(app: LinkageApp) -> bool:
        view = _view(app)
        return (app.screen is app.board and view.has_focus and view.selected is not None
                and view.selected.no == order_no and view.drawn(view.cursor))
    return check


Start = Callable[[Pilot[Any]], Awaitable[None]]
CASES: list[tuple[str, Start, str, Callable[[LinkageApp], bool], bool]] = [
    # (case, start, key, expected, writes nothing)
    ("board ctrl+s names the selected order", from_board, "ctrl+s", _screen("StepDialog", "派单 1 ·"), True),
    ("board ctrl+r returns the selected order", from_board, "ctrl+r", _screen("StepDialog", "派单 1 ·"), True),
    ("board ctrl+k roll-call", from_board, "ctrl+k", _screen("RollCallScreen"), True),
    ("after F4: F5 focuses the board", after_f4, "f5", _board_focused_on(2), True),
    ("after F4: Esc focuses the board", after_f4, "escape", _board_focused_on(2), True),
    ("after F4: ctrl+s never acts from the bar", after_f4, "ctrl+s", _board_focused_on(2), True),
    ("after F4: ctrl+r never acts from the bar", after_f4, "ctrl+r", _board_focused_on(2), True),
    ("after F4: ctrl+u is not an editing key", after_f4, "ctrl+u", _board_focused_on(2), True),
    ("after F4: ctrl+e is not an editing key", after_f4, "ctrl+e", _board_focused_on(2), True),
    ("after F4: ctrl+d is not an editing key", after_f4, "ctrl+d", _board_focused_on(2), True),
    ("after F4: ctrl+k opens the roll-call", after_f4, "ctrl+k", _screen("RollCallScreen"), True),
    ("after F4: ctrl+w opens the handover", after_f4, "ctrl+w", _screen("ShiftHandoverScreen"), True),
    ("after F4: F2 opens intake", after_f4, "f2", _screen("IntakeScreen"), True),
    ("after a dialog: the selection is where it was", after_dialog, "ctrl+s", _screen("StepDialog", "派单 2 ·"),
     True),
    ("after a dialog: Down moves from it", after_dialog, "down", _board_focused_on(3), True),
    ("board End selects a drawn order", from_board, "end", _board_focused_on(15), True),
    ("board PageDown selects a drawn order", from_board, "pagedown", lambda app: _view(app).drawn(_view(app).cursor)
     and _view(app).cursor > 0, True),
    ("waiting list: F8 picks units for the waiting incident", in_waiting_list, "f8",
     lambda app: type(app.screen).__name__ == "UnitPicker"
     and getattr(getattr(app.screen, "incident", None), "no", None) == 16, True),
    ("waiting list: Esc focuses the board", in_waiting_list, "escape", _board_focused_on(1), True),
]


@pytest.mark.parametrize(("case", "start", "key", "expected", "quiet"), CASES, ids=[c[0] for c in CASES])
def test_focus_table(tmp_path: Path, case: str, start: Start, key: str,
                     expected: Callable[[LinkageApp], bool], quiet: bool) -> None:
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await start(pilot)
            before = _events(services)
            await pilot.press(key)
            await wait_until(pilot, lambda: expected(app))
            if quiet:
                assert _events(services) == before, f"{case}: something was written"

    asyncio.run(scenario())
    services.close()


def test_the_selection_stays_on_the_row_position_when_an_ack_reorders_the_board(tmp_path: Path) -> None:
    """Issue 12 item 1: ack order 2 (overdue) with ctrl+s Enter; it sorts down among the
    acknowledged ones, the cursor stays on the second row (now order 3), Up selects order 1 and
    ctrl+s opens the dialog for order 1, never for an order that moved there unseen."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _board(pilot)
            await pilot.press("down", "ctrl+s")
            await wait_until(pilot, lambda: _screen("StepDialog", "派单 2 ·")(app))
            await pilot.press("enter")
            await wait_until(pilot, lambda: one_row(services.store,
                "SELECT status FROM orders WHERE no = 2")[0] == "acknowledged")
            await wait_until(pilot, lambda: _board_focused_on(3)(app))
            await pilot.press("up", "ctrl+s")
            await wait_until(pilot, lambda: _screen("StepDialog", "派单 1 ·")(app))

    asyncio.run(scenario())
    services.close()


def test_a_refresh_from_elsewhere_keeps_the_position_and_the_urgent_rows_in_view(tmp_path: Path) -> None:
    """Another connection acknowledges order 1 while the call-taker looks at row 1: the board
    reloads, row 1 is now order 2 (drawn and highlighted); the view stays at the top, where the
    most urgent overdue orders are."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _board(pilot)
            services.step(1, "ack")
            app.board.reload()
            await wait_until(pilot, lambda: _board_focused_on(2)(app))
            assert _view(app).first_drawn == 0

    asyncio.run(scenario())
    services.close()


def test_end_draws_the_last_order_with_its_unit(tmp_path: Path) -> None:
    """End at 80×24 selects order 15 and it is on a painted line (not under a scrollbar): the
    line at the cursor's screen row names its unit (县住房和城乡建设局 or its short form)."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _board(pilot)
            await pilot.press("end")
            await wait_until(pilot, lambda: _board_focused_on(15)(app))
            view = _view(app)
            y = view.cursor - view.first_drawn + 1
            assert 0 < y < view.scrollable_content_region.height
            line = "".join(seg.text for seg in view.render_line(y))
            assert line.startswith("15 ") and services.catalog.units["housing"].name_zh[:4] in line, line

    asyncio.run(scenario())
    services.close()


def test_a_long_show_answer_scrolls_instead_of_squeezing_the_board(tmp_path: Path) -> None:
    """Issue 12 item 13: ``show 1`` in the command bar answers in many lines; at 80×24 the board
    keeps drawing at least 8 orders (not 1–4) and the answer scrolls in 3 lines."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _board(pilot)
            before = _view(app).page
            await pilot.press("f4", *"show 1", "enter")
            box = app.board.answer_box
            await wait_until(pilot, lambda: box.virtual_size.height > 3)
            await pilot.pause()
            assert box.size.height <= 3
            assert _view(app).page >= min(8, before), (before, _view(app).page)

    asyncio.run(scenario())
    services.close()


def _burst(app: LinkageApp, *keys: str) -> None:
    """Keys posted to the app all at once, the way a burst is read from a terminal (Pilot's
    ``press`` waits between keys; a practised operator does not)."""
    from textual import events

    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


def test_a_headless_burst_lands_field_by_field(tmp_path: Path) -> None:
    """The gate without a terminal: F2, the number, Tab Tab, the place, Tab, the account, all
    posted before the form exists: each reaches its own field, none the command bar."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _board(pilot)
            _burst(app, "f2", *"13800000003", "tab", "tab", *"和平路5号", "tab", *"楼里停电了")
            await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen)
                             and app.screen.inputs["text"].value == "楼里停电了")
            assert isinstance(app.screen, IntakeScreen)
            values = {k: w.value for k, w in app.screen.inputs.items()}
            assert values == {"phone": "13800000003", "name": "", "address": "和平路5号", "text": "楼里停电了",
                              "category": ""}
            assert app.board.command.value == ""

    asyncio.run(scenario())
    services.close()


def test_a_headless_sign_in_burst(tmp_path: Path) -> None:
    """``bob Tab 0815 Enter`` posted at once at the sign-in screen signs bob in."""
    services = _services(tmp_path)
    services.enrol_operator("bob", "张三", "0815")

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: type(app.screen).__name__ == "SignInScreen"
                             and isinstance(app.focused, Input))
            _burst(app, *"bob", "tab", *"0815", "enter")
            await wait_until(pilot, lambda: one_row(services.store,
                "SELECT count(*) FROM events WHERE kind = 'operator.signed_in'")[0] == 1)
            assert '"bob"' in one_row(services.store,
                "SELECT payload FROM events WHERE kind = 'operator.signed_in'")[0]

    asyncio.run(scenario())
    services.close()


ESC_HOME = [
    ("f3", "RosterScreen"), ("ctrl+k", "RollCallScreen"), ("f1", "HelpScreen"), ("enter", "IncidentScreen"),
    ("f2", "IntakeScreen"), ("ctrl+s", "StepDialog"), ("ctrl+w", "ShiftHandoverScreen"), ("f8", "UnitPicker"),
]


@pytest.mark.parametrize(("key", "name"), ESC_HOME, ids=[n for _, n in ESC_HOME])
def test_esc_always_comes_home_with_the_selection_intact(tmp_path: Path, key: str, name: str) -> None:
    """Order 2 selected; a key opens a screen or dialog; Esc: the board again, focused, with
    order 2 still selected and drawn (F5 is tested in the table above)."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _board(pilot)
            await pilot.press("down", key)
            await wait_until(pilot, lambda: type(app.screen).__name__ == name)
            await pilot.press("escape")
            await wait_until(pilot, lambda: _board_focused_on(2)(app))

    asyncio.run(scenario())
    services.close()
