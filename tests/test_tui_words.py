"""Issue 12 item 13, the words: every field labelled, levels in words, refusals in TUI words,
full-width punctuation kept in notes, a roster clock that ticks and Chinese names in Chinese.

Dialogs are opened by keys on a board of three open orders (tests/burst.py ``seed_board``);
what the dialog shows is read from its widgets, what it did from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from burst import NOW, seed_board
from conftest import one_row
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.commands.grammar import run, tokenize
from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp


def _services(tmp_path: Path) -> Services:
    services = open_services(tmp_path / "words.db", clock=FakeClock(NOW))
    seed_board(services, orders=3, waiting=False)
    return services


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    waited = 0.0
    while not predicate():
        assert waited < timeout, f"not reached in time: {pilot.app.screen_stack}"
        await pilot.pause(0.05)
        waited += 0.05


def _texts(app: LinkageApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)


def _open(app: LinkageApp, pilot: Pilot[Any], key: str) -> Any:
    async def go() -> None:
        await wait_until(pilot, lambda: app.board.board_view.has_focus)
        await pilot.press(key)
        await wait_until(pilot, lambda: type(app.screen).__name__ == "StepDialog"
                         and isinstance(app.focused, Input))
    return go()


def test_urge_dialog_labels_its_fields_in_chinese(tmp_path: Path) -> None:
    """ctrl+u: the fields say 催办对象 and 方式 beside them, and 方式 reads 电话, not ``phone``."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _open(app, pilot, "ctrl+u")
            text = _texts(app)
            assert "催办对象" in text and "方式" in text and "时间" in text
            assert app.screen.query_one("#step-how", Input).value == "电话"
            await pilot.press("enter")
            await wait_until(pilot, lambda: one_row(services.store,
                "SELECT count(*) FROM order_urges")[0] == 1)
            assert one_row(services.store, "SELECT how FROM order_urges")[0] == "phone"

    asyncio.run(scenario())
    services.close()


def test_supervise_level_in_words(tmp_path: Path) -> None:
    """ctrl+e: the level reads 一级督办; with a reason typed, Enter records level 1; 二级督办
    typed over it records level 2."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _open(app, pilot, "ctrl+e")
            assert app.screen.query_one("#step-level", Input).value == "一级督办"
            assert "督办级别" in _texts(app)
            app.screen.query_one("#step-level", Input).value = "二级督办"
            await pilot.press("tab", *"超时未签收", "enter")
            await wait_until(pilot, lambda: one_row(services.store,
                "SELECT count(*) FROM order_supervisions")[0] == 1)
            assert one_row(services.store, "SELECT level FROM order_supervisions")[0] == 2

    asyncio.run(scenario())
    services.close()


def test_a_refusal_names_the_field_not_the_cli_flag(tmp_path: Path) -> None:
    """ctrl+r and Enter without a reason: the dialog says 退单必须填写原因（“原因”一栏）, never
    ``--reason``; nothing is written."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _open(app, pilot, "ctrl+r")
            before = one_row(services.store, "SELECT count(*) FROM events")[0]
            await pilot.press("enter")
            error = app.screen.query_one("#step-error", Static)
            await wait_until(pilot, lambda: "原因" in str(error.render()))
            assert "“原因”一栏" in str(error.render()) and "--" not in str(error.render())
            assert one_row(services.store, "SELECT count(*) FROM events")[0] == before

    asyncio.run(scenario())
    services.close()


def test_the_command_bar_keeps_full_width_punctuation_in_notes(tmp_path: Path) -> None:
    """``note 1 已关阀，正在疏散`` keeps its ``，``; structure still folds full-width digits."""
    services = _services(tmp_path)
    assert tokenize("ack ３ １４：０５") == ["ack", "3", "14:05"]
    run(services, "note 1 已关阀，正在疏散", "zh")
    notes = [r[0] for r in services.store.all(
        "SELECT json_extract(payload, '$.note') FROM events WHERE kind = 'incident.noted'")]
    assert notes == ["已关阀，正在疏散"]
    services.close()


def test_roster_clock_ticks_and_chinese_mode_shows_chinese_names(tmp_path: Path) -> None:
    """F3 with a live app clock: the title's time moves with the clock; the detail line of
    县公安局 in Chinese does not carry its English name."""
    services = _services(tmp_path)
    clock = services.ctx.clock

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=1)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("f3")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "RosterScreen")
            title = app.screen.query_one("#roster-title", Static)

            def local() -> str:
                return clock.now().astimezone(services.config.tz).strftime("%H:%M:%S")

            await wait_until(pilot, lambda: local() in str(title.render()))
            assert isinstance(clock, FakeClock)
            clock.advance(seconds=5)
            await wait_until(pilot, lambda: local() in str(title.render()))
            detail = str(app.screen.query_one("#roster-detail", Static).render())
            assert "County" not in detail, detail

    asyncio.run(scenario())
    services.close()
