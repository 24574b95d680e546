"""The assessment screen (考核): ctrl+x from the board and ``kh`` on the command bar open it;
the per-unit table sorts by the cursor's column, Enter shows the orders behind a figure, the
bar chart follows the cursor's rate column, ctrl+p goes to the previous month."""

from __future__ import annotations

import asyncio
from pathlib import Path

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.assessment import SHOWN, AssessmentScreen


def _services(tmp_path: Path) -> tuple[Services, FakeClock]:
    clock = FakeClock("2026-11-28T06:00:00Z")
    s = open_services(tmp_path / "tui.db", clock=clock)
    first = s.new_call(phone="13800000001", text="停电", address="人民路12号", category="power_supply")
    quick = s.issue_order(first.incident.no, "power").no
    late = s.issue_order(first.incident.no, "water").no
    clock.advance(minutes=1)
    s.step(quick, "ack")
    clock.advance(minutes=9)
    s.step(late, "ack")                                # due at 14:05: late
    clock.advance(hours=3)
    return s, clock


def _column(key: str) -> int:
    return [k for k, _ in SHOWN].index(key)


def test_the_assessment_screen_sorts_drills_down_and_charts(tmp_path: Path) -> None:
    services, _ = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+x")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, AssessmentScreen)
            assert "考核 2026-11-01 — 2026-11-30" in str(screen.title_line.render())
            table = screen.table
            assert table.row_count == len(services.catalog.units)
            # sort by the ack on-time rate, lowest first after a second ctrl+s
            table.move_cursor(row=0, column=_column("ack_rate"))
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert screen.sort_key == "ack_rate" and screen.sort_reverse
            assert [r[0] for r in screen.rows[:2]] == ["power", "water"]
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not screen.sort_reverse
            assert [r[0] for r in screen.rows if r[2]] == ["water", "power"]
            chart = str(screen.chart.render())
            assert "签收准时率" in chart and "#" * 20 in chart
            # Enter on water's ack rate: the order behind the late figure
            row = [r[0] for r in screen.rows].index("water")
            table.move_cursor(row=row, column=_column("ack_rate"))
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            detail = str(screen.detail.render())
            assert "县水务局" in detail and "派单 2" not in detail   # acked late: no list entry
            table.move_cursor(row=row, column=_column("arrive_rate"))
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            detail = str(screen.detail.render())
            assert "派单 2" in detail and "签收后未到场也未反馈" in detail   # 联而不动
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert screen.period.first.isoformat() == "2026-10-01"
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, AssessmentScreen)
            await pilot.press("f4")
            for ch in "kh":
                await pilot.press(ch)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, AssessmentScreen)

    asyncio.run(scenario())
    services.close()


def test_the_rollcall_reminder_shows_on_the_board_and_ctrl_k_opens_the_rollcall(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[schedule]\nrollcall = "0 9,21 * * *"\nroster_reminder = ""\n'
                      'monthly_assessment = ""\n', encoding="utf-8")
    clock = FakeClock("2026-11-28T06:00:00Z")          # 14:00 in Shanghai
    services = open_services(tmp_path / "tui.db", clock=clock, config_path=config)

    async def scenario() -> None:
        from screens.rollcall import RollCallScreen

        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.run_schedule()                         # first seen: counts from 14:00
            clock.set("2026-11-28T13:00:00Z")          # 21:00
            app.run_schedule()
            await pilot.pause()
            answer = str(app.board.answer.render())
            assert "点名时间到" in answer and "ctrl+k" in answer
            await pilot.press("ctrl+k")
            await pilot.pause()
            assert isinstance(app.screen, RollCallScreen)
            app.run_schedule()                         # not again at 21:00
            await pilot.pause()

    asyncio.run(scenario())
    assert services.scheduler.tick() == []
    services.close()
