"""F3 roster: every unit with its duty phone and on-call state, filters and pinyin search."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.incident import IncidentScreen
from screens.roster import RosterScreen

DAY = "2026-11-30T02:00:00Z"     # Monday 10:00 in the center's zone: office hours
NIGHT = "2026-11-28T15:00:00Z"   # Saturday 23:00 local


def _services(tmp_path: Path, at: str = DAY) -> tuple[Services, FakeClock]:
    clock = FakeClock(at)
    return open_services(tmp_path / "roster.db", clock=clock), clock


def _row(screen: RosterScreen, code: str) -> str:
    table = screen.query_one(DataTable)
    return " ".join(cell.plain for cell in table.get_row(code))


def _rows(screen: RosterScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [" ".join(cell.plain for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def _open(app: LinkageApp, pilot: Pilot[Any]) -> RosterScreen:
    await pilot.pause()
    await pilot.press("f3")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, RosterScreen)
    return screen


async def _type(pilot: Pilot[Any], text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def test_roster_lists_every_unit_with_phone_and_state(tmp_path: Path) -> None:
    """All 58 units, in registry order, each with its duty phone, tier and a duty state."""
    services, _ = _services(tmp_path)
    units = list(services.catalog.units.values())

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _open(app, pilot)
            table = screen.query_one(DataTable)
            assert table.row_count == len(units) == 58
            assert screen.shown == [u.code for u in units]
            power = _row(screen, "power")
            assert "县供电局" in power and "一级" in power and "0000-" in power and "值班中" in power
            assert units[0].name_zh in str(screen.detail.render())
            assert "共 58 · 值班中" in str(screen.title_line.render())
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.board

    asyncio.run(scenario())
    services.close()


def test_search_gdj_puts_power_bureau_first(tmp_path: Path) -> None:
    """Pinyin initials `gdj` find 县供电局 first; the filter line shows the search."""
    services, _ = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _open(app, pilot)
            await _type(pilot, "gdj")
            await pilot.pause()
            rows = _rows(screen)
            assert rows and "县供电局" in rows[0]
            assert len(rows) < 58
            assert "“gdj”" in str(screen.filter_line.render())
            # Enter moves to the table; the detail pane describes the first hit
            await pilot.press("enter")
            await pilot.pause()
            assert screen.focused is screen.query_one(DataTable)
            detail = str(screen.detail.render())
            assert "县供电局" in detail and "值班地点" in detail and "未备案" in detail
            # ctrl+l clears search and filters
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert len(_rows(screen)) == 58 and screen.search.value == ""

    asyncio.run(scenario())
    services.close()


def test_tier_filter_leaves_only_tier_one(tmp_path: Path) -> None:
    """ctrl+t cycles the tier filter: 一级 leaves exactly the tier-1 units."""
    services, _ = _services(tmp_path)
    tier1 = [u.code for u in services.catalog.units.values() if u.tier == 1]

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _open(app, pilot)
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert screen.shown == tier1
            assert all(row.startswith("一级") for row in _rows(screen))
            assert "级别 一级" in str(screen.filter_line.render())
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert all(row.startswith("二级") for row in _rows(screen))
            # kind and category filters combine with it
            await pilot.press("ctrl+l", "ctrl+g")     # first category: 刑事案件 → police
            await pilot.pause()
            assert "psb" in screen.shown and "power" not in screen.shown
            assert "类别 刑事案件" in str(screen.filter_line.render())

    asyncio.run(scenario())
    services.close()


def test_unit_with_open_orders_shows_busy_with_count(tmp_path: Path) -> None:
    """Two open orders for the power bureau: it reads 忙碌 2单, and F3 again recomputes after a close."""
    services, clock = _services(tmp_path)
    for i, text in enumerate(("小区停电两个小时了", "整条街停电")):
        services.new_call(phone=f"1380000000{i}", text=text, address=f"人民路{i}号", category="power_supply")
    services.issue_order(1, "power")
    services.issue_order(2, "power")

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _open(app, pilot)
            assert "忙碌 2单" in _row(screen, "power")
            assert "值班中" in _row(screen, "water_co")
            assert "忙碌 1 ·" in str(screen.title_line.render())
            # arrows move the table's cursor from the search box; Enter opens the unit's incident
            await _type(pilot, "gdj")
            await pilot.press("down", "up")
            await pilot.pause()
            assert screen.selected_code() == "power"
            assert "当前派单 2 条" in str(screen.detail.render())
            await pilot.press("enter", "enter")   # search → table, table row → incident
            await pilot.pause()
            assert isinstance(app.screen, IncidentScreen)
            assert app.screen.detail is not None and app.screen.detail.incident.no in (1, 2)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("escape")
            await pilot.pause()
            services.step(1, "ack")
            services.step(1, "complete")
            clock.advance(minutes=1)
            await pilot.press("f3")
            await pilot.pause()
            assert isinstance(app.screen, RosterScreen)
            assert "忙碌 1单" in _row(app.screen, "power")

    asyncio.run(scenario())
    services.close()


def test_office_hours_unit_is_off_duty_at_night(tmp_path: Path) -> None:
    """23:00 local: an office-hours unit is off duty, a 24-hour unit on duty; ctrl+r recomputes."""
    services, clock = _services(tmp_path, NIGHT)
    office = next(u for u in services.catalog.units.values() if u.duty_hours.startswith("mon-fri"))

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _open(app, pilot)
            assert "非值班时段" in _row(screen, office.code)
            assert "工作时间" in _row(screen, office.code)
            assert "值班中" in _row(screen, "power")
            await pilot.press("ctrl+o")            # on duty only
            await pilot.pause()
            assert office.code not in screen.shown and "power" in screen.shown
            await pilot.press("ctrl+o")
            clock.set(DAY)
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert "值班中" in _row(screen, office.code)

    asyncio.run(scenario())
    services.close()


def test_roster_in_english(tmp_path: Path) -> None:
    """English UI: column heads, tier, state and unit names in English; footer keys localized."""
    services, _ = _services(tmp_path, NIGHT)

    async def scenario() -> None:
        app = LinkageApp(services, "en", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _open(app, pilot)
            table = screen.query_one(DataTable)
            heads = [c.label.plain for c in table.columns.values()]
            assert heads[:4] == ["tier", "unit", "status", "duty phone"]
            power = _row(screen, "power")
            assert "tier 1" in power and "County Power Supply Bureau" in power and "on duty" in power
            assert "off duty" in _row(screen, "petition") and "office hours" in _row(screen, "petition")
            descriptions = {b.description for _, b, *_ in screen.active_bindings.values()}
            assert {"tier", "search", "back to board"} <= descriptions
            assert "showing 58/58" in str(screen.filter_line.render())

    asyncio.run(scenario())
    services.close()


def test_filed_roster_shows_the_person_and_phone_on_shift_and_turns_over_at_the_change(
        tmp_path: Path) -> None:
    """The power bureau files 张三 (day, vehicle 皖A-001) and 李四 (night, own phone): the row and
    the detail show whoever is on shift now, and a refresh after 20:00 shows the night man."""
    from datetime import datetime

    from console.duty.rosters import Shift

    services, clock = _services(tmp_path)
    day = datetime.fromisoformat("2026-11-30T00:00:00+08:00")
    morning = datetime.fromisoformat("2026-12-01T08:00:00+08:00")
    services.file_roster({"power": [
        Shift("power", day.replace(hour=8), day.replace(hour=20), "张三", "0000-1111", vehicle="皖A-001"),
        Shift("power", day.replace(hour=20), morning, "李四", "0000-2222"),
    ]}, period=(day, morning))

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _open(app, pilot)
            row = _row(screen, "power")
            assert "张三" in row and "0000-1111" in row, row
            await _type(pilot, "gdj")
            await pilot.press("enter")
            await pilot.pause()
            detail = str(screen.detail.render())
            assert "值班表：张三 2026-11-30 08:00:00–2026-11-30 20:00:00 · 电话 0000-1111" in detail, detail
            assert "车辆 皖A-001" in detail
            clock.set("2026-11-30T13:00:00Z")       # 21:00 local
            await pilot.press("ctrl+r")
            await pilot.pause()
            row = _row(screen, "power")
            assert "李四" in row and "0000-2222" in row and "张三" not in row, row

    asyncio.run(scenario())
    services.close()
