"""Building the databases the read measures run against.

Two ways, each for what it has to prove:

* ``seed_open_orders`` goes through ``Services`` (the real write path, events + outbox +
  projections), because the board reads exactly what the services wrote.
* ``seed_calls`` bulk-loads a million rows straight into the ``calls`` projection (and one
  matching ``incidents`` row per call, since ``calls.incident_id`` is a foreign key), because
  a million event-path writes would take far longer than the lookup being measured. The
  schema is the store's own (created by ``Store``'s migrations); secondary indexes are
  dropped for the load and re-created from their own ``CREATE INDEX`` text, and the schema is
  checked to be byte-identical afterwards.
"""

from __future__ import annotations

import csv
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

from console.catalog.registry import Catalog
from console.kernel.clock import FakeClock
from console.kernel.inputs import place_key
from console.seat.services import Services
from console.store.transaction import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "triage_corpus.csv"
HELDOUT = ROOT / "tests" / "data" / "triage_heldout.csv"
STREETS = ("人民路", "解放路", "建设路", "中山路", "新华街", "文化路", "幸福里", "东风路", "胜利街", "和平路")


@dataclass(frozen=True)
class CorpusRow:
    text: str
    category: str
    area: str
    lang: str


def load_corpus(path: Path = CORPUS) -> list[CorpusRow]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [CorpusRow(r["text"], r["category"], r["area"], r["lang"]) for r in csv.DictReader(fh)]


@dataclass(frozen=True)
class CallSpec:
    """What a dispatcher types for one call, and the unit the category's routing names."""

    phone: str
    text: str
    address: str
    place_key: str
    area: str
    category: str
    unit: str


def random_phone(rnd: random.Random) -> str:
    return f"1{rnd.randrange(3, 10)}{rnd.randrange(10**9):09d}"


def call_specs(catalog: Catalog, n: int, seed: int) -> list[CallSpec]:
    """``n`` calls drawn from the corpus' linkage-work texts (the calls the center dispatches
    itself), each with a fresh caller number and an address."""
    rnd = random.Random(seed)
    pool = [r for r in load_corpus()
            if r.category in catalog.categories and catalog.categories[r.category].route == "linkage"]
    out = []
    for _ in range(n):
        row = rnd.choice(pool)
        cat = catalog.categories[row.category]
        address = f"{rnd.choice(STREETS)}{rnd.randrange(1, 400)}号"
        out.append(CallSpec(random_phone(rnd), row.text, address, place_key(address), row.area, cat.code,
                            cat.lead_unit))
    return out


# -- the board's database: real services ---------------------------------------------------------


def seed_open_orders(svc: Services, clock: FakeClock, n: int, seed: int = 3) -> float:
    """``n`` incidents, each with one open order, over about half an hour of fake time; a third
    of the orders acknowledged and a few on scene, so the board has every deadline state.

    Runs with ``synchronous=OFF`` on this connection while seeding (nothing here is being
    timed and the data is thrown away) and restores ``FULL`` after. Returns seconds taken.
    """
    rnd = random.Random(seed)
    started = perf_counter()
    svc.store.conn.execute("PRAGMA synchronous=OFF")
    try:
        for i, spec in enumerate(call_specs(svc.catalog, n, seed)):
            clock.advance(rnd.uniform(0.5, 3.5))
            intake = svc.new_call(phone=spec.phone, text=spec.text, address=spec.address, area=spec.area,
                                  category=spec.category)
            order = svc.issue_order(intake.incident.no, spec.unit)
            if i % 3 == 0:
                svc.step(order.no, "ack")
            if i % 11 == 0:
                svc.step(order.no, "arrive")
    finally:
        svc.store.conn.execute("PRAGMA synchronous=FULL")
    return perf_counter() - started


# -- the caller-history database: bulk load ------------------------------------------------------

HEAVY_CALLERS = 100           # numbers that call again and again (about 100 calls each)
START = datetime(2025, 1, 1, tzinfo=UTC)
CALL_SPACING_S = 30           # one call every 30 s: a million calls is about 347 days


