"""The start path loads what the board's first frame shows, and nothing of the rest.

The first frame needs the store, the catalog, the board query and the board's widgets; every
other domain (accountability, activation, drills, grading, report rules, the command grammar
with all its verbs, triage, the intake form, sync's HTTP stack) loads on first use or in the
warm-up thread after the first frame. This is checked by ``sys.modules`` in a fresh
interpreter, never by time (timings are in ``bench/``: ``tui_start``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from console.calls import intake
from console.kernel.clock import FakeClock
from console.seat.services import open_services

#: Loaded by the first frame, these would cost the start for nothing (the list is by module,
#: so a new heavy import under one of these prefixes fails the test too).
HEAVY = (
    "console.commands", "console.calls.intake", "console.orders.dispatch", "console.tiered",
    "console.duty.handover", "console.duty.rollcall",
    "console.catalog.triage", "console.catalog.repeats", "console.timeline", "console.sync.client",
    "console.store.payloads", "msgspec", "httpx", "screens.intake", "screens.incident", "screens.dialogs.help",
    "screens.dialogs.step", "screens.dialogs.picker", "screens.roster", "sqlite_utils",
)

PROBE = """
import asyncio, json, sys
from console.seat.services import open_services
from screens.app import LinkageApp

class FirstFrame(LinkageApp):
    def _warm_triage(self) -> None:  # the warm-up thread runs after the first frame: not here
        pass

async def main() -> None:
    from pathlib import Path
    services = open_services(Path(sys.argv[1]), config_path=Path(sys.argv[2]))
    app = FirstFrame(services, "zh", tick_seconds=3600)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        shown = " ".join(str(o.prompt) for o in app.board.incidents.options)
        print(json.dumps({"modules": sorted(sys.modules), "shown": shown}))
    services.close()

asyncio.run(main())
"""


def test_the_first_frame_imports_no_heavy_module(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[center]\ncounty = "demo-county"\nseat = "seat-01"\n', encoding="utf-8")
    db = tmp_path / "linkage.db"
    services = open_services(db, config_path=config, clock=FakeClock("2026-11-28T06:00:00Z"))
    try:
        intake.new_call(services.ctx, None, phone="13800000077", text="护栏倒在路上", address="解放路8号",
                        category="public_order")
    finally:
        services.close()
    result = subprocess.run([sys.executable, "-c", PROBE, str(db), str(config)], capture_output=True,
                            text=True, timeout=120, cwd=Path(__file__).parent.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert "解放路8号" in probe["shown"], "the probe saw a real first frame with the incident on it"
    loaded = [m for m in probe["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == [], f"the first frame imported {loaded}"


def test_the_sync_settings_defaults_are_the_protocols_limits() -> None:
    from console.sync import protocol, settings

    assert (settings.MAX_BATCH_EVENTS, settings.MAX_PULL_LIMIT) == (protocol.MAX_BATCH_EVENTS,
                                                                     protocol.MAX_PULL_LIMIT)
