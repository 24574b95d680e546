"""The console as a dispatcher meets it: start-up time, memory, and keystroke-to-screen latency.

Each figure sits beside a bare Textual app measured in the same run, interleaved.

**Start (``tui_start``).** A database holding the seeded catalog and 10,000 past incidents
(each with its call and one completed order, bulk-loaded as ``bench.seed`` does for the caller
history) plus a few open orders written through ``Services``. Two real subprocesses, each in its
own pseudo-terminal (120×40, ``TERM=xterm-256color``, ``LANG=C.UTF-8``): ``python -m
bench.tui_probe DB`` (the console as ``linkage --db DB`` starts it, through a subclass that exits
after the first frame) and ``python -m bench.bare_app`` (an App with a Static and a Footer, same
hook). "First frame" is the first complete frame written to the terminal (``bench.first_frame``
explains why the first *write* is not enough). Wall time is taken from ``Popen`` to the child's
exit; peak RSS is each child's own VmHWM (``bench.first_frame`` says why not ``ru_maxrss``).

**Keys (``tui_keys``).** In-process and headless (``App.run_test``, 120×40): the console on 500
open orders with its production 1-s tick running against a clock that moves with real time (so
every countdown changes each second and the alarm check runs over all 500 rows), against a bare
app with a 500-row ``DataTable`` (same texts, row cursor) and a Footer. ``down`` is sent the way
the terminal driver delivers it (``driver.send_message(events.Key(...))``, no Pilot idle waits),
and the latency is taken to the end of the first ``App._display`` call whose compositor update
contains the key's effect: the moved cursor is already in the widget's state and the widget is in
``Screen._dirty_widgets``, the set the compositor re-rendered for this update. In headless mode
Textual stops short of turning the update into escape sequences, so the hook does that
(``CompositorUpdate.render_segments``), leaving only the write to the terminal out of the figure.
A Pilot ``press`` would be wrong here: it waits for the whole process to go idle, twice.
Keys are sent in blocks of 60 with 10–30 ms between a frame and the next key, blocks in the
order console, bare, bare, console, a fresh app per block. The console starts with hundreds of
overdue orders and raises a sticky toast for each (see the notes); the bench acknowledges them
with F9, as a dispatcher would, before sending keys. A second row gives the CPU time of the
event-loop thread over the same interval, which a busy machine inflates far less than wall time.

**Why not under tmux.** A real-terminal key figure would have to poll ``tmux capture-pane`` (one
subprocess per poll, milliseconds each: the same order as what is measured) and tell the key's
frame from the tick's repaint by the cursor row's colours, per app. The headless figure has
neither error and differs from a terminal only by the final ``write``. The real terminal path is
covered by ``tui_start`` (a pseudo-terminal and Textual's real Linux driver) for cost and by
``tests/test_e2e_tmux.py`` for behaviour.
"""

from __future__ import annotations

import asyncio
import os
import pty
import random
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter, perf_counter_ns
from typing import Any

from bench.core import Env, Row, latency_row
from bench.seed import seed_calls, seed_open_orders
from console.kernel.clock import FakeClock, iso
from console.seat.services import Services, open_services

ROOT = Path(__file__).resolve().parent.parent
START = "2026-11-28T06:00:00Z"
COLS, ROWS = 120, 40


# -- seeding --------------------------------------------------------------------------------------


