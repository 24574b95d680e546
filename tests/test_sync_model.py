"""Model-based test of sync: 3 seats, random work, HTTP faults, crashes; then 0 lost, converged.

Hypothesis interleaves dispatcher actions on three seats of one county (calls, orders, steps,
return reviews, gradings, notes, category changes, closes and reopens, merges), sync passes,
seat restarts, clock moves and faults on the next requests (refused, timeout, 500,
503 + Retry-After, response lost after the server committed, request delivered twice, request
held back and delivered after newer ones).

After every step: nothing a seat saved is gone from it, and everything it saved is either still
queued or on the server; the server's sequence is gap-free. At the end the network heals and
every seat syncs until drained: the server holds exactly the union of what the seats wrote
(0 lost, 0 duplicated), and every seat has every event and the same projection.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sync_harness import FAULTS, County

from console.calls import intake
from console.kernel.clock import FakeClock
from console.kernel.errors import LinkageError

SEATS = ("seat-01", "seat-02", "seat-03")
CATEGORIES = ("public_order", "traffic_accident", "crime")
UNITS = ("psb", "health", "housing", "transport")
VERBS = ("deliver", "ack", "depart", "arrive", "feedback", "complete", "return", "cancel")
TOTALS: Counter[str] = Counter()
# where each example's server store goes: set by the test for its engine (None: a SQLite file
# in the example's own directory; else a fresh PostgreSQL database per example)
NEW_STORE: list[Callable[[], str | None]] = [lambda: None]
DROP_STORE: list[Callable[[Path | str], None]] = [lambda spec: None]

seat = st.sampled_from(SEATS)


class SyncModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="sync-model-"))
        self.clock = FakeClock("2026-11-28T06:00:00Z")
        self.county = County(self.root, self.clock, store=NEW_STORE[0]())
        self.saved: dict[str, set[str]] = {name: set() for name in SEATS}
        self._note_saved()

    def _note_saved(self) -> None:
        for name in SEATS:
            self.saved[name] |= self.county.local_ids(name)

    def _incidents(self, name: str, status: str | None = None) -> list[int]:
        sql = "SELECT no FROM incidents" + (" WHERE status = ?" if status else "") + " ORDER BY no"
        return [r[0] for r in self.county.seats[name].store.all(sql, (status,) if status else ())]

    def _act(self, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        try:
            fn(*args, **kwargs)
            TOTALS["actions"] += 1
            TOTALS[f"did:{getattr(fn, '__name__', 'write')}"] += 1
        except LinkageError:
            TOTALS["refused"] += 1  # the core refused (e.g. illegal step): nothing written
        self._note_saved()

    # -- dispatcher work ------------------------------------------------------------------------
    @rule(name=seat, category=st.sampled_from(CATEGORIES), phone=st.integers(0, 5),
          units=st.lists(st.sampled_from(UNITS), max_size=2, unique=True))
    def call(self, name: str, category: str, phone: int, units: list[str]) -> None:
        services = self.county.seats[name]
        self._act(intake.new_call, services.ctx, None, phone=f"1380000000{phone}",
                  text=f"model call from {name}", address="人民路1号", category=category,
                  dispatch=units)

    @rule(name=seat, pick=st.integers(0, 50), unit=st.sampled_from(UNITS))
    def order(self, name: str, pick: int, unit: str) -> None:
        open_ = self._incidents(name, "open")
        if open_:
            self._act(self.county.seats[name].issue_orders, open_[pick % len(open_)], [unit])

    @rule(name=seat, pick=st.integers(0, 50), verb=st.sampled_from(VERBS))
    def step(self, name: str, pick: int, verb: str) -> None:
        services = self.county.seats[name]
        orders = [r[0] for r in services.store.all("SELECT no FROM orders ORDER BY no")]
        if orders:
            self._act(services.step, orders[pick % len(orders)], verb,
                      reason="no crew" if verb == "return" else "")

    @rule(name=seat, pick=st.integers(0, 50), what=st.sampled_from(("note", "category", "close",
                                                                    "reopen", "merge", "transfer")))
    def edit(self, name: str, pick: int, what: str) -> None:
        services = self.county.seats[name]
        nos = self._incidents(name)
        if not nos:
            return
        no = nos[pick % len(nos)]
        if what == "note":
            self._act(intake.add_note, services.ctx, no, f"note from {name}")
        elif what == "category":
            self._act(intake.recategorize, services.ctx, no, CATEGORIES[pick % len(CATEGORIES)])
        elif what == "merge" and len(nos) > 1:
            self._act(intake.merge, services.ctx, no, nos[(pick + 1) % len(nos)])
        elif what == "transfer":
            self._act(intake.transfer, services.ctx, no, ("110", "12345", "answered")[pick % 3])
        elif what in ("close", "reopen"):
            kind = "incident.closed" if what == "close" else "incident.reopened"

            def write() -> None:
                incident = services.incident(no).incident
                with services.ctx.transaction() as tx:
                    tx.append(kind, {"incident_id": incident.id}, subject=incident.id)

            self._act(write)

    @rule(name=seat, pick=st.integers(0, 50), decision=st.sampled_from(("accept", "reject")))
    def review(self, name: str, pick: int, decision: str) -> None:
        """退单审核 on a returned order: a reject puts it back with the unit (status recomputed
        from steps, returns and reviews on every seat)."""
        services = self.county.seats[name]
        returned = [r[0] for r in services.store.all(
            "SELECT no FROM orders WHERE status = 'returned' ORDER BY no")]
        if returned:
            self._act(services.review_return, returned[pick % len(returned)], decision,
                      f"review from {name}")

    @rule(name=seat, pick=st.integers(0, 50), level=st.sampled_from(("IV", "III", "daily")))
    def grade(self, name: str, pick: int, level: str) -> None:
        """分级: gradings from several seats; the grade is the newest, the raising the earliest."""
        nos = self._incidents(name, "open")
        if nos:
            self._act(self.county.seats[name].grade, nos[pick % len(nos)], level,
                      type="accident", reason=f"grade from {name}")

    # -- the network and the machines ---------------------------------------------------------
    @rule(name=seat)
    def sync(self, name: str) -> None:
        report = self.county.sync(name)
        TOTALS["passes"] += 1
        TOTALS["ok" if report.ok else "failed_passes"] += 1

    @rule(faults=st.lists(st.sampled_from(FAULTS), min_size=1, max_size=4))
    def faults(self, faults: list[str]) -> None:
        self.county.transport.plan.extend(faults)

    @rule(name=seat)
    def crash(self, name: str) -> None:
        self.county.restart(name)
        TOTALS["restarts"] += 1

    @rule(seconds=st.integers(1, 600))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    # -- what must always hold ----------------------------------------------------------------
    @invariant()
    def nothing_saved_is_lost(self) -> None:
        on_server = set(self.county.server_ids())
        for name in SEATS:
            held = self.county.all_ids(name)
            assert self.saved[name] <= held, f"{name} lost its own events"
            unaccounted = self.saved[name] - self.county.queued(name) - on_server
            assert not unaccounted, f"{name}: {len(unaccounted)} saved events neither queued nor on the server"

    @invariant()
    def server_sequence_is_gap_free(self) -> None:
        seqs = self.county.server_seqs()
        assert seqs == list(range(1, len(seqs) + 1))

    def teardown(self) -> None:
        try:
            self._finish()
        finally:
            self.county.close()
            shutil.rmtree(self.root, ignore_errors=True)
            DROP_STORE[0](self.county.store)  # a PostgreSQL example's database, like its directory

    def _finish(self) -> None:
        import asyncio

        asyncio.run(self.county.transport.flush_held())  # late deliveries of held requests
        TOTALS["drain_passes"] += self.county.drain()
        written = set().union(*self.saved.values())
        server = self.county.server_ids()
        assert len(server) == len(set(server)), "an event is on the server twice"
        assert set(server) == written, f"lost {len(written - set(server))}, extra {len(set(server) - written)}"
        first = self.county.projection(SEATS[0])
        assert first["pending"] == 0
        for name in SEATS:
            assert self.county.all_ids(name) == set(server), f"{name} misses events"
            assert self.county.projection(name) == first, f"{name} did not converge"
        TOTALS["examples"] += 1
        TOTALS["events"] += len(server)
        TOTALS["incidents"] += len(first["incidents"])
        TOTALS["orders"] += len(first["orders"])
        for fault, n in self.county.transport.injected.items():
            TOTALS[f"fault:{fault}"] += n


SyncModel.TestCase.settings = settings(
    max_examples=50, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("engine", ("sqlite", "postgresql"))
def test_sync_model(engine: str, request: pytest.FixtureRequest) -> None:
    TOTALS.clear()
    if engine == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        NEW_STORE[0] = cluster.new_database
        DROP_STORE[0] = cluster.drop_database
    else:
        NEW_STORE[0] = lambda: None
        DROP_STORE[0] = lambda spec: None
    SyncModel.TestCase().runTest()
    print("\nsync model:", dict(sorted(TOTALS.items())))
    assert TOTALS["examples"] > 0 and TOTALS["events"] > 0
    assert TOTALS["failed_passes"] > 0, "no fault ever bit: the model is not testing recovery"
