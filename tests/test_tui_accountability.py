"""Urge (ctrl+u), supervise (ctrl+e) and callback (ctrl+b) from the screens, by keys only.

The urge dialog opens on the unit's duty phone from the filed roster, so chasing an overdue
order is one key and Enter; the board marks urged (催N) and supervised (督N) orders; the
incident detail shows the supervise countdown, the urge count, the callback and the timeline.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.duty.rosters import Shift
from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.dialogs.step import StepDialog
from screens.incident import IncidentScreen


def _services(tmp_path: Path) -> tuple[Services, FakeClock]:
    """Order 1 to the power bureau, issued 14:00 and never acknowledged: overdue at 14:20.
    The power bureau's filed roster puts 张三 on 0000-1111 from 08:00 to 20:00."""
    clock = FakeClock("2026-11-28T06:00:00Z")   # 14:00 in the center's zone
    s = open_services(tmp_path / "acc.db", clock=clock)
    s.new_call(phone="13800000001", text="小区停电两个小时了", address="人民路12号", area="urban",
               category="power_supply")
    s.issue_order(1, "gdj")
    day = datetime.fromisoformat("2026-11-28T00:00:00+08:00")
    s.file_roster({"power": [Shift("power", day.replace(hour=8), day.replace(hour=20), "张三", "0000-1111")]},
                  period=(day, day.replace(day=29)))
    clock.set("2026-11-28T06:20:00Z")
    return s, clock


async def _type(pilot: Pilot[Any], text: str) -> None:
    for ch in text:
        await pilot.press(ch)


def _text(app: LinkageApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)


def test_ctrl_u_on_an_overdue_order_urges_the_duty_phone_with_enter(tmp_path: Path) -> None:
    services, _ = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+u")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, StepDialog)
            assert dialog.query_one("#step-to", Input).value == "张三 0000-1111"
            assert "已催办 0 次" in _text(app)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.board, _text(app)
            row = app.board.board_view.render_line(1).text
            assert "催1 已下达" in row, row

    asyncio.run(scenario())
    urges = services.urges(services.order(1)[0].id)
    assert [(u.to, u.how, u.operator) for u in urges] == [("张三 0000-1111", "phone", "duty")]
    services.close()


def test_supervise_without_a_reason_is_refused_in_place_then_saved(tmp_path: Path) -> None:
    services, _ = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "en", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)
            await pilot.press("backspace")
            await _type(pilot, "2")
            await pilot.press("enter")          # Enter saves: with no reason it is refused
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)
            assert "reason" in str(app.screen.query_one("#step-error").render()).lower()
            assert services.supervision(services.order(1)[0].id) is None
            await pilot.press("tab")
            await _type(pilot, "no answer")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.board
            assert "S2 issued" in app.board.board_view.render_line(1).text

    asyncio.run(scenario())
    sup = services.supervision(services.order(1)[0].id)
    assert sup is not None and (sup.level, sup.reason) == (2, "no answer")
    services.close()


def test_incident_detail_shows_supervision_urges_and_the_callback(tmp_path: Path) -> None:
    """The detail shows the supervise countdown and the urge count; after closure ctrl+b
    records a dissatisfied callback that reopens the incident, shown in the header."""
    services, _ = _services(tmp_path)
    services.urge(1, "张三")
    services.supervise(1, 1, "超时未签收")

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            text = _text(app)
            assert "督办1级（中心主任督办）剩余" in text and "超时未签收" in text
            assert "已催办 1 次" in text
            await pilot.press("ctrl+b")          # before closure: refused in place
            await pilot.pause()
            await _type(pilot, "my")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)
            assert "办结" in str(app.screen.query_one("#step-error").render())
            await pilot.press("escape")
            await pilot.pause()
            services.step(1, "ack")
            services.step(1, "complete")
            screen.reload()
            await pilot.press("ctrl+b")
            await pilot.pause()
            await _type(pilot, "bmy")
            await pilot.press("tab")
            await _type(pilot, "电话没人接")
            await pilot.press("tab")
            await _type(pilot, "y")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen
            text = _text(app)
            assert "已回访 #1：不满意，警情已重新打开" in text
            assert "不满意" in text and "电话没人接" in text

    asyncio.run(scenario())
    detail = services.incident(1)
    assert detail.incident.status.value == "open"
    assert detail.callback is not None and detail.callback.result == "dissatisfied"
    services.close()


