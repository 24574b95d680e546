"""The measures. Each is ``fn(env) -> list[Row]``; add a new one to ``MEASURES``."""

from __future__ import annotations

import itertools
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from bench.assessment import measure_assessment
from bench.city import measure_city
from bench.core import Env, Row, latency_row, paired
from bench.launch import measure_launch
from bench.pins import measure_pin_guess
from bench.rosters import measure_roster
from bench.seed import (
    CallSpec,
    call_specs,
    lookup_numbers,
    seed_calls,
    seed_open_orders,
)
from bench.seen import measure_seen
from bench.soak import measure_soak
from bench.sync import measure_sync_catchup, measure_sync_push
from bench.triage import measure_triage_accuracy, measure_triage_model, measure_triage_speed
from bench.triage_heldout import measure_triage_heldout_v2
from bench.tui import measure_tui_keys, measure_tui_start
from console.calls import intake
from console.catalog.registry import Catalog
from console.catalog.triage import normalise
from console.kernel.clock import FakeClock, SystemClock
from console.seat.services import Services, open_services
from console.store.queries import caller_history
from console.store.transaction import PRAGMAS, Store

#: The categories the center must never treat as ordinary linkage work.
EMERGENCY_LABELS = frozenset(
    {"crime", "public_order", "traffic_accident", "person_in_danger", "missing_person", "fire", "medical"}
)


