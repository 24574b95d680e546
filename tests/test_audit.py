"""Tamper evidence: each seat's events form a hash chain; the server checks it on push and
both ``linkage audit verify`` (a seat database) and ``linkage server audit`` (the server store)
find a single edited byte and name the event (console/store/chain.py, central/chaining.py)."""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import one_row
from sync_harness import COUNTY, County

from central import cli as central_cli
from central.audit import verify_server
from central.testing import asgi_request, push_body, wire_event
from console.calls import intake
from console.cli import main as seat_main
from console.kernel.clock import FakeClock, SystemClock
from console.kernel.ids import uuid7
from console.store import chain
from console.store.audit import verify_seat
from console.store.transaction import Store

INCIDENT = uuid7(1_764_309_600_000)  # an incident id the notes below refer to


@pytest.fixture
def county(tmp_path: Path) -> Iterator[County]:
    c = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    yield c
    c.close()


def _chained(store: Store, seat: str | None = None) -> list[sqlite3.Row]:
    sql = "SELECT * FROM events WHERE chain_hash IS NOT NULL" + (" AND seat = ?" if seat else "") + " ORDER BY seq"
    return store.all(sql, (seat,) if seat else ())


def _edit(db: Path, sql: str, params: tuple[object, ...]) -> None:
    """Change the file behind the program's back, as someone with the database file could."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute(sql, params).rowcount == 1
        conn.commit()
    finally:
        conn.close()


def test_local_writes_form_one_chain_in_write_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "seat.db", FakeClock("2026-11-28T06:00:00Z"))
    for n in range(3):
        with store.transaction("seat-01", "duty") as tx:
            tx.append("incident.noted", {"incident_id": INCIDENT, "note": f"n{n}"}, subject=INCIDENT)
            tx.append("incident.noted", {"incident_id": INCIDENT, "note": f"m{n}"}, subject=INCIDENT)
    with pytest.raises(RuntimeError), store.transaction("seat-01", "duty") as tx:
        tx.append("incident.noted", {"incident_id": INCIDENT, "note": "rolled back"}, subject=INCIDENT)
        raise RuntimeError("refused")
    with store.transaction("seat-01", "duty") as tx:  # after a rollback the chain goes on from the last commit
        tx.append("incident.noted", {"incident_id": INCIDENT, "note": "after"}, subject=INCIDENT)
    rows = _chained(store)
    assert len(rows) == 7 and rows[0]["chain_prev"] is None
    for before, row in itertools.pairwise(rows):
        assert row["chain_prev"] == before["chain_hash"]
    first = rows[0]
    content = {k: first[k] for k in chain.CONTENT_FIELDS if k != "payload"} | {"payload": json.loads(first["payload"])}
    assert first["chain_hash"] == chain.link(None, chain.canonical(content))
    report = verify_seat(store)
    assert report.ok and [(s.seat, s.origin, s.links) for s in report.seats] == [("seat-01", "local", 7)]
    store.close()


def test_four_writers_on_one_file_extend_one_chain(tmp_path: Path) -> None:
    """Four connections append to one file at once; each reads the head inside its BEGIN
    IMMEDIATE (its cache is dropped when another connection committed), so there is one line."""
    path = tmp_path / "seat.db"
    Store(path, SystemClock()).close()
    errors: list[BaseException] = []
    rounds = threading.Barrier(4, timeout=60)  # every writer commits once per round: they interleave

    def writer(n: int) -> None:
        store = Store(path, SystemClock())
        try:
            for i in range(40):
                rounds.wait()
                with store.transaction("seat-01", f"op{n}") as tx:
                    tx.append("incident.noted", {"incident_id": INCIDENT, "note": f"{n}-{i}"}, subject=INCIDENT)
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    store = Store(path, SystemClock())
    rows = _chained(store)
    assert len(rows) == 160
    for before, row in itertools.pairwise(rows):
        assert row["chain_prev"] == before["chain_hash"]
    assert verify_seat(store).ok
    switches = sum(1 for x, y in itertools.pairwise(rows) if x["operator"] != y["operator"])
    store.close()
    assert switches >= 3 * 40  # four different writers in each of the 40 rounds


def test_two_seats_sync_with_chains_checked_and_a_quarantined_event_bridged(county: County) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    intake.new_call(a.ctx, None, phone="13800000001", text="井盖丢失", category="public_order", dispatch=["housing"])
    intake.new_call(b.ctx, None, phone="13800000002", text="路灯不亮", category="power_supply")
    for name in ("seat-01", "seat-02", "seat-01"):
        assert county.sync(name).ok
    # a retried push (its ack lost) and a duplicate delivery leave the chains as they were
    intake.new_call(a.ctx, None, phone="13800000003", text="树倒了", category="public_order")
    county.transport.plan = ["ok", "lost"]  # hello, then a push the server commits but whose answer is lost
    assert not county.sync("seat-01").ok
    intake.new_call(a.ctx, None, phone="13800000005", text="路面塌陷", category="public_order")
    county.transport.plan = ["ok", "duplicate"]  # the retried push, delivered twice
    assert county.sync("seat-01").ok
    assert county.sync("seat-02").ok
    for services in (a, b):
        report = verify_seat(services.store)
        assert report.ok, report.to_json()
        assert {(s.seat, s.origin) for s in report.seats} == {
            ("seat-01", "local" if services is a else "remote"), ("seat-02", "remote" if services is a else "local")}
        assert not report.gaps
    server = verify_server(county.central)
    assert server["ok"] and [(s["seat"], s["skipped"]) for s in server["seats"]] == [("seat-01", 0), ("seat-02", 0)]
    assert sum(s["links"] for s in server["seats"]) == len(county.server_ids())

    # an event the server refuses for itself (its id already used elsewhere) is quarantined;
    # the ones after it are refused as a chain break at first, then pushed with the
    # quarantined link declared skipped, and the server's chain bridges it
    intake.new_call(a.ctx, None, phone="13800000004", text="积水", category="public_order", dispatch=["housing"])
    queued = a.store.all("SELECT e.* FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY e.seq")
    clash = wire_event("seat-09")
    clash["id"] = queued[0]["id"]
    other = county.central.add_token("other-county", "seat-09")
    assert asgi_request(county.app, "POST", "/v1/streams/other-county/events:push", json=push_body([clash], "seat-09"),
                        headers={"Authorization": f"Bearer {other}"}).status_code == 200
    report = county.sync("seat-01")
    assert report.ok and report.quarantined == 1 and report.pushed == len(queued) - 1
    server = verify_server(county.central)
    assert server["ok"], server["problems"]
    assert [(s["seat"], s["skipped"]) for s in server["seats"] if s["county"] == COUNTY] == [
        ("seat-01", 1), ("seat-02", 0)]
    assert county.sync("seat-02").ok
    # seat 2 never receives the quarantined event: a gap it reports, not a failure
    report = verify_seat(b.store)
    assert report.ok and [g.event_id for g in report.gaps] == [queued[1]["id"]]


def test_one_edited_byte_is_found_and_named_on_the_seat_and_on_the_server(
        county: County, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = county.seats["seat-01"]
    intake.new_call(a.ctx, None, phone="13800000001", text="井盖丢失", category="public_order", dispatch=["housing"])
    assert county.sync("seat-01").ok
    incident = one_row(a.store, "SELECT * FROM events WHERE kind = 'incident.created'")
    order = one_row(a.store, "SELECT * FROM events WHERE kind = 'order.issued'")
    assert order["chain_prev"] == incident["chain_hash"]
    seat_db = tmp_path / "seat-01" / "linkage.db"
    seat_args = ["--db", str(seat_db), "--config", str(tmp_path / "seat-01" / "config.toml")]
    assert seat_main([*seat_args, "--json", "audit", "verify"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["ok"] is True

    # one byte of a time on the seat: …T06:00:00.000Z → …T06:00:00.001Z
    at = incident["happened_at"]
    edited = at[:-2] + str((int(at[-2]) + 1) % 10) + "Z"
    _edit(seat_db, "UPDATE events SET happened_at = ? WHERE id = ?", (edited, incident["id"]))
    assert seat_main([*seat_args, "--json", "audit", "verify"]) == 4
    answer = json.loads(capsys.readouterr().out)["data"]
    assert answer["ok"] is False
    assert [(p["event"], p["code"]) for p in answer["problems"]] == [(incident["id"], "hash_mismatch")]
    # putting a matching hash back on it breaks the link from the event after it instead
    row = one_row(a.store, "SELECT * FROM events WHERE id = ?", (incident["id"],))
    content = {k: row[k] for k in chain.CONTENT_FIELDS if k != "payload"} | {"payload": json.loads(row["payload"])}
    _edit(seat_db, "UPDATE events SET chain_hash = ? WHERE id = ?",
          (chain.link(row["chain_prev"], chain.canonical(content)), incident["id"]))
    report = verify_seat(a.store)
    assert [(f.event_id, f.code) for f in report.problems] == [(order["id"], "gap")]

    # one byte of a payload on the server
    county.central.close()
    server_db = tmp_path / "central.db"
    conn = sqlite3.connect(server_db)
    text = conn.execute("SELECT body FROM events WHERE id = ?", (order["id"],)).fetchone()[0]
    conn.close()
    assert '"unit":"housing"' in text
    _edit(server_db, "UPDATE events SET body = ? WHERE id = ?",
          (text.replace('"unit":"housing"', '"unit":"housinh"'), order["id"]))
    code = central_cli.main(["server", "audit", "--json", "--store", f"sqlite:{server_db}"])
    answer = json.loads(capsys.readouterr().out)["data"]
    assert code == 4 and answer["ok"] is False
    assert [(p["county"], p["event"], p["code"]) for p in answer["problems"]] == [
        (COUNTY, order["id"], "hash_mismatch")]
    assert central_cli.main(["--lang", "en", "server", "audit", "--store", f"sqlite:{server_db}"]) == 4
    out = capsys.readouterr().out
    assert order["id"] in out and "verification failed: 1 problems" in out
    county.central = type(county.central)(server_db, county.clock)  # for the fixture's close


def test_pushed_breaks_are_refused_with_a_reason(county: County) -> None:
    token = county.tokens["seat-01"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/v1/streams/{COUNTY}/events:push"

    def chained(prev: str | None, **changes: object) -> dict[str, Any]:
        wire = wire_event("seat-01")
        wire["chain"] = {"prev": prev, "hash": chain.link(prev, chain.canonical(wire))}
        wire["chain"].update(changes)
        return wire

    def push(*events: dict[str, Any]) -> list[dict[str, Any]]:
        answer = asgi_request(county.app, "POST", url, json=push_body(list(events)), headers=headers)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["acks"])

    legacy = wire_event("seat-01")  # a seat's events from before its chain are still accepted
    first = chained(None)
    second = chained(first["chain"]["hash"])
    assert [a["status"] for a in push(legacy, first, second)] == ["accepted"] * 3
    assert [a["status"] for a in push(first, second)] == ["duplicate"] * 2  # a retried push
    fork = chained(first["chain"]["hash"])    # a second history after the first event
    restart = chained(None)                   # a second start
    forged = chained(second["chain"]["hash"], hash="0" * 64)  # a hash that is not its content's
    late = wire_event("seat-01")              # unchained, after the chain began
    acks = push(fork, restart, forged, late)
    assert [(a["status"], a["code"]) for a in acks] == [
        ("rejected", "chain_break"), ("rejected", "chain_break"), ("rejected", "bad_hash"),
        ("rejected", "chain_missing")]
    assert all(a["detail"] for a in acks)
    stored = set(county.server_ids())
    assert {first["id"], second["id"], legacy["id"]} <= stored and not {a["id"] for a in acks} & stored
    third = chained(second["chain"]["hash"])
    assert [a["status"] for a in push(third)] == ["accepted"]
    assert verify_server(county.central)["ok"]
    # the wire shape is checked first: a half link is refused whole (422)
    half = wire_event("seat-01")
    half["chain"] = {"hash": "0" * 64}
    answer = asgi_request(county.app, "POST", url, json=push_body([half]), headers=headers)
    assert answer.status_code == 422 and answer.json()["errors"][0]["code"] == "bad_chain"
