"""The roll-call screen (点名) driven by keys only: ctrl+k opens it from the board, enter /
ctrl+n / ctrl+x record answered / not answered / wrong person, f7 adds a note first, the cursor
moves to the next unit not yet called, and the day's summary shows when all are called."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from console.duty import rollcall
from console.duty.rosters import Shift
from console.kernel.clock import FakeClock, parse_instant
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.rollcall import RollCallScreen

TIER1 = 31


def _services(tmp_path: Path) -> Services:
    services = open_services(tmp_path / "rollcall.db", clock=FakeClock("2026-11-28T06:00:00Z"))
    services.file_roster({"psb": [Shift("psb", parse_instant("2026-11-28T00:00:00Z"),
                                        parse_instant("2026-11-28T12:00:00Z"), "赵刚", "0000-1010099")]})
    return services


def _calls(services: Services) -> list[tuple]:
    return [tuple(r) for r in services.store.all(
        "SELECT unit, result, duty_person, duty_phone, note FROM rollcall_calls ORDER BY event_id")]


def _text(screen: RollCallScreen) -> str:
    return "\n".join(str(w.render()) for w in (screen.title_line, screen.current, screen.message))


async def _open(app: LinkageApp, pilot: Pilot[Any]) -> RollCallScreen:
    await pilot.pause()
    await pilot.press("ctrl+k")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, RollCallScreen)
    return screen


def test_walk_record_with_keys_and_see_the_summary(tmp_path: Path) -> None:
    services = _services(tmp_path)
    codes = [u.code for u in services.catalog.units.values() if u.tier == 1]

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _open(app, pilot)
            text = _text(screen)
            assert "县公安局" in text and "0000-1010099" in text and "赵刚" in text   # the roster's
            assert "未点名 31" in text
            await pilot.press("enter")                   # psb answered → cursor to press
            await pilot.pause()
            assert _calls(services) == [("psb", "answered", "赵刚", "0000-1010099", "")]
            assert screen.selected is not None and screen.selected.unit.code == codes[1]
            await pilot.press("ctrl+n")                  # press: not answered
            await pilot.press("ctrl+x")                  # health: wrong person
            await pilot.press("f7")                      # housing: a note, then not answered
            for ch in "call back 10min":
                await pilot.press(ch if ch != " " else "space")
            await pilot.press("enter")
            await pilot.press("ctrl+n")
            await pilot.pause()
            housing = services.catalog.unit("housing")
            assert _calls(services)[1:] == [
                ("press", "no_answer", "", services.catalog.unit("press").duty_phone, ""),
                ("health", "wrong_person", "", services.catalog.unit("health").duty_phone, ""),
                ("housing", "no_answer", "", housing.duty_phone, "call back 10min")]
            # back up to press and call it again: both attempts kept, the list shows the latest
            await pilot.press("up", "up", "up")
            await pilot.pause()
            assert screen.selected is not None and screen.selected.unit.code == "press"
            await pilot.press("enter")
            await pilot.pause()
            assert [r[:2] for r in _calls(services) if r[0] == "press"] == [
                ("press", "no_answer"), ("press", "answered")]
            # the cursor skipped the called units to the first one not yet called
            assert screen.selected is not None and screen.selected.unit.code == codes[4]
            assert "已记录：县政府新闻办 已接听" in _text(screen)
            for _ in range(TIER1 - 4):
                await pilot.press("enter")
            await pilot.pause()
            assert len(_calls(services)) == TIER1 + 1
            text = _text(screen)
            assert "本轮点名完成" in text
            assert "今日点名汇总：已接听 29 / 未接听 1 / 非值班人员 1（共 31，未点名 0）" in text
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.board

    asyncio.run(scenario())
    services.close()


def test_command_bar_opens_it_and_a_new_round_in_english(tmp_path: Path) -> None:
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "en", tick_seconds=0)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            await pilot.press("f4")
            for ch in "dm":
                await pilot.press(ch)
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, RollCallScreen)
            assert "Tier 1 roll-call" in _text(screen) and "County Public Security Bureau" in _text(screen)
            await pilot.press("ctrl+x")
            await pilot.pause()
            first = services.store.all("SELECT round_id FROM rollcall_calls")[0][0]
            await pilot.press("ctrl+r")                   # a second pass the same day
            await pilot.pause()
            assert "new round" in _text(screen)
            assert screen.selected is not None and screen.selected.unit.code == "psb"
            await pilot.press("enter")
            await pilot.pause()
            rounds = [r[0] for r in services.store.all(
                "SELECT round_id FROM rollcall_calls ORDER BY event_id")]
            assert rounds[0] == first and rounds[1] != first
            assert "recorded: County Public Security Bureau answered" in _text(screen)
            # f7 then escape drops the note and stays on the screen; escape again: the board
            await pilot.press("f7", "x", "escape")
            await pilot.pause()
            assert app.screen is screen and isinstance(screen, RollCallScreen) and screen.note.value == ""
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.board
            # `rollcall` in the command bar opens it too, on the current (second) round
            await pilot.press("f4")
            for ch in "rollcall":
                await pilot.press(ch)
            await pilot.press("enter")
            await pilot.pause()
            again = app.screen
            assert isinstance(again, RollCallScreen) and again.round_id == rounds[1]

    asyncio.run(scenario())
    services.close()


def test_another_seats_call_and_a_shift_change_show_without_leaving_the_screen(tmp_path: Path) -> None:
    """The refresh (a timer in the running console; called directly here, tick_seconds=0) picks up
    a call recorded by another connection, and at 20:00 local the roster's next person."""
    services = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _open(app, pilot)
            other = open_services(services.store.path, clock=services.ctx.clock)  # as the CLI would
            try:
                rollcall.record(other, "health", "no_answer")
            finally:
                other.close()
            screen._refresh_if_changed()
            await pilot.pause()
            table = screen.table
            assert "未接听" in " ".join(c.plain for c in table.get_row("health"))
            assert "赵刚" in " ".join(c.plain for c in table.get_row("psb"))
            assert isinstance(services.ctx.clock, FakeClock)
            services.ctx.clock.set("2026-11-28T12:01:00Z")    # 20:01 local: 赵刚's shift is over
            screen._refresh_if_changed()
            await pilot.pause()
            assert "赵刚" not in " ".join(c.plain for c in table.get_row("psb"))

    asyncio.run(scenario())
    services.close()
