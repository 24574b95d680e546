"""A console's life on a seat: it ends with its terminal, and it is the only one on its database.

Issue 18: closing the terminal (``tmux kill-session``, what an SSH drop does) left a console
started by ``make run`` spinning a core for good, and ``make demo``'s simulator writing rings.
Here each start path (``linkage``, ``make run``, ``make demo``) runs in a private tmux server:
a draft is typed (F2, a number), the session is killed, and within 2 s no process of that
terminal's session is left (the pane's processes are all in the session tmux made for it;
the simulator is the console's child, so it is in there too). The next start brings the draft
back. Then the lock: a second console on the same database is refused naming the first (pid,
since when), a ``--read-only`` view opens beside it, one-shot commands keep working, and a lock
left by a ``kill -9`` is taken over. Linux only (``/proc``), like the terminal tests.

``make`` runs on this checkout with this interpreter's venv (``VENV=``) and ``-o`` on its
install stamp, so it never reinstalls; ``ARGS`` carries the test's database.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_e2e_tmux import HEIGHT, WIDTH, Tmux

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parents[1]
LINKAGE = Path(sys.executable).with_name("linkage")
EXIT_BOUND = 2.0  # seconds: the bound for "the console is gone with its terminal"
PHONE = "13900000123"

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]


# -- processes ------------------------------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    """The fields after the command name in /proc/PID/stat (state first); None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def alive(pid: int) -> bool:
    """A zombie counts as gone: it runs nothing, and the container's pid 1 may never reap it."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def session_processes(sid: int) -> dict[int, str]:
    """Every live process of the terminal session ``sid`` (tmux makes each pane a session)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[0] != "Z" and int(fields[3]) == sid:
                try:
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
    return found


def wait_gone(pids: set[int], bound: float) -> tuple[float, set[int]]:
    """Poll until none of ``pids`` runs or ``bound`` passes: (seconds taken, still running)."""
    start = time.monotonic()
    left = set(pids)
    while left and time.monotonic() - start < bound:
        left = {p for p in left if alive(p)}
        if left:
            time.sleep(0.02)
    return time.monotonic() - start, left


