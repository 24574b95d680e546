"""``linkage serve`` and ``linkage server …`` as real processes: real uvicorn on 127.0.0.1, real
HTTP, real stores (SQLite files in tmp_path; the ``central_spec`` tests also a PostgreSQL
database), exit codes and messages as a person sees them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from engines import connect, store_option

from central.store import CentralStore
from central.testing import push_body, run_cli, serve_in_thread, serve_subprocess, wire_event
from console.kernel.clock import SystemClock
from console.sync import protocol


def enrol(store: Path | str, county: str, seat: str, *extra: str) -> str:
    result = run_cli("server", "add-seat", "--county", county, "--seat", seat, "--store", store_option(store),
                     *extra)
    assert result.returncode == 0, result.stderr
    token, advice = result.stdout.splitlines()
    assert "只显示这一次" in advice
    return token


def test_serve_answers_real_http_push_and_pull(central_spec: Path | str) -> None:
    store = central_spec
    token = enrol(store, "c1", "seat-01")
    started = time.monotonic()
    with serve_subprocess(store) as server:
        ready_s = time.monotonic() - started
        assert server.ready["host"] == "127.0.0.1" and server.ready["port"] > 0
        assert server.url == f"http://127.0.0.1:{server.ready['port']}"
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
            hello = client.get("/v1/hello").json()
            assert (hello["county"], hello["seat"]) == ("c1", "seat-01")
            events = [wire_event() for _ in range(20)]
            pushed = client.post("/v1/streams/c1/events:push", json=push_body(events))
            assert pushed.status_code == 200
            assert [a["seq"] for a in pushed.json()["acks"]] == list(range(1, 21))
            page = client.get("/v1/streams/c1/events", params={"after": 5, "limit": 10}).json()
            assert [e["id"] for e in page["events"]] == [e["id"] for e in events[5:15]]
            assert page["next_after"] == 15 and page["high_watermark"] == 20
            assert page["epoch"] == hello["epoch"]
            bad = client.post("/v1/streams/c1/events:push", content=b"{oops")
            assert bad.status_code == 400 and bad.json()["code"] == "malformed_json"
        server.process.terminate()
        assert server.process.wait(10) == 0, "a signal ends the server cleanly"
    log = "\n".join(server.log)  # complete once the server has exited and the block closed
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert [(entry["method"], entry["status"]) for entry in lines] == [
        ("GET", 200), ("POST", 200), ("GET", 200), ("POST", 400)]
    assert token not in log
    conn = connect(store)
    try:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 20
    finally:
        conn.close()
    print(f"ready in {ready_s:.2f} s on port {server.ready['port']}; 20 events pushed and pulled over HTTP")


def test_server_admin_commands_and_their_exit_codes(tmp_path: Path, central_spec: Path | str) -> None:
    store = central_spec
    spec = store_option(store)
    token = enrol(store, "c1", "seat-01")
    enrol(store, "c1", "seat-02")
    city = run_cli("server", "add-seat", "--city", "--seat", "city-01", "--store", spec)
    assert city.returncode == 0

    seats = run_cli("server", "seats", "--store", spec)
    assert seats.returncode == 0
    rows = [line.split("\t") for line in seats.stdout.splitlines()]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("c1", "seat-01", "push pull", "有效"), ("c1", "seat-02", "push pull", "有效"),
        ("*", "city-01", "read-all", "有效")]
    assert token not in seats.stdout

    revoked = run_cli("server", "revoke", "--county", "c1", "--seat", "seat-02", "--store", spec)
    assert revoked.returncode == 0 and "已吊销" in revoked.stdout
    again = run_cli("--lang", "en", "server", "revoke", "--county", "c1", "--seat", "seat-02", "--store", spec)
    assert again.returncode == 2 and "no live token" in again.stderr
    english = run_cli("--lang", "en", "server", "seats", "--store", spec)
    assert "revoked 20" in english.stdout and "active" in english.stdout

    for args, words in (
        (("server", "add-seat", "--county", "c 1", "--seat", "s"), "县名不合法"),
        (("server", "add-seat", "--county", "c1", "--seat", "../x"), "席位名不合法"),
        (("server", "add-seat", "--seat", "s"), "--county"),
        (("server", "frobnicate"), "命令用法有误"),
    ):
        refused = run_cli(*args, "--store", spec)
        assert refused.returncode == 2 and words in refused.stderr, refused.stderr
    bad_store = run_cli("server", "seats", "--store", str(tmp_path / "central.db"))
    assert bad_store.returncode == 2 and "sqlite:" in bad_store.stderr
    assert len(run_cli("server", "seats", "--store", spec).stdout.splitlines()) == 3, "refusals changed nothing"


def test_backup_then_restore_through_the_cli(tmp_path: Path, central_spec: Path | str) -> None:
    store = central_spec
    spec = store_option(store)
    token = enrol(store, "c1", "seat-01")
    backup = tmp_path / "backup" / "central-2026-11-28.db"
    with serve_subprocess(store) as server, httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        epoch = client.get("/v1/hello").json()["epoch"]
        client.post("/v1/streams/c1/events:push", json=push_body([wire_event() for _ in range(3)]))
        done = run_cli("server", "backup", "--to", str(backup), "--store", spec)  # online, server running
        assert done.returncode == 0 and "已备份到" in done.stdout
        lost = [wire_event() for _ in range(2)]
        client.post("/v1/streams/c1/events:push", json=push_body(lost))

    restored = run_cli("--lang", "en", "server", "restore", "--from", str(backup), "--store", spec)
    assert restored.returncode == 0, restored.stderr
    assert "new epoch" in restored.stdout and "c1  seq 3" in restored.stdout

    with serve_subprocess(store) as server, httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        assert client.get("/v1/hello").json()["epoch"] != epoch
        ids = [e["id"] for e in lost]
        assert client.post("/v1/streams/c1/events:missing", json={"ids": ids}).json()["missing"] == ids
        again = client.post("/v1/streams/c1/events:push", json=push_body(lost)).json()
        assert [a["seq"] for a in again["acks"]] == [4, 5]

    junk = tmp_path / "junk.db"
    junk.write_text("no")
    refused = run_cli("server", "restore", "--from", str(junk), "--store", spec)
    assert refused.returncode == 2 and "不是联动服务器的数据库" in refused.stderr


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    with serve_subprocess(tmp_path / "a.db") as server:
        taken = run_cli("--lang", "en", "serve", "--host", "127.0.0.1", "--port", str(server.ready["port"]),
                        "--store", f"sqlite:{tmp_path / 'b.db'}")
    assert taken.returncode == 2 and "cannot listen" in taken.stderr
    assert taken.stdout == ""


def test_the_body_cap_holds_over_real_http_and_the_connection_survives(tmp_path: Path) -> None:
    """Real uvicorn (in a thread): a body over 1 MiB, declared or chunked, is 413 and stores nothing."""
    store = CentralStore(tmp_path / "central.db", SystemClock())
    token = store.add_token("c1", "seat-01")
    big = {"incident_id": "x", "text": "长" * 80_000}
    body = json.dumps(push_body([wire_event(payload=big) for _ in range(5)]), ensure_ascii=False).encode()
    assert len(body) > protocol.MAX_BODY_BYTES

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    try:
        with serve_in_thread(store) as url, httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
            declared = client.post("/v1/streams/c1/events:push", content=body)
            streamed = client.post("/v1/streams/c1/events:push", content=chunks())
            assert (declared.status_code, streamed.status_code) == (413, 413)
            assert declared.json()["code"] == streamed.json()["code"] == "too_large"
            assert store.count_events() == 0
            fine = client.post("/v1/streams/c1/events:push", json=push_body([wire_event()]))
            assert fine.status_code == 200 and fine.json()["acks"][0]["status"] == "accepted"
    finally:
        store.close()


def test_accepted_connections_have_nagle_off() -> None:
    """uvicorn writes a response's headers and body apart; with Nagle on, the body waits for
    the client's delayed ACK (~40 ms a request). The listening socket carries TCP_NODELAY so
    every accepted connection inherits it."""
    import socket

    from central.cli import listen

    server = listen("127.0.0.1", 0)
    try:
        client = socket.create_connection(server.getsockname(), timeout=5)
        accepted, _ = server.accept()
        try:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            accepted.close()
            client.close()
    finally:
        server.close()
