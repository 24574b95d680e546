"""Server hygiene against slow and hostile clients, on loopback, with the real ``linkage serve``.

Issue 11, item 7: without guards, 1,100 connections each sending a header line every 2 s
exhaust a 1,024-fd limit and real seats time out; bad tokens are never throttled. Here the
server runs as its own process with RLIMIT_NOFILE 1,024; the slow clients are plain sockets in
this process (whose own limit is raised for them); a real seat runs ``linkage sync`` as a
process of its own. Every process and socket opened here is closed before the test ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central.app import create_app
from central.store import CentralStore
from central.testing import LOOPBACK, run_cli, serve_subprocess, wire_event
from console.kernel.clock import SystemClock

COUNTY = "demo-county"
SERVER_FDS = 1024
SLOW_CLIENTS = 1100


def _limit_fds() -> None:
    """Runs in the server's child process before it starts: a 1,024-fd limit, soft and hard."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (SERVER_FDS, SERVER_FDS))


@contextlib.contextmanager
def _own_fd_room(needed: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"this machine allows only {hard} open files; the slow clients need {needed}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class SlowClients:
    """``count`` plain sockets, each sending one header line every ``every`` seconds and never
    finishing its request head; one the server closes is opened again (the attack goes on)."""

    def __init__(self, port: int, count: int, every: float = 2.0) -> None:
        self.port = port
        self.socks: list[socket.socket | None] = [None] * count
        self.every = every
        self.opened = 0
        self.dropped = 0
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def __enter__(self) -> SlowClients:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        for sock in self.socks:
            if sock is not None:
                sock.close()

    def live(self) -> int:
        return sum(1 for s in self.socks if s is not None)

    def _open(self, i: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(3)
        try:
            sock.connect((LOOPBACK, self.port))
            sock.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: central\r\n")
        except OSError:
            sock.close()
            return
        sock.setblocking(False)
        self.socks[i] = sock
        self.opened += 1

    def _closed_by_server(self, sock: socket.socket) -> bool:
        try:
            sock.send(b"X-Slow: 1\r\n")
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        with selectors.DefaultSelector() as sel:  # a 408/503 or EOF means it was dropped
            sel.register(sock, selectors.EVENT_READ)
            return bool(sel.select(0))

    def _run(self) -> None:
        for i in range(len(self.socks)):
            if self.stop.is_set():
                return
            self._open(i)
        self.ready.set()
        while not self.stop.wait(self.every):
            for i, sock in enumerate(self.socks):
                if self.stop.is_set():
                    return
                if sock is not None and self._closed_by_server(sock):
                    sock.close()
                    self.socks[i] = None
                    self.dropped += 1
                if self.socks[i] is None:
                    self._open(i)


def _seat(tmp_path: Path, url: str, token: str) -> list[str]:
    config = tmp_path / "seat.toml"
    config.write_text(f'[center]\ncounty = "{COUNTY}"\nseat = "seat-01"\n[sync]\nserver = "{url}"\n'
                      "deadline_seconds = 15\n", encoding="utf-8")
    (tmp_path / "token").write_text(token, encoding="utf-8")
    args = ["--db", str(tmp_path / "seat" / "linkage.db"), "--config", str(config)]
    assert run_cli(*args, "sync", "token", str(tmp_path / "token")).returncode == 0
    made = run_cli(*args, "call", "new", "--phone", "13800000001", "--text", "小区停电两个小时了",
                   "--address", "人民路12号", "--category", "power_supply")
    assert made.returncode == 0, made.stderr
    return args


def _open_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def test_a_seat_syncs_through_1100_slow_clients_and_bad_tokens_get_429(tmp_path: Path) -> None:
    store = tmp_path / "central.db"
    central = CentralStore(store, SystemClock())
    token = central.add_token(COUNTY, "seat-01")
    central.close()
    with _own_fd_room(SLOW_CLIENTS + 512), serve_subprocess(store, preexec_fn=_limit_fds) as server:
        seat = _seat(tmp_path, server.url, token)
        started = time.monotonic()
        with SlowClients(server.ready["port"], SLOW_CLIENTS) as slow:
            assert slow.ready.wait(60), "the slow clients could not all connect"
            assert slow.opened >= SLOW_CLIENTS
            fds_under_attack = _open_fds(server.process.pid)
            synced = run_cli(*seat, "--json", "sync", timeout=45)
            sync_s = time.monotonic() - started
            assert synced.returncode == 0, synced.stderr
            assert json.loads(synced.stdout)["data"]["pass"]["pushed"] == 2  # catalog, incident
            assert server.process.poll() is None, "the server is still up"
            if fds_under_attack is not None:
                assert fds_under_attack < SERVER_FDS
            opened, dropped = slow.opened, slow.dropped

        # bad tokens from one address: 401 until the address's bucket is empty, then 429
        statuses: list[int] = []
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for _ in range(300):
                answer = client.get("/v1/hello", headers={"Authorization": "Bearer not-a-token"})
                statuses.append(answer.status_code)
                if answer.status_code == 429:
                    assert int(answer.headers["retry-after"]) >= 1
                    assert answer.json()["code"] == "rate_limited"
                    break
            assert statuses[0] == 401 and statuses[-1] == 429, statuses[-3:]
            assert set(statuses[:-1]) == {401}
            # the seat's good token from the same address is not throttled by those failures
            good = client.get("/v1/hello", headers={"Authorization": f"Bearer {token}"})
            assert good.status_code == 200 and good.json()["seat"] == "seat-01"
    print(f"\n{opened} slow connections opened ({dropped} dropped by the server and reopened);"
          f" server fds under attack: {fds_under_attack} of {SERVER_FDS}; the seat synced"
          f" {sync_s:.1f} s after the attack began; 429 after {len(statuses) - 1} bad tokens")


def _read_all(sock: socket.socket, deadline: float) -> bytes:
    """What the server sends until it closes the connection (or the bounded wait ends)."""
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            break
        except OSError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the server kept the connection open; got {data!r}")


def test_header_and_body_read_timeouts_drop_dribbling_clients(tmp_path: Path) -> None:
    store = tmp_path / "central.db"
    central = CentralStore(store, SystemClock())
    token = central.add_token(COUNTY, "seat-01")
    central.close()
    with serve_subprocess(store, "--header-timeout", "2", "--body-timeout", "4") as server:
        port = server.ready["port"]
        # a request head dribbled a line a second: cut off with 408, however long it keeps going
        head = socket.create_connection((LOOPBACK, port), timeout=5)
        try:
            head.sendall(b"GET /v1/hello HTTP/1.1\r\n")
            sent = 0
            closed = False
            for _ in range(12):
                try:
                    head.sendall(b"X-Slow: 1\r\n")
                    sent += 1
                except OSError:
                    closed = True
                    break
                head.settimeout(1)
                try:
                    got = head.recv(4096)
                except TimeoutError:
                    continue
                assert got.startswith(b"HTTP/1.1 408"), got
                closed = True
                break
            assert closed, "a client dribbling header lines for 12 s was never dropped"
        finally:
            head.close()

        # a push whose body stops coming: the connection is closed and nothing is stored
        event = wire_event()
        body = (b'{"protocol":1,"seat":"seat-01","events":[' + httpx.Request("POST", "http://x", json=event)
                .content + b"]}")
        body_sock = socket.create_connection((LOOPBACK, port), timeout=5)
        try:
            body_sock.sendall(
                f"POST /v1/streams/{COUNTY}/events:push HTTP/1.1\r\nHost: central\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:40])
            answer = _read_all(body_sock, time.monotonic() + 15)
            assert b"HTTP/1.1 200" not in answer
        finally:
            body_sock.close()
        with httpx.Client(base_url=server.url, timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            page = client.get(f"/v1/streams/{COUNTY}/events").json()
            assert page["events"] == []
            # and the server still answers a whole request at once
            assert client.get("/v1/hello").status_code == 200
    assert sent >= 1


def test_central_store_files_are_private(tmp_path: Path) -> None:
    """central.db and its -wal/-shm hold callers and token hashes: mode 0600, also when an
    older version left them readable by others."""
    path = tmp_path / "central.db"
    central = CentralStore(path, SystemClock())
    central.add_token(COUNTY, "seat-01")
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
    central.close()
    assert modes == {"central.db": "0o600", "central.db-wal": "0o600", "central.db-shm": "0o600"}
    os.chmod(path, 0o644)
    CentralStore(path, SystemClock()).close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    backup = tmp_path / "backup.db"
    central = CentralStore(path, SystemClock())
    central.backup(backup)
    central.close()
    assert oct(backup.stat().st_mode & 0o777) == "0o600"


def test_failures_are_throttled_per_address_and_a_valid_token_never_is(tmp_path: Path) -> None:
    """In-process (ASGI) with two client addresses and an injected clock, so nothing sleeps."""
    import asyncio

    central = CentralStore(tmp_path / "central.db", SystemClock())
    token = central.add_token(COUNTY, "seat-01")
    now = [1000.0]
    app = create_app(central, clock=SystemClock(), fail_rate=1.0, fail_burst=5, monotonic=lambda: now[0])

    async def hello(address: str, auth: str | None) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://central.test") as client:
            headers = {"Authorization": auth} if auth else {}
            return await client.get("/v1/hello", headers=headers)

    def status(address: str, auth: str | None) -> int:
        return asyncio.run(hello(address, auth)).status_code

    bad, good = "Bearer not-a-token", f"Bearer {token}"
    assert [status("10.0.0.1", bad) for _ in range(5)] == [401] * 5
    refused = asyncio.run(hello("10.0.0.1", bad))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert status("10.0.0.1", None) == 429          # anonymous requests draw on the same bucket
    assert status("10.0.0.1", good) == 200          # a valid token is never throttled by it
    assert status("10.0.0.2", bad) == 401           # nor is another address
    now[0] += 2.0                                   # the bucket refills at 1 a second
    assert [status("10.0.0.1", bad) for _ in range(3)] == [401, 401, 429]
    central.close()
