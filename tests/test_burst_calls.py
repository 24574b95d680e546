"""Calls from the switch in a real terminal, across a real restart of the console process.

The same private tmux set-up as tests/test_e2e_tmux.py (its ``Tmux`` and ``console`` fixture).
Feed lines are appended to ``callfeed.jsonl`` beside the database while the console runs (it
polls the file once a second); the restart kills the console process (``respawn-pane -k``) and
starts a new one on the same database, as a power cut or a crash would. Every wait is a bounded
poll over the screen.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from test_e2e_tmux import NOW, Tmux, console  # noqa: F401  (the fixture is used by name)


def feed(db: Path, *events: dict[str, str]) -> None:
    with open(db.parent / "callfeed.jsonl", "a", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps({"v": 1, "line": "1", "at": NOW, **event}, ensure_ascii=False) + "\n")


def phone_rows(db: Path) -> dict[str, tuple[str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT call_ref, state, settled_how FROM phone_calls")}
    finally:
        conn.close()


def test_a_burst_of_rings_survives_a_restart(console: tuple[Tmux, Path]) -> None:  # noqa: F811
    """Three rings at once; F6 answers the first (its number and the switch's name 王女士 in the
    form), the second caller hangs up, the third is answered at another seat. After the console
    is killed and started again: nothing rings again, the hung-up call is still listed as
    missed, and ctrl+b calls it back with its number in the form."""
    tmux, db = console
    feed(db, {"type": "ring", "call_ref": "c1", "phone": "13800000123", "caller_name": "王女士"},
         {"type": "ring", "call_ref": "c2", "phone": "13900000111"},
         {"type": "ring", "call_ref": "c3", "phone": "13700000222"})
    tmux.wait_for(r"来电\s+13800000123 王女士")
    tmux.keys("F6")
    tmux.wait_for(r"号码\s+13800000123\s+姓名\s+王女士")
    tmux.keys("Escape")
    tmux.wait_for("倒计时")
    feed(db, {"type": "hangup", "call_ref": "c2", "phone": "13900000111"},
         {"type": "answered", "call_ref": "c3", "phone": "13700000222"})
    tmux.wait_for(r"未接 1.*13900000111")
    assert phone_rows(db) == {"c1": ("answered", ""), "c2": ("missed", ""),
                              "c3": ("answered_elsewhere", "")}

    before = tmux("display", "-p", "-t", "e2e", "#{pane_pid}").strip()
    tmux("respawn-pane", "-k", "-t", "e2e")              # the same command, a new process
    deadline = time.monotonic() + 10
    while tmux("display", "-p", "-t", "e2e", "#{pane_pid}").strip() == before:
        assert time.monotonic() < deadline, "the console was not restarted"
        time.sleep(0.05)
    tmux.wait_for("暂无未结派单")
    screen = tmux.wait_for(r"未接 1.*13900000111")
    assert "13800000123" not in screen and "13700000222" not in screen, screen
    tmux.keys("C-b")
    tmux.wait_for(r"号码\s+13900000111")
    assert phone_rows(db)["c2"] == ("missed", "called_back")