def phone_of(k: int) -> str:
    """Caller number ``k`` (the same formula as ``_PHONE_SQL``); distinct for k < 200,000."""
    return f"1{3 + k % 7}{(k * 4999) % 1_000_000_000:09d}"


# Which caller (k) made call i: every 100th call comes from one of the heavy callers, the rest
# are spread by a multiplicative hash over the other numbers.
_CALLER_SQL = (
    f"(CASE WHEN i % 100 = 0 THEN (i / 100) % {HEAVY_CALLERS}"
    f" ELSE {HEAVY_CALLERS} + ((i * 2654435761) % 4294967291) % (:phones - {HEAVY_CALLERS}) END)"
)
_PHONE_SQL = f"printf('1%d%09d', 3 + {_CALLER_SQL} % 7, ({_CALLER_SQL} * 4999) % 1000000000)"
_TIME_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', :start + i * :spacing, 'unixepoch')"
_ADDRESS_SQL = "(CASE i % 5 WHEN 0 THEN '人民路' WHEN 1 THEN '建设路' WHEN 2 THEN '新华街'" \
               " WHEN 3 THEN '幸福里' ELSE '胜利街' END) || (i % 397 + 1) || '号'"
_TEXT_SQL = "'第' || i || '次来电：' || (CASE i % 4 WHEN 0 THEN '家里停水了，一直没来水' WHEN 1 THEN" \
            " '小区停电两个小时了' WHEN 2 THEN '楼下噪音太大睡不着' ELSE '路灯不亮，晚上走路害怕' END)"
_SERIES = "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < :n) "


@dataclass(frozen=True)
class SeededCalls:
    path: Path
    calls: int
    phones: int
    seconds: float


def seed_calls(path: Path, calls: int, phones: int) -> SeededCalls:
    """``calls`` rows in ``calls`` (and one ``incidents`` row each) from ``phones`` numbers."""
    started = perf_counter()
    Store(path, FakeClock(START)).close()          # the real schema, through the migrations
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        schema_before = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-262144")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('incidents', 'calls')").fetchall()
        params = {"n": calls, "phones": phones, "start": int(START.timestamp()), "spacing": CALL_SPACING_S}
        conn.execute("BEGIN IMMEDIATE")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute(
            _SERIES + "INSERT INTO incidents (id, created_at, seat, phone, caller_name, address, place_key,"
            " area, category, text, status, disposition)"
            f" SELECT printf('%08x-0000-7000-8000-%012x', i, i), {_TIME_SQL}, 'seat-01', {_PHONE_SQL}, '',"
            f" {_ADDRESS_SQL}, {_ADDRESS_SQL}, 'urban', 'water_supply', {_TEXT_SQL}, 'closed', 'linkage' FROM s",
            params,
        )
        conn.execute(
            _SERIES + "INSERT INTO calls (id, incident_id, phone, caller_name, received_at, text, address, area)"
            f" SELECT printf('%08x-0000-7000-9000-%012x', i, i), printf('%08x-0000-7000-8000-%012x', i, i),"
            f" {_PHONE_SQL}, '', {_TIME_SQL}, {_TEXT_SQL}, {_ADDRESS_SQL}, 'urban' FROM s",
            params,
        )
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
        schema_after = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        if schema_after != schema_before:
            raise RuntimeError("bulk load changed the schema")
        count = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
        if count != calls:
            raise RuntimeError(f"seeded {count} calls, wanted {calls}")
    finally:
        conn.close()
    return SeededCalls(path, calls, phones, perf_counter() - started)


def lookup_numbers(phones: int, n: int, seed: int = 11) -> list[str]:
    """Numbers to look up: 80 % ordinary callers, 10 % heavy callers, 10 % first-time callers
    (no history at all: the most common case at the desk)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        r = i % 10
        if r == 0:
            out.append(phone_of(rnd.randrange(HEAVY_CALLERS)))
        elif r == 1:
            out.append(random_phone(rnd))
        else:
            out.append(phone_of(rnd.randrange(HEAVY_CALLERS, phones)))
    rnd.shuffle(out)
    return out
