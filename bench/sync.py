"""Sync against the real city server: push throughput and catch-up after a long time offline.

Both measures run the real ``central`` app (Starlette) on real uvicorn, bound to 127.0.0.1 on
a free port in a thread of this process, over a real SQLite store (WAL, ``synchronous=FULL``),
with the rate limits opened wide (a bench must not measure the limiter). The seat side is a
real seat database (``open_services``: ``config.toml`` with ``[center]`` county/seat and
``[sync] server``, token saved with ``save_sync_token``) synced by ``SyncClient.run_pass`` over
real HTTP on loopback. Server and client share this process (and its GIL); a pass never has
more than one request in flight, so the two take turns rather than compete.

**Push (``sync_push``).** A seat holding ``PUSH_EVENTS`` queued events: a few hundred calls
recorded with ``intake.new_call`` (each with one order, one transaction each) and the rest
``incident.noted`` events on those incidents, appended in large transactions. The figure is
events per second of one ``run_pass`` (hello, push in batches of 500, then the pull that
brings the seat's own events back as echoes and records their server seqs), on a fresh copy
of that seat and a fresh server store each repetition. The baseline is the storage floor of
the server's side of it: the same events, as the server stores them (canonical body and hash
computed beforehand), inserted with plain ``sqlite3`` into a table shaped like the server's
``events`` (same columns and indexes), WAL + ``synchronous=FULL``, one transaction per 500.

**Catch-up (``sync_catch``).** A scratch seat records a thousand incidents through ``Services``
(orders stepped through to completion, repeat calls, second units, notes, some incidents left
on scene), then those lifecycles again with fresh ids until it holds ``CATCHUP_EVENTS`` events
(``_seed_busy_seat``), and they are loaded into the server store with
``CentralStore.apply_batch`` (500 per transaction, not over HTTP: setup, not timed). A fresh
seat of the same county (its own new database) then runs passes until it is caught up; the
figure is the wall time of those passes: pulling every page and applying every event to its
projections. The baseline inserts the same events, as the seat stores them, into a plain
``events`` table with ``sqlite3`` (WAL + ``synchronous=FULL``, one transaction per 1000).
The run is checked afterwards: the fresh seat must hold exactly the scratch seat's events as
remote events and the same incidents, calls and orders, status by status.
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import sqlite3
import statistics
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any, TypedDict

from bench.core import Env, Row
from bench.seed import call_specs, random_phone
from central.store import CentralStore
from central.testing import serve_in_thread
from console.calls import intake
from console.kernel.clock import Clock, FakeClock, SystemClock, iso, parse_instant
from console.seat.services import Services, open_services
from console.store.transaction import PRAGMAS, EventRecord, Transaction, record_from_row
from console.sync import protocol
from console.sync.client import PassReport, SyncClient

COUNTY = "bench-county"
LOOPBACK = "127.0.0.1"
class _Buckets(TypedDict):
    rate: float
    burst: int


WIDE_OPEN: _Buckets = {"rate": 1e9, "burst": 10**9}  # the server's per-seat token buckets, out of the way

PUSH_EVENTS = 20_000
PUSH_CALLS = 400
PUSH_BATCH = 500
PUSH_TARGET = 5_000  # events/s

# Repetitions when the schema checks are measured on and off side by side (even, see _rotated).
COMPARE_REPS = 4
CATCHUP_EVENTS = 100_000
SERVICE_INCIDENTS = 1_000
CATCHUP_TARGET_S = 30.0
CATCHUP_RAW_TX = 1_000
NOTES = ("现场处置完毕，已反馈", "回访群众，表示满意", "单位称正在协调", "已电话联系报警人", "等待物业答复")


def _days_ago(days: int) -> datetime:
    """Where a seeding clock starts, so that everything seeded lies in the past."""
    return SystemClock().now().replace(microsecond=0) - timedelta(days=days)


# -- the real server, on loopback, in a thread -------------------------------------------------


class PhaseClient(SyncClient):
    """The real client; only adds up the wall time spent pushing and pulling."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.push_s = 0.0
        self.pull_s = 0.0

    async def _push_all(self, client: Any, report: PassReport) -> None:
        started = perf_counter()
        try:
            await super()._push_all(client, report)
        finally:
            self.push_s += perf_counter() - started

    async def _pull_all(self, client: Any, report: PassReport) -> None:
        started = perf_counter()
        try:
            await super()._pull_all(client, report)
        finally:
            self.pull_s += perf_counter() - started


