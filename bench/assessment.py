"""The assessment (考核) of a busy county's year: 200,000 incidents, 400,000 orders, 2,000,000
order steps; ``Services.assess`` over the year, then its XLSX and its PDF, each beside a raw SQL
baseline of the same per-unit counts (orders received and on time per stage) in the same run.

The seed is bulk SQL (``executemany`` into the real schema, after the migrations ran through
``open_services``) and not the write path: 2.6 million events through ``Transaction.append``
would take most of an hour, and the write path is measured elsewhere (``writes``). The rows are
what the projections would hold: each order's steps document and its milestone columns agree.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.core import Env, Row, latency_row, paired
from console.calls.stats import period
from console.kernel.clock import FakeClock, iso
from console.kernel.ids import uuid7
from console.seat.services import open_services
from console.store.transaction import PRAGMAS

INCIDENTS = 200_000
ORDERS_PER_INCIDENT = 2
YEAR_START = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)   # 2026-01-01 00:00 in Shanghai
NOW = "2027-01-15T02:00:00Z"
OPERATORS = [f"op{n:02d}" for n in range(12)]
# seconds after the issue, uniform: about 4 % of acks, 6 % of arrivals and 5 % of feedbacks late
# (ack due 5 min, arrival 30, feedback 120), so the lists hold about a tenth of the orders
_STEPS = (("delivered", 5, 20), ("acknowledged", 30, 312), ("en_route", 60, 600),
          ("on_scene", 300, 1895), ("feedback", 1200, 7520))

_BASELINE = """
SELECT o.unit, count(*), total(o.taken_at <= o.ack_due), total(o.arrived_at <= o.arrive_due),
       total(o.fed_back_at <= o.feedback_due)
FROM orders o JOIN incidents i ON i.id = o.incident_id
WHERE o.issued_at >= ? AND o.issued_at < ? AND i.drill = 0 GROUP BY o.unit
"""


def _seed(path: Path, units: list[str]) -> int:
    """Bulk rows for the year; returns the number of order steps written."""
    rnd = random.Random(15)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    spacing = 365 * 86400 / INCIDENTS
    incidents: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    steps_written = 0
    seq = 0

    def flush() -> None:
        conn.executemany(
            "INSERT INTO incidents (id, created_at, seat, phone, caller_name, address, place_key, area,"
            " category, text, status, disposition) VALUES (?, ?, 'seat-01', ?, '', ?, ?, 'urban',"
            " 'power_supply', '停电', 'open', 'linkage')", incidents)
        conn.executemany(
            "INSERT INTO orders (id, incident_id, unit, unit_kind, area, status, first_contact, issued_at,"
            " steps, ack_due, arrive_due, feedback_due, taken_at, departed_at, arrived_at, fed_back_at)"
            " VALUES (?, ?, ?, 'utility', 'urban', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", orders)
        conn.executemany(
            "INSERT INTO events (id, kind, subject, happened_at, recorded_at, seat, operator, payload)"
            " VALUES (?, ?, ?, ?, ?, 'seat-01', ?, ?)", events)
        incidents.clear()
        orders.clear()
        events.clear()

    for n in range(INCIDENTS):
        created = YEAR_START + timedelta(seconds=n * spacing)
        at = iso(created)
        inc = f"inc-{n:08d}"
        op = OPERATORS[n % len(OPERATORS)]
        incidents.append((inc, at, f"138{n:08d}", f"人民路{n % 900}号", f"place-{n % 900}"))
        events.append((uuid7(int(created.timestamp() * 1000)), "incident.created", inc, at, at, op, "{}"))
        for k in range(ORDERS_PER_INCIDENT):
            seq += 1
            oid = f"ord-{seq:08d}"
            issued = created + timedelta(seconds=rnd.randint(20, 150))
            steps = {"issued": iso(issued)}
            t = issued
            never = rnd.random() < 0.01                  # 1 % never acknowledged
            for name, lo, hi in _STEPS:
                if never and name != "delivered":
                    break
                t = max(t, issued + timedelta(seconds=rnd.randint(lo, hi)))
                steps[name] = iso(t)
                seq += 1
                events.append((uuid7(int(t.timestamp() * 1000)), "order.stepped", inc, steps[name], steps[name], op,
                               json.dumps({"order_id": oid, "status": name})))
                steps_written += 1
            status = list(steps)[-1]
            orders.append((oid, inc, units[rnd.randrange(len(units))], status, 1 if k == 0 else 0,
                           iso(issued), json.dumps(steps), iso(issued + timedelta(minutes=5)),
                           iso(issued + timedelta(minutes=30)), iso(issued + timedelta(minutes=120)),
                           steps.get("acknowledged"), steps.get("en_route"), steps.get("on_scene"),
                           steps.get("feedback")))
        if len(incidents) >= 20_000:
            flush()
    flush()
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return steps_written


def measure_assessment(env: Env) -> list[Row]:
    d = env.dir("assessment")
    path = d / "year.db"
    clock = FakeClock(NOW)
    svc = open_services(path, clock=clock)
    units = list(svc.catalog.units)
    svc.close()
    steps = _seed(path, units)
    svc = open_services(path, clock=clock)
    tz = svc.config.tz
    year = period("2026-01-01", "2026-12-31", clock.now(), tz)
    raw = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        raw.execute(pragma)
    span = (iso(year.start), iso(year.end))

    def baseline(_: int) -> None:
        raw.execute(_BASELINE, span).fetchall()

    held = {}

    def subject(_: int) -> None:
        held["a"] = svc.assess(year)

    from console.assessment.pdf import find_font, write_pdf
    from console.assessment.xlsx import write_xlsx

    font = find_font(svc.config.reports.font)
    runs = [0, 1, 2]
    s, b = paired(subject, baseline, runs, warmup=[0])
    a = held["a"]
    xs, xb = paired(lambda i: write_xlsx(a, d / f"year-{i}.xlsx", tz), baseline, runs[:2])
    ps, pb = paired(lambda i: write_pdf(a, d / f"year-{i}.pdf", tz, font), baseline, runs[:2])
    received = sum(u.received for u in a.units)
    check = {r[0]: int(r[1]) for r in raw.execute(_BASELINE, span)}
    if received != INCIDENTS * ORDERS_PER_INCIDENT or check != {u.unit: u.received for u in a.units if u.received}:
        raise RuntimeError(f"the assessment counts {received} orders; the baseline disagrees")
    lists = {k: len(v) for k, v in a.lists.items()}
    size_x = (d / "year-0.xlsx").stat().st_size
    size_p = (d / "year-0.pdf").stat().st_size
    label = "raw SQL per-unit counts"
    rows = [
        latency_row("assessment: a county's year (Services.assess)", s, b, max_ms=2000, base_label=label,
                    notes=[f"assessment: {INCIDENTS:,} incidents, {received:,} orders, {steps:,} order steps"
                           f" (bulk-seeded rows, see bench/assessment.py); lists {lists}; baseline = one"
                           " GROUP BY unit of received and on-time counts over the same orders"]),
        latency_row("assessment: its XLSX (openpyxl, write-only)", xs, xb, max_ms=5000, base_label=label,
                    notes=[f"assessment XLSX: {size_x / 1e6:.1f} MB, every listed order on its sheet"]),
        latency_row("assessment: its PDF (fpdf2, CJK subset)", ps, pb, max_ms=5000, base_label=label,
                    notes=[f"assessment PDF: {size_p / 1e3:.0f} KB; each list printed up to 300 orders"]),
    ]
    svc.close()
    raw.close()
    env.drop("assessment")
    return rows
