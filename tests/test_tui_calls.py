"""The incoming-calls panel on the board, and F6 answering, driven with Pilot.

The app runs with ``tick_seconds=0``: the panel's timer is off and each test calls ``poll()``
after writing feed lines, with a ``FakeClock`` moved by hand. Size is fixed at 80×24, the
smallest terminal the console must fit.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from console.kernel.clock import FakeClock, iso
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.widgets.calls_panel import CallsPanel

START = "2026-11-28T06:00:00Z"
HAS_INTAKE = importlib.util.find_spec("screens.intake") is not None


def ring(path: Path, clock: FakeClock, ref: str, phone: str, **extra: Any) -> None:
    event = {"v": 1, "type": "ring", "call_ref": ref, "phone": phone, "line": "2",
             "at": iso(clock.now()), **extra}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event, ensure_ascii=False) + "\n")


@pytest.fixture
def env(tmp_path: Path) -> Any:
    clock = FakeClock(START)
    services = open_services(tmp_path / "tui.db", clock=clock)
    yield services, clock, tmp_path / "callfeed.jsonl"
    services.close()


def drive(services: Services, lang: str, body: Callable[[LinkageApp, Pilot[int], CallsPanel], Awaitable[None]]
          ) -> LinkageApp:
    app = LinkageApp(services, lang, tick_seconds=0)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await body(app, pilot, app.screen.query_one(CallsPanel))

    asyncio.run(scenario())
    return app


def shown(panel: CallsPanel) -> str:
    return "\n".join(t.plain for t in panel.lines())


def test_a_ring_shows_the_number_and_the_callers_history(env: Any) -> None:
    """Ring → poll → the panel (hidden before) shows number, line, ring time and earlier calls."""
    services, clock, feed = env
    services.new_call(phone="13800000123", text="小区停电两个小时了", address="人民路12号",
                      category="power_supply")
    clock.advance(hours=3)
    power = services.catalog.categories["power_supply"].name_zh

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        panel.poll()
        await pilot.pause()
        assert panel.display is False                      # nothing ringing: no line spent
        ring(feed, clock, "c1", "13800000123", caller_name="[b]王女士[/i]")
        panel.poll()
        clock.advance(7)
        panel.poll()
        await pilot.pause()
        assert panel.display is True and bells == [1]      # one bell per ring, not per poll
        text = shown(panel)
        assert "13800000123" in text and "线路2" in text and "振铃 0:07" in text
        assert f"来过1次，上次 11-28 14:00 {power}" in text
        assert "[b]王女士[/i]" in text                     # caller data is text, never markup
        assert 1 <= panel.region.height <= 3
        assert app.screen.query_one("#command").region.bottom <= 23   # the command bar still fits

    drive(services, "zh", body)


def test_an_unknown_caller_and_a_withheld_number(env: Any) -> None:
    services, clock, feed = env

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        ring(feed, clock, "a", "13900000111")
        ring(feed, clock, "b", "")
        panel.poll()
        await pilot.pause()
        first, second = panel.lines()
        assert "13900000111" in first.plain and "no earlier calls" in first.plain
        assert "number withheld" in second.plain and "hidden" not in second.plain

    drive(services, "en", body)


def test_f6_answers_the_oldest_ring_and_asks_for_a_new_call_with_its_number(
        env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Independent of the intake screen: F6 calls ``action_new_call(phone=...)``."""
    services, clock, feed = env
    opened: list[str | None] = []

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        monkeypatch.setattr(app, "action_new_call", lambda phone=None, **_: opened.append(phone))
        ring(feed, clock, "old", "13800000123")
        clock.advance(3)
        ring(feed, clock, "new", "13900000111")
        panel.poll()
        await pilot.press("f6")
        assert opened == ["13800000123"]
        assert panel.feed is not None
        assert [c.call_ref for c in panel.feed.ringing()] == ["new"]
        assert [c.call_ref for c in panel.answered] == ["old"]
        await pilot.press("f6")
        assert opened == ["13800000123", "13900000111"]
        await pilot.pause()
        assert panel.display is False
        await pilot.press("f6")                            # nothing ringing: a hint, no form
        assert len(opened) == 2
        assert "No call is ringing" in str(app.screen.query_one("#answer").render())

    drive(services, "en", body)


@pytest.mark.skipif(not HAS_INTAKE, reason="screens/intake.py is not there yet")
def test_f6_opens_the_intake_form_with_the_number_filled_and_the_words_not(env: Any) -> None:
    """The real thing: the intake screen opens with the phone; the training "say" is only shown,
    on the form's message line (issue 12 item 7: training notes in a panel, not a toast)."""
    from screens.intake import IntakeScreen

    services, clock, feed = env

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        ring(feed, clock, "c1", "13800000123", say="我们小区停电两个多小时了")
        panel.poll()
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.query_one("#intake-phone", Input).value == "13800000123"
        assert app.screen.query_one("#intake-text", Input).value == ""
        assert "停电两个多小时" in str(app.screen.query_one("#intake-message").render())
        assert not any("停电两个多小时" in n.message for n in app._notifications)

    drive(services, "zh", body)


def test_a_ring_nobody_answers_becomes_a_dim_missed_line(env: Any) -> None:
    services, clock, feed = env

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        ring(feed, clock, "a", "13800000123")
        panel.poll()
        clock.advance(services.config.callfeed.ring_timeout_seconds)
        panel.poll()
        await pilot.pause()
        [missed] = panel.lines()
        assert missed.plain.startswith("missed 1 (ctrl+b calls back): ")
        assert "#1 13800000123 14:00 unanswered" in missed.plain
        assert str(missed.style) == "dim"
        assert panel.display is True
        # issue 12: a missed call is owed a call back, so it no longer leaves the screen after
        # ten minutes; it stays until called back (ctrl+b) or dismissed
        clock.advance(minutes=11)
        panel.poll()
        await pilot.pause()
        assert panel.display is True and "13800000123" in shown(panel)

    drive(services, "en", body)


