"""The SQLite store: schema migrations, durability pragmas, and the one atomic write path."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import OpenServices, Scalar, TakeCall, one_row

from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.seat.services import Services
from console.store.schema import MIGRATIONS
from console.store.transaction import Store

INCIDENT_PAYLOAD = {
    "incident_id": "0000aaaa-0000-7000-8000-000000000001", "call_id": "0000aaaa-0000-7000-8000-000000000002",
    "phone": "13800000001", "caller_name": "", "address": "人民路12号", "place_key": "人民路12号",
    "area": "urban", "category": "power_supply", "text": "停电", "disposition": "linkage",
}


def counts(store: Store) -> tuple[int, int, int, int]:
    def n(table: str) -> int:
        row = store.one(f"SELECT count(*) FROM {table}")
        assert row is not None
        return int(row[0])

    return n("events"), n("outbox"), n("incidents"), n("calls")


def test_migrations_are_recorded(services: Services, scalar: Scalar) -> None:
    rows = services.store.all("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == list(range(1, len(MIGRATIONS) + 1))
    assert [r["name"] for r in rows] == [name for name, _ in MIGRATIONS]
    assert all(r["applied_at"] == "2026-11-28T06:00:00.000Z" for r in rows)
    assert services.store.schema_version() == len(MIGRATIONS)
    tables = {r[0] for r in services.store.all("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "outbox", "catalog_snapshot", "incidents", "calls", "orders",
            "schema_migrations"} <= tables


def test_reopening_does_not_rerun_migrations(db_path: Path, clock: FakeClock, open_svc: OpenServices) -> None:
    first = open_svc()
    first.new_call(phone="13800000001", text="停电了", category="power_supply")
    before = first.store.all("SELECT * FROM schema_migrations")
    first.close()
    clock.advance(hours=3)
    again = open_svc()
    assert [tuple(r) for r in again.store.all("SELECT * FROM schema_migrations")] == \
        [tuple(r) for r in before]
    # the data survived and the catalog was not seeded a second time
    assert one_row(again.store, "SELECT count(*) FROM incidents")[0] == 1
    assert one_row(again.store, "SELECT count(*) FROM events WHERE kind = 'catalog.loaded'")[0] == 1


def test_store_opened_twice_directly_keeps_one_migration_row(tmp_path: Path) -> None:
    path = tmp_path / "direct.db"
    Store(path, FakeClock("2026-11-28T06:00:00Z")).close()
    store = Store(path, FakeClock("2026-11-29T06:00:00Z"))
    try:
        assert one_row(store, "SELECT count(*) FROM schema_migrations")[0] == len(MIGRATIONS)
        assert one_row(store, "SELECT applied_at FROM schema_migrations WHERE version = 1")[0] \
            == "2026-11-28T06:00:00.000Z"
    finally:
        store.close()


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    Store(path, FakeClock("2026-11-28T06:00:00Z")).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(BadInput) as info:
        Store(path, FakeClock("2026-11-28T06:00:00Z"))
    assert info.value.code == "store.newer_schema"
    conn = sqlite3.connect(path)
    try:   # the refusal rolled back: the file is exactly as it was
        assert conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall() == \
            [(v,) for v in range(1, len(MIGRATIONS) + 1)] + [(999,)]
    finally:
        conn.close()


def test_pragmas_wal_and_full_sync(services: Services) -> None:
    store = services.store
    assert one_row(store, "PRAGMA journal_mode")[0] == "wal"
    assert one_row(store, "PRAGMA synchronous")[0] == 2  # FULL
    assert one_row(store, "PRAGMA foreign_keys")[0] == 1


def test_wal_mode_is_persistent_in_the_file(services: Services, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_every_event_has_exactly_one_outbox_row(services: Services, call: TakeCall) -> None:
    first = call()
    services.issue_order(first.incident.no, "power")
    services.step(1, "ack")
    services.note(first.incident.no, "居民再次来电催促")
    store = services.store
    events = store.all("SELECT id, recorded_at FROM events ORDER BY seq")
    outbox = store.all("SELECT event_id, queued_at, attempts FROM outbox")
    assert len(events) == len(outbox) >= 5
    assert {e["id"] for e in events} == {o["event_id"] for o in outbox}
    queued = {o["event_id"]: o["queued_at"] for o in outbox}
    assert all(queued[e["id"]] == e["recorded_at"] for e in events)
    assert all(o["attempts"] == 0 for o in outbox)
    assert store.outbox_count() == len(events)


def test_events_carry_seat_operator_and_payload(db_path: Path, open_svc: OpenServices) -> None:
    s = open_svc(operator="王丽")
    result = s.new_call(phone="13800000001", text="停电了", category="power_supply")
    row = one_row(s.store, "SELECT * FROM events WHERE kind = 'incident.created'")
    assert row["seat"] == "seat-01"
    assert row["operator"] == "王丽"
    assert row["subject"] == result.incident.id
    assert row["origin"] == "local"
    payload = json.loads(row["payload"])
    assert payload["text"] == "停电了"
    assert payload["incident_id"] == result.incident.id


def test_event_ids_sort_in_append_order(services: Services, call: TakeCall) -> None:
    for n in range(5):
        call(phone=f"1380000000{n}", address=f"人民路{n}号")
    ids = [r[0] for r in services.store.all("SELECT id FROM events ORDER BY seq")]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_failure_inside_transaction_rolls_back_event_outbox_and_projection(services: Services) -> None:
    store = services.store
    before = counts(store)
    with pytest.raises(RuntimeError), store.transaction("seat-01", "duty") as tx:
        tx.append("incident.created", INCIDENT_PAYLOAD, subject=INCIDENT_PAYLOAD["incident_id"])
        # inside the transaction all three writes are visible ...
        assert counts(store) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1)
        raise RuntimeError("power cut mid-write")
    # ... and after the failure none of them is
    assert counts(store) == before
    assert not store.conn.in_transaction


def test_refusal_inside_transaction_rolls_back(services: Services) -> None:
    before = counts(services.store)
    with pytest.raises(BadInput), services.store.transaction("seat-01", "duty") as tx:
        tx.append("incident.created", INCIDENT_PAYLOAD, subject=INCIDENT_PAYLOAD["incident_id"])
        raise BadInput("test.refused", zh="拒绝", en="refused")
    assert counts(services.store) == before


def test_projection_failure_rolls_back_the_event_and_outbox(services: Services) -> None:
    """apply_event runs after the event and outbox inserts; when it fails, they go too. (A kind
    with no schema is now refused before anything is written: console/store/payloads.py.)"""
    store = services.store
    before = counts(store)
    with pytest.raises(BadInput, match="no schema"), store.transaction("s", "o") as tx:
        tx.append("no.such.kind", {"x": 1})
    assert counts(store) == before
    # a projection that violates a constraint (same incident id twice) rolls back everything
    with store.transaction("seat-01", "duty") as tx:
        tx.append("incident.created", INCIDENT_PAYLOAD, subject=INCIDENT_PAYLOAD["incident_id"])
    middle = counts(store)
    with pytest.raises(sqlite3.IntegrityError), store.transaction("seat-01", "duty") as tx:
        tx.append("incident.noted", {"incident_id": INCIDENT_PAYLOAD["incident_id"], "note": "x"})
        tx.append("incident.created", INCIDENT_PAYLOAD, subject=INCIDENT_PAYLOAD["incident_id"])
    assert counts(store) == middle


def test_committed_transaction_survives_a_reopen(db_path: Path, clock: FakeClock) -> None:
    store = Store(db_path, clock)
    with store.transaction("seat-01", "duty") as tx:
        tx.append("incident.created", INCIDENT_PAYLOAD, subject=INCIDENT_PAYLOAD["incident_id"])
    store.close()
    reopened = Store(db_path, clock)
    try:
        assert counts(reopened) == (1, 1, 1, 1)
        row = one_row(reopened, "SELECT * FROM incidents")
        assert row["id"] == INCIDENT_PAYLOAD["incident_id"]
        assert row["status"] == "open"
    finally:
        reopened.close()


def test_events_for_returns_a_subjects_timeline(services: Services, call: TakeCall) -> None:
    first = call()
    call(phone="13900000002", address="解放路1号")
    services.issue_order(first.incident.no, "power")
    timeline = services.store.events_for([first.incident.id])
    assert [e.kind for e in timeline] == ["incident.created", "order.issued"]
    assert services.store.events_for(["nothing-here"]) == []


def test_store_creates_missing_parent_directories(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "a" / "b" / "linkage.db"
    store = Store(path, clock)
    store.close()
    assert path.exists()
