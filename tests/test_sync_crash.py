"""kill -9 during local writes and during sync passes, on seats and on the server: nothing lost.

Research item R3, scaled to a test that runs in well under a minute on two cores. The real
city server (``linkage serve`` as its own process, over its own SQLite file) and two seats of
one county, each a ``sync_crash_writer.py`` process working through ``open_services`` and
running real sync passes every few actions, so pulls carry the other seat's events and each
seat steps orders the other one issued.

The seats are SIGKILLed again and again: at a random moment of a sync pass (hello, push,
acks being recorded, pages being pulled and applied), at a random moment between passes (the
local writes), during start-up, and at exact crash points inside the sync transactions (a
random kill rarely lands in the few milliseconds one is open; see the writer). Right after
each kill the seat's file is checked before it is opened again (nothing it confirmed is gone;
an event has an outbox row exactly when it has no server seq; the pull cursor is never ahead
of the log; projections = a replay of the log; every server seq it holds is the server's),
then the seat is restarted on the same database with its ``config.toml`` written afresh.
Every five seat rounds the server is SIGKILLed too, just after a seat's hello (so mostly with
its push or pull in flight), its file is checked (gap-free seqs), and it is restarted on the
same store, on the same port when it can be had so running seats reconnect on their own.

Then the killing stops, a clean server is started, both seats are opened in-process and synced
until their queues are empty and they are caught up, and the files are checked: every event a
seat confirmed is on the server exactly once and on both seats; the server's seqs are 1..n
without a gap and each seat knows every event under the server's seq and content hash;
``integrity_check`` is ok on all three files; no outbox or pending rows remain; both seats
show the same incidents, calls and orders; and replaying each seat's event log from nothing
rebuilds exactly the projection tables on its disk.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from crash_harness import PROJECTIONS, WriterRun, replayed
from engines import connect, quick_check

from central.storage import open_store
from central.testing import ServerProcess, serve_subprocess
from console.kernel.clock import SystemClock
from console.seat.services import Services, open_services
from console.store.transaction import record_from_row
from console.sync.protocol import content_hash, to_wire

WRITER = Path(__file__).with_name("sync_crash_writer.py")
COUNTY = "demo-county"
SEATS = ("seat-01", "seat-02")
POINTS = ("write-tx", "ack-lost", "ack-tx", "ack-done", "pull-tx", "pull-done")
# what each round does to one seat (the rounds alternate between the two seats, shuffled)
PLAN = ("sync",) * 6 + ("write",) * 5 + ("startup",) * 3 + tuple(f"point:{p}" for p in POINTS)
SERVER_KILL_EVERY = 5          # after seat rounds 5, 10, 15, 20: four server kills
READY_TIMEOUT_S = 30.0
POINT_TIMEOUT_S = 30.0
DRAIN_ROUNDS = 8


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Run(WriterRun):
    """One seat writer process: its saves (as in test_crash.py) and its sync passes."""

    def __init__(self, seat: Seat, seed: int, point: str | None) -> None:
        args = [sys.executable, str(WRITER), str(seat.db), str(seat.config), str(seed)]
        self.point = point.partition(":")[0] if point else None
        self.pass_started = threading.Event()  # "syncing" seen (cleared by whoever waits for the next)
        self.pass_ended = threading.Event()    # "synced" seen (likewise)
        self.in_pass = False
        self.passes = self.ok_passes = self.pushed = self.pulled = 0
        self.codes: Counter[str] = Counter()
        self.crashpoint: str | None = None
        super().__init__([*args, point] if point else args, seat.stderr, _child_env())

    def on_line(self, line: list[str]) -> None:
        if line == ["syncing"]:
            self.in_pass = True
            self.pass_started.set()
        elif line[0] == "synced":
            self.in_pass = False
            self.passes += 1
            self.pushed += int(line[1])
            self.pulled += int(line[2])
            self.ok_passes += int(line[3])
            if line[4] != "-":
                self.codes[f"{line[4]}/{line[5]}" if line[4] == "unreachable" else line[4]] += 1
            self.pass_ended.set()
        elif line[0] == "crashpoint":
            self.crashpoint = line[1]


class Seat:
    def __init__(self, root: Path, name: str, token: str) -> None:
        self.name = name
        self.dir = root / name
        self.dir.mkdir()
        self.db = self.dir / "linkage.db"
        self.config = self.dir / "config.toml"
        self.stderr = root / f"{name}.stderr"
        fd = os.open(self.dir / "sync-token", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(token + "\n")
        self.run: Run | None = None
        self.plan: list[str] = []
        self.runs: list[Run] = []      # every run, killed and collected

    def write_config(self, url: str) -> None:
        self.config.write_text(f'[center]\ncounty = "{COUNTY}"\nseat = "{self.name}"\n'
                               f'[sync]\nserver = "{url}"\ndeadline_seconds = 5\n', encoding="utf-8")

    def start(self, url: str, seed: int, point: str | None = None) -> Run:
        self.write_config(url)      # the server may have moved to another port since the last run
        self.run = Run(self, seed, point)
        self.runs.append(self.run)
        return self.run

    def confirmed(self) -> list[str]:
        return [i for run in self.runs for i in run.saved]

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")[-3000:]

    def abandon(self) -> None:
        for run in self.runs:
            run.abandon()


class Server:
    """``linkage serve`` on the one store file; SIGKILLed and restarted, same port if free."""

    def __init__(self, store: Path | str) -> None:
        self.store = store
        self.port = 0
        self.cm: AbstractContextManager[ServerProcess] | None = None
        self.sp: ServerProcess | None = None
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.tail: list[str] = []
        self.hello = threading.Event()
        self.failed: list[str] = []                # request lines with a 5xx status
        self.tracebacks: list[list[str]] = []      # anything logged that is not a request line
        self.moved = 0
        self.cut = 0

    def start(self) -> str:
        extra = ("--rate", "100000", "--burst", "100000")
        attempts = [("--port", str(self.port))] if self.port else []
        for port_args in [*attempts, ()]:   # the old port first: running seats find it again
            cm = serve_subprocess(self.store, *extra, *port_args, on_log=self._line)
            try:
                sp = cm.__enter__()
            except RuntimeError:
                continue
            self.cm, self.sp = cm, sp
            if self.port and sp.ready["port"] != self.port:
                self.moved += 1
            self.port = int(sp.ready["port"])
            return sp.url
        raise AssertionError("the server did not start")

    def _line(self, line: str) -> None:
        """Each line of its log as it comes: request lines and tracebacks."""
        line = line.rstrip()
        self.tail = [*self.tail[-20:], line]
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict) and "status" in entry:
            if entry.get("path") == "/v1/hello":
                self.hello.set()     # a pass began: its push and pull come next
            self.requests += 1
            self.statuses[int(entry["status"])] += 1
            if entry.get("code") == "client_disconnected":
                self.cut += 1
            if int(entry["status"]) >= 500:
                self.failed.append(line)
        elif self.tracebacks and not line.startswith(("unexpected failure", "{")):
            self.tracebacks[-1].append(line)
        else:
            self.tracebacks.append([line])

    def errors(self) -> tuple[int, list[str]]:
        """(requests cut off by a seat kill, any server failure, as text).

        A seat killed while it sends a push leaves the server reading a body that never
        ends; the server logs that as ``client_disconnected`` (stores nothing, answers nobody).
        A 5xx or a traceback fails the test.
        """
        return self.cut, ["\n".join(tb) for tb in self.tracebacks] + self.failed

    @property
    def url(self) -> str:
        assert self.sp is not None
        return self.sp.url

    def kill(self) -> None:
        assert self.sp is not None and self.cm is not None
        os.kill(self.sp.process.pid, signal.SIGKILL)
        assert self.sp.process.wait(30) == -signal.SIGKILL, "the server exited by itself:\n" + "\n".join(self.tail)
        self.cm.__exit__(None, None, None)
        self.cm = self.sp = None

    def abandon(self) -> None:
        """The test failed half-way: leave no server behind."""
        if self.sp is not None and self.cm is not None:
            if self.sp.process.poll() is None:
                self.sp.process.kill()
                self.sp.process.wait(30)
            self.cm.__exit__(None, None, None)
            self.cm = self.sp = None

    def stop(self) -> None:
        assert self.sp is not None and self.cm is not None
        self.sp.process.terminate()
        assert self.sp.process.wait(30) == 0, "the server did not shut down cleanly"
        self.cm.__exit__(None, None, None)
        self.cm = self.sp = None


def _projection(conn: sqlite3.Connection) -> dict[str, Any]:
    """What a dispatcher sees, minus the seat-local numbering (as ``County.projection``)."""
    return {
        "incidents": sorted(tuple(r) for r in conn.execute(
            "SELECT id, status, category, disposition, merged_into, closed_at, phone, text FROM incidents")),
        "calls": sorted(tuple(r) for r in conn.execute(
            "SELECT id, incident_id, phone, text, received_at FROM calls")),
        "orders": sorted((r[0], r[1], r[2], r[3], tuple(sorted(json.loads(r[4]).items())), r[5], r[6], r[7])
                         for r in conn.execute("SELECT id, incident_id, unit, status, steps, return_reason,"
                                               " reassigned_from, handover_from FROM orders")),
        "catalog": tuple(conn.execute("SELECT version, event_id FROM catalog_snapshot").fetchone()),
    }


def _one(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _check_after_seat_kill(seat: Seat, store: Path | str) -> bool:
    """The killed seat's file, before it is opened again: nothing confirmed lost, no half
    transaction. False if the kill came before the first start had made the schema."""
    if not seat.db.exists():
        return False
    conn = sqlite3.connect(seat.db)   # recovers the WAL the way the restarted seat would
    try:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)], seat.name
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "sync_state" not in tables:
            assert not seat.confirmed(), f"{seat.name} confirmed events but has no schema"
            return False
        have = {r[0] for r in conn.execute("SELECT id FROM events")}
        lost = [i for i in seat.confirmed() if i not in have]
        assert not lost, f"{seat.name}: {len(lost)} confirmed events gone after a kill, e.g. {lost[:3]}"
        # an ack removes the outbox row and records the server seq in one transaction
        half = conn.execute(
            "SELECT id, server_seq, EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id) FROM events e"
            " WHERE origin = 'local' AND (server_seq IS NULL) != EXISTS (SELECT 1 FROM outbox o"
            " WHERE o.event_id = e.id)").fetchall()
        assert not half, f"{seat.name}: outbox and server_seq disagree after a kill: {half[:3]}"
        # a pulled page and the cursor move together: below the cursor the seat has every seq
        after = _one(conn, "SELECT after_seq FROM sync_state")
        below = [r[0] for r in conn.execute(
            "SELECT server_seq FROM events WHERE server_seq <= ? ORDER BY server_seq", (after,))]
        assert below == list(range(1, after + 1)), f"{seat.name}: the cursor {after} is ahead of the log"
        assert _one(conn, "SELECT count(*) FROM pending_events p LEFT JOIN events e ON e.id = p.event_id"
                          " WHERE e.id IS NULL") == 0
        conn.row_factory = None
        rebuilt = replayed(conn)
        for table in PROJECTIONS:
            on_disk = [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
            assert on_disk == rebuilt[table], f"{seat.name}: {table} differs from a replay after a kill"
        acked = dict(conn.execute("SELECT id, server_seq FROM events WHERE server_seq IS NOT NULL").fetchall())
    finally:
        conn.close()
    # what the seat holds as acked (or pulled) is on the server under that seq, for good
    server = sqlite3.connect(f"file:{store}?mode=ro", uri=True) if isinstance(store, Path) else connect(store)
    try:
        held = dict(server.execute("SELECT id, seq FROM events WHERE county = ?", (COUNTY,)).fetchall())
    finally:
        server.close()
    wrong = [(i, seq, held.get(i)) for i, seq in acked.items() if held.get(i) != seq]
    assert not wrong, f"{seat.name} holds server seqs the server does not: {wrong[:3]}"
    return True


def _check_after_server_kill(store: Path | str) -> None:
    conn = connect(store)
    try:
        assert quick_check(conn)
        seqs = [r[0] for r in conn.execute("SELECT seq FROM events WHERE county = ? ORDER BY seq", (COUNTY,))]
        assert seqs == list(range(1, len(seqs) + 1)), "the server's seqs have a gap after a kill"
        assert _one(conn, "SELECT last_seq FROM streams WHERE county = ?", (COUNTY,)) == len(seqs)
    finally:
        conn.close()


def _drain(seats: dict[str, Services]) -> int:
    """Sync every seat until all queues are empty and all are caught up, then once more."""
    passes = 0
    for _ in range(DRAIN_ROUNDS):
        for name, svc in seats.items():
            report = svc.sync_once()
            passes += 1
            assert report.ok, (name, report.error_code, report.error_detail)
        status = [svc.sync_status() for svc in seats.values()]
        if all(s.queued == 0 and s.quarantined == 0 and s.lag == 0 for s in status):
            for name, svc in seats.items():   # each pulls the last pushes of the other
                report = svc.sync_once()
                passes += 1
                assert report.ok and report.pushed == 0, (name, report)
            return passes
    raise AssertionError(f"the queues did not drain in {DRAIN_ROUNDS} rounds")


@pytest.fixture
def leftovers() -> Iterator[list[Seat | Server]]:
    """Seats and servers to kill if the test stops half-way (a failed assertion)."""
    things: list[Seat | Server] = []
    yield things
    for thing in things:
        thing.abandon()


@pytest.mark.slow
def test_kill_9_during_writes_and_sync_loses_nothing_and_converges(
        tmp_path: Path, central_spec: Path | str, leftovers: list[Seat | Server]) -> None:
    started = time.monotonic()
    seed = int(os.environ.get("SYNC_CRASH_SEED") or random.randrange(1 << 30))
    print(f"\nsync crash test seed {seed} (SYNC_CRASH_SEED={seed} repeats the same plan, roughly)")
    rnd = random.Random(seed)
    store = central_spec  # a SQLite file or a PostgreSQL database: the server is killed over either
    central = open_store(store, SystemClock())
    try:
        seats = [Seat(tmp_path, name, central.add_token(COUNTY, name)) for name in SEATS]
    finally:
        central.close()
    leftovers.extend(seats)

    plan = list(PLAN)
    rnd.shuffle(plan)
    for k, mode in enumerate(plan):
        seats[k % 2].plan.append(mode)
    kills: Counter[str] = Counter()
    checked: Counter[str] = Counter()    # files checked right after a kill
    next_seed = iter(range(seed, seed + 10_000))

    def point_spec(mode: str) -> str:
        point = mode.removeprefix("point:")
        return f"{point}:{rnd.randint(1, 8) if point == 'write-tx' else rnd.randint(1, 3)}"

    def kill(seat: Seat, kind: str | None = None) -> None:
        run = seat.run
        assert run is not None
        landed = kind or ("sync-pass" if run.in_pass else "between-passes")
        code = run.kill()
        assert code == -signal.SIGKILL, f"{seat.name} exited by itself ({code}):\n{seat.errors()}"
        kills[landed] += 1
        checked["seat"] += _check_after_seat_kill(seat, store)

    def wait_writing(seat: Seat) -> Run:
        run = seat.run
        assert run is not None
        assert run.ready.wait(READY_TIMEOUT_S), f"{seat.name} never became ready:\n{seat.errors()}"
        assert run.writing.wait(READY_TIMEOUT_S), f"{seat.name} never saved anything:\n{seat.errors()}"
        return run

    server = Server(store)
    leftovers.append(server)
    server.start()
    for seat in seats:
        seat.start(server.url, next(next_seed))

    for round_no in range(len(plan)):
        seat = seats[round_no % 2]
        mode = seat.plan.pop(0)
        run = seat.run
        assert run is not None
        if mode.startswith("point:"):
            # the run it has, at whatever it is doing; then one that kills itself at the point
            # (armed only now: the other seat must be running, or a pull point may never come)
            kill(seat)
            run = seat.start(server.url, next(next_seed), point_spec(mode))
            try:
                code = run.finish(POINT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                run.kill()
                raise AssertionError(f"{seat.name} never reached {mode}:\n{seat.errors()}") from None
            assert code == -signal.SIGKILL and run.crashpoint == run.point, (
                f"{seat.name} ended with {code} at {run.crashpoint!r}, not at {mode}:\n{seat.errors()}")
            kills[f"crash point {run.point}"] += 1
            checked["seat"] += _check_after_seat_kill(seat, store)
        elif mode == "startup":
            kill(seat)  # the run it has, at whatever it is doing, then one killed while it starts
            seat.start(server.url, next(next_seed)).ready.wait(rnd.uniform(0.0, 0.7))
            kill(seat, "start-up")
        else:
            run = wait_writing(seat)
            if mode == "sync":      # anywhere in a pass: hello, push, acks, pull, apply
                run.pass_started.clear()
                assert run.pass_started.wait(READY_TIMEOUT_S), f"{seat.name} stopped syncing:\n{seat.errors()}"
                time.sleep(rnd.uniform(0.0, 0.2))
            else:                   # among the local writes that follow a pass
                run.pass_ended.clear()
                assert run.pass_ended.wait(READY_TIMEOUT_S), f"{seat.name} stopped syncing:\n{seat.errors()}"
                time.sleep(rnd.uniform(0.0, 0.01))
            kill(seat)
        seat.start(server.url, next(next_seed))

        if round_no % SERVER_KILL_EVERY == SERVER_KILL_EVERY - 1:
            # just after a seat's hello, i.e. while its push or pull is in flight, mostly
            server.hello.clear()
            server.hello.wait(5)
            time.sleep(rnd.uniform(0.0, 0.012))
            server.kill()
            kills["server"] += 1
            _check_after_server_kill(store)
            checked["server"] += 1
            time.sleep(rnd.uniform(0.0, 0.5))
            old = server.port
            server.start()
            if server.port != old:  # the seats' configs name the old port: restart them on the new one
                for s in seats:
                    kill(s, "server moved")
                    s.start(server.url, next(next_seed))

    for seat in seats:
        kill(seat)
    server.kill()
    kills["server"] += 1
    _check_after_server_kill(store)
    checked["server"] += 1
    server_kills = kills.pop("server")
    seat_kills = sum(kills.values())
    chaos_s = time.monotonic() - started

    # -- the killing is over: a clean server, both seats in-process, drain ---------------------
    confirmed = {seat.name: seat.confirmed() for seat in seats}
    for name, ids in confirmed.items():
        assert len(ids) == len(set(ids)), f"{name} reported an event id twice"
    everything = [i for ids in confirmed.values() for i in ids]
    assert len(everything) == len(set(everything)), "two seats reported the same event id"
    chaos_passes = sum(r.passes for seat in seats for r in seat.runs)
    chaos_ok = sum(r.ok_passes for seat in seats for r in seat.runs)
    chaos_pushed = sum(r.pushed for seat in seats for r in seat.runs)
    chaos_pulled = sum(r.pulled for seat in seats for r in seat.runs)
    codes = sum((r.codes for seat in seats for r in seat.runs), Counter())
    assert chaos_ok >= 10, f"hardly any sync pass succeeded during the chaos ({chaos_ok})"
    assert len(everything) >= 50, f"the writers hardly wrote anything ({len(everything)} events)"

    server.start()
    for seat in seats:
        seat.write_config(server.url)
    opened = {seat.name: open_services(seat.db, config_path=seat.config) for seat in seats}
    try:
        drain_passes = _drain(opened)
        lags = {name: svc.sync_status().lag for name, svc in opened.items()}
    finally:
        for svc in opened.values():
            svc.close()
    server.stop()
    cut_off, failures = server.errors()
    assert not failures, "server errors:\n" + "\n".join(failures)[-4000:]

    # -- the server ----------------------------------------------------------------------------
    conn = connect(store)
    try:
        assert quick_check(conn, "integrity_check")
        rows = conn.execute("SELECT id, seq, county, hash FROM events ORDER BY seq").fetchall()
        on_server = {r[0]: (r[1], r[3]) for r in rows}
        assert {r[2] for r in rows} == {COUNTY}
        n = len(rows)
        assert [r[1] for r in rows] == list(range(1, n + 1)), "the county's server seqs have a gap"
        assert _one(conn, "SELECT last_seq FROM streams WHERE county = ?", (COUNTY,)) == n
        counts = Counter(r[0] for r in rows)
        assert max(counts.values()) == 1
        for name, ids in confirmed.items():
            lost = [i for i in ids if i not in on_server]
            assert not lost, f"{len(lost)} events {name} confirmed never reached the server, e.g. {lost[:3]}"
    finally:
        conn.close()

    # -- each seat -----------------------------------------------------------------------------
    projections: dict[str, dict[str, Any]] = {}
    figures: dict[str, str] = {}
    for seat in seats:
        conn = sqlite3.connect(seat.db)
        conn.row_factory = sqlite3.Row
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall()[0][0] == "ok", seat.name
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == [], seat.name
            events = conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
            have = {r["id"]: r for r in events}
            for name, ids in confirmed.items():
                lost = [i for i in ids if i not in have]
                assert not lost, f"{seat.name} lacks {len(lost)} events {name} confirmed, e.g. {lost[:3]}"
            assert [r["seq"] for r in events] == list(range(1, len(events) + 1)), f"{seat.name}: log gap"
            assert set(have) == set(on_server), f"{seat.name} and the server hold different events"
            for r in events:
                seq, digest = on_server[r["id"]]
                assert r["server_seq"] == seq, f"{seat.name}: {r['id']} has server_seq {r['server_seq']}, not {seq}"
                assert content_hash(to_wire(record_from_row(r))) == digest, f"{seat.name}: {r['id']} differs"
            local = [r for r in events if r["origin"] == "local"]
            assert {r["seat"] for r in local} == {seat.name}
            assert {r["seat"] for r in events if r["origin"] == "remote"} <= set(SEATS) - {seat.name}
            assert _one(conn, "SELECT count(*) FROM outbox") == 0, f"{seat.name}: outbox rows remain"
            assert _one(conn, "SELECT count(*) FROM pending_events") == 0, f"{seat.name}: pending events remain"
            assert _one(conn, "SELECT after_seq FROM sync_state") == n
            assert lags[seat.name] == 0

            def kinds(*names: str, c: sqlite3.Connection = conn) -> int:
                marks = ",".join(f"'{k}'" for k in names)
                return _one(c, f"SELECT count(*) FROM events WHERE kind IN ({marks})")

            assert kinds("order.issued") == _one(conn, "SELECT count(*) FROM orders"), seat.name
            assert kinds("incident.created") == _one(conn, "SELECT count(*) FROM incidents"), seat.name
            assert kinds("incident.created", "call.added") == _one(conn, "SELECT count(*) FROM calls"), seat.name

            conn.row_factory = None
            on_disk = {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1")] for t in PROJECTIONS}
            rebuilt = replayed(conn)
            for table in PROJECTIONS:
                assert on_disk[table] == rebuilt[table], f"{seat.name}: {table} differs from a replay of its log"
            projections[seat.name] = _projection(conn)
            crossed = _one(conn, "SELECT count(*) FROM events s JOIN events i ON i.kind = 'order.issued'"
                                 " AND json_extract(i.payload, '$.order_id') = json_extract(s.payload, '$.order_id')"
                                 " WHERE s.kind = 'order.stepped' AND s.origin = 'local' AND i.origin = 'remote'")
            figures[seat.name] = (f"{len(confirmed[seat.name])} confirmed, {len(local)} local events"
                                  f" ({crossed} steps on the other seat's orders),"
                                  f" {len(events) - len(local)} pulled, {len(seat.runs)} runs")
        finally:
            conn.close()
    first, second = (projections[name] for name in SEATS)
    for key in first:
        assert first[key] == second[key], f"the seats' {key} differ"

    p = first
    print(f"sync crash test: {seat_kills} seat kills ({', '.join(f'{n} {k}' for k, n in sorted(kills.items()))});"
          f" {server_kills} server kills (it came back on another port {server.moved}x)")
    print(f"  {len(everything)} events confirmed; server holds {n} (seq 1..{n}, gap-free, each id once);"
          f" {chaos_passes} passes during the chaos ({chaos_ok} ok, {chaos_pushed} events pushed,"
          f" {chaos_pulled} pulled incl. echoes; failures {dict(codes)});"
          f" server answered {server.requests} requests {dict(server.statuses)},"
          f" {cut_off} of them pushes cut off by a seat kill (logged as 499 client_disconnected)")
    for name, text in figures.items():
        print(f"  {name}: {text}")
    print(f"  checked right after a kill: {checked['seat']} seat files (nothing confirmed lost, outbox and"
          f" server_seq agree, cursor never ahead of the log, projections = replay, acked seqs on the"
          f" server), {checked['server']} server files (gap-free)")
    print(f"  drained in {drain_passes} passes; both seats: {len(p['incidents'])} incidents,"
          f" {len(p['calls'])} calls, {len(p['orders'])} orders, equal; integrity ok x3, 0 outbox,"
          f" 0 pending, projections = replay; chaos {chaos_s:.1f} s, total {time.monotonic() - started:.1f} s")
