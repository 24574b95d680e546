"""Incident detail: calls (with a merged repeat call), orders with reported step times, the
handover and reassignment chain, return reason, the two-time timeline, notes and step keys."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.dialogs.incident_note import NoteDialog
from screens.dialogs.picker import UnitPicker
from screens.dialogs.step import StepDialog
from screens.incident import IncidentScreen


def _services(tmp_path: Path) -> tuple[Services, FakeClock]:
    """#1 with a repeat call and a merged duplicate (#2); orders 1 psb (first contact) handed over
    to 2 power, 3 gas returned and reassigned to 4 housing. Steps carry reported times."""
    clock = FakeClock("2026-11-28T06:00:00Z")   # 14:00 in the center's zone
    s = open_services(tmp_path / "incident.db", clock=clock)
    s.new_call(phone="13800000001", caller_name="王五", text="小区停电两个小时了[/b]", address="人民路12号",
               category="power_supply")
    clock.advance(minutes=1)
    s.new_call(phone="13900000002", caller_name="李四", text="又停电了 [b]急[/b]", address="人民路12号",
               merge_into=1)                                     # repeat call attached at intake
    clock.advance(minutes=1)
    s.new_call(phone="13700000003", text="人民路也停电", address="人民路12号", category="power_supply")
    s.merge(2, 1)                                                 # a duplicate incident merged later
    clock.set("2026-11-28T06:15:00Z")                             # 14:15: the unit's times come in late
    s.issue_order(1, "psb", at="14:02")
    s.step(1, "ack", at="14:03")
    s.handover(1, "power", at="14:08", note="初步处置完毕")
    s.step(2, "ack", at="14:10")
    s.step(2, "depart", at="14:12")
    s.issue_order(1, "gas", at="14:13")
    s.step(3, "return", at="14:14", reason="非燃气问题，不属于本单位")
    s.reassign(3, "housing")                                      # now, 14:15
    return s, clock


def _rendered(widget: Widget) -> str:
    """What the widget draws, all of it (also the part scrolled out of view)."""
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def _screen_text(screen: IncidentScreen) -> str:
    return "\n".join(_rendered(w) for w in screen.query(Static) if w.display)


async def _open_from_board(app: LinkageApp, pilot: Pilot[Any]) -> IncidentScreen:
    await pilot.pause()
    await pilot.press("enter")              # Enter on the board's selected order
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, IncidentScreen)
    return screen


async def _type(pilot: Pilot[Any], text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def test_incident_shows_calls_first_contact_chain_return_and_both_times(tmp_path: Path) -> None:
    """Everything the dispatcher needs about #1 is on one scrollable screen, caller text literal."""
    services, clock = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _open_from_board(app, pilot)
            text = _screen_text(screen)
            assert "警情 #1 · 供电故障 · 城区 · 处置中/联动处置" in text
            # every call: the first, the repeat attached at intake, the merged duplicate's
            assert "来电 3 次" in text
            assert "13800000001 王五 [首次来电]：小区停电两个小时了[/b]" in text
            assert "13900000002 李四 [重复来电]：又停电了 [b]急[/b]" in text
            assert "13700000003 （未留姓名） [并入自 #2]：人民路也停电" in text
            # first contact, the handover chain and the reassignment with its return reason
            assert "首接单位：县公安局 (派单 1)" in text
            assert "派单 1 县公安局 [首接] -移交-> 派单 2 县供电局" in text
            assert "派单 3 县燃气公司 (退单) -改派-> 派单 4 县住房城乡建设局" in text
            assert "已移交给 派单 2 县供电局" in text and "移交自 派单 1 县公安局" in text
            assert re.search(r"退单原因：非燃气问题[,，]不属于本单位", text)
            assert "改派自 派单 3 县燃气公司" in text
            # steps with the times the unit reported, and when they were entered
            assert "签收 14:03:00 (记录于 14:15:00)" in text
            assert re.search(r"派单 2 +县供电局 +已出动 +到场剩余 \d+:\d\d", text)
            # timeline: happened and recorded side by side, readable event names, seat/operator
            assert re.search(r"14:03:00 +14:15:00 +签收 +seat-01/duty +派单 1 县公安局", text)
            assert re.search(r"14:14:00 +14:15:00 +退单 .*原因：非燃气问题", text)
            assert re.search(r"14:01:00 +14:01:00 +重复来电", text)
            assert re.search(r"14:02:00 +14:02:00 +合并 .*警情 #2 并入本警情", text)
            # the open orders' cards come first in focus: order 2 (the handover receiver)
            selected = screen.selected_order()
            assert selected is not None and selected.no == 2
            # a tick recomputes the countdown from the stored deadline at the new instant
            clock.advance(minutes=30)
            screen.tick()
            await pilot.pause()
            assert re.search(r"派单 2 +县供电局 +已出动 +到场超时 \d+:\d\d", _screen_text(screen))
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.board

    asyncio.run(scenario())
    services.close()