def _raw_connection(path: Path) -> sqlite3.Connection:
    """A plain ``sqlite3`` connection with the store's own pragmas (WAL, synchronous=FULL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


# -- 1. durable writes ---------------------------------------------------------------------------


class RawCommit:
    """The floor: one ``BEGIN IMMEDIATE; INSERT one event-sized row; COMMIT`` with plain sqlite3."""

    def __init__(self, path: Path) -> None:
        self.conn = _raw_connection(path)
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
            " kind TEXT NOT NULL, subject TEXT, happened_at TEXT NOT NULL, recorded_at TEXT NOT NULL,"
            " seat TEXT NOT NULL, operator TEXT NOT NULL, payload TEXT NOT NULL)"
        )
        self._ids = itertools.count()

    def commit(self, spec: CallSpec) -> None:
        payload = (f'{{"phone":"{spec.phone}","text":"{spec.text}","address":"{spec.address}",'
                   f'"area":"{spec.area}","category":"{spec.category}"}}')
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO raw_events (id, kind, subject, happened_at, recorded_at, seat, operator, payload)"
            " VALUES (?, 'incident.created', ?, '2026-11-28T06:00:00.000Z', '2026-11-28T06:00:00.000Z',"
            " 'seat-01', 'duty', ?)",
            (f"raw-{next(self._ids):032d}", spec.phone, payload),
        )
        self.conn.execute("COMMIT")

    def commit_two(self, spec: CallSpec) -> None:
        self.commit(spec)
        self.commit(spec)


def _new_call(svc: Services, spec: CallSpec) -> intake.IntakeResult:
    return svc.new_call(phone=spec.phone, text=spec.text, address=spec.address, area=spec.area,
                        category=spec.category)


def measure_writes(env: Env) -> list[Row]:
    n, warm = 300, 20
    d = env.dir("writes")
    svc = open_services(d / "console.db", clock=SystemClock())
    raw = RawCommit(d / "raw.db")
    ctx = svc.ctx
    store = svc.store
    specs = call_specs(svc.catalog, 4 * (n + warm), seed=1)
    chunks = [specs[i * (n + warm):(i + 1) * (n + warm)] for i in range(4)]

    def bare_append(spec: CallSpec) -> None:
        with store.transaction(ctx.seat, ctx.operator) as tx:
            incident_id, call_id = tx.new_id(), tx.new_id()
            tx.append(
                "incident.created",
                {"call_id": call_id, "phone": spec.phone, "caller_name": "", "address": spec.address,
                 "area": spec.area, "text": spec.text, "incident_id": incident_id, "place_key": spec.place_key,
                 "category": spec.category, "disposition": "linkage"},
                subject=incident_id,
            )

    def service_call(spec: CallSpec) -> None:
        _new_call(svc, spec)

    def pair_one_tx(spec: CallSpec) -> None:
        svc.new_call(phone=spec.phone, text=spec.text, address=spec.address, area=spec.area,
                     category=spec.category, dispatch=[spec.unit])

    def pair_two_tx(spec: CallSpec) -> None:
        result = _new_call(svc, spec)
        svc.issue_order(result.incident.no, spec.unit)

    rows = []
    cases: list[tuple[str, Callable[[CallSpec], None], Callable[[CallSpec], None], str]] = [
        ("write: 1 event, bare tx.append", bare_append, raw.commit, "raw commit"),
        ("write: Services.new_call (1 tx)", service_call, raw.commit, "raw commit"),
        ("write: incident+order, 1 tx", pair_one_tx, raw.commit, "raw commit"),
        ("write: new_call + issue_order (2 tx)", pair_two_tx, raw.commit_two, "2 raw commits"),
    ]
    for (name, subject, baseline, label), chunk in zip(cases, chunks, strict=True):
        s, b = paired(subject, baseline, chunk[warm:], warmup=chunk[:warm])
        rows.append(latency_row(name, s, b, max_x=3, base_label=label))
    events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    outbox = store.outbox_count()
    orders = store.conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    if events != outbox or orders != 2 * (n + warm):
        raise RuntimeError(f"write path inconsistent: {events} events, {outbox} outbox rows, {orders} orders")
    rows[0].notes.append(
        "writes: each subject runs interleaved with its raw sqlite3 commit (same pragmas: WAL, synchronous=FULL)"
        " on the same disk; 'incident+order, 1 tx' is Services.new_call(dispatch=[unit]): the call and its"
        " first order in one transaction (one COMMIT); the 2-tx pair records them one after the other"
    )
    svc.close()
    raw.conn.close()
    env.drop("writes")
    return rows


# -- 2 + 5. triage -------------------------------------------------------------------------------


class PlainMatcher:
    """The baseline: a ``str.find`` loop over the same keywords, one point per keyword found."""

    def __init__(self, catalog: Catalog) -> None:
        self.codes = list(catalog.categories)
        self.words = [(i, normalise(kw.word).strip())
                      for i, cat in enumerate(catalog.categories.values())
                      for kw in (*cat.keywords_zh, *cat.keywords_en)]

    def rank(self, text: str) -> list[str]:
        low = text.lower()
        score: dict[int, int] = {}
        for cat, word in self.words:
            if word and low.find(word) >= 0:
                score[cat] = score.get(cat, 0) + 1
        return [self.codes[i] for i in sorted(score, key=lambda i: (-score[i], i))]


# -- 3. the board --------------------------------------------------------------------------------


def measure_board(env: Env) -> list[Row]:
    orders = 1000
    d = env.dir("board")
    clock = FakeClock("2026-11-28T06:00:00Z")
    svc = open_services(d / "board.db", clock=clock)
    seconds = seed_open_orders(svc, clock, orders)
    raw = _raw_connection(d / "board.db")
    board = svc.board()
    fetched = raw.execute("SELECT * FROM orders").fetchall()
    if len(board.rows) != orders or len(fetched) != orders:
        raise RuntimeError(f"board shows {len(board.rows)} orders, table has {len(fetched)}; wanted {orders}")
    states = Counter(r.clock.state for r in board.rows)

    def subject(_: int) -> None:
        svc.board()

    def baseline(_: int) -> None:
        raw.execute("SELECT * FROM orders").fetchall()

    s, b = paired(subject, baseline, range(60), warmup=range(5))
    row = latency_row(
        f"board: Services.board(), {orders} open", s, b, max_ms=50, base_label="raw SELECT * FROM orders",
        notes=[f"board: seeded {orders} incidents + open orders through Services in {seconds:.1f} s;"
               f" states {dict(sorted(states.items()))}; baseline = raw SELECT * FROM orders (same rows)"],
    )
    svc.close()
    raw.close()
    env.drop("board")
    return [row]


# -- 4. caller history ---------------------------------------------------------------------------


def measure_history(env: Env) -> list[Row]:
    calls, phones = 1_000_000, 200_000
    d = env.dir("history")
    seeded = seed_calls(d / "history.db", calls, phones)
    store = Store(seeded.path, FakeClock("2026-11-28T06:00:00Z"))
    raw = _raw_connection(seeded.path)
    sql = "SELECT * FROM calls WHERE phone = ? ORDER BY received_at DESC LIMIT 10"
    numbers = lookup_numbers(phones, 2000)
    for phone in numbers[:50]:
        ours = [c.id for c in caller_history(store, phone, 10)]
        theirs = [r[1] for r in raw.execute(sql, (phone,))]
        if ours != theirs:
            raise RuntimeError(f"caller_history disagrees with the raw query for {phone}")
    found = sum(1 for p in numbers if raw.execute("SELECT 1 FROM calls WHERE phone = ? LIMIT 1", (p,)).fetchone())

    def subject(phone: str) -> None:
        caller_history(store, phone, 10)

    def baseline(phone: str) -> None:
        raw.execute(sql, (phone,)).fetchall()

    s, b = paired(subject, baseline, numbers, warmup=numbers[:200])
    row = latency_row(
        f"history: caller_history among {calls // 1000:,}k calls", s, b, max_ms=5, base_label="raw SELECT",
        notes=[f"history: bulk-loaded {calls:,} calls (+ {calls:,} incidents) from {phones:,} numbers in"
               f" {seeded.seconds:.1f} s; {len(numbers)} lookups, {found} of them numbers with history;"
               " baseline = raw SELECT … WHERE phone=? ORDER BY received_at DESC LIMIT 10"],
    )
    store.close()
    raw.close()
    return [row, _write_on_large_db(env, seeded.path, calls)]


def _write_on_large_db(env: Env, path: Path, incidents: int) -> Row:
    """Extra: the same one-event write as above, on the million-incident database, to show
    whether the write path stays flat as the center's history grows."""
    svc = open_services(path, clock=SystemClock())
    raw = RawCommit(path.with_name("raw.db"))
    n, warm = 30, 3
    specs = call_specs(svc.catalog, n + warm, seed=2)
    s, b = paired(lambda spec: _new_call(svc, spec), raw.commit, specs[warm:], warmup=specs[:warm])
    svc.close()
    raw.conn.close()
    env.drop("history")
    return latency_row(
        f"extra: Services.new_call, {incidents // 1000:,}k incidents", s, b, max_x=3, base_label="raw commit",
        notes=["extra: not one of the issue's figures; the Services.new_call row above, on the million-row file"],
    )


