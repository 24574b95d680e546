"""Another seat sees a new incident, and what an idle seat costs the server in requests.

The real ``linkage serve`` process (default settings, 127.0.0.1) and four real seats in two
counties, each with the console's own sync thread (``SyncWorker``, default settings: 5 s
interval, 15 s deadline). In one county the seats hold pulls (long-poll, today's default);
in the other they poll as before (``held_pulls`` off: a pass, hello + push + pull, every
5 s): the baseline, measured in the same run, interleaved sample by sample.

**Seen (``sync_seen``).** A writer seat records a call (``intake.new_call``, the console's
write); the figure is the time until the incident is in the other seat's database (read on
a connection of its own every 2 ms). Samples are spaced by random pauses so a polling seat's
phase is uniform, as it is for real calls.

**Idle requests.** Then nobody writes for ``IDLE_S`` seconds; the server's access log (one
line per request, with its seat and duration) gives each seat's requests started in that
window, per minute.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import sqlite3
import statistics
import time
from pathlib import Path

from bench.core import Env, Row, fmt_ns, p95
from bench.seed import call_specs
from central.store import CentralStore
from central.testing import serve_subprocess
from console.calls import intake
from console.kernel.clock import SystemClock
from console.seat.services import Services, open_services
from console.sync.worker import SyncWorker

SAMPLES = 16
IDLE_S = 60.0
SEEN_P50_S, SEEN_P95_S = 0.3, 1.0
IDLE_TARGET = 3.0  # requests per idle seat per minute
PAIRS = {"held": ("held-county", True), "poll": ("poll-county", False)}


def _seat(root: Path, county: str, seat: str, server: str, token: str) -> Services:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(f'[center]\ncounty = "{county}"\nseat = "{seat}"\n'
                                      f'[sync]\nserver = "{server}"\n', encoding="utf-8")
    svc = open_services(root / "linkage.db", config_path=root / "config.toml", clock=SystemClock())
    svc.save_sync_token(token)
    return svc


def measure_seen(env: Env) -> list[Row]:
    root = env.dir("seen")
    store_path = root / "central.db"
    central = CentralStore(store_path, SystemClock())
    tokens = {(county, s): central.add_token(county, s)
              for county, _ in PAIRS.values() for s in ("seat-a", "seat-b")}
    central.close()
    arrivals: list[tuple[float, dict[str, object]]] = []

    def on_log(line: str) -> None:
        if line.startswith("{"):
            arrivals.append((time.monotonic(), json.loads(line)))

    rng = random.Random(7)
    seen: dict[str, list[int]] = {"held": [], "poll": []}
    workers: list[SyncWorker] = []
    seats: list[Services] = []
    with serve_subprocess(store_path, on_log=on_log) as server:
        try:
            pairs = {}
            for key, (county, held) in PAIRS.items():
                a = _seat(root / key / "a", county, "seat-a", server.url, tokens[(county, "seat-a")])
                b = _seat(root / key / "b", county, "seat-b", server.url, tokens[(county, "seat-b")])
                seats += [a, b]
                for svc in (a, b):
                    settings = svc.sync_settings()
                    assert settings is not None
                    worker = SyncWorker(svc.store.path, dataclasses.replace(settings, held_pulls=held),
                                        SystemClock())
                    worker.start()
                    workers.append(worker)
                reader = sqlite3.connect(root / key / "b" / "linkage.db")
                pairs[key] = (a, reader)
            deadline = time.monotonic() + 30
            while any(w.passes == 0 for w in workers) and time.monotonic() < deadline:
                time.sleep(0.05)
            specs = call_specs(seats[0].catalog, 2 * SAMPLES, seed=5)
            for i in range(SAMPLES):
                order = ("held", "poll") if i % 2 == 0 else ("poll", "held")
                for key in order:
                    time.sleep(rng.uniform(0.2, 1.2))
                    spec = specs[2 * i + (key == "poll")]
                    a, reader = pairs[key]
                    made = intake.new_call(a.ctx, None, phone=spec.phone, text=spec.text, address=spec.address,
                                           area=spec.area, category=spec.category)
                    t0 = time.perf_counter_ns()
                    while reader.execute("SELECT 1 FROM incidents WHERE id = ?",
                                         (made.incident.id,)).fetchone() is None:
                        if time.perf_counter_ns() - t0 > 30e9:
                            raise RuntimeError(f"{key}: the other seat never saw the incident")
                        time.sleep(0.002)
                    seen[key].append(time.perf_counter_ns() - t0)
            time.sleep(2.0)  # the last passes settle
            start = time.monotonic()
            time.sleep(IDLE_S)
            end = time.monotonic()
            idle = {key: _per_minute(arrivals, county, start, end) for key, (county, _) in PAIRS.items()}
        finally:
            for worker in workers:
                worker.stop()
            for svc in seats:
                svc.close()
    env.drop("seen")
    return [_seen_row(seen["held"], seen["poll"]), _idle_row(idle["held"], idle["poll"])]


def _per_minute(arrivals: list[tuple[float, dict[str, object]]], county: str, start: float, end: float
                ) -> list[float]:
    """Each seat's requests that ended in [start, end), per minute: in a steady idle state as
    many end as start, and a held pull's log line only comes when it ends."""
    counts = {"seat-a": 0, "seat-b": 0}
    for arrived, line in arrivals:
        if line.get("county") == county and line.get("seat") in counts and start <= arrived < end:
            counts[str(line["seat"])] += 1
    return [c * 60 / (end - start) for c in counts.values()]


def _seen_row(held: list[int], poll: list[int]) -> Row:
    med, high = statistics.median(held), p95(held)
    bmed = statistics.median(poll)
    vs_target = max(med / (SEEN_P50_S * 1e9), high / (SEEN_P95_S * 1e9))
    return Row(name="sync: other seat sees a new incident", n=len(held), value=fmt_ns(med), p95=fmt_ns(high),
               base_value=fmt_ns(bmed), base_p95=fmt_ns(p95(poll)),
               vs_base=f"{med / bmed:.2f}×" if bmed else "–",
               target=f"p50 ≤ {SEEN_P50_S:g} s, p95 ≤ {SEEN_P95_S:g} s", vs_target=f"{vs_target:.2f}",
               ok=vs_target <= 1.0,
               notes=["sync_seen: real `linkage serve` (defaults) on 127.0.0.1, two seats per county each with"
                      " the console's sync thread at default settings; from a call recorded on one seat to its"
                      " incident in the other seat's database; baseline = the same with held pulls off"
                      " (a pass every 5 s, as before), interleaved in this run"])


def _idle_row(held: list[float], poll: list[float]) -> Row:
    worst = max(held)
    return Row(name="sync: requests per idle seat per minute", n=len(held),
               value=f"{statistics.median(held):.1f}", p95=f"{worst:.1f}",
               base_value=f"{statistics.median(poll):.1f}", base_p95=f"{max(poll):.1f}",
               vs_base=f"{statistics.median(held) / statistics.median(poll):.2f}×" if statistics.median(poll)
               else "–", target=f"≤ {IDLE_TARGET:g}", vs_target=f"{worst / IDLE_TARGET:.2f}",
               ok=worst <= IDLE_TARGET and not math.isnan(worst),
               notes=[f"sync idle: requests each seat made (ended) in {IDLE_S:.0f} s with nobody writing, from the"
                      " server's access log; worst seat in the p95 column; baseline = the polling county's seats"])
