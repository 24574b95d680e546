"""The server is down for 10 minutes while three seats queue 10,000 events (fake clock).

The seats keep working; each retries on its full-jitter schedule (no request storm); once the
server is back every queue drains, nothing is lost or doubled, and all seats converge.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

from conftest import one_row
from sync_harness import County

from console.calls import intake
from console.kernel.clock import FakeClock
from console.sync.client import next_delay

OUTAGE_S = 600
TARGET_EVENTS = 10_000


def _write(county: County, name: str, n: int, k: int) -> None:
    """n events on seat ``name``: real calls with orders, then notes on them in one transaction."""
    services = county.seats[name]
    result = intake.new_call(services.ctx, None, phone=f"1390000{k:04d}", text="停电了，整栋楼都没电",
                             address=f"建设路{k}号", category="public_order", dispatch=["housing"])
    left = n - 2
    with services.ctx.transaction() as tx:
        for i in range(left):
            tx.append("incident.noted", {"incident_id": result.incident.id, "note": f"回访 {i}"},
                      subject=result.incident.id)


def test_ten_minutes_down_with_ten_thousand_events_queued(tmp_path: Path) -> None:
    clock = FakeClock("2026-11-28T06:00:00Z")
    county = County(tmp_path, clock)
    try:
        for name in county.names:  # first contact while all is well
            assert county.sync(name).ok
        county.drain()
        start = clock.now()
        end = start + timedelta(seconds=OUTAGE_S)
        rng = random.Random(20261128)
        # seats are not in step: each was started by a person at its own moment
        next_at = {n: start + timedelta(seconds=rng.uniform(0, 5)) for n in county.names}
        passes_per_second: Counter[tuple[str, int]] = Counter()
        requests_per_second: Counter[int] = Counter()
        attempts_down: Counter[str] = Counter()
        written, k = 0, 0
        drained_at = None
        while True:
            name = min(next_at, key=lambda n: next_at[n])
            at = next_at[name]
            # the dispatchers keep working during the outage: 10,000 events over 10 minutes
            while written < TARGET_EVENTS and start + timedelta(seconds=written * OUTAGE_S / TARGET_EVENTS) <= at:
                clock.set(start + timedelta(seconds=written * OUTAGE_S / TARGET_EVENTS))
                k += 1
                _write(county, county.names[k % 3], 250, k)
                written += 250
            clock.set(at)
            county.transport.down = at < end
            before = county.transport.requests
            report = county.sync(name)
            second = int((at - start).total_seconds())
            passes_per_second[(name, second)] += 1
            requests_per_second[second] += county.transport.requests - before
            if county.transport.down:
                assert not report.ok and report.error_code == "unreachable"
                attempts_down[name] += 1
            failures = one_row(county.seats[name].store, "SELECT failures FROM sync_state")[0]
            settings = county.seats[name].sync_settings()
            assert settings is not None
            delay = next_delay(report, failures, settings, rng)
            next_at[name] = at + timedelta(seconds=delay)
            if at >= end and written >= TARGET_EVENTS and all(not county.queued(n) for n in county.names):
                drained_at = at
                break
            assert at < end + timedelta(seconds=600), "the queues did not drain after the server came back"
        queued_total = written
        county.drain()
        server = county.server_ids()
        union = set().union(*(county.local_ids(n) for n in county.names))
        first = county.projection(county.names[0])
        for name in county.names:
            assert county.projection(name) == first
            assert county.all_ids(name) == set(server)
        during = {s: n for s, n in requests_per_second.items() if s < OUTAGE_S}
        after = {s: n for s, n in requests_per_second.items() if s >= OUTAGE_S}
        worst_seat_second = max(passes_per_second.values())
        print(f"\noutage: {queued_total} events queued over {OUTAGE_S} s; requests while down "
              f"{sum(during.values())} ({dict(attempts_down)} attempts per seat), busiest second "
              f"{max(during.values())} requests; drained {(drained_at - end).total_seconds():.1f} s after "
              f"recovery with {sum(after.values())} requests; server {len(server)} events, "
              f"lost {len(union - set(server))}, duplicated {len(server) - len(set(server))}")
        assert len(server) == len(set(server)) and union == set(server)
        assert queued_total >= TARGET_EVENTS
        # no storm: each seat at most twice a second, and a backoff, not a poll, while down
        assert worst_seat_second <= 2
        assert max(during.values()) <= 6
        assert all(n <= 40 for n in attempts_down.values()), attempts_down
        assert (drained_at - end).total_seconds() <= 120  # within two backoff caps
    finally:
        county.close()