def test_many_rings_fit_in_three_lines(env: Any) -> None:
    services, clock, feed = env

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        for n in range(5):
            ring(feed, clock, f"r{n}", f"1380000012{n}")
            clock.advance(1)
        panel.poll()
        await pilot.pause()
        lines = panel.lines()
        assert len(lines) == 3 and "13800000120" in lines[0].plain
        assert "3 more ringing" in lines[2].plain
        assert panel.region.height == 3

    drive(services, "en", body)


def test_a_ring_behind_another_screen_raises_a_toast(env: Any) -> None:
    services, clock, feed = env

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        await pilot.press("f1")                           # help covers the board
        await pilot.pause()
        ring(feed, clock, "a", "13800000123")
        panel.poll()
        await pilot.pause()
        assert any("13800000123" in n.message and "F6" in n.message for n in app._notifications)

    drive(services, "en", body)


def test_a_broken_feed_is_shown_not_fatal(env: Any) -> None:
    services, _, _ = env

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        def boom() -> tuple[list[Any], list[Any]]:
            raise PermissionError("permission denied")

        assert panel.feed is not None
        panel.feed.poll = boom  # type: ignore[method-assign]  # the feed's poll fails, on purpose
        panel.poll()
        await pilot.pause()
        assert "permission denied" in shown(panel) and panel.display is True

    drive(services, "en", body)


# -- phone state over a restart (issue 12 item 5) ------------------------------------------------
def hangup(path: Path, clock: FakeClock, ref: str, phone: str) -> None:
    ring(path, clock, ref, phone, type="hangup")


def test_restart_keeps_the_phone_state(tmp_path: Path) -> None:
    """ring → answer (F6) → restart → not ringing; ring → hang up → restart → still listed as
    missed until called back (ctrl+b, which opens the intake form with the number and the
    switch's name, and records the call back)."""
    from screens.intake import IntakeScreen

    clock = FakeClock(START)
    db, feed = tmp_path / "tui.db", tmp_path / "callfeed.jsonl"

    async def first(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        ring(feed, clock, "answered-here", "13800000123")
        ring(feed, clock, "gave-up", "13900000111", caller_name="王女士")
        panel.poll()
        await pilot.press("f6")                                  # answers the first ring
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press("escape")
        clock.advance(9)
        hangup(feed, clock, "gave-up", "13900000111")            # the caller hangs up unanswered
        panel.poll()
        await pilot.pause()
        assert panel.feed is not None
        assert "gave-up" not in [c.call_ref for c in panel.feed.ringing()]

    services = open_services(db, clock=clock)
    drive(services, "zh", first)
    services.close()
    clock.advance(20)                                            # both rings are within the catch-up

    async def second(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        panel.poll()
        await pilot.pause()
        assert panel.feed is not None and panel.feed.ringing() == []
        text = shown(panel)
        assert "来电" not in text.split("未接")[0]               # nothing rings again
        assert "未接 1" in text and "13900000111" in text and "已挂断" in text
        clock.advance(minutes=30)                                # long after: still owed
        panel.poll()
        await pilot.pause()
        assert "13900000111" in shown(panel)
        await pilot.press("ctrl+b")                              # call back: one key
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.query_one("#intake-phone", Input).value == "13900000111"
        assert app.screen.query_one("#intake-name", Input).value == "王女士"
        await pilot.press("escape")
        await pilot.pause()
        assert "13900000111" not in shown(panel)

    services = open_services(db, clock=clock)
    drive(services, "zh", second)
    rows = {r["call_ref"]: (r["state"], r["settled_how"]) for r in services.store.all(
        "SELECT call_ref, state, settled_how FROM phone_calls")}
    assert rows == {"answered-here": ("answered", ""), "gave-up": ("missed", "called_back")}
    services.close()


def test_f6_prefills_the_switchs_name_and_a_withheld_number_in_words(env: Any) -> None:
    """王女士 from the switch lands in the name field; a withheld number is 未显示号码, and the
    record then holds the caller's name and no number (never the word hidden)."""
    from screens.intake import IntakeScreen

    services, clock, feed = env

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        ring(feed, clock, "c1", "", caller_name="王女士")
        panel.poll()
        await pilot.pause()
        assert "未显示号码" in shown(panel) and "hidden" not in shown(panel)
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.query_one("#intake-phone", Input).value == "未显示号码"
        assert app.screen.query_one("#intake-name", Input).value == "王女士"
        for ch in "停电了":
            await pilot.press(ch)
        await pilot.press("ctrl+s")
        await pilot.pause()

    drive(services, "zh", body)
    row = services.store.one("SELECT phone, caller_name FROM incidents")
    assert tuple(row) == ("", "王女士")


def test_a_missed_call_can_be_dismissed_by_command(env: Any) -> None:
    from console.commands.grammar import run

    services, clock, feed = env

    async def body(app: LinkageApp, pilot: Pilot[int], panel: CallsPanel) -> None:
        ring(feed, clock, "a", "")
        panel.poll()
        clock.advance(services.config.callfeed.ring_timeout_seconds)
        panel.poll()
        await pilot.press("ctrl+b")                             # no number to dial: says how to clear
        assert "missed dismiss 1" in str(app.screen.query_one("#answer").render())
        out = run(services, "missed dismiss 1", "en")
        assert out.data["call"]["settled_how"] == "dismissed"
        panel.poll()
        await pilot.pause()
        assert panel.display is False

    drive(services, "zh", body)
