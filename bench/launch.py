"""A whole seat launch in a real terminal: ``linkage --db`` in tmux until the board is drawn.

Unlike ``tui_start`` (the app in a pseudo-terminal, exiting at its first frame), this is what a
call-taker waits for: the ``linkage`` entry point (interpreter, CLI, config, store, the console)
started by tmux, until ``tmux capture-pane`` shows the board's header row (its deadline column,
倒计时). The seat holds ``INCIDENTS`` past incidents and a few open orders. The baseline is the
bare Textual app of ``bench.bare_app`` launched the same way, until its one line shows; both are
polled every ``POLL_S``, interleaved run by run, each in a private tmux server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.core import Env, Row, latency_row
from bench.seed import seed_open_orders
from bench.tui import seed_past_incidents
from console.kernel.clock import FakeClock, iso
from console.seat.services import open_services

INCIDENTS = 200
RUNS = 7
POLL_S = 0.005
TARGET_MS = 500
START = "2026-11-28T06:00:00Z"


def _launch(sock: Path, command: list[str], marker: str, env: dict[str, str]) -> int:
    """Nanoseconds from asking tmux to start ``command`` to ``marker`` on its screen."""
    tmux = ["tmux", "-S", str(sock)]
    started = time.perf_counter_ns()
    subprocess.run([*tmux, "-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "36",
                    " ".join(command), ";", "set-option", "-g", "remain-on-exit", "on"],
                   check=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shown = subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True, env=env).stdout
            if marker in shown:
                return time.perf_counter_ns() - started
            time.sleep(POLL_S)
        raise RuntimeError(f"{marker!r} never appeared; screen: {shown[-400:]!r}")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, env=env)


def measure_launch(env: Env) -> list[Row]:
    if shutil.which("tmux") is None:
        raise RuntimeError("tmux is not installed")
    d = env.dir("launch")
    db = d / "console.db"
    seed_past_incidents(db, INCIDENTS)
    clock = FakeClock(START)
    svc = open_services(db, clock=clock)
    seed_open_orders(svc, clock, 5)
    now = iso(clock.advance(minutes=4))
    svc.close()
    linkage = Path(sys.executable).with_name("linkage")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "TEXTUAL", "LINKAGE_"))}
    base_env.update(LANG="C.UTF-8", TERM="xterm-256color")
    app_env = f"env LANG=C.UTF-8 TERM=xterm-256color LINKAGE_NOW={now} LINKAGE_LANG=zh HOME={d}"
    ours = [app_env, str(linkage), "--db", str(db)]
    bare = [app_env, sys.executable, "-m", "bench.bare_app"]
    cwd = Path(__file__).resolve().parent.parent
    base_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(cwd), base_env.get("PYTHONPATH", "")) if p)
    subj: list[int] = []
    base: list[int] = []
    _launch(d / "warm.sock", ours, "倒计时", base_env)  # warm: the page cache, .pyc files
    _launch(d / "warm2.sock", bare, "bare Textual baseline", base_env)
    for i in range(RUNS):
        pair = [("ours", ours, "倒计时"), ("bare", bare, "bare Textual baseline")]
        for who, command, marker in pair if i % 2 == 0 else reversed(pair):
            took = _launch(d / f"{who}{i}.sock", command, marker, base_env)
            (subj if who == "ours" else base).append(took)
    env.drop("launch")
    return [latency_row(f"tui: launch in tmux → board drawn, {INCIDENTS} incidents", subj, base,
                        max_ms=TARGET_MS, base_label="bare Textual app",
                        notes=[f"tui launch: `linkage --db` started by tmux until capture-pane (every"
                               f" {POLL_S * 1000:g} ms) shows the board's header; baseline = bench.bare_app"
                               " the same way, interleaved"])]
