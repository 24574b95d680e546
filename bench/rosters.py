"""Duty rosters: the board's on-duty state for 500 units with 30 days of filed rosters.

The registry is widened to 500 units (the shipped units, repeated under new codes) and every
unit files 30 days of shifts through the real write path (one ``roster.filed`` event per
unit: Tier 1 day/night shifts, Tier 2/3 office hours), plus a corrected week for a fifth of
them, so supersession is exercised. The subject is ``Services.roster()`` at one instant (what
the roster screen and the picker call); the baseline is a raw SQL query over the same shift
rows that ignores supersession and duty hours, run on its own connection.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bench.core import Env, Row, latency_row, paired
from console.catalog.registry import Catalog
from console.duty.rosters import TIER_FIELD, Shift
from console.kernel.clock import FakeClock, iso, parse_instant
from console.seat.services import open_services
from console.store.transaction import PRAGMAS

UNITS = 500
DAYS = 30
START = "2026-11-28T06:00:00Z"


def _widen(catalog: Catalog, n: int) -> Catalog:
    shipped = list(catalog.units.values())
    units = {}
    for i in range(n):
        base = shipped[i % len(shipped)]
        code = base.code if i < len(shipped) else f"{base.code[:18]}_{i}"
        units[code] = replace(base, code=code)
    return Catalog(units=units, categories=catalog.categories)


def _shifts(code: str, tier: int, first: str, days: int, tag: str = "") -> list[Shift]:
    """Tier 1: 08–20 and 20–08 every day; Tier 2/3: 08:30–17:30 on weekdays (local UTC+8)."""
    day0 = parse_instant(first)
    key = TIER_FIELD[tier]
    out = []
    for d in range(days):
        day = day0 + timedelta(days=d)
        spans = ([(0, 12), (12, 24)] if tier == 1 else
                 [(0.5, 9.5)] if (day + timedelta(hours=8)).weekday() < 5 else [])
        for a, b in spans:
            out.append(Shift(code, day + timedelta(hours=a), day + timedelta(hours=b),
                             f"值班员{d}{tag}", "0000-1100001", **{key: f"{key}-{d}"}))
    return out


def measure_roster(env: Env) -> list[Row]:
    d = env.dir("roster")
    clock = FakeClock(START)
    svc = open_services(d / "roster.db", clock=clock)
    svc.ctx.catalog = _widen(svc.catalog, UNITS)
    units = list(svc.catalog.units.values())
    first = "2026-11-28T00:00:00Z"                        # 08:00 local on the first day
    month = (parse_instant(first), parse_instant(first) + timedelta(days=DAYS))
    for u in units:
        svc.file_roster({u.code: _shifts(u.code, u.tier, first, DAYS)}, period=month)
    clock.advance(hours=1)
    week = (parse_instant("2026-12-03T00:00:00Z"), parse_instant("2026-12-10T00:00:00Z"))
    for u in units[::5]:                                   # a corrected week for one unit in five
        svc.file_roster({u.code: _shifts(u.code, u.tier, "2026-12-03T00:00:00Z", 7, "改")}, period=week)
    shifts = svc.store.all("SELECT count(*) FROM roster_shifts")[0][0]  # count(*): always one row
    filings = svc.store.all("SELECT count(*) FROM roster_filings")[0][0]
    instants = [parse_instant(START) + timedelta(minutes=97 * i) for i in range(60)]

    import sqlite3
    raw = sqlite3.connect(d / "roster.db", isolation_level=None)
    for pragma in PRAGMAS:
        raw.execute(pragma)

    def subject(at: datetime) -> None:
        svc.roster(at)

    def baseline(at: datetime) -> None:
        t = iso(at)
        raw.execute("SELECT unit, person, phone FROM roster_shifts WHERE start_at <= ? AND end_at > ?",
                    (t, t)).fetchall()

    entries = svc.roster(instants[3])
    on = sum(e.on_duty for e in entries)
    by_roster = sum(e.source == "roster" for e in entries)
    if len(entries) != UNITS or by_roster != UNITS:
        raise RuntimeError(f"roster shows {len(entries)} units, {by_roster} from filed rosters; wanted {UNITS}")
    s, b = paired(subject, baseline, instants, warmup=instants[:5])
    stale_s, stale_b = paired(lambda at: svc.stale_units(at), baseline, instants[:30], warmup=instants[:3])
    rows = [
        latency_row(
            f"roster: Services.roster(), {UNITS} units × {DAYS} d", s, b, max_ms=20,
            base_label="raw SELECT over shifts",
            notes=[f"roster: {UNITS} units filed {DAYS} days each through Services.file_roster ({filings} filings,"
                   f" {shifts:,} shifts, a corrected week for every 5th unit); {on} on duty at a sample instant;"
                   " baseline = raw SELECT … FROM roster_shifts WHERE start_at <= t AND end_at > t (no"
                   " supersession, no duty-hours fallback, no open-order count)"],
        ),
        latency_row(f"roster: Services.stale_units(), {UNITS} units", stale_s, stale_b, max_ms=20,
                    base_label="raw SELECT over shifts"),
    ]
    svc.close()
    raw.close()
    env.drop("roster")
    return rows
