"""Messages up (issue 13): the picker returns ``Picked`` with ``dismiss`` and the app, not the
picker, puts its words on the board; a screen asks the app for an incident with a message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from console.kernel.clock import FakeClock
from console.seat.services import open_services
from screens.app import LinkageApp
from screens.board import BoardScreen
from screens.dialogs.picker import Picked, UnitPicker
from screens.incident import IncidentScreen
from screens.messages import OpenIncident


async def _until(pilot: Pilot[Any], predicate: Callable[[], bool]) -> None:
    for _ in range(300):
        if predicate():
            return
        await pilot.pause()
    raise AssertionError("condition not reached")


def test_the_picker_dismisses_with_its_orders_and_the_board_says_so(tmp_path: Path) -> None:
    services = open_services(tmp_path / "m.db", clock=FakeClock("2026-11-28T06:00:00Z"))
    incident = services.new_call(phone="13800000001", text="燃气泄漏，闻到很大的煤气味",
                                 address="人民路12号", category="gas_leak").incident
    results: list[Picked | None] = []

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            picker = UnitPicker(services, "zh", incident.id)
            app.push_screen(picker, results.append)
            await _until(pilot, lambda: app.screen is picker and picker.units.has_focus)
            await pilot.press("enter")                   # the pre-selected lead
            await _until(pilot, lambda: bool(results))
            picked = results[0]
            assert picked is not None and [o.unit for o in picked.orders] == ["gas"]
            assert picked.answer is not None and "已派单" in picked.answer.plain
            # through the app (F8 path): its done-callback puts the words on the board
            app.open_picker(incident.id)
            await _until(pilot, lambda: isinstance(app.screen, UnitPicker) and app.screen.units.has_focus)
            await pilot.press("escape")
            await _until(pilot, lambda: isinstance(app.screen, BoardScreen))
            assert "未派单" in str(app.board.answer.render())
            # a screen asks for an incident with a message; the app opens it
            app.board.post_message(OpenIncident(incident.id))
            await _until(pilot, lambda: isinstance(app.screen, IncidentScreen))

    asyncio.run(scenario())
    services.close()