def test_returned_order_is_rejected_by_keys_then_returned_again_and_reassigned(tmp_path: Path) -> None:
    """ctrl+d on a returned order shows the unit's reason; a reject without a reason is refused
    in place; with one the order goes back to the unit. Returned again, ctrl+t reassigns it,
    which records the acceptance; both returns and reviews are kept."""
    services, _ = _services(tmp_path)
    services.step(1, "ack")
    services.step(1, "return", reason="不属于本单位")

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+d")
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)
            assert "单位退单原因：不属于本单位" in _text(app)
            await _type(pilot, "reject")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)          # a reject needs a reason
            assert services.order(1)[0].status.value == "returned"
            await pilot.press("tab")
            await _type(pilot, "属于供电抢修范围")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.board, _text(app)
            assert services.order(1)[0].status.value == "acknowledged"
            services.step(1, "return", reason="仍不属于本单位")
            app.board.reload()
            await pilot.pause()
            await pilot.press("ctrl+t")
            await pilot.pause()
            await _type(pilot, "housing")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.board, _text(app)

    asyncio.run(scenario())
    first, _ = services.order(1)
    assert first.status.value == "reassigned"
    second, _ = services.order(2)
    assert second.unit == "housing" and second.reassigned_from == first.id
    reviews = services.store.all("SELECT decision, note FROM order_return_reviews ORDER BY event_id")
    assert [(r["decision"], r["note"]) for r in reviews] == [("reject", "属于供电抢修范围"), ("accept", "")]
    assert len(services.returns(first.id)) == 2
    services.close()


def test_handover_by_keys_needs_the_initial_handling(tmp_path: Path) -> None:
    """ctrl+y: the unit, then the initial handling; an empty handling is refused in place."""
    services, _ = _services(tmp_path)
    services.step(1, "ack")

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+y")
            await pilot.pause()
            await _type(pilot, "gas")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StepDialog)
            assert "先期处置" in str(app.screen.query_one("#step-error").render())
            await pilot.press("tab")
            await _type(pilot, "已断电隔离现场")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.board

    asyncio.run(scenario())
    second, _ = services.order(2)
    assert second.unit == "gas" and second.initial_handling == "已断电隔离现场"
    services.close()


def test_reassign_dialog_suggests_units_by_everyday_short_name(tmp_path: Path) -> None:
    """ctrl+t: typing 住建 (or zjj) lists 县住房城乡建设局 under the unit field like the picker,
    an off-duty Tier 2 unit is marked, up/down choose, Enter reassigns to the highlighted one."""
    services, _ = _services(tmp_path)
    services.step(1, "ack")
    services.step(1, "return", reason="不属于本单位")

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+t")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, StepDialog)
            await _type(pilot, "zjj")
            await pilot.pause()
            assert dialog.unit_codes[:1] == ["housing"]
            assert "县住房城乡建设局" in str(dialog.unit_list.get_option_at_index(0).prompt)
            await pilot.press("backspace", "backspace", "backspace")
            await _type(pilot, "住建")
            await pilot.pause()
            assert dialog.chosen_unit() == "housing"
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.board, _text(app)

    asyncio.run(scenario())
    second, _ = services.order(2)
    assert second.unit == "housing"
    services.close()


def test_handover_dialog_marks_an_off_duty_tier_2_unit(tmp_path: Path) -> None:
    """At 22:00 the petitions bureau (Tier 2, office hours) is off duty: the suggestion says so."""
    services, clock = _services(tmp_path)
    services.step(1, "ack")
    clock.set("2026-11-28T14:00:00Z")            # 22:00 in the center's zone

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+y")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, StepDialog)
            await _type(pilot, "信访")
            await pilot.pause()
            row = str(dialog.unit_list.get_option_at_index(0).prompt)
            assert "县信访局" in row and "非值班" in row

    asyncio.run(scenario())
    services.close()
