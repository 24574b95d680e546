"""What ``PRAGMA quick_check`` on open costs (console/dbfile.py), on a 10k-incident seat database.

``python -m bench.store_check [N]``: seeds N incidents (default 10 000), each with an order,
through the real write path, then times, on the same file in the same run: opening the store
without the check (the baseline), opening it with the check, ``quick_check`` alone and
``integrity_check`` alone (what quick_check saves). Medians of 7 runs, warm page cache.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path
from statistics import median
from time import perf_counter

from bench.seed import seed_open_orders
from console.clock import FakeClock
from console.services import open_services
from console.store import Store

RUNS = 7


def _ms(fn: object) -> float:
    samples = []
    for _ in range(RUNS):
        started = perf_counter()
        fn()  # type: ignore[operator]
        samples.append((perf_counter() - started) * 1000)
    return median(samples)


def _open(path: Path, clock: FakeClock, check: bool) -> None:
    Store(path, clock, check=check).close()


def _pragma(path: Path, pragma: str) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute(pragma).fetchone()[0] == "ok"
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seat.db"
        clock = FakeClock("2026-11-28T06:00:00Z")
        svc = open_services(path, clock=clock)
        seconds = seed_open_orders(svc, clock, n)
        svc.close()
        size = path.stat().st_size / 2**20
        print(f"seeded {n} incidents with orders in {seconds:.1f} s; file {size:.1f} MiB")
        base = _ms(lambda: _open(path, clock, False))
        checked = _ms(lambda: _open(path, clock, True))
        quick = _ms(lambda: _pragma(path, "PRAGMA quick_check(1)"))
        full = _ms(lambda: _pragma(path, "PRAGMA integrity_check(1)"))
        print(f"open without check  {base:8.1f} ms (baseline)")
        print(f"open with check     {checked:8.1f} ms (+{checked - base:.1f} ms)")
        print(f"quick_check(1)      {quick:8.1f} ms")
        print(f"integrity_check(1)  {full:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
