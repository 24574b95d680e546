"""City scale: N counties × 4 seats push at once to one ``linkage serve`` on loopback, for a
fixed time, on SQLite and on PostgreSQL side by side in the same run (SQLite is the baseline).

Each seat is a thread pushing batches of ``BATCH`` events back to back (a closed loop, so the
server's limit shows; a real county's busiest hour is ~1 event/s, far below). Reported per
engine and county count: accepted events/s, p50/p99 push latency, the server's peak RSS; and
for the 15-county run the city replica's catch-up (every county pulled into its replica).
PostgreSQL runs in a throwaway cluster (central/pgcluster.py) tuned for speed, not durability
(fsync off), so its row is an upper bound; SQLite runs with its product settings
(synchronous=FULL). Bounded: DURATION_S per run.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.core import Env, Row
from central.pgcluster import binaries, throwaway
from central.storage import open_store
from central.testing import push_body, serve_subprocess, wire_event
from console.city.replica import CityReplica
from console.kernel.clock import SystemClock

SEATS = 4
BATCH = 20
DURATION_S = 6.0
COUNTY_STEPS = (5, 15, 30)


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _run(spec: Path | str, counties: int) -> dict[str, Any]:
    store = open_store(spec, SystemClock())
    try:
        tokens = {(f"county-{c:02d}", f"seat-{s:02d}"): store.add_token(f"county-{c:02d}", f"seat-{s:02d}")
                  for c in range(counties) for s in range(SEATS)}
        city = store.add_token("*", "city-bench", ("read-all",))
    finally:
        store.close()
    latencies: list[float] = []
    accepted = [0]
    lock = threading.Lock()
    with serve_subprocess(spec, "--rate", "1000000", "--burst", "1000000") as server:
        # clients made before the clock starts (each builds a TLS context: tens of ms of CPU)
        clients = {key: httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                                     timeout=60) for key, token in tokens.items()}
        ready = threading.Barrier(len(clients) + 1)
        stop = [0.0]

        def seat(county: str, name: str, client: httpx.Client) -> None:
            ready.wait()
            with client:
                while time.monotonic() < stop[0]:
                    events = [wire_event(name) for _ in range(BATCH)]
                    t = time.perf_counter()
                    answer = client.post(f"/v1/streams/{county}/events:push", json=push_body(events, name))
                    spent = time.perf_counter() - t
                    ok = sum(1 for a in answer.json()["acks"] if a["status"] == "accepted")
                    with lock:
                        latencies.append(spent)
                        accepted[0] += ok

        threads = [threading.Thread(target=seat, args=(c, s, client)) for (c, s), client in clients.items()]
        for t in threads:
            t.start()
        started = time.monotonic()
        stop[0] = started + DURATION_S
        ready.wait()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        rss = _peak_rss_mib(server.process.pid)
        catchup = None
        if counties == 15:
            replica_dir = Path(str(spec) + ".city") if isinstance(spec, Path) else None
            root = replica_dir or Path(f"/tmp/linkage-bench-city-{time.monotonic_ns()}")
            replica = CityReplica(root, SystemClock())
            try:
                began = time.perf_counter()
                report = replica.pull(server.url, city, timeout=120)
                catchup = (time.perf_counter() - began, report.pulled)
            finally:
                replica.close()
                import shutil

                shutil.rmtree(root, ignore_errors=True)
    ordered = sorted(latencies)
    return {"rate": accepted[0] / elapsed, "p50": statistics.median(ordered) * 1000,
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, "rss": rss,
            "catchup": catchup, "pushes": len(latencies)}


def _row(name: str, got: dict[str, Any], base: dict[str, Any] | None, notes: list[str]) -> Row:
    value = f"{got['rate']:,.0f} ev/s"
    p = f"p50 {got['p50']:.0f} / p99 {got['p99']:.0f} ms, {got['rss']:.0f} MiB"
    if base is None:
        return Row(name=name, n=got["pushes"], value=value, p95=p, base_value="–", base_p95="–", vs_base="–",
                   target="–", vs_target="–", ok=None, notes=notes)
    return Row(name=name, n=got["pushes"], value=value, p95=p, base_value=f"{base['rate']:,.0f} ev/s",
               base_p95=f"p50 {base['p50']:.0f} / p99 {base['p99']:.0f} ms, {base['rss']:.0f} MiB",
               vs_base=f"{got['rate'] / base['rate']:.2f}×", target="–", vs_target="–", ok=None, notes=notes)


def measure_city(env: Env) -> list[Row]:
    rows: list[Row] = []
    if binaries() is None:
        return [Row(name="city scale", n=0, value="skipped", p95="–", base_value="–", base_p95="–", vs_base="–",
                    target="–", vs_target="–", ok=None, notes=["no PostgreSQL server programs on this machine"])]
    with throwaway() as cluster:
        for counties in COUNTY_STEPS:
            sqlite = _run(env.dir(f"city-{counties}") / "central.db", counties)
            pg = _run(cluster.new_database("bench"), counties)
            notes = []
            for label, got in (("sqlite", sqlite), ("postgresql", pg)):
                if got["catchup"] is not None:
                    seconds, events = got["catchup"]
                    notes.append(f"city {counties}×{SEATS}, {label}: city replica catch-up of {events:,} events"
                                 f" in {seconds:.1f} s ({events / max(seconds, 1e-9):,.0f} ev/s)")
            rows.append(_row(f"city {counties}×{SEATS} push, sqlite", sqlite, None, []))
            rows.append(_row(f"city {counties}×{SEATS} push, postgresql", pg, sqlite,
                             [*notes, f"city {counties}×{SEATS}: baseline = SQLite in the same run"]))
    return rows
