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

import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from burst import Tmux, start_tmux

NOW = "2026-11-28T06:00:00Z"
WIDTH, HEIGHT = 100, 30
ORDER_ROW = re.compile(r"县供电局\s+\S+\s+签收剩余 \d+:\d\d")

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    db = tmp_path / "e2e.db"
    tmux = start_tmux(tmp_path, db, (WIDTH, HEIGHT), "zh", NOW)
    try:
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
    tmux.wait_for_caret("命令")   # the command bar has focus: letters typed sooner go elsewhere
    tmux.text('new --phone 13800000001 --text "小区停电两个小时了" --dispatch power')
    tmux.keys("Enter")
    screen = tmux.wait_for(r"派单 \d+ → 县供电局")       # the command's answer under the board
    screen = tmux.wait_for(ORDER_ROW)
    assert len(ORDER_ROW.findall(screen)) == 1, screen
    assert [(unit, phone) for _, unit, phone in power_orders(db)] == [("power", "13800000001")]