# -- seats ---------------------------------------------------------------------------------------


def _open_seat(root: Path, seat: str, clock: Clock, server: str = "") -> Services:
    """A seat of ``COUNTY`` in ``root``: its config.toml, its database ``linkage.db``."""
    root.mkdir(parents=True, exist_ok=True)
    sync = f'[sync]\nserver = "{server}"\n' if server else ""
    (root / "config.toml").write_text(f'[center]\ncounty = "{COUNTY}"\nseat = "{seat}"\n{sync}',
                                      encoding="utf-8")
    return open_services(root / "linkage.db", config_path=root / "config.toml", clock=clock)


def _client(svc: Services) -> PhaseClient:
    settings = svc.sync_settings()
    if settings is None or not settings.token:
        raise RuntimeError("the bench seat has no sync server or token")
    return PhaseClient(svc.store, dataclasses.replace(settings, batch_events=PUSH_BATCH), svc.ctx.clock)


def _count(svc: Services, sql: str) -> int:
    row = svc.store.one(sql)
    return int(row[0]) if row else 0


def _wire_events(svc: Services) -> list[dict[str, Any]]:
    return [protocol.to_wire(record_from_row(r)) for r in svc.store.all("SELECT * FROM events ORDER BY seq")]


def _raw(path: Path, schema: str) -> sqlite3.Connection:
    """A plain sqlite3 connection with the stores' pragmas (WAL, synchronous=FULL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.executescript(schema)
    return conn


def _raw_insert(path: Path, schema: str, sql: str, rows: list[tuple[Any, ...]], per_tx: int) -> float:
    """Seconds to insert ``rows`` with plain sqlite3, ``per_tx`` rows per transaction."""
    conn = _raw(path, schema)
    try:
        started = perf_counter()
        for start in range(0, len(rows), per_tx):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows[start:start + per_tx])
            conn.execute("COMMIT")
        seconds = perf_counter() - started
        if conn.execute("SELECT count(*) FROM events").fetchone()[0] != len(rows):
            raise RuntimeError("the raw baseline lost rows")
    finally:
        conn.close()
    return seconds


def _interleaved(reps: int, subject: Callable[[int], float], baseline: Callable[[int], float]
                 ) -> tuple[list[float], list[float]]:
    """``reps`` runs of each, the order swapped every other repetition (as ``core.paired``)."""
    subj: list[float] = []
    base: list[float] = []
    for i in range(reps):
        if i % 2 == 0:
            subj.append(subject(i))
            base.append(baseline(i))
        else:
            base.append(baseline(i))
            subj.append(subject(i))
    return subj, base


def _rotated(reps: int, subject: Callable[[int], float], off: Callable[[int], float],
             baseline: Callable[[int], float]) -> tuple[list[float], list[float], list[float]]:
    """``reps`` runs of each: the baseline first in every repetition, then the subject and its
    checks-off twin in alternating order, so neither always follows the baseline's burst of
    durable writes (the disk is still flushing it). ``reps`` should be even. The twin's runs are
    numbered from 100, the baseline's from 200."""
    on_runs: list[float] = []
    off_runs: list[float] = []
    base_runs: list[float] = []
    for i in range(reps):
        base_runs.append(baseline(i + 200))
        if i % 2 == 0:
            on_runs.append(subject(i))
            off_runs.append(off(i + 100))
        else:
            off_runs.append(off(i + 100))
            on_runs.append(subject(i))
    return on_runs, off_runs, base_runs


def _checks_off(fn: Callable[[int], float]) -> Callable[[int], float]:
    """``fn`` with the event schemas switched off at both ends (the server's push check and the
    seat's pull check both call ``protocol.check_event``): the same run's figure without them,
    to show what the checks cost (docs/sync-protocol.md)."""

    def run(rep: int) -> float:
        saved = protocol.payload_problem
        protocol.payload_problem = lambda kind, payload: None
        try:
            return fn(rep)
        finally:
            protocol.payload_problem = saved

    return run


# -- rows --------------------------------------------------------------------------------------