# -- the terminal ---------------------------------------------------------------------------------
class Seat:
    """One database and a private tmux server to start consoles on it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = tmp / "seat.db"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TMUX", "TEXTUAL", "LINKAGE_", "LC_", "PYTEST_XDIST", "MAKE", "MFLAGS"))}
        env.update(LANG="C.UTF-8", TERM="xterm-256color", HOME=str(tmp))
        self.env = env
        self.tmux = Tmux(str(tmp / "tmux.sock"), env)
        self.started: set[int] = set()
        # No fixed clock: the demo's simulator sleeps on the real one (it refuses a fixed clock).
        self.app_env = {"LANG": "C.UTF-8", "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none",
                        "LINKAGE_LANG": "zh", "HOME": str(tmp)}

    def command(self, path: str, *extra: str, status: Path | None = None) -> str:
        """The pane's command line; with ``status``, a Python parent runs it and writes its
        return code there (negative: killed by that signal). tmux's own ``pane_dead_status``
        cannot be relied on: under load tmux 3.3a sometimes misses the SIGCHLD and leaves the
        exited console a zombie with no status for good (seen in CI, reproduced here)."""
        env = ["env", *(f"{k}={v}" for k, v in self.app_env.items())]
        db = ["--db", str(self.db), *extra]
        if path == "linkage":
            argv = [*env, str(LINKAGE), *db]
        else:
            target, *variables = {"make run": ["run"], "make demo": ["demo", "DEMO_RATE=30"]}[path]
            argv = [*env, "make", "-s", "-C", str(ROOT), "-o", f"{VENV}/.installed", f"VENV={VENV}",
                    *variables, target, f"ARGS={shlex.join(db)}"]
        if status is not None:
            record = ("import pathlib, subprocess, sys; "
                      "pathlib.Path(sys.argv[1]).write_text(str(subprocess.call(sys.argv[2:])))")
            return shlex.join([sys.executable, "-c", record, str(status), *argv])
        return shlex.join(argv)

    def start(self, path: str, *extra: str, window: bool = False, status: Path | None = None) -> dict[int, str]:
        """Open a console (a new session, or a new window of the running one) and wait for the
        board; returns the processes of its terminal."""
        if window:
            self.tmux("new-window", "-t", "e2e", self.command(path, *extra, status=status))
        else:
            self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", str(WIDTH), "-y", str(HEIGHT),
                      self.command(path, *extra, status=status), ";", "set-option", "-sg", "escape-time", "10",
                      ";", "set-option", "-g", "remain-on-exit", "on")
        self.tmux.wait_for("倒计时", timeout=30)
        self.tmux.wait_for("F2 接警")               # the board's body is painted
        time.sleep(0.3)                             # first paint ≠ ready (pitfalls §3.5)
        pane = int(self.tmux("display", "-p", "-t", "e2e", "#{pane_pid}"))
        procs = session_processes(pane)
        self.started |= set(procs)
        return procs

    def console_pid(self, procs: dict[int, str]) -> int:
        [pid] = [p for p, cmd in procs.items() if re.search(r"bin/linkage( |$)", cmd) and " -c " not in cmd]
        return pid

    def type_draft(self) -> None:
        self.tmux.keys("F2")
        self.tmux.wait_for("接警 · 新来电")
        self.tmux.wait_for_caret("号码")
        self.tmux.text(PHONE)
        self.tmux.wait_for(rf"号码\s+{PHONE}")

    def draft_phone(self) -> str | None:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT json_extract(body, '$.phone') FROM drafts WHERE key = 'intake'").fetchone()
        finally:
            conn.close()
        return row[0] if row else None

    def cleanup(self) -> None:
        self.tmux("kill-server", check=False)
        for pid in self.started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def seat(tmp_path: Path) -> Iterator[Seat]:
    assert LINKAGE.exists(), f"{LINKAGE} missing: is the project installed in this venv?"
    s = Seat(tmp_path)
    try:
        yield s
    finally:
        s.cleanup()


# -- the console ends with its terminal -----------------------------------------------------------
@pytest.mark.parametrize("path", ["linkage", "make run", "make demo"])
def test_killing_the_terminal_ends_every_process_and_keeps_the_draft(seat: Seat, path: str) -> None:
    """Kill the tmux session with a draft on screen: within 2 s nothing of that terminal runs
    (make, the console, the demo's simulator), and the next console brings the draft back."""
    if path != "linkage" and shutil.which("make") is None:
        pytest.skip("make is not installed")
    procs = seat.start(path)
    console = seat.console_pid(procs)
    simulators = {p for p, cmd in procs.items() if "simulate-calls" in cmd}
    assert len(simulators) == (1 if path == "make demo" else 0), procs
    assert any(cmd.startswith("make") for cmd in procs.values()) == path.startswith("make"), procs
    seat.type_draft()

    seat.tmux("kill-session", "-t", "e2e")
    took, left = wait_gone(set(procs), EXIT_BOUND)
    released = Path(f"{seat.db}.console.lock").read_text() == ""  # the clean path, not the backstop
    print(f"\n{path}: {len(procs)} processes gone {took:.2f} s after kill-session; lock released: {released}")
    assert not left, f"still running {took:.1f} s after the terminal closed: {[procs[p] for p in left]}"
    assert not alive(console)
    assert seat.draft_phone() == PHONE

    seat.start("linkage")
    seat.tmux.keys("F2")
    seat.tmux.wait_for(rf"号码\s+{PHONE}")          # the draft is back in the form
    seat.tmux.wait_for("已恢复未完成的接警草稿")


def test_sigterm_ends_the_console_cleanly(seat: Seat) -> None:
    """A supervisor's SIGTERM: the console leaves through its normal exit (the terminal is put
    back, the process exits with status 143 rather than dying of the signal) and gives the seat's
    lock up."""
    status = seat.tmp / "exit-status"
    procs = seat.start("linkage", status=status)
    console = seat.console_pid(procs)
    os.kill(console, signal.SIGTERM)
    took, left = wait_gone({console}, EXIT_BOUND)
    assert not left, f"still running {took:.1f} s after SIGTERM"
    deadline = time.monotonic() + 5
    while not status.exists() or not status.read_text().strip():
        assert time.monotonic() < deadline, "the parent never saw the console end"
        time.sleep(0.05)
    assert status.read_text() == "143"                         # an exit of its own, not -15 (killed)
    assert Path(f"{seat.db}.console.lock").read_text() == ""   # released, not left to the kernel


# -- one console per seat database ----------------------------------------------------------------
def run_linkage(seat: Seat, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINKAGE), "--db", str(seat.db), *args], env={**seat.env, **seat.app_env},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)


