"""The board flags units whose duty-roster filing is due (备案待补), and a filing clears it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from console.kernel.clock import FakeClock
from console.seat.services import open_services
from screens.app import LinkageApp

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "rosters.sample.csv"


def _stale_in(line: str) -> int:
    found = re.search(r"备案待补 (\d+)", line)
    return int(found.group(1)) if found else 0


def test_board_counts_units_due_to_file_and_a_roster_import_updates_it_at_once(tmp_path: Path) -> None:
    clock = FakeClock("2026-11-30T00:00:00Z")  # 08:00 in the center's zone, the sample's first shift
    services = open_services(tmp_path / "tui.db", clock=clock)
    expected_before = len(services.stale_units())

    async def scenario() -> None:
        app = LinkageApp(services, "zh")
        async with app.run_test(size=(160, 30)) as pilot:
            await pilot.pause()
            before = _stale_in(str(app.board.status.render()))
            assert before == expected_before > 0
            await pilot.press("f4")
            app.board.command.value = f"roster import {SAMPLE}"
            await pilot.press("enter")
            await pilot.pause()
            after = _stale_in(str(app.board.status.render()))
            assert after == len(services.stale_units()) < before  # no minute's wait
            print(f"\nrosters due on the board: {before} before the sample import, {after} after")

    try:
        asyncio.run(scenario())
    finally:
        services.close()