# -- the registry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    run: Callable[[Env], list[Row]]


MEASURES: tuple[Measure, ...] = (
    Measure("writes", "durable incident + order write", measure_writes),
    Measure("triage", "triage of one call", measure_triage_speed),
    Measure("triage-model", "triage model size and build cost", measure_triage_model),
    Measure("board", "board with 1,000 open orders", measure_board),
    Measure("history", "caller history among 1,000,000 calls", measure_history),
    Measure("accuracy", "triage accuracy", measure_triage_accuracy),
    Measure("heldout2", "triage on held-out v2 (300+ calls nobody tuned on)", measure_triage_heldout_v2),
    Measure("tui_start", "console start: first frame and memory, 10,000 past incidents", measure_tui_start),
    Measure("launch", "whole seat launch in tmux → board drawn, 200 incidents", measure_launch),
    Measure("tui_keys", "board keystroke → frame, 500 open orders", measure_tui_keys),
    Measure("roster", "on-duty state: 500 units, 30 days of rosters", measure_roster),
    Measure("sync_push", "sync: push throughput, 20,000 events, loopback", measure_sync_push),
    Measure("sync_catch", "sync: catch-up after 100,000 events offline", measure_sync_catchup),
    Measure("sync_seen", "sync: another seat sees a new incident; idle requests", measure_seen),
    Measure("pins", "PIN: one offline guess, scrypt beside PBKDF2", measure_pin_guess),
    Measure("city", "city scale: 5/15/30 counties × 4 seats pushing, SQLite beside PostgreSQL", measure_city),
    Measure("assess", "assessment of a county's year: 400,000 orders, XLSX, PDF", measure_assessment),
    Measure("soak", "a 12-hour shift (simulated) and idle minutes (real), issue 18", measure_soak),
)


def timed(measure: Measure, env: Env) -> tuple[list[Row], float]:
    started = perf_counter()
    rows = measure.run(env)
    return rows, perf_counter() - started
