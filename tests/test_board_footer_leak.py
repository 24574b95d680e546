"""The board lives all shift: screens pushed over it and popped must not leave widgets behind
(screens/widgets/lean_footer.py; Textual's Footer kept every recomposed key alive)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from textual.widgets._footer import FooterKey

from console.kernel.clock import FakeClock
from console.seat.services import open_services
from screens.app import LinkageApp

START = "2026-11-28T06:00:00Z"


def _footer_keys() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))


def test_screens_over_the_board_leave_no_footer_keys_behind(tmp_path: Path) -> None:
    services = open_services(tmp_path / "seat.db", clock=FakeClock(START))
    app = LinkageApp(services, "zh", tick_seconds=0)
    counts: list[int] = []

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for _ in range(12):
                await pilot.press("f3")                     # the roster over the board …
                await pilot.pause()
                await pilot.press("f5")                     # … and home again
                await pilot.pause()
                await pilot.press("f1")                     # help
                await pilot.pause()
                await pilot.press("escape")
                await pilot.pause()
                counts.append(_footer_keys())

    asyncio.run(scenario())
    services.close()
    assert counts[-1] <= counts[1], counts                 # flat, not growing with each visit