def _checks_row(name: str, on: list[float], off: list[float], *, higher_is_better: bool, unit: str) -> Row:
    """Checks on against checks off, same run: the ratio of medians, judged within 10 %."""
    med, omed = statistics.median(on), statistics.median(off)
    ratio = med / omed
    cost = omed / med if higher_is_better else ratio  # > 1: the checks slow it down
    fmt = (lambda v: f"{v:,.0f} {unit}") if higher_is_better else (lambda v: f"{v:.1f} {unit}")
    worst, oworst = (min(on), min(off)) if higher_is_better else (max(on), max(off))
    return Row(name=name, n=len(on), value=fmt(med), p95=fmt(worst), base_value=fmt(omed), base_p95=fmt(oworst),
               vs_base=f"{ratio:.2f}×", target="≤ 1.10× cost", vs_target=f"{cost / 1.10:.2f}", ok=cost <= 1.10,
               notes=[f"{name}: baseline = the same measure with the event schemas switched off"
                      " (console/store/payloads.py; protocol.payload_problem replaced by a no-op at both ends),"
                      " interleaved in this run; cost = slowdown of the medians, judged ≤ 1.10"])


def _rate_row(name: str, rates: list[float], base: list[float], *, at_least: float | None, base_label: str,
              notes: list[str]) -> Row:
    """Events per second: the median, and the slowest repetition in the p95 column, which is what
    is judged (as the latency rows judge their p95). ×target is target / slowest rate, so that
    here too ≤ 1.00 is PASS. Without ``at_least`` the row only informs."""
    med, bmed, worst = statistics.median(rates), statistics.median(base), min(rates)
    return Row(name=name, n=len(rates), value=f"{med:,.0f} ev/s", p95=f"{worst:,.0f} ev/s",
               base_value=f"{bmed:,.0f} ev/s", base_p95=f"{min(base):,.0f} ev/s", vs_base=f"{med / bmed:.2f}×",
               target="–" if at_least is None else f"≥ {at_least:,.0f} ev/s",
               vs_target="–" if at_least is None else f"{at_least / worst:.2f}",
               ok=None if at_least is None else worst >= at_least,
               notes=[*notes, f"{name}: baseline = {base_label}"] if base_label else notes)


def _seconds_row(name: str, seconds: list[float], base: list[float], *, at_most: float, base_label: str,
                 notes: list[str]) -> Row:
    """Wall time in seconds: median, and the slowest run in the p95 column (judged on it, like
    the latency rows' p95)."""
    med, bmed, worst = statistics.median(seconds), statistics.median(base), max(seconds)
    return Row(name=name, n=len(seconds), value=f"{med:.1f} s", p95=f"{worst:.1f} s",
               base_value=f"{bmed:.2f} s", base_p95=f"{max(base):.2f} s", vs_base=f"{med / bmed:.2f}×",
               target=f"≤ {at_most:g} s", vs_target=f"{worst / at_most:.2f}", ok=worst <= at_most,
               notes=[*notes, f"{name}: baseline = {base_label}"])


# -- 1. push throughput ------------------------------------------------------------------------

