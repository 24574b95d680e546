"""The city console in a real terminal: ``linkage city`` in a private tmux window, over a real
``linkage serve`` process (both engines), while three counties' seats write and sync.

Skipped only when tmux is not installed (CI installs it: ``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from burst import Tmux

from central.storage import open_store
from central.store import CITY_SUPERVISE_SCOPES
from central.testing import serve_subprocess
from console.calls import intake
from console.kernel.clock import FakeClock, SystemClock
from console.seat.services import Services, open_services

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

START = "2026-11-28T06:00:00Z"
LATER = "2026-11-28T10:00:00Z"  # the city console's clock: four hours on, nothing acknowledged
COUNTIES = ("county-a", "county-b", "county-c")


def _start_city(tmp_path: Path, url: str, token_file: Path) -> Tmux:
    linkage = Path(sys.executable).with_name("linkage")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TMUX", "TEXTUAL", "LINKAGE_", "LC_", "PYTEST_XDIST"))}
    env.update(LANG="C.UTF-8", TERM="xterm-256color")
    app_env = {"LANG": "C.UTF-8", "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none", "LINKAGE_NOW": LATER,
               "HOME": str(tmp_path)}
    command = " ".join(["env", *(f"{k}={v}" for k, v in app_env.items()), str(linkage), "--lang", "en", "city",
                        "--server", url, "--token-file", str(token_file), "--dir", str(tmp_path / "replica"),
                        "--interval", "1"])
    tmux = Tmux(str(tmp_path / "tmux.sock"), env)
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "110", "-y", "30", command,
         ";", "set-option", "-sg", "escape-time", "10", ";", "set-option", "-g", "remain-on-exit", "on")
    return tmux


@pytest.fixture
def seats(tmp_path: Path, central_spec: Path | str) -> Iterator[tuple[str, dict[str, Services], Path]]:
    store = open_store(central_spec, SystemClock())
    try:
        tokens = {c: store.add_token(c, "seat-01") for c in COUNTIES}
        token_file = tmp_path / "city.token"
        token_file.write_text(store.add_token("*", "city-01", CITY_SUPERVISE_SCOPES), encoding="utf-8")
    finally:
        store.close()
    clock = FakeClock(START)
    opened: dict[str, Services] = {}
    with serve_subprocess(central_spec, "--rate", "1000", "--burst", "1000") as server:
        try:
            for county in COUNTIES:
                (tmp_path / county).mkdir()
                config = tmp_path / county / "config.toml"
                config.write_text(f'[center]\ncounty = "{county}"\nseat = "seat-01"\n[sync]\n'
                                  f'server = "{server.url}"\n', encoding="utf-8")
                opened[county] = open_services(tmp_path / county / "linkage.db", config_path=config, clock=clock)
                opened[county].save_sync_token(tokens[county])
            yield server.url, opened, token_file
        finally:
            for services in opened.values():
                services.close()


def test_the_city_console_in_a_terminal_follows_the_counties(
        tmp_path: Path, seats: tuple[str, dict[str, Services], Path]) -> None:
    url, opened, token_file = seats
    for n, (county, services) in enumerate(opened.items()):
        intake.new_call(services.ctx, None, phone=f"1370000000{n}", text="燃气味很重", address=f"{county}小区",
                        category="public_order", dispatch=["housing"])
        assert services.sync_once().ok
    tmux = _start_city(tmp_path, url, token_file)
    try:
        tmux.wait_for(r"3 counties synced, 3 overdue orders", timeout=30)
        screen = tmux.wait_for(r"county-c\s+1\s+1\s+0")
        assert "county-a" in screen and "county-b" in screen
        # county-b takes two more calls; the console shows them on its next pull (1 s interval)
        services = opened["county-b"]
        for phone in ("13900000001", "13900000002"):
            intake.new_call(services.ctx, None, phone=phone, text="水管爆裂", address="西街",
                            category="public_order", dispatch=["housing"])
        assert services.sync_once().ok
        tmux.wait_for(r"county-b\s+3\s+3\s+0", timeout=20)
        tmux.wait_for(r"3 counties synced, 5 overdue orders")
        tmux.keys("C-q")
        for _ in range(100):  # ctrl+q ends the console (the pane stays, dead: remain-on-exit)
            if tmux("display", "-p", "-t", "e2e", "#{pane_dead}", check=False).strip() == "1":
                break
            time.sleep(0.1)
        assert tmux("display", "-p", "-t", "e2e", "#{pane_dead}", check=False).strip() == "1"
    finally:
        tmux("kill-server", check=False)