def seed_past_incidents(path: Path, n: int) -> float:
    """``n`` closed incidents from 2025, each with its call and one completed order (bulk SQL
    into the projection tables; ``seed_calls`` builds the incidents and calls and checks the
    schema). Returns seconds taken."""
    started = perf_counter()
    seed_calls(path, n, max(1000, n // 3))
    from console.catalog.loading import default_data_dir, load_catalog

    catalog = load_catalog(default_data_dir())
    unit = catalog.units[catalog.categories["water_supply"].lead_unit]
    t = "strftime('%Y-%m-%dT%H:%M:%fZ', i.created_at, '{}')"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO orders (id, incident_id, unit, unit_kind, area, status, first_contact, issued_at, steps,"
            " ack_due, arrive_due, feedback_due)"
            " SELECT printf('%08x-0000-7000-a000-%012x', i.no, i.no), i.id, ?, ?, i.area, 'completed', 1,"
            f" i.created_at, json_object('issued', i.created_at, 'acknowledged', {t.format('+2 minutes')},"
            f" 'en_route', {t.format('+4 minutes')}, 'on_scene', {t.format('+25 minutes')},"
            f" 'feedback', {t.format('+80 minutes')}, 'completed', {t.format('+90 minutes')}),"
            f" {t.format('+5 minutes')}, {t.format('+30 minutes')}, {t.format('+120 minutes')}"
            " FROM incidents i",
            (unit.code, str(unit.kind)),
        )
        conn.execute(f"UPDATE incidents SET closed_at = {t.format('+90 minutes').replace('i.', '')}")
        conn.execute("COMMIT")
        got = conn.execute("SELECT count(*) FROM incidents i JOIN orders o ON o.incident_id = i.id"
                           " WHERE o.status = 'completed' AND i.closed_at IS NOT NULL").fetchone()[0]
        if got != n:
            raise RuntimeError(f"seeded {got} past incidents with orders, wanted {n}")
    finally:
        conn.close()
    return perf_counter() - started


# -- subprocesses in a pseudo-terminal ------------------------------------------------------------


@dataclass(frozen=True)
class Spawned:
    wall_ns: int                 # Popen → exit
    first_frame_s: float | None  # Popen → first complete frame (the child's own report)
    peak_kb: int                 # the child's VmHWM at interpreter exit (its own report)
    code: int
    output: bytes


def run_in_pty(args: list[str], env: dict[str, str], *, timeout: float = 60.0) -> Spawned:
    """Run ``args`` with a fresh pseudo-terminal as its stdin/stdout/stderr, draining the output."""
    import fcntl
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    fd, report = tempfile.mkstemp(prefix="linkage-frame-")
    os.close(fd)
    out = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            out.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    child_env = {**env, "LINKAGE_BENCH_REPORT": report}
    try:
        spawned_at = time.time()
        t0 = perf_counter_ns()
        proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=child_env,
                                start_new_session=True)
        killer = threading.Timer(timeout, lambda: os.killpg(proc.pid, 9))
        killer.start()
        try:
            _, status = os.waitpid(proc.pid, 0)
        finally:
            killer.cancel()
        t1 = perf_counter_ns()
        proc.returncode = os.waitstatus_to_exitcode(status)
        os.close(slave)
        slave = -1
        reader.join(5)
        lines = dict(line.split(" ", 1) for line in Path(report).read_text().splitlines() if " " in line)
        first = float(lines["frame"]) - spawned_at if "frame" in lines else None
        peak = int(lines.get("peak", "0"))
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
        Path(report).unlink(missing_ok=True)
    return Spawned(t1 - t0, first, peak, proc.returncode, bytes(out))


def _pty_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "LINKAGE_", "COLUMNS", "LINES"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", PYTHONDONTWRITEBYTECODE="1")
    return env


def _check(run: Spawned, who: str) -> Spawned:
    if run.code != 0 or run.first_frame_s is None or not run.peak_kb:
        tail = run.output[-600:].decode("utf-8", "replace")
        raise RuntimeError(f"{who} exited {run.code} without a first frame; terminal tail: {tail!r}")
    return run


def measure_tui_start(env: Env) -> list[Row]:
    past, live, runs, warm = 10_000, 20, 7, 1
    d = env.dir("tui_start")
    db = d / "console.db"
    seeded_s = seed_past_incidents(db, past)
    clock = FakeClock(START)
    svc = open_services(db, clock=clock)
    seed_open_orders(svc, clock, live)
    now = clock.advance(minutes=4)  # the oldest orders are close to their acknowledgement deadline
    open_rows = len(svc.board().rows)
    svc.close()

    base_env = _pty_env()
    ours_env = {**base_env, "LINKAGE_NOW": iso(now)}
    ours_cmd = [sys.executable, "-m", "bench.tui_probe", str(db), "zh"]
    bare_cmd = [sys.executable, "-m", "bench.bare_app"]

    def ours() -> Spawned:
        return _check(run_in_pty(ours_cmd, ours_env), "console probe")

    def bare() -> Spawned:
        return _check(run_in_pty(bare_cmd, base_env), "bare app")

    for _ in range(warm):
        ours()
        bare()
    subj: list[Spawned] = []
    base: list[Spawned] = []
    for i in range(runs):
        if i % 2 == 0:
            subj.append(ours())
            base.append(bare())
        else:
            base.append(bare())
            subj.append(ours())

    def ns(runs: list[Spawned]) -> list[int]:
        return [r.wall_ns for r in runs]

    def first(runs: list[Spawned]) -> list[int]:
        return [int((r.first_frame_s or 0) * 1e9) for r in runs]

    rss_s = [r.peak_kb / 1024 for r in subj]
    rss_b = [r.peak_kb / 1024 for r in base]
    wall = latency_row(
        f"tui: start→first frame→exit, {past // 1000}k past", ns(subj), ns(base), max_x=2,
        base_label="bare Textual app",
        notes=[f"tui start: {past:,} past incidents (call + completed order each) bulk-loaded in {seeded_s:.1f} s,"
               f" {open_rows} open orders through Services; both apps are real subprocesses in a {COLS}×{ROWS}"
               " pseudo-terminal, exiting right after their first complete frame; wall = Popen → exit (waitpid);"
               f" {runs} runs each, interleaved, after {warm} warm-up pair; bare = App with a Static and a Footer"],
    )
    frame = latency_row(f"tui: start→first complete frame, {past // 1000}k past", first(subj), first(base),
                        base_label="bare Textual app")
    rss = ratio_row("tui: peak RSS at first frame", rss_s, rss_b, max_x=2.5, unit="MB",
                    base_label="bare Textual app",
                    notes=["tui rss: each child's own peak resident set (VmHWM from /proc/self/status, written at"
                           " interpreter exit); ru_maxrss from wait4/RUSAGE_CHILDREN is unusable here because Linux"
                           " keeps the forking parent's high-water mark (this bench, ~95 MB) across exec; median of"
                           " the runs, the p95 column shows the largest"])
    env.drop("tui_start")
    return [wall, frame, rss]


def ratio_row(name: str, values: list[float], base: list[float], *, max_x: float, unit: str, base_label: str,
              notes: list[str]) -> Row:
    med, bmed = statistics.median(values), statistics.median(base)
    ratio = med / bmed
    return Row(name=name, n=len(values), value=f"{med:.1f} {unit}", p95=f"{max(values):.1f} {unit}",
               base_value=f"{bmed:.1f} {unit}", base_p95=f"{max(base):.1f} {unit}", vs_base=f"{ratio:.2f}×",
               target=f"≤ {max_x:g}× {base_label}", vs_target=f"{ratio / max_x:.2f}", ok=ratio <= max_x,
               notes=notes)


# -- keystroke → frame ------------------------------------------------------------------------------


class LiveClock(FakeClock):
    """A fake clock for seeding that, once started, runs with real (monotonic) time."""

    _started: float | None = None

    def start(self) -> None:
        self._started = time.monotonic()

    def now(self) -> datetime:
        base = super().now()
        if self._started is None:
            return base
        return base + timedelta(seconds=time.monotonic() - self._started)


@dataclass
class Pending:
    moved: Callable[[], bool]   # the key's effect is in the widget's state
    widget: Any
    event: asyncio.Event
    at: int = 0
    cpu_at: int = 0


class KeyFrameMixin:
    """Resolves the pending key at the end of the first ``_display`` whose update includes it."""

    pending: Pending | None = None
    frames = 0

    def _display(self, screen: Any, renderable: Any) -> None:
        from textual._compositor import CompositorUpdate

        super()._display(screen, renderable)  # type: ignore[misc]  # Textual private, untyped here
        app: Any = self
        if renderable is None or app._batch_count:
            return
        if app.is_headless and isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)  # what a real driver would have written
        self.frames += 1
        p = self.pending
        if p is not None and screen is app.screen and p.moved() and p.widget in screen._dirty_widgets:
            p.at, p.cpu_at = perf_counter_ns(), time.thread_time_ns()
            self.pending = None
            p.event.set()


