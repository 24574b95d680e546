"""Whole flows through the TUI, asserted on the store: a call from intake to a closed
incident, a returned order reassigned, and an overdue order that cannot be missed.

The clock is a ``FakeClock`` moved by the test; the app runs with ``tick_seconds=0`` and the
test calls the board's ``tick()`` itself, so nothing depends on wall time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_tui_intake import START, _services, open_intake, run, type_text, wait_until
from textual.pilot import Pilot

from console.kernel.clock import FakeClock
from console.seat.services import Services
from screens.app import LinkageApp
from screens.board import BoardScreen
from screens.dialogs.picker import UnitPicker
from screens.dialogs.step import StepDialog


def _board(app: LinkageApp) -> BoardScreen:
    assert isinstance(app.screen, BoardScreen)
    return app.screen


async def step(app: LinkageApp, pilot: Pilot[Any], key: str, *, before: list[str] | None = None,
               typed: str = "") -> None:
    """Press a board step key, fill the dialog (``before``: keys to reach a field) and save."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, StepDialog))
    await pilot.pause()
    if before:
        await pilot.press(*before)
    await type_text(pilot, typed)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))


def order_rows(services: Services) -> list[dict[str, Any]]:
    return [dict(r) for r in services.store.all(
        "SELECT no, id, unit, status, reassigned_from, return_reason FROM orders ORDER BY no")]


def test_call_from_intake_to_closed_incident(tmp_path: Path) -> None:
    """Intake → triage → order → ack, en route (a reported time), on scene, feedback, close:
    every step from the board keys, and the incident closes in the store."""
    clock = FakeClock(START)
    services = _services(tmp_path / "t.db", clock)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        await open_intake(app, pilot, phone="13800000001")
        await type_text(pilot, "我家自来水管爆了，水漫到楼道里")
        await pilot.press("ctrl+y", "f7")
        await wait_until(pilot, lambda: isinstance(app.screen, UnitPicker))
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        board = _board(app)
        assert [r.order.unit for r in board.board_view.rows] == ["water_co"]
        clock.advance(minutes=2)
        await step(app, pilot, "ctrl+s")                     # 签收 now
        clock.advance(minutes=5)
        await step(app, pilot, "ctrl+g", typed="-2m")        # 出动 at the time the unit said
        clock.advance(minutes=15)
        await step(app, pilot, "ctrl+o")                     # 到场
        clock.advance(minutes=40)
        await step(app, pilot, "ctrl+f")                     # 反馈
        clock.advance(minutes=5)
        await step(app, pilot, "ctrl+l")                     # 办结
        assert board.board_view.rows == []                   # a closed order leaves the board

    run(services, scenario)
    incident = services.store.one("SELECT id, status, category, closed_at FROM incidents")
    assert incident is not None
    assert (incident["status"], incident["category"]) == ("closed", "water_supply")
    assert incident["closed_at"] == "2026-11-28T07:07:00.000Z"
    (order,) = order_rows(services)
    assert (order["unit"], order["status"]) == ("water_co", "completed")
    steps = [(e.kind, e.payload.get("status"), e.happened_at)
             for e in services.store.events_for([incident["id"]]) if e.kind == "order.stepped"]
    assert steps == [
        ("order.stepped", "acknowledged", "2026-11-28T06:02:00.000Z"),
        ("order.stepped", "en_route", "2026-11-28T06:05:00.000Z"),   # -2m from 06:07
        ("order.stepped", "on_scene", "2026-11-28T06:22:00.000Z"),
        ("order.stepped", "feedback", "2026-11-28T07:02:00.000Z"),
        ("order.stepped", "completed", "2026-11-28T07:07:00.000Z"),
    ]
    services.close()


def test_return_with_reason_then_reassign_keeps_both_orders(tmp_path: Path) -> None:
    """ctrl+r returns the order (the reason is required), ctrl+t reassigns it to a unit typed
    by name; the store keeps the returned order and the new one, linked."""
    clock = FakeClock(START)
    services = _services(tmp_path / "t.db", clock)
    incident = services.new_call(phone="13800000001", text="小区停水了，一滴水都没有", address="人民路12号",
                                 category="water_supply").incident
    first = services.issue_order(incident.no, "water")
    clock.advance(minutes=3)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        board = _board(app)
        assert board.board_view.selected is not None
        # a return without a reason is refused in the dialog, which stays open
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, StepDialog))
        await pilot.pause()
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, StepDialog) and "原因" in str(dialog.error.render())
        await pilot.press("tab")                             # time → reason
        await type_text(pilot, "供水管网归自来水公司")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        assert [r.order.status.value for r in board.board_view.rows] == ["returned"]
        clock.advance(minutes=1)
        await step(app, pilot, "ctrl+t", typed="自来水")       # reassign: the unit by name
        assert [r.order.unit for r in board.board_view.rows] == ["water_co"]

    run(services, scenario)
    orders = order_rows(services)
    assert [(o["unit"], o["status"]) for o in orders] == [("water", "reassigned"), ("water_co", "issued")]
    assert orders[0]["id"] == first.id and orders[0]["return_reason"] == "供水管网归自来水公司"
    assert orders[1]["reassigned_from"] == first.id
    services.close()


def test_overdue_alarm_rings_shows_banner_and_f9_clears(tmp_path: Path) -> None:
    """Past the ack deadline the board rings once, raises a sticky notification and a banner;
    F9 acknowledges and clears both."""
    clock = FakeClock(START)
    services = _services(tmp_path / "t.db", clock)
    incident = services.new_call(phone="13800000001", text="小区停电两个小时了", address="人民路12号",
                                 category="power_supply").incident
    services.issue_order(incident.no, "power")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        bells: list[int] = []
        app.bell = lambda: bells.append(1)                  # type: ignore[method-assign]
        board = _board(app)
        board.tick()
        assert not board.alarm_banner.display and bells == [] and not app._notifications
        clock.advance(minutes=5, seconds=1)                  # ack deadline is 5 min (urban utility)
        board.tick()
        await pilot.pause()
        assert board.alarm_banner.display
        banner = str(board.alarm_banner.render())
        assert "超时" in banner and "县供电局" in banner
        assert bells == [1]
        notes = list(app._notifications)
        assert len(notes) == 1 and notes[0].severity == "error" and "县供电局" in notes[0].message
        board.tick()                                         # still overdue: no second ring
        assert bells == [1] and len(app._notifications) == 1
        await pilot.press("f9")
        await pilot.pause()
        assert not board.alarm_banner.display
        assert not app._notifications
        board.tick()                                         # acknowledged: stays quiet
        assert bells == [1] and not board.alarm_banner.display

    run(services, scenario)
    services.close()
