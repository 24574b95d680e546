"""The board's change-driven refresh (screens/board.py ``tick``): an idle tick re-reads nothing,
a commit elsewhere reloads, a passing second moves the countdowns, a passing deadline alarms.

Pilot on the real app, ``tick_seconds=0`` (the test calls ``tick()`` as the 1-s timer would),
a ``FakeClock`` moved by hand, a second real connection for "another process commits"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.widgets.board_view import COUNTDOWN_WIDTH

START = "2026-11-28T06:00:00Z"


def _countdown(app: LinkageApp, row: int = 1) -> str:
    """The countdown cell as painted (cells, not characters: CJK takes two)."""
    view = app.board.board_view
    return view.render_line(row).crop(view.countdown_x, view.countdown_x + COUNTDOWN_WIDTH).text.strip()


def _drive(services: Services, body: Callable[[LinkageApp, Pilot[int]], Awaitable[None]]) -> None:
    app = LinkageApp(services, "zh", tick_seconds=0)

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await body(app, pilot)

    asyncio.run(scenario())


class Counted:
    """Counts the board queries the screen makes (the real query still runs)."""

    def __init__(self, services: Services) -> None:
        self.calls = 0
        self.real = services.board

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.real(*args, **kwargs)


def test_an_idle_tick_reads_nothing_and_a_commit_elsewhere_reloads(tmp_path: Path) -> None:
    clock = FakeClock(START)
    services = open_services(tmp_path / "seat.db", clock=clock)
    incident = services.new_call(phone="13800000001", text="小区停水了", address="人民路1号",
                                 category="water_supply").incident
    services.issue_order(incident.no, "water")

    async def body(app: LinkageApp, pilot: Pilot[int]) -> None:
        counted = Counted(services)
        services.board = counted  # type: ignore[method-assign]
        shown = _countdown(app)
        for _ in range(5):                                  # the same second: nothing to do
            app.board.tick()
        assert counted.calls == 0 and _countdown(app) == shown
        clock.advance(1)
        app.board.tick()
        await pilot.pause()
        assert counted.calls == 0                           # a second passed: no query …
        assert _countdown(app) != shown and _countdown(app).endswith("4:59")   # … the countdown moved
        other = open_services(tmp_path / "seat.db", clock=clock)      # another process commits
        second = other.new_call(phone="13800000002", text="路灯不亮", address="人民路2号",
                                category="water_supply").incident
        other.issue_order(second.no, "water")
        other.close()
        app.board.tick()
        await pilot.pause()
        assert counted.calls == 1 and len(app.board.board_view.rows) == 2

    _drive(services, body)
    services.close()


def test_a_deadline_passing_alarms_without_any_change_in_the_store(tmp_path: Path) -> None:
    clock = FakeClock(START)
    services = open_services(tmp_path / "seat.db", clock=clock)
    incident = services.new_call(phone="13800000001", text="小区停水了", address="人民路1号",
                                 category="water_supply").incident
    services.issue_order(incident.no, "water")

    async def body(app: LinkageApp, pilot: Pilot[int]) -> None:
        board = app.board
        assert not board.unacknowledged and board._next_due is not None
        clock.set(board._next_due)                          # at the deadline: not yet overdue
        board.tick()
        assert not board.unacknowledged
        clock.advance(1)                                    # a second past it
        board.tick()
        await pilot.pause()
        assert len(board.unacknowledged) == 1 and board.alarm_banner.display
        assert "超时" in _countdown(app)
        assert "超时 1" in str(board.status.render())         # the status line counts it

    _drive(services, body)
    services.close()
