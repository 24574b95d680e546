"""Raising an incident (ctrl+a) and reporting upward (ctrl+x) from the incident screen, by keys
only: the grade and every report lands in the store, and the clocks on screen turn to done."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static, TextArea

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.dialogs.step import StepDialog
from screens.incident import IncidentScreen
from screens.upward_report import UpwardReportScreen


def _services(tmp_path: Path) -> tuple[Services, FakeClock]:
    """A gas leak in a residential compound at 14:00, the gas company ordered."""
    clock = FakeClock("2026-11-28T06:00:00Z")
    s = open_services(tmp_path / "up.db", clock=clock)
    s.new_call(phone="13800000001", text="阳光小区3栋燃气泄漏，味道很大", address="人民路12号阳光小区",
               area="urban", category="gas_leak")
    s.issue_order(1, "gas")
    return s, clock


async def _type(pilot: Pilot[Any], text: str) -> None:
    for ch in text:
        await pilot.press(ch)


def _text(screen: Screen[Any]) -> str:
    return "\n".join(str(w.render()) for w in screen.query(Static) if w.display)


def _reports(services: Services) -> list[tuple[str, str, str, str]]:
    return [(r["kind"], r["to_whom"], r["via"], r["body"]) for r in services.store.all(
        "SELECT * FROM upward_reports ORDER BY reported_at, event_id")]


def test_raise_to_iii_then_file_the_phone_and_an_edited_written_report(tmp_path: Path) -> None:
    services, clock = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("enter")                     # the board's order: its incident
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            await pilot.press("ctrl+x")                    # not raised: refused on the screen
            await pilot.pause()
            assert app.screen is screen and "未定为预案级别" in _text(screen)

            await pilot.press("ctrl+a")
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)
            assert "规则建议" in _text(app.screen)
            await pilot.press("end", *["backspace"] * 12)
            await _type(pilot, "III")
            await pilot.press("tab", "end", *["backspace"] * 12)
            await _type(pilot, "事故灾难")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen, _text(app.screen)
            grade = services.grade_of(services.incident(1).incident.id)
            assert grade is not None and (grade.level.value, grade.type.value) == ("III", "accident")
            head = _text(screen)
            assert "较大（Ⅲ级）" in head and "电话首报 14:30 前，剩余 30:00" in head, head

            clock.advance(minutes=10)
            await pilot.press("ctrl+x")                    # the phone report: prefilled, ctrl+s
            await pilot.pause()
            form = app.screen
            assert isinstance(form, UpwardReportScreen)
            assert form.kind_field.value == "电话首报" and form.to_field.value == "县应急办值班室"
            assert form.via_field.value == "电话"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is screen, _text(app.screen)
            assert "电话首报 已报 14:10" in _text(screen)

            clock.advance(minutes=20)
            await pilot.press("ctrl+x")                    # next: the written report, edited
            await pilot.pause()
            form = app.screen
            assert isinstance(form, UpwardReportScreen)
            assert form.kind_field.value == "书面首报" and form.via_field.value == "传真"
            assert "关于人民路12号阳光小区燃气泄漏事件的书面首报" in form.body.text
            await pilot.press("tab", "tab", "tab", "tab")  # to, via, at, then the text
            await pilot.pause()
            assert isinstance(app.focused, TextArea)
            await _type(pilot, "已疏散居民 ")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is screen, _text(app.screen)
            head = _text(screen)
            assert "电话首报 已报 14:10" in head and "书面首报 已报 14:30" in head, head
            assert "续报 20:30 前" in head, head

    asyncio.run(scenario())
    rows = _reports(services)
    assert [r[:3] for r in rows] == [("initial_phone", "县应急办值班室", "phone"),
                                    ("initial_written", "县应急办值班室", "fax")]
    assert rows[1][3].startswith("已疏散居民 关于人民路12号阳光小区燃气泄漏事件的书面首报")
    assert "较大（Ⅲ级）" in rows[1][3] and "电话首报（电话） -> 县应急办值班室" in rows[1][3]
    services.close()


def test_a_refused_report_stays_on_the_form_with_the_reason(tmp_path: Path) -> None:
    services, _ = _services(tmp_path)
    services.grade(1, "IV", type="accident")

    async def scenario() -> None:
        app = LinkageApp(services, "en", tick_seconds=0)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("ctrl+x")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, UpwardReportScreen)
            assert form.kind_field.value == "initial_phone"
            await pilot.press("end", *["backspace"] * 14)
            await _type(pilot, "final")
            await pilot.press("ctrl+s")                    # the incident is still open
            await pilot.pause()
            assert app.screen is form
            assert "not closed yet" in _text(form)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, IncidentScreen)

    asyncio.run(scenario())
    assert _reports(services) == []
    services.close()
