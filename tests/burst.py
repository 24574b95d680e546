"""Burst typing in a real terminal: the console in a private tmux server, whole calls sent as one
``send-keys`` (a practised operator's keys arrive in one read, faster than any screen opens).

Set-up as textual_pitfalls.md §3.5 recommends: a private server (its socket in the test's tmp
dir, ``-f /dev/null``), a fixed window, ``LANG=C.UTF-8`` (else tmux draws CJK as ``_``),
``TERM=xterm-256color``, ``TEXTUAL_ANIMATIONS=none``, ``escape-time 10`` and a fixed clock
(``LINKAGE_NOW``). Every wait is a bounded poll over ``capture-pane -p``; the store is read with
``sqlite3`` on the database file while the console runs (WAL lets a second connection read).

``Console.start(tmp_path, size, seed=…)`` seeds a fresh database through ``Services`` at the same
fixed clock, starts ``linkage --db`` in the window and waits until the board is painted and
focused; ``send(*keys)`` sends a whole sequence in one ``send-keys`` call (a ``Lit`` part is
sent as literal text, the way an IME commit arrives); ``rows(sql)`` reads the store.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.cells import cell_len

NOW = "2026-11-28T06:00:00Z"
HAVE_TMUX = shutil.which("tmux") is not None
#: an SGR sequence that turns on reverse video (the board's selected row when it has focus)
REVERSE = re.compile(r"\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m")


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


@dataclass(frozen=True)
class Lit:
    """Literal text inside a burst (``send-keys -l``): characters, not key names."""

    text: str


def start_tmux(tmp_path: Path, db: Path, size: tuple[int, int], lang: str = "zh",
               now: str = NOW) -> Tmux:
    """``linkage --db DB`` in a private tmux window of ``size``; returns once tmux runs it."""
    linkage = Path(sys.executable).with_name("linkage")
    assert linkage.exists(), f"{linkage} missing: is the project installed in this venv?"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TMUX", "TEXTUAL", "LINKAGE_", "LC_", "PYTEST_XDIST"))}
    env.update(LANG="C.UTF-8", TERM="xterm-256color")
    app_env = {"LANG": "C.UTF-8", "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none",
               "LINKAGE_NOW": now, "LINKAGE_LANG": lang, "HOME": str(tmp_path)}
    command = " ".join(["env", *(f"{k}={v}" for k, v in app_env.items()), str(linkage), "--db", str(db)])
    tmux = Tmux(str(tmp_path / "tmux.sock"), env)
    width, height = size
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", str(width), "-y", str(height), command,
         ";", "set-option", "-sg", "escape-time", "10",
         ";", "set-option", "-g", "remain-on-exit", "on")
    return tmux


class Console:
    """The console on a seeded database in a tmux window, driven by bursts."""

    def __init__(self, tmux: Tmux, db: Path, lang: str) -> None:
        self.tmux = tmux
        self.db = db
        self.lang = lang

    @classmethod
    def start(cls, tmp_path: Path, size: tuple[int, int], *, lang: str = "zh",
              seed: Callable[[Any], object] | None = None, ready: str | None = None,
              board: bool = True) -> Console:
        """Seed (``seed(services)`` at the fixed clock), start, wait for the focused board
        (``board=False``: only for ``ready`` on screen, the sign-in screen say)."""
        from console.kernel.clock import FakeClock
        from console.seat.services import open_services

        db = tmp_path / "burst.db"
        services = open_services(db, clock=FakeClock(NOW))
        try:
            if seed is not None:
                seed(services)
            now = services.ctx.clock.now().isoformat().replace("+00:00", "Z")
        finally:
            services.close()
        tmux = start_tmux(tmp_path, db, size, lang, now)
        console = cls(tmux, db, lang)
        if ready:
            tmux.wait_for(ready)
        if board:
            tmux.wait_for("倒计时" if lang == "zh" else "countdown")
            console.wait_board_focused()
        return console

    def wait_board_focused(self, timeout: float = 10.0) -> None:
        """The board has focus once its selected row is drawn in reverse video; with no order,
        once the first paint settled (two equal captures)."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            screen = self.tmux.screen()
            if screen == last and (REVERSE.search(self.styled()) or "暂无未结派单" in screen
                                   or "No open orders" in screen or "no open orders" in screen):
                return
            last = screen
            time.sleep(0.1)
        raise AssertionError(f"board not focused; screen:\n{last}")

    def styled(self) -> str:
        return self.tmux("capture-pane", "-p", "-e", "-t", "e2e")

    def send(self, *parts: str | Lit) -> None:
        """One ``send-keys`` for the whole sequence: key names as they are, ``Lit`` as text."""
        args: list[str] = []
        for part in parts:
            if isinstance(part, Lit):
                # tmux has no per-argument literal flag: send each character by name-free hex
                args.extend(_hex_keys(part.text))
            else:
                args.append(part)
        self.tmux("send-keys", "-t", "e2e", *args)

    def paste(self, text: str, *, bracketed: bool = True) -> None:
        """Paste ``text`` (through a tmux buffer: ``paste-buffer -p`` brackets it when the
        application asked for bracketed paste, as Textual does)."""
        self.tmux("set-buffer", "-b", "burst", text)
        self.tmux("paste-buffer", "-b", "burst", "-t", "e2e", *(["-p"] if bracketed else []))

    def wait_for(self, pattern: str, timeout: float = 15.0) -> str:
        return self.tmux.wait_for(pattern, timeout)

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return conn.execute(sql, tuple(params)).fetchall()
        finally:
            conn.close()

    def wait_rows(self, sql: str, predicate: Callable[[list[tuple[Any, ...]]], bool],
                  timeout: float = 15.0, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Poll the store until ``predicate(rows)`` holds (the console commits asynchronously)."""
        deadline = time.monotonic() + timeout
        rows: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline:
            rows = self.rows(sql, params)
            if predicate(rows):
                return rows
            time.sleep(0.1)
        raise AssertionError(f"store never matched: {rows!r}; screen:\n{self.tmux.screen()}")

    def settle(self, timeout: float = 10.0) -> str:
        """Wait until the screen stops changing (two equal captures 0.3 s apart)."""
        deadline = time.monotonic() + timeout
        last = self.tmux.screen()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            screen = self.tmux.screen()
            if screen == last:
                return screen
            last = screen
        return last

    def close(self) -> None:
        self.tmux("kill-server", check=False)


def _hex_keys(text: str) -> list[str]:
    """Characters for ``send-keys`` without ``-l``: tmux reads each argument as a key name
    first, so a literal is sent as its own UTF-8 characters, one argument each (a name such as
    ``Enter`` is never formed from single characters)."""
    return list(text)


# -- seeds ----------------------------------------------------------------------------------
#: (category, unit) of the seeded orders; a gas leak with the fire brigade among them.
BOARD_ORDERS = (
    ("gas_leak", "fire"), ("power_supply", "power"), ("water_supply", "water_co"),
    ("gas_supply", "gas"), ("pollution", "env"), ("road_damage", "transport"),
    ("manhole", "urban_mgmt"), ("telecom", "telecom_ct"), ("vagrant", "civil"),
    ("food_poisoning", "health"), ("work_safety", "safety"), ("fallen_tree", "forestry"),
    ("geo_hazard", "land"), ("weather", "met"), ("streetlight", "housing"),
)


def seed_board(services: Any, orders: int = 15, waiting: bool = True) -> None:
    """``orders`` open orders, one incident each, issued a minute apart from the fixed clock and
    then five minutes on: orders 1–7 are overdue for acknowledgement (most urgent, first on the
    board), orders 8 on are acknowledged and racing their arrival; with ``waiting``, a bus
    complaint (公交, incident #16) waits for a unit."""
    for n, (category, unit) in enumerate(BOARD_ORDERS[:orders]):
        call = services.new_call(phone=f"138000001{n:02d}", text=f"测试来电{n + 1}", address=f"人民路{n + 1}号",
                                 area="urban", category=category)
        services.issue_order(call.incident.no, unit)
        services.ctx.clock.advance(minutes=1)
    for no in range(8, orders + 1):      # the later half acknowledged: racing arrival, not overdue
        services.step(no, "ack")
    services.ctx.clock.advance(minutes=5)
    if waiting:
        services.new_call(phone="13900000099", text="公交车不按站停车", address="车站路1号", area="urban",
                          category="public_transport")


#: the two sizes every burst test runs at: the smallest the console supports, and a wide one
SMALL, LARGE = (80, 24), (120, 40)


def start_into(started: list[Any], tmp_path: Path, size: tuple[int, int], *, lang: str = "zh",
               seed: Callable[[Any], object] | None = None, **kwargs: Any) -> Console:
    """``Console.start``, kept in the ``started`` fixture's list (tests/conftest.py) so the
    console's tmux server is killed when the test ends, whatever the test did."""
    console = Console.start(tmp_path, size, lang=lang, seed=seed, **kwargs)
    started.append(console)
    return console