def event_count(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()


def test_a_second_console_is_refused_naming_the_first(seat: Seat) -> None:
    """While a console runs: a second one exits 2 with the first one's pid and start time in
    Chinese (and in English with --lang en), changing nothing; one-shot commands still work;
    ``--read-only`` opens a view that takes no calls."""
    first = seat.console_pid(seat.start("linkage"))
    before = event_count(seat.db)

    zh = run_linkage(seat)
    assert zh.returncode == 2, zh
    assert re.fullmatch(rf"linkage: 此数据库已有控制台在运行（进程 {first}，自 \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d 起）"
                        r"；同一席位只能开一个控制台，只看不改请加 --read-only\n", zh.stderr), zh.stderr
    en = run_linkage(seat, "--lang", "en")
    assert en.returncode == 2 and f"another console already runs on this database (pid {first}, since " in en.stderr
    assert event_count(seat.db) == before
    assert alive(first)

    board = run_linkage(seat, "board")                      # a one-shot command is not a console
    assert board.returncode == 0, board.stderr
    call = run_linkage(seat, "call", "new", "--phone", "13800000001", "--text", "停电了", "--category",
                       "power_supply")
    assert call.returncode == 0, call.stderr
    assert event_count(seat.db) == before + 1

    seat.start("linkage", "--read-only", window=True)        # a view beside the console
    seat.tmux.wait_for("只读打开")
    seat.tmux.keys("F2")
    seat.tmux.wait_for("只读打开：不能接警")
    assert "接警 · 新来电" not in seat.tmux.screen()
    refused = run_linkage(seat, "--read-only", "call", "new", "--phone", "13800000002", "--text", "停水了")
    assert refused.returncode == 2 and "只读打开（--read-only）：不能修改任何记录" in refused.stderr
    assert event_count(seat.db) == before + 1


def test_the_console_needs_a_terminal(seat: Seat) -> None:
    """Without one (stdin from /dev/null) it is refused instead of spinning on EOF unseen."""
    done = run_linkage(seat, "--lang", "en")
    assert done.returncode == 2
    assert done.stderr == "linkage: the console needs a terminal (standard input and standard error)\n"
    assert Path(f"{seat.db}.console.lock").read_text() == ""       # the seat was given back


def test_a_lock_left_by_kill_9_is_taken_over(seat: Seat) -> None:
    """``kill -9`` on a demo console: its simulator dies with it (PR_SET_PDEATHSIG), the lock
    file still names the dead console, and the next console takes the seat and names itself."""
    procs = seat.start("linkage", "--demo-rate", "30")
    dead = seat.console_pid(procs)
    [simulator] = [p for p, cmd in procs.items() if "simulate-calls" in cmd]
    os.kill(dead, signal.SIGKILL)
    took, left = wait_gone({dead, simulator}, EXIT_BOUND)
    assert not left, f"the simulator outlived a killed console by {took:.1f} s"
    lock = Path(f"{seat.db}.console.lock")
    assert f'"pid": {dead}' in lock.read_text()               # what a killed console leaves

    new = seat.console_pid(seat.start("linkage", window=True))
    assert new != dead and f'"pid": {new}' in lock.read_text()
    again = run_linkage(seat)
    assert again.returncode == 2 and f"进程 {new}" in again.stderr
