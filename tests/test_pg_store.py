"""What only the PostgreSQL store has: row-level security under county roles, and several server
processes on one database (the rest of the server suite runs on both engines: ``central_spec``).

Real PostgreSQL: a throwaway cluster per test worker (conftest ``pg_cluster``), a fresh database
per test, ``linkage serve`` as real processes on 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from central.pgstore import MIGRATIONS, PgCentralStore, county_role_name
from central.testing import push_body, run_cli, serve_subprocess, wire_event
from console.kernel.clock import FakeClock

START = "2026-11-28T06:00:00Z"


@pytest.fixture
def url(pg_cluster: Any) -> str:
    return str(pg_cluster.new_database())


@pytest.fixture
def store(url: str) -> Iterator[PgCentralStore]:
    s = PgCentralStore(url, FakeClock(START))
    yield s
    s.close()


def test_schema_is_migrated_once_with_the_registry_index(store: PgCentralStore, url: str) -> None:
    assert [r[0] for r in store.conn.execute("SELECT name FROM schema_migrations ORDER BY version")] == [
        name for name, _ in MIGRATIONS]
    PgCentralStore(url, FakeClock(START)).close()  # opening again migrates nothing
    assert store.conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    indexes = {r[0] for r in store.conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")}
    assert "events_registry" in indexes


def test_a_county_role_reads_only_its_own_county_even_with_hand_written_sql(
        store: PgCentralStore, url: str) -> None:
    store.apply_batch("c1", "seat-01", [wire_event() for _ in range(3)])
    store.apply_batch("c2", "seat-01", [wire_event() for _ in range(5)])
    store.add_token("c1", "seat-01")
    c1_role = store.county_role("c1")
    store.county_role("c2")
    city_role = store.city_role()
    assert c1_role == county_role_name("c1")
    # a login role of county c1's own (its reporting tool, say), granted the county's role
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS c1_reporting")
        admin.execute(f'CREATE ROLE c1_reporting LOGIN IN ROLE "{c1_role}"')
        admin.execute("DROP ROLE IF EXISTS city_desk")
        admin.execute(f'CREATE ROLE city_desk LOGIN IN ROLE "{city_role}"')
    c1_url = url.replace("linkage@", "c1_reporting@")
    with psycopg.connect(c1_url, autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("c1_reporting",)
        assert conn.execute("SELECT county, count(*) FROM events GROUP BY county").fetchall() == [("c1", 3)]
        assert conn.execute("SELECT count(*) FROM events WHERE county = 'c2'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM events WHERE county <> 'c1' OR county IS NULL"
                            " OR true").fetchone() == (3,)
        assert conn.execute("SELECT county FROM streams ORDER BY county").fetchall() == [("c1",)]
        assert conn.execute("SELECT count(*) FROM chain_heads WHERE county = 'c2'").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT hash FROM tokens")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE events SET body = 'x' WHERE county = 'c2'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE events DISABLE ROW LEVEL SECURITY")
    # the county role itself, taken with SET ROLE from the owner's session, is held the same way
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'SET ROLE "{county_role_name("c2")}"')
        assert conn.execute("SELECT county, count(*) FROM events GROUP BY county").fetchall() == [("c2", 5)]
        assert conn.execute("SELECT count(*) FROM events WHERE county = 'c1'").fetchone() == (0,)
    with psycopg.connect(url.replace("linkage@", "city_desk@"), autocommit=True) as conn:
        assert conn.execute("SELECT county, count(*) FROM events GROUP BY county ORDER BY 1").fetchall() == [
            ("c1", 3), ("c2", 5)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT hash FROM tokens")
    print("\nc1_reporting sees 3 of 8 events (c1's), city_desk sees 8; neither reads tokens")


def test_two_server_processes_on_one_database_keep_one_gap_free_sequence(store: PgCentralStore, url: str) -> None:
    """Four seats of one county push at once, alternating between two ``linkage serve``
    processes on the same database; and two counties race for one event id across them."""
    tokens = {f"seat-0{n}": store.add_token("c1", f"seat-0{n}") for n in range(1, 5)}
    other = store.add_token("c2", "seat-01")
    acks: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    with serve_subprocess(url, "--rate", "10000", "--burst", "10000") as one, \
            serve_subprocess(url, "--rate", "10000", "--burst", "10000") as two:
        assert one.ready["pid"] != two.ready["pid"]

        def seat(name: str, token: str) -> None:
            try:
                for n in range(12):
                    base = (one if n % 2 else two).url
                    events = [wire_event(name) for _ in range(5)]
                    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                      timeout=30) as client:
                        answer = client.post("/v1/streams/c1/events:push", json=push_body(events, name))
                    assert answer.status_code == 200, answer.text
                    with lock:
                        acks.extend(answer.json()["acks"])
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=seat, args=item) for item in tokens.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        shared = wire_event("seat-01")
        racers = [(one.url, tokens["seat-01"], "c1"), (two.url, other, "c2")]
        raced: list[str] = []

        def race(base: str, token: str, county: str) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
                raced.append(client.post(f"/v1/streams/{county}/events:push",
                                         json=push_body([shared])).json()["acks"][0]["status"])

        threads = [threading.Thread(target=race, args=r) for r in racers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(raced) == ["accepted", "conflict"], raced
    seqs = sorted(a["seq"] for a in acks)
    assert len(acks) == 4 * 12 * 5 and all(a["status"] == "accepted" for a in acks)
    stored = dict(store.conn.execute("SELECT id, seq FROM events WHERE county = 'c1'").fetchall())
    held = len(stored)
    assert held in (len(acks), len(acks) + 1)  # + the raced id, if c1 won it
    assert sorted(stored.values()) == list(range(1, held + 1)), "a gap or a double in the county's sequence"
    assert seqs == sorted(stored[a["id"]] for a in acks), "an ack names a seq the store does not hold"
    assert store.streams()[0]["last_seq"] == held
    print(f"\n2 server processes, 4 seats: {len(acks)} events, seqs 1..{held} without a gap; raced id {raced}")


def test_db_role_through_the_cli(url: str, tmp_path: Path) -> None:
    made = run_cli("--lang", "en", "server", "db-role", "--county", "county-a", "--store", url)
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[0] == county_role_name("county-a")
    assert run_cli("server", "db-role", "--city", "--store", url).stdout.splitlines()[0] == "linkage_city"
    sqlite = run_cli("--lang", "en", "server", "db-role", "--county", "c1", "--store", f"sqlite:{tmp_path / 'c.db'}")
    assert sqlite.returncode == 2 and "PostgreSQL" in sqlite.stderr


def test_migrate_a_sqlite_store_into_postgresql_and_seats_carry_on(url: str, tmp_path: Path) -> None:
    """``server migrate``: same epochs, seqs, ids, tokens and chain heads; a seat's next push
    continues the sequence and its old token still opens the door."""
    from central.store import CentralStore

    sqlite = tmp_path / "central.db"
    old = CentralStore(sqlite, FakeClock(START))
    token = old.add_token("c1", "seat-01")
    old.add_token("c2", "seat-01")
    old.revoke("c2", "seat-01")
    before = [wire_event() for _ in range(7)]
    old.apply_batch("c1", "seat-01", before)
    epochs = {s["county"]: s["epoch"] for s in old.streams()}
    old.close()
    done = run_cli("--lang", "en", "server", "migrate", "--from", f"sqlite:{sqlite}", "--to", url)
    assert done.returncode == 0, done.stderr
    assert "events 7" in done.stdout and "tokens 2" in done.stdout
    again = run_cli("--lang", "en", "server", "migrate", "--from", f"sqlite:{sqlite}", "--to", url)
    assert again.returncode == 2 and "not empty" in again.stderr
    store = PgCentralStore(url, FakeClock(START))
    try:
        assert {s["county"]: s["epoch"] for s in store.streams()} == epochs
        page, _, high = store.pull("c1", 0, 100)
        assert [e["id"] for e in page] == [e["id"] for e in before] and high == 7
        assert store.authenticate(token).county == "c1"
        assert [s["revoked_at"] is not None for s in store.seats()] == [False, True]
        assert [a["seq"] for a in store.apply_batch("c1", "seat-01", [wire_event()])] == [8]
        from central.audit import verify_server

        assert verify_server(store)["ok"]  # server audit runs on PostgreSQL too
    finally:
        store.close()