SERVER_EVENTS = """
CREATE TABLE IF NOT EXISTS events (
    county TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT PRIMARY KEY, seat TEXT NOT NULL, kind TEXT NOT NULL,
    body TEXT NOT NULL, hash TEXT NOT NULL, received_at TEXT NOT NULL, UNIQUE (county, seq));
CREATE INDEX IF NOT EXISTS events_registry ON events(county, id) WHERE kind = 'catalog.loaded';
"""
SERVER_INSERT = ("INSERT INTO events (county, seq, id, seat, kind, body, hash, received_at)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def _seed_push_seat(root: Path) -> tuple[float, dict[str, int], list[dict[str, Any]]]:
    """The seat whose outbox the push measure drains: ``PUSH_CALLS`` calls with an order each
    (one ``intake.new_call`` transaction each), then notes on them in large transactions, up to
    ``PUSH_EVENTS`` queued events. Seeded with ``synchronous=OFF`` (not timed)."""
    started = perf_counter()
    clock = FakeClock(_days_ago(1))
    svc = _open_seat(root, "seat-01", clock)
    try:
        svc.store.conn.execute("PRAGMA synchronous=OFF")
        incidents = []
        for spec in call_specs(svc.catalog, PUSH_CALLS, seed=21):
            clock.advance(20)
            result = intake.new_call(svc.ctx, None, phone=spec.phone, text=spec.text, address=spec.address,
                                     area=spec.area, category=spec.category, dispatch=[spec.unit])
            incidents.append(result.incident.id)
        notes = PUSH_EVENTS - svc.store.outbox_count()
        for start in range(0, notes, 5_000):
            with svc.ctx.transaction() as tx:
                for i in range(start, min(notes, start + 5_000)):
                    clock.advance(0.05)
                    incident_id = incidents[i % len(incidents)]
                    tx.append("incident.noted", {"incident_id": incident_id, "note": f"{NOTES[i % 5]}（{i}）"},
                              subject=incident_id)
        svc.store.conn.execute("PRAGMA synchronous=FULL")
        kinds = {r[0]: r[1] for r in svc.store.all("SELECT kind, count(*) FROM events GROUP BY kind")}
        if svc.store.outbox_count() != PUSH_EVENTS:
            raise RuntimeError(f"push seat queued {svc.store.outbox_count()} events, wanted {PUSH_EVENTS}")
        wires = _wire_events(svc)
    finally:
        svc.close()
    return perf_counter() - started, kinds, wires


def measure_sync_push(env: Env) -> list[Row]:
    d = env.dir("sync_push")
    seed_s, kinds, wires = _seed_push_seat(d / "seed")
    source = d / "seed" / "linkage.db"
    # What the server will store for each event (computed here, untimed, for the baseline).
    received_at = iso(SystemClock().now())
    rows = [(COUNTY, i + 1, w["id"], w["seat"], w["kind"], protocol.canonical(w), protocol.content_hash(w),
             received_at) for i, w in enumerate(wires)]
    phases: list[tuple[float, float, int]] = []

    def subject(rep: int) -> float:
        root = d / f"rep{rep}"
        (root / "seat").mkdir(parents=True)
        shutil.copyfile(source, root / "seat" / "linkage.db")
        clock = SystemClock()
        central = CentralStore(root / "central.db", clock)
        token = central.add_token(COUNTY, "seat-01")
        try:
            with serve_in_thread(central, clock=clock, **WIDE_OPEN) as url:
                svc = _open_seat(root / "seat", "seat-01", clock, url)
                svc.save_sync_token(token)
                client = _client(svc)
                started = perf_counter()
                report = client.run_pass()
                seconds = perf_counter() - started
            if not report.ok:
                raise RuntimeError(f"push pass failed: {report.error_code} {report.error_detail}")
            stored = central.count_events(COUNTY)
            left = svc.store.outbox_count()
            unseq = _count(svc, "SELECT count(*) FROM events WHERE server_seq IS NULL")
            if report.pushed != PUSH_EVENTS or stored != PUSH_EVENTS or left or unseq:
                raise RuntimeError(f"push: {report.pushed} pushed, {stored} on the server, {left} still queued,"
                                   f" {unseq} without a server seq; wanted {PUSH_EVENTS}")
            if rep < 100:  # the checks-on series (``_rotated`` numbers the others from 100)
                phases.append((client.push_s, client.pull_s, report.requests))
            svc.close()
        finally:
            central.close()
        shutil.rmtree(root, ignore_errors=True)
        return PUSH_EVENTS / seconds

    def baseline(rep: int) -> float:
        path = d / f"raw{rep}.db"
        seconds = _raw_insert(path, SERVER_EVENTS, SERVER_INSERT, rows, PUSH_BATCH)
        for leftover in d.glob(f"raw{rep}.db*"):
            leftover.unlink()
        return len(rows) / seconds

    rates, off, base = _rotated(COMPARE_REPS, subject, _checks_off(subject), baseline)
    push_only = [PUSH_EVENTS / p[0] for p in phases]
    pull_s = statistics.median(p[1] for p in phases)
    env.drop("sync_push")
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items()))
    return [
        _rate_row(
            f"sync: whole pass (push + echoes), {PUSH_EVENTS // 1000}k", rates, base, at_least=PUSH_TARGET,
            base_label=f"raw sqlite3 INSERTs of the same {PUSH_EVENTS:,} rows (canonical body + hash precomputed)"
                       " into a table shaped like the server's events (same columns, PK, UNIQUE and index),"
                       f" WAL + synchronous=FULL, {PUSH_BATCH} rows per transaction",
            notes=[f"sync push: {PUSH_EVENTS:,} queued events ({mix}) seeded in {seed_s:.1f} s; the row is one whole"
                   f" SyncClient.run_pass per repetition (hello, {PUSH_EVENTS // PUSH_BATCH} pushes of {PUSH_BATCH},"
                   f" then the pull that brings the {PUSH_EVENTS:,} echoes back and records their server seqs:"
                   f" median {pull_s:.2f} s), {phases[0][2]} requests; a fresh seat copy and a fresh server store each"
                   " repetition; p95 column = slowest repetition, which is what is judged"],
        ),
        _rate_row(
            f"sync: push throughput, loopback, {PUSH_EVENTS // 1000}k", push_only, base, at_least=PUSH_TARGET,
            base_label="",
            notes=["sync push throughput: the same passes, the time spent in the push loop (read a batch from the"
                   " outbox, POST it, the server checks and stores it durably, store the acks durably), same"
                   " baseline; judged on the slowest repetition"],
        ),
        _checks_row(f"sync: whole pass, schema checks on vs off, {PUSH_EVENTS // 1000}k", rates, off,
                    higher_is_better=True, unit="ev/s"),
    ]