def test_note_by_keys_writes_an_incident_noted_event(tmp_path: Path) -> None:
    """ctrl+n, type, Enter: an `incident.noted` event with the text; an empty note is refused in place."""
    services, _ = _services(tmp_path)
    incident_id = services.incident(1).incident.id

    def notes() -> list[str]:
        rows = services.store.all("SELECT payload FROM events WHERE kind = 'incident.noted' AND subject = ?"
                                  " ORDER BY seq", (incident_id,))
        return [r[0] for r in rows]

    before = notes()

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _open_from_board(app, pilot)
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert isinstance(app.screen, NoteDialog)
            await pilot.press("enter")          # empty: refused, nothing written, dialog stays
            await pilot.pause()
            assert isinstance(app.screen, NoteDialog)
            assert "备注不能为空" in _rendered(app.screen.query_one("#note-error"))
            assert notes() == before
            await _type(pilot, "回电 预计16点恢复 [i]")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen
            text = _screen_text(screen)
            assert "备注已保存" in text
            assert re.search(r"14:15:00 +14:15:00 +备注 +seat-01/duty +回电 预计16点恢复 \[i\]", text)

    asyncio.run(scenario())
    added = notes()[len(before):]
    assert len(added) == 1 and "回电 预计16点恢复 [i]" in added[0]
    services.close()


def test_step_key_on_the_selected_order_records_the_reported_time(tmp_path: Path) -> None:
    """ctrl+o on order 2 opens the step dialog; a future time is refused in place, 14:16 is saved."""
    services, clock = _services(tmp_path)
    clock.set("2026-11-28T06:20:00Z")   # 14:20

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _open_from_board(app, pilot)
            selected = screen.selected_order()
            assert selected is not None and selected.no == 2
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)
            await _type(pilot, "14:30")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)  # refused: in the future
            for _ in range(5):
                await pilot.press("backspace")
            await _type(pilot, "14:16")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen
            assert "到场 14:16:00 (记录于 14:20:00)" in _screen_text(screen)

    asyncio.run(scenario())
    order, _ = services.order(2)
    assert order.status.value == "on_scene"
    assert order.steps["on_scene"].isoformat().startswith("2026-11-28T06:16:00")
    services.close()


def test_incident_in_english_at_80x24_scrolls(tmp_path: Path) -> None:
    """English words for steps and events; at 80×24 the detail scrolls and up/down move between orders."""
    services, _ = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "en", tick_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _open_from_board(app, pilot)
            text = _screen_text(screen)
            assert "Incident #1 · Power supply fault" in text
            assert "[first contact]" in text and "return reason: 非燃气问题" in text
            assert re.search(r"14:03:00 +14:15:00 +acknowledged", text)
            assert re.search(r"14:08:00 +14:15:00 +handed over", text)
            assert screen.body.scroll_y == 0 and screen.body.max_scroll_y > 0
            await pilot.press("pagedown")
            await pilot.pause()
            assert screen.body.scroll_y > 0
            first = screen.selected_order()
            await pilot.press("down")
            await pilot.pause()
            assert screen.selected_order() is not None and screen.selected_order() != first
            descriptions = {b.description for _, b, *_ in screen.active_bindings.values()}
            assert {"note", "back", "ack"} <= descriptions

    asyncio.run(scenario())
    services.close()


def test_f8_on_an_incident_dispatches_for_that_incident(tmp_path: Path) -> None:
    """F8 from the detail of a waiting incident opens the picker for it, not for the board's selection."""
    services, _ = _services(tmp_path)
    waiting = services.new_call(phone="13600000009", text="路灯不亮", address="解放路", category="streetlight")

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app.open_incident(waiting.incident.id)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            assert "尚未派单" in _screen_text(screen) and screen.selected_order() is None
            await pilot.press("ctrl+s")             # no order to step: said in place, no dialog
            await pilot.pause()
            assert app.screen is screen and isinstance(screen, IncidentScreen) and "请先" in _rendered(screen.answer)
            await pilot.press("f8")
            await pilot.pause()
            picker = app.screen
            assert type(picker).__name__ == "UnitPicker"
            assert isinstance(picker, UnitPicker)
            assert picker.incident is not None and picker.incident.id == waiting.incident.id

    asyncio.run(scenario())
    services.close()
