"""What ``PRAGMA quick_check`` on open costs (console/store/dbfile.py), on a 10k-incident seat database.

``python -m bench.store_check [N]``: seeds N incidents (default 10 000), each with an order,
through the real write path, then times, on the same file in the same run: opening the store
without the check (the baseline), opening it with the check, ``quick_check`` alone and
``integrity_check`` alone (what quick_check saves), and a whole ``linkage board`` command
(a fresh process) with ``[store] check_on_open`` off and on. Medians of 7 runs, warm page cache.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from statistics import median
from time import perf_counter

from bench.seed import seed_open_orders
from console.kernel.clock import FakeClock
from console.seat.services import open_services
from console.store.transaction import Store

RUNS = 7


def _ms(fn: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = perf_counter()
        fn()
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


def _command(path: Path, config: Path) -> None:
    env = {**os.environ, "LINKAGE_NOW": "2026-11-28T07:00:00Z"}
    subprocess.run([str(Path(sys.executable).parent / "linkage"), "--db", str(path), "--config", str(config),
                    "--json", "board"], check=True, capture_output=True, env=env)


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
        off, on = Path(tmp) / "off.toml", Path(tmp) / "on.toml"
        off.write_text("[store]\ncheck_on_open = false\n", encoding="utf-8")
        on.write_text("[store]\ncheck_on_open = true\n", encoding="utf-8")
        cmd_off = _ms(lambda: _command(path, off))
        cmd_on = _ms(lambda: _command(path, on))
        print(f"linkage board       {cmd_off:8.1f} ms without the check (baseline)")
        print(f"linkage board       {cmd_on:8.1f} ms with the check (+{cmd_on - cmd_off:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
