"""The console in a real terminal: ``linkage --db`` inside a private tmux server, driven by keys.

Set-up as textual_pitfalls.md §3.5 recommends: a private server (``-L`` unique name,
``-f /dev/null``), a fixed 100×30 window, ``LANG=C.UTF-8`` (else tmux draws CJK as ``_``),
``TERM=xterm-256color``, ``TEXTUAL_ANIMATIONS=none``, ``escape-time 10`` and a fixed clock
(``LINKAGE_NOW``), so countdowns read the same every run. Keys go in with ``send-keys``, text
with ``send-keys -l`` (a literal string arrives the way an IME commit does), and every wait is
a bounded poll over ``capture-pane -p``. The store is checked with ``sqlite3`` on the database
file while the console still runs (WAL lets a second connection read).

Two paths, each ending with an order for 县供电局 on the board:

* the intake screen: F2, the caller's number, Enter through name and address, the account,
  ctrl+y to accept the top suggestion, F7 to save and dispatch, Enter in the unit picker
  (the lead unit is pre-selected);
* the command bar: F4, ``new --phone … --text … --dispatch power``, Enter.

Skipped only when tmux is not installed (CI installs it: ``.ci/run``).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

NOW = "2026-11-28T06:00:00Z"
WIDTH, HEIGHT = 100, 30
ORDER_ROW = re.compile(r"县供电局\s+\S+\s+签收剩余 \d+:\d\d")

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One private tmux server holding one window with the console in it; its socket lives
    in the test's own tmp dir, so nothing is left behind in the shared tmux directory."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def __call__(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *args], env=self.env, capture_output=True,
                              text=True, timeout=10)
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "e2e")

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "e2e", *keys)

    def text(self, text: str) -> None:
        self("send-keys", "-t", "e2e", "-l", text)

    def cursor(self) -> tuple[int, int]:
        """The terminal cursor: where Textual anchors the IME window (the focused field's caret)."""
        x, y = self("display", "-p", "-t", "e2e", "#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def wait_for_caret(self, label: str, right_of: str = "", timeout: float = 10.0) -> None:
        """Wait until the caret (terminal cursor) is on the screen row that starts with ``label``
        (and, with ``right_of``, past that text on the row: the second field of a row)."""
        deadline = time.monotonic() + timeout
        row, screen = -1, ""
        while time.monotonic() < deadline:
            screen = self.screen()
            lines = screen.splitlines()
            row = next((y for y, line in enumerate(lines) if line.strip().startswith(label)), -1)
            x, y = self.cursor()
            if row >= 0 and y == row:
                line = lines[row]
                if not right_of or (right_of in line and x > cell_len(line[: line.index(right_of)])):
                    return
            time.sleep(0.05)
        raise AssertionError(f"caret not on the {label!r} row ({row}) but at {self.cursor()}; screen:\n{screen}")

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 15.0) -> str:
        """Poll the pane until ``pattern`` (a regex) appears; fail with the last screen if not."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if regex.search(screen):
                return screen
            if self("display", "-p", "-t", "e2e", "#{pane_dead}", check=False).strip() == "1":
                raise AssertionError(f"the console exited; last screen:\n{screen}")
            time.sleep(0.1)
        raise AssertionError(f"{regex.pattern!r} did not appear within {timeout:g} s; screen:\n{screen}")


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    db = tmp_path / "e2e.db"
    linkage = Path(sys.executable).with_name("linkage")
    assert linkage.exists(), f"{linkage} missing: is the project installed in this venv?"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TMUX", "TEXTUAL", "LINKAGE_", "LC_", "PYTEST_XDIST"))}
    env.update(LANG="C.UTF-8", TERM="xterm-256color")
    app_env = {"LANG": "C.UTF-8", "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none", "LINKAGE_NOW": NOW,
               "LINKAGE_LANG": "zh", "HOME": str(tmp_path)}
    command = " ".join(["env", *(f"{k}={v}" for k, v in app_env.items()), str(linkage), "--db", str(db)])
    tmux = Tmux(str(tmp_path / "tmux.sock"), env)
    try:
        tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", str(WIDTH), "-y", str(HEIGHT), command,
             ";", "set-option", "-sg", "escape-time", "10",
             ";", "set-option", "-g", "remain-on-exit", "on")
        tmux.wait_for("倒计时")                        # the board's header row is painted
        tmux.wait_for("暂无未结派单")                   # and its (empty) body: the board is up
        time.sleep(0.3)                               # first paint ≠ ready (pitfalls §3.5): let focus land
        yield tmux, db
    finally:
        tmux("kill-server", check=False)


def power_orders(db: Path) -> list[tuple[int, str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT o.no, o.unit, i.phone FROM orders o JOIN incidents i ON i.id = o.incident_id"
                            " WHERE o.unit = 'power' ORDER BY o.no").fetchall()
    finally:
        conn.close()


def take_call_on_intake_screen(tmux: Tmux) -> None:
    """Each step waits for the screen (and the caret) to show the previous one took effect; a
    dispatcher sees the same before typing on."""
    tmux.keys("F2")
    tmux.wait_for("接警 · 新来电")
    tmux.wait_for_caret("号码")                      # the number field has focus (and the IME anchor)
    tmux.text("13800000001")
    tmux.wait_for(r"号码\s+13800000001")
    tmux.keys("Enter")                             # number → name
    tmux.wait_for_caret("号码", right_of="姓名")       # the name field, on the number's row
    tmux.keys("Enter")                             # name → address
    tmux.wait_for_caret("地点")
    tmux.keys("Enter")                             # address → account
    tmux.wait_for_caret("内容")
    tmux.text("小区停电两个小时了")
    tmux.wait_for(r"内容\s+小区停电两个小时了")
    tmux.wait_for(r"研判建议（")                     # live triage has suggestions …
    tmux.wait_for(r"1 供电故障 .*县供电局")           # … with the power company's category first
    tmux.keys("C-y")                               # accept the top suggestion
    tmux.wait_for("已采纳")
    tmux.keys("F7")                                # save the call and open the unit picker
    tmux.wait_for(r"派单 · 警情 #\d+")
    tmux.wait_for(r"\[x\] +\S+ +县供电局")           # the lead unit is pre-selected
    tmux.keys("Enter")


def test_intake_screen_dispatches_the_recommended_unit(console: tuple[Tmux, Path]) -> None:
    """F2, number, account, ctrl+y, F7, Enter: an order for 县供电局 on the board with its
    acknowledgement countdown, and in the store."""
    tmux, db = console
    take_call_on_intake_screen(tmux)
    screen = tmux.wait_for(ORDER_ROW)
    assert "已派单" in screen, screen
    assert [(unit, phone) for _, unit, phone in power_orders(db)] == [("power", "13800000001")]


def test_command_bar_new_call_with_dispatch(console: tuple[Tmux, Path]) -> None:
    """F4 and ``new --phone … --text … --dispatch power``: the answer under the board, the order
    row with 县供电局 and its countdown, and the order in the store."""
    tmux, db = console
    tmux.keys("F4")
    tmux.wait_for_caret("▊  命令")   # the command bar has focus: letters typed sooner go elsewhere
    tmux.text('new --phone 13800000001 --text "小区停电两个小时了" --dispatch power')
    tmux.keys("Enter")
    screen = tmux.wait_for(r"派单 \d+ → 县供电局")       # the command's answer under the board
    screen = tmux.wait_for(ORDER_ROW)
    assert len(ORDER_ROW.findall(screen)) == 1, screen
    assert [(unit, phone) for _, unit, phone in power_orders(db)] == [("power", "13800000001")]
