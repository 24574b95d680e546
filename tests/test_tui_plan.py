"""Contingency plans on the incident screen, by keys only: ctrl+p lists the plans matching the
incident's grade, Enter shows the proposal, ctrl+y activates it (one transaction: the
activation and its orders), Enter ticks checklist steps and ctrl+n notes one; the order cards
tell the initial response (先期处置) from the plan-led orders (预案)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import one_row
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.incident import IncidentScreen
from screens.plan import PlanScreen


def _services(tmp_path: Path) -> tuple[Services, FakeClock]:
    """#1 a gas leak in a residential compound, graded IV, with one initial-response order (psb)."""
    clock = FakeClock("2026-11-28T06:00:00Z")
    s = open_services(tmp_path / "plan.db", clock=clock)
    s.new_call(phone="13800000001", text="小区燃气泄漏，味道很大", address="人民路12号阳光小区",
               area="urban", category="gas_leak")
    s.grade(1, "IV")
    clock.advance(minutes=1)
    s.issue_order(1, "psb")
    return s, clock


def _rendered(widget: Widget) -> str:
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def _text(screen: Widget) -> str:
    return "\n".join(_rendered(w) for w in screen.query(Static) if w.display)


def _orders(s: Services) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in s.store.all("SELECT unit, phase FROM orders ORDER BY no")]


def test_activate_a_plan_and_tick_its_checklist_by_keys(tmp_path: Path) -> None:
    services, clock = _services(tmp_path)

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("enter")                   # the board's order → the incident
            await pilot.pause()
            incident = app.screen
            assert isinstance(incident, IncidentScreen)
            assert "[先期处置]" in _text(incident)
            await pilot.press("ctrl+p")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, PlanScreen)
            assert "居民小区燃气泄漏应急预案" in _text(screen)
            await pilot.press("enter")                   # the proposal
            await pilot.pause()
            text = _text(screen)
            assert "县燃气公司" in text and "[牵头]" in text and "已派单 1" in text
            assert one_row(services.store, "SELECT count(*) FROM plan_activations")[0] == 0
            await pilot.press("ctrl+y")                  # one key: activation + orders
            await pilot.pause()
            assert one_row(services.store, "SELECT plan, level FROM plan_activations")[:] == (
                "residential_gas_leak", "IV")
            assert _orders(services) == [("psb", "initial"), ("gas", "plan"), ("fire", "plan"),
                                         ("ems120", "plan"), ("power", "plan"), ("chengnan", "plan")]
            text = _text(screen)
            assert "已启动" in text and "0/10" in text
            await pilot.press("enter")                   # tick step 1
            await pilot.press("down", "enter")           # tick step 2
            await pilot.pause()
            assert "2/10" in _text(screen)
            assert [tuple(r) for r in services.store.all(
                "SELECT step, done FROM plan_step_checks ORDER BY event_id")] == [(1, 1), (2, 1)]
            await pilot.press("ctrl+n")                  # a note on step 2
            await pilot.pause()
            for ch in "gas ok":
                await pilot.press(ch if ch != " " else "space")
            await pilot.press("enter")
            await pilot.pause()
            assert one_row(services.store, "SELECT step, done, note FROM plan_step_checks"
                           " ORDER BY event_id DESC LIMIT 1")[:] == (2, 1, "gas ok")
            assert "2/10" in _text(screen) and "gas ok" in _text(screen)
            clock.advance(minutes=10)                    # 14:11: step 2 was due 14:06
            await pilot.press("enter")                   # untick step 2 → overdue again
            await pilot.pause()
            text = _text(screen)
            assert "1/10" in text and "超时 1" in text
            await pilot.press("escape", "escape")        # checklist → list → incident
            await pilot.pause()
            assert app.screen is incident
            assert "[预案]" in _text(incident)
            await pilot.press("ctrl+p", "enter")         # an active plan opens on its checklist
            await pilot.pause()
            assert "1/10" in _text(app.screen)

    asyncio.run(scenario())
    services.close()
