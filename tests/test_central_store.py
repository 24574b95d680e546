"""The city server's store: gap-free streams, duplicates vs conflicts, paging, backup/restore.

Real SQLite files in tmp_path and real PostgreSQL databases (``central_spec``: each test runs
on both engines unless it is about one), a FakeClock; no server needed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from central.storage import is_postgresql, open_store, restore_store
from central.store import AuthError, CentralStore
from central.testing import registry_payload, wire_event
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput

START = "2026-11-28T06:00:00Z"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def store(central_spec: Path | str, clock: FakeClock) -> Iterator[CentralStore]:
    s = open_store(central_spec, clock)
    yield s
    s.close()


def seqs(store: CentralStore, county: str) -> list[int]:
    return [r[0] for r in store.conn.execute("SELECT seq FROM events WHERE county = ? ORDER BY seq", (county,))]


def test_pragmas_and_schema(store: CentralStore) -> None:
    if is_postgresql(store.path):
        pytest.skip("SQLite's pragmas and planner (PostgreSQL: test_pg_store.py)")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert [r[1] for r in store.conn.execute("SELECT * FROM schema_migrations")] == [
        "streams, events, tokens",
        "index only registry events: every other push skips a fourth B-tree",
        "tamper evidence: each event's chain link, each seat's chain head, and the links a seat"
        " declared skipped (its quarantined events)"]
    # the registry lookup uses the partial index; ordinary events are not in it
    plan = store.conn.execute("EXPLAIN QUERY PLAN SELECT id FROM events WHERE county = 'c'"
                              " AND kind = 'catalog.loaded'").fetchall()
    assert "events_registry" in str([tuple(r) for r in plan])


def test_seq_is_gap_free_per_county_under_many_batches_from_many_threads(store: CentralStore) -> None:
    counties = ("c1", "c2", "c3")
    sent: dict[str, list[str]] = {c: [] for c in counties}
    errors: list[BaseException] = []

    def seat(county: str, n: int) -> None:
        try:
            for _ in range(n):
                batch = [wire_event(f"seat-{county}") for _ in range(7)]
                sent[county].extend(e["id"] for e in batch)
                # every batch also re-sends one event already stored: a duplicate takes no seq
                acks = store.apply_batch(county, f"seat-{county}", [*batch, batch[0]])
                assert [a["status"] for a in acks] == ["accepted"] * 7 + ["duplicate"]
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=seat, args=(c, 30)) for c in counties for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for county in counties:
        got = seqs(store, county)
        assert got == list(range(1, len(got) + 1)), "gaps or repeats in the stream"
        assert len(got) == len(sent[county]) == 2 * 30 * 7
        assert store.pull(county, 0, 1)[2] == len(got)
    print(f"3 counties × 2 writer threads × 30 batches × 8 events: seqs 1..{len(got)} per county, no gaps")


def test_acks_are_in_pushed_order_with_the_stored_seq(store: CentralStore) -> None:
    events = [wire_event() for _ in range(5)]
    acks = store.apply_batch("c1", "seat-01", events)
    assert [a["id"] for a in acks] == [e["id"] for e in events]
    assert [a["seq"] for a in acks] == [1, 2, 3, 4, 5]


def test_same_id_same_content_is_duplicate_different_content_is_conflict(store: CentralStore) -> None:
    event = wire_event()
    assert store.apply_batch("c1", "seat-01", [event]) == [{"id": event["id"], "status": "accepted", "seq": 1}]
    again = store.apply_batch("c1", "seat-01", [dict(event)])
    assert again == [{"id": event["id"], "status": "duplicate", "seq": 1}]
    changed = {**event, "payload": {"incident_id": "other"}}
    assert store.apply_batch("c1", "seat-01", [changed]) == [
        {"id": event["id"], "status": "conflict", "code": "id_reused"}]
    assert seqs(store, "c1") == [1]
    stored = store.pull("c1", 0, 10)[0][0]
    assert stored["payload"] == event["payload"] != changed["payload"], "a conflict must never overwrite"


def test_an_id_of_another_county_is_a_conflict_that_reveals_nothing(store: CentralStore) -> None:
    event = wire_event()
    store.apply_batch("c1", "seat-01", [event])
    ack = store.apply_batch("c2", "seat-01", [dict(event)])
    assert ack == [{"id": event["id"], "status": "conflict", "code": "id_reused"}]
    assert "seq" not in ack[0]
    assert store.count_events("c2") == 0
    assert store.missing("c2", [event["id"]]) == [event["id"]], "c2 lacks it, whoever else has it"


def test_pull_pages_with_next_after_and_high_watermark(store: CentralStore, clock: FakeClock) -> None:
    events = [wire_event() for _ in range(25)]
    store.apply_batch("c1", "seat-01", events[:10])
    clock.advance(5)
    store.apply_batch("c1", "seat-01", events[10:])
    store.apply_batch("c2", "seat-02", [wire_event("seat-02")])
    pages, after = [], 0
    while True:
        page, after, high = store.pull("c1", after, 10)
        assert high == 25
        if not page:
            break
        pages.append(page)
    assert [len(p) for p in pages] == [10, 10, 5]
    flat = [e for p in pages for e in p]
    assert [e["id"] for e in flat] == [e["id"] for e in events]
    assert [e["seq"] for e in flat] == list(range(1, 26))
    assert flat[0]["received_at"] == "2026-11-28T06:00:00.000Z"
    assert flat[10]["received_at"] == "2026-11-28T06:00:05.000Z"
    assert {k: v for k, v in flat[3].items() if k not in ("seq", "received_at")} == events[3]
    assert after == 25
    assert store.pull("c1", 99, 10) == ([], 99, 25)
    assert store.pull("nowhere", 0, 10) == ([], 0, 0)
    print(f"25 events pulled in pages of {[len(p) for p in pages]}, next_after ends at {after}")


def test_missing_answers_what_the_county_lacks_in_the_asked_order(store: CentralStore) -> None:
    have = [wire_event() for _ in range(3)]
    store.apply_batch("c1", "seat-01", have)
    lacking = [wire_event()["id"] for _ in range(2)]
    ask = [lacking[0], have[0]["id"], lacking[1], have[2]["id"], lacking[0]]
    assert store.missing("c1", ask) == lacking
    assert store.missing("c1", []) == []
    many = [wire_event()["id"] for _ in range(1000)]
    assert len(store.missing("c1", many)) == 1000


def test_registry_is_the_newest_catalog_by_event_id(store: CentralStore) -> None:
    assert store.registry("c1") is None
    old = wire_event(kind="catalog.loaded", payload={**registry_payload("一"), "version": "v1"})
    new = wire_event(kind="catalog.loaded", payload={**registry_payload("二"), "version": "v2"})
    other = wire_event(kind="catalog.loaded", payload={**registry_payload("三"), "version": "c2"})
    # the newer one arrives first: the newest is decided by id, not by arrival
    store.apply_batch("c1", "seat-01", [new, wire_event()])
    store.apply_batch("c1", "seat-02", [{**old, "seat": "seat-02"}])
    store.apply_batch("c2", "seat-01", [other])
    registry = store.registry("c1")
    assert registry is not None
    assert (registry["version"], registry["body"], registry["event_id"], registry["seq"]) == (
        "v2", new["payload"]["body"], new["id"], 1)


def test_epoch_is_minted_once_per_stream(store: CentralStore) -> None:
    first = store.epoch("c1")
    assert store.epoch("c1") == first
    assert store.epoch("c2") != first
    store.apply_batch("c1", "seat-01", [wire_event()])
    assert store.epoch("c1") == first


def test_tokens_are_kept_as_hashes_and_revocation_is_immediate(store: CentralStore) -> None:
    token = store.add_token("c1", "seat-01")
    assert len(token) >= 43
    stored = store.conn.execute("SELECT hash FROM tokens").fetchone()[0]
    assert token not in stored and len(stored) == 64
    cred = store.authenticate(token)
    assert (cred.county, cred.seat, cred.scopes, cred.is_city) == ("c1", "seat-01", ("push", "pull"), False)
    with pytest.raises(AuthError) as unknown:
        store.authenticate(token + "x")
    assert unknown.value.reason == "unauthenticated"
    assert store.revoke("c1", "seat-01") == 1
    assert store.revoke("c1", "seat-01") == 0
    with pytest.raises(AuthError) as revoked:
        store.authenticate(token)
    assert revoked.value.reason == "token_revoked"
    city = store.authenticate(store.add_token("*", "city-01", ("read-all",)))
    assert city.is_city and city.scopes == ("read-all",)
    assert [(s["county"], s["seat"], s["revoked_at"] is None) for s in store.seats()] == [
        ("*", "city-01", True), ("c1", "seat-01", False)]
    with pytest.raises(BadInput):
        store.add_token("c 1", "seat-01")


def test_backup_and_restore_mint_new_epochs_and_lose_only_post_backup_events(
        tmp_path: Path, store: CentralStore, clock: FakeClock) -> None:
    before = [wire_event() for _ in range(4)]
    store.apply_batch("c1", "seat-01", before)
    store.apply_batch("c2", "seat-02", [wire_event("seat-02")])
    kept_token = store.add_token("c1", "seat-01")
    old_epochs = {s["county"]: s["epoch"] for s in store.streams()}
    backup = tmp_path / "backups" / "central-1.db"
    store.backup(backup)
    after = [wire_event() for _ in range(3)]
    store.apply_batch("c1", "seat-01", after)
    late_token = store.add_token("c1", "seat-09")
    store.revoke("c1", "seat-01")
    store.close()

    streams = restore_store(backup, store.path, clock)
    restored = open_store(store.path, clock)
    try:
        assert {s["county"]: s["last_seq"] for s in streams} == {"c1": 4, "c2": 1}
        for s in streams:
            assert s["epoch"] != old_epochs[s["county"]], "a restored stream must not pass for the old one"
        page, _, high = restored.pull("c1", 0, 100)
        assert [e["id"] for e in page] == [e["id"] for e in before] and high == 4
        assert restored.missing("c1", [e["id"] for e in before + after]) == [e["id"] for e in after]
        # re-pushed, the lost events get the seqs 5.. again, under the new epoch
        assert [a["seq"] for a in restored.apply_batch("c1", "seat-01", after)] == [5, 6, 7]
        # tokens are configuration: a revocation after the backup survives the restore, and so
        # does a seat enrolled after it
        with pytest.raises(AuthError):
            restored.authenticate(kept_token)
        assert restored.authenticate(late_token).seat == "seat-09"
    finally:
        restored.close()
    print(f"restored c1 to seq 4 of 7; epochs {old_epochs['c1']} → "
          f"{next(s['epoch'] for s in streams if s['county'] == 'c1')}")


def test_backup_is_a_consistent_copy_of_a_wal_store(tmp_path: Path, store: CentralStore) -> None:
    if is_postgresql(store.path):
        pytest.skip("a SQLite file's copy (PostgreSQL's pg_dump: the restore test above)")
    store.apply_batch("c1", "seat-01", [wire_event() for _ in range(50)])
    target = tmp_path / "b.db"
    store.backup(target)
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*), max(seq) FROM events").fetchone() == (50, 50)
    finally:
        conn.close()
    assert not Path(str(target) + "-wal").exists()
    with pytest.raises(BadInput):
        store.backup(store.path)
    assert store.count_events() == 50


def test_restore_refuses_what_is_not_a_server_backup(tmp_path: Path, clock: FakeClock) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BadInput) as refused:
        CentralStore.restore(junk, tmp_path / "central.db", clock)
    assert refused.value.code == "central.not_a_store"
    with pytest.raises(BadInput):
        CentralStore.restore(tmp_path / "absent.db", tmp_path / "central.db", clock)
    assert not (tmp_path / "central.db").exists()
    CentralStore(tmp_path / "central.db", clock).close()
    with pytest.raises(BadInput):
        CentralStore.restore(tmp_path / "central.db", tmp_path / "central.db", clock)


def test_a_seat_database_is_not_taken_for_a_server_store(tmp_path: Path, clock: FakeClock) -> None:
    seat_db = tmp_path / "linkage.db"
    conn = sqlite3.connect(seat_db)
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT)")
    conn.execute("CREATE TABLE outbox (event_id TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(BadInput) as refused:
        CentralStore(seat_db, clock)
    assert refused.value.code == "central.not_a_store"