# -- 2. catch-up -------------------------------------------------------------------------------

SEAT_EVENTS = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, subject TEXT,
    happened_at TEXT NOT NULL, recorded_at TEXT NOT NULL, seat TEXT NOT NULL, operator TEXT NOT NULL,
    payload TEXT NOT NULL, origin TEXT NOT NULL DEFAULT 'local', server_seq INTEGER);
"""
SEAT_INSERT = ("INSERT INTO events (id, kind, subject, happened_at, recorded_at, seat, operator, payload, origin,"
               " server_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'remote', ?)")


def _seed_busy_seat(root: Path, total: int) -> Services:
    """A seat's working life, to exactly ``total`` events.

    First ``SERVICE_INCIDENTS`` incidents through ``Services``: the lead unit ordered at intake,
    stepped through to completion (which closes the incident); every third a repeat call, every
    fourth a second unit, every seventh left on scene; notes along the way. Then, since a
    hundred thousand service calls would take a minute to set up, each of those lifecycles is
    recorded again (``_replay``) with fresh ids, caller and times, through ``tx.append`` (the
    store's one write path, projections included) until ``total`` is nearly reached; notes fill
    the rest, about three months of work. Seeded with ``synchronous=OFF`` (not timed)."""
    clock = FakeClock(_days_ago(120))
    svc = _open_seat(root, "seat-01", clock)
    svc.store.conn.execute("PRAGMA synchronous=OFF")
    svc.store.conn.execute("PRAGMA cache_size=-262144")
    units = list(svc.catalog.units)
    for n, spec in enumerate(call_specs(svc.catalog, SERVICE_INCIDENTS, seed=31), start=1):
        clock.advance(45)
        result = svc.new_call(phone=spec.phone, text=spec.text, address=spec.address, area=spec.area,
                              category=spec.category, dispatch=[spec.unit])
        no = result.incident.no
        orders = [o.no for o in result.orders]
        if n % 3 == 0:
            clock.advance(60)
            svc.new_call(phone=spec.phone, text=spec.text, merge_into=no)
        if n % 4 == 0:
            second = units[n % len(units)]
            if second != spec.unit:
                clock.advance(30)
                orders.append(svc.issue_order(no, second).no)
        steps = ("ack", "depart", "arrive") if n % 7 == 0 else ("ack", "depart", "arrive", "feedback", "complete")
        for verb in steps:
            for order in orders:
                clock.advance(90)
                svc.step(order, verb)
            if verb == "arrive":
                svc.note(no, f"{NOTES[n % 5]}（{n}）")
        svc.note(no, NOTES[(n + 2) % 5])
    lifecycles: dict[str, list[EventRecord]] = {}
    for row in svc.store.all("SELECT * FROM events WHERE kind != 'catalog.loaded' ORDER BY seq"):
        lifecycles.setdefault(row["subject"], []).append(record_from_row(row))
    templates = list(lifecycles.values())
    rnd = random.Random(32)
    # seq is the rowid and nothing is deleted, so max(seq) is the count without a scan
    written = _count(svc, "SELECT max(seq) FROM events")
    replayed, full = 0, False
    while not full:
        with svc.ctx.transaction() as tx:
            for _ in range(200):
                template = templates[replayed % len(templates)]
                if written + len(template) > total:
                    full = True
                    break
                _replay(tx, clock, template, random_phone(rnd))
                written += len(template)
                replayed += 1
    last = svc.store.one("SELECT id FROM incidents ORDER BY no DESC LIMIT 1")
    assert last is not None
    with svc.ctx.transaction() as tx:
        for k in range(total - written):
            clock.advance(5)
            tx.append("incident.noted", {"incident_id": last[0], "note": f"补充记录（{k}）"}, subject=last[0])
    svc.store.conn.execute("PRAGMA synchronous=FULL")
    if clock.now() > SystemClock().now():
        raise RuntimeError("the scratch seat's events run into the future; start its clock earlier")
    return svc


_ID_KEYS = ("incident_id", "order_id", "call_id", "into", "handover_from", "reassigned_from")


def _replay(tx: Transaction, clock: FakeClock, template: list[EventRecord], phone: str) -> None:
    """One incident's recorded lifecycle again, as a new incident: every id it made is replaced by
    a fresh one, the caller's number by ``phone``, every time (and due time) shifted to now."""
    clock.advance(45)
    shift = clock.now() - parse_instant(template[0].happened_at)
    fresh: dict[str, str] = {}

    def new(old: str) -> str:
        if old not in fresh:
            fresh[old] = tx.new_id()
        return fresh[old]

    for event in template:
        payload = dict(event.payload)
        for key, value in payload.items():
            if key in _ID_KEYS and isinstance(value, str):
                payload[key] = new(value)
            elif key.endswith("_due") and isinstance(value, str):
                payload[key] = iso(parse_instant(value) + shift)
        if "phone" in payload:
            payload["phone"] = phone
        when = parse_instant(event.happened_at) + shift
        clock.set(max(clock.now(), when))
        tx.append(event.kind, payload, subject=new(event.subject) if event.subject else None, happened_at=when)


def _projection(svc: Services) -> dict[str, Any]:
    """What must match between the seat that wrote the events and the one that caught up."""
    def grouped(sql: str) -> list[tuple[Any, ...]]:
        return sorted(tuple(r) for r in svc.store.all(sql))

    return {
        "incidents": grouped("SELECT status, count(*) FROM incidents GROUP BY status"),
        "orders": grouped("SELECT status, count(*) FROM orders GROUP BY status"),
        "calls": _count(svc, "SELECT count(*) FROM calls"),
        "ids": _count(svc, "SELECT count(*) FROM events"),
    }


def measure_sync_catchup(env: Env) -> list[Row]:
    d = env.dir("sync_catchup")
    started = perf_counter()
    scratch = _seed_busy_seat(d / "scratch", CATCHUP_EVENTS)
    seed_s = perf_counter() - started
    kinds = {r[0]: r[1] for r in scratch.store.all("SELECT kind, count(*) FROM events GROUP BY kind")}
    wires = _wire_events(scratch)
    expected = _projection(scratch)
    expected_ids = {w["id"] for w in wires}
    scratch.close()
    if len(wires) != CATCHUP_EVENTS:
        raise RuntimeError(f"scratch seat wrote {len(wires)} events, wanted {CATCHUP_EVENTS}")

    started = perf_counter()
    source = d / "central.db"
    central = CentralStore(source, SystemClock())
    central.conn.execute("PRAGMA synchronous=OFF")  # setup only: this connection, closed below
    for start in range(0, len(wires), PUSH_BATCH):
        acks = central.apply_batch(COUNTY, "seat-01", wires[start:start + PUSH_BATCH])
        if any(a["status"] != "accepted" for a in acks):
            raise RuntimeError("the server store refused part of the scratch seat's events")
    if central.count_events(COUNTY) != CATCHUP_EVENTS:
        raise RuntimeError("the server store does not hold the scratch seat's events")
    central.close()
    load_s = perf_counter() - started
    rows = [(w["id"], w["kind"], w["subject"], w["happened_at"], w["recorded_at"], w["seat"], w["operator"],
             json.dumps(w["payload"], ensure_ascii=False, separators=(",", ":")), i + 1)
            for i, w in enumerate(wires)]
    details: list[tuple[float, float, int, int]] = []

    def subject(rep: int) -> float:
        root = d / f"rep{rep}"
        root.mkdir()
        shutil.copyfile(source, root / "central.db")
        clock = SystemClock()
        central = CentralStore(root / "central.db", clock)
        seat = f"seat-{rep + 2:03d}"
        token = central.add_token(COUNTY, seat)
        try:
            with serve_in_thread(central, clock=clock, **WIDE_OPEN) as url:
                svc = _open_seat(root / "seat", seat, clock, url)
                svc.save_sync_token(token)
                client = _client(svc)
                passes = requests = 0
                started = perf_counter()
                while True:
                    report = client.run_pass()
                    passes += 1
                    requests += report.requests
                    if not report.ok:
                        raise RuntimeError(f"catch-up pass failed: {report.error_code} {report.error_detail}")
                    state = svc.store.one("SELECT after_seq, high_watermark FROM sync_state WHERE id = 1")
                    assert state is not None
                    if state[0] >= state[1] and not svc.store.outbox_count():
                        break
                    if passes >= 10:
                        raise RuntimeError("the fresh seat did not catch up in 10 passes")
                seconds = perf_counter() - started
            remote = {r[0] for r in svc.store.all("SELECT id FROM events WHERE origin = 'remote'")}
            got = _projection(svc)
            got["ids"] -= 1  # the fresh seat's own catalog.loaded
            pending = _count(svc, "SELECT count(*) FROM pending_events")
            if remote != expected_ids or got != expected or pending:
                raise RuntimeError(f"catch-up diverged: {len(remote):,} remote events (wanted {CATCHUP_EVENTS:,}),"
                                   f" {pending} pending, {got} vs the writing seat's {expected}")
            if rep < 100:  # the checks-on series (``_rotated`` numbers the others from 100)
                details.append((client.pull_s, seconds, passes, requests))
            svc.close()
        finally:
            central.close()
        shutil.rmtree(root, ignore_errors=True)
        return seconds

    def baseline(rep: int) -> float:
        path = d / f"raw{rep}.db"
        seconds = _raw_insert(path, SEAT_EVENTS, SEAT_INSERT, rows, CATCHUP_RAW_TX)
        for leftover in d.glob(f"raw{rep}.db*"):
            leftover.unlink()
        return seconds

    seconds, off, base = _rotated(COMPARE_REPS, subject, _checks_off(subject), baseline)
    env.drop("sync_catchup")
    med = statistics.median(seconds)
    pull_s = statistics.median(x[0] for x in details)
    _, _, passes, requests = details[0]
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items()))
    return [_seconds_row(
        f"sync: catch-up after {CATCHUP_EVENTS // 1000}k events offline", seconds, base, at_most=CATCHUP_TARGET_S,
        base_label=f"raw sqlite3 INSERTs of the same {CATCHUP_EVENTS:,} events as the seat stores them into a"
                   f" plain events table (seq PK, id UNIQUE, no other index), WAL + synchronous=FULL,"
                   f" {CATCHUP_RAW_TX} rows per transaction",
        notes=[f"sync catch-up: {CATCHUP_EVENTS:,} events of one county ({mix}): {SERVICE_INCIDENTS:,} incidents"
               f" written through Services, their lifecycles replayed with fresh ids for the rest, in {seed_s:.1f} s;"
               f" loaded into the server store with CentralStore.apply_batch in {load_s:.1f} s (neither timed)."
               f" A fresh seat then syncs until caught up: passes {passes}, requests {requests},"
               f" {CATCHUP_EVENTS / med:,.0f} ev/s (median), of which pulling and applying pages {pull_s:.1f} s."
               f" Checked after each: all {CATCHUP_EVENTS:,} events held as remote, none pending, incidents and"
               " orders by status and the calls equal the writing seat's; p95 column = slowest repetition,"
               " which is what is judged"],
    ), _checks_row(f"sync: catch-up, schema checks on vs off, {CATCHUP_EVENTS // 1000}k", seconds, off,
                   higher_is_better=False, unit="s")]