async def _press_down(app: Any, widget: Any, moved: Callable[[], bool], timeout: float = 5.0) -> tuple[int, int]:
    """(wall ns, event-loop thread CPU ns) from sending ``down`` to the frame that shows it."""
    from textual import events

    pending = Pending(moved, widget, asyncio.Event())
    app.pending = pending
    c0 = time.thread_time_ns()
    t0 = perf_counter_ns()
    app._driver.send_message(events.Key("down", None))
    try:
        await asyncio.wait_for(pending.event.wait(), timeout)
    except TimeoutError:
        app.pending = None
        return int(timeout * 1e9), time.thread_time_ns() - c0
    return pending.at - t0, pending.cpu_at - c0


def _board_texts(svc: Services, lang: str) -> list[tuple[str, ...]]:
    """The console's 500 rows as plain cells (what the bare table shows)."""
    from console.kernel.model import STATUS_LABELS, label
    from console.words import Words

    words = Words(lang, svc.config.tz, svc.catalog)
    return [(str(r.order.no), f"#{r.order.incident_no}", words.category(r.category), words.unit(r.order.unit),
             label(STATUS_LABELS, r.order.status, lang), words.remaining(r.clock)) for r in svc.board().rows]


def measure_tui_keys(env: Env) -> list[Row]:
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer

    from screens.app import LinkageApp
    from screens.widgets.board_view import BoardView

    orders, blocks, per_block, lang = 500, 2, 60, "zh"
    d = env.dir("tui_keys")
    clock = LiveClock(START)
    svc = open_services(d / "keys.db", clock=clock)
    seeded_s = seed_open_orders(svc, clock, orders)
    clock.start()
    texts = _board_texts(svc, lang)
    overdue = svc.board().overdue
    if len(texts) != orders:
        raise RuntimeError(f"board has {len(texts)} open orders, wanted {orders}")

    class Console(KeyFrameMixin, LinkageApp):
        pass

    class BareTable(KeyFrameMixin, App[None]):
        CSS = "DataTable { height: 1fr; }"

        def compose(self) -> ComposeResult:
            table: DataTable[Text] = DataTable(cursor_type="row")
            for key, width in (("order", 5), ("incident", 6), ("category", 12), ("unit", 16), ("status", 8),
                               ("countdown", 24)):
                table.add_column(key, key=key, width=width)
            table.add_rows([[Text(c) for c in row] for row in texts])
            yield table
            yield Footer()

    rnd = random.Random(7)

    flood: list[tuple[int, float]] = []   # (toasts up when the board came up, seconds to get there)

    async def block(which: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        t0 = perf_counter()
        app: Any = Console(svc, lang, tick_seconds=1.0) if which == "ours" else BareTable()
        async with app.run_test(size=(COLS, ROWS), notifications=True) as pilot:
            await pilot.pause()
            if which == "ours":
                view = app.screen.query_one(BoardView)
                while not view.has_focus:
                    await asyncio.sleep(0.01)
                flood.append((len(app.screen.query("Toast")), perf_counter() - t0))
                await pilot.press("f9")          # the dispatcher acknowledges the start-up alarms
                widget, cursor = view, (lambda: view.cursor)
            else:
                table = app.query_one(DataTable)
                while not table.has_focus:
                    await asyncio.sleep(0.01)
                widget, cursor = table, (lambda: table.cursor_row)
            await asyncio.sleep(0.2)
            for _ in range(per_block):
                expected = cursor() + 1

                def moved(e: int = expected) -> bool:
                    return cursor() == e

                out.append(await _press_down(app, widget, moved))
                await asyncio.sleep(rnd.uniform(0.01, 0.03))
        return out

    async def main() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        ours: list[tuple[int, int]] = []
        bare: list[tuple[int, int]] = []
        for which in ("ours", "bare", "bare", "ours")[: 2 * blocks]:
            (ours if which == "ours" else bare).extend(await block(which))
        return ours, bare

    started = perf_counter()
    ours, bare = asyncio.run(main())
    took = perf_counter() - started
    svc.close()
    env.drop("tui_keys")
    lost = sum(1 for v, _ in ours + bare if v >= 5e9)
    timed_out = f"; {lost} keys timed out (counted as 5 s)" if lost else ""
    cpu = latency_row(
        "tui: key→frame CPU of the UI thread", [c for _, c in ours], [c for _, c in bare],
        base_label="DataTable 500 rows",
        notes=["tui keys cpu: time.thread_time of the event-loop thread over the same interval: the work the"
               " key cost (plus a tick or a toast that fell inside it), which other processes on the machine do"
               " not inflate the way they inflate wall time; the wall figure also contains Textual's frame pacing"
               " (the screen's update timer runs at TEXTUAL_FPS=60, so a dirty widget waits up to 16.7 ms)"],
    )
    return [latency_row(
        f"tui: key→frame, board {orders} open, 1-s tick", [w for w, _ in ours], [w for w, _ in bare], max_ms=50,
        base_label="DataTable 500 rows",
        notes=[f"tui keys: {orders} open orders seeded through Services in {seeded_s:.1f} s; headless run_test"
               f" {COLS}×{ROWS}, `down` × {per_block} per block, {blocks} blocks per app (ABBA), a fresh app per block,"
               f" {took:.0f} s; latency = driver.send_message(Key) → end of the first App._display whose update"
               " re-rendered the moved cursor (escape sequences built, terminal write excluded); baseline = bare"
               f" App with a 500-row DataTable (same texts) + Footer{timed_out}",
               f"tui keys: the console came up with {flood[0][0]} sticky toasts (one per overdue order, of"
               f" {overdue} overdue) in {flood[0][1]:.1f} s (headless, notifications on); F9 acknowledged them"
               " before the keys were sent"],
    ), cpu]
