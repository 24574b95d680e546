"""A county in a box for the sync tests: one real central server app, N real seats.

The server is the real ``central`` app and SQLite store, reached through httpx's ASGI
transport wrapped in ``FaultyTransport``, which can refuse, time out, fail with 500/503, lose a
response after the server committed, deliver a request twice, or hold one back and deliver it
later. Seats are real ``Services`` on their own SQLite files, syncing with the real client.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from conftest import one_row

from central.app import create_app
from central.storage import open_store, restore_store
from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from console.tiered.grading import grades_of

COUNTY = "demo-county"
FAULTS = ("refused", "timeout", "http500", "http503", "lost", "duplicate", "hold", "replay")


class FaultyTransport(httpx.AsyncBaseTransport):
    """Consumes one planned fault per request; with no plan, requests go straight through."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.plan: list[str] = []
        self.held: list[tuple[str, str, dict[str, str], bytes]] = []
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self.down = False  # the server is unreachable: every request is refused

    async def _deliver(self, method: str, url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        request = httpx.Request(method, url, headers=headers, content=body)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            raise httpx.ConnectError("connection refused (server down)", request=request)
        body = await request.aread()
        parts = (request.method, str(request.url), dict(request.headers), body)
        fault = self.plan.pop(0) if self.plan else "ok"
        if fault != "ok":
            self.injected[fault] += 1
        if fault == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "http500":
            return httpx.Response(500, json={"code": "boom", "detail": "injected"}, request=request)
        if fault == "http503":
            return httpx.Response(503, headers={"retry-after": "3"}, json={"detail": "busy"},
                                  request=request)
        if fault == "hold":  # delivered later, after newer requests: a reordered request
            self.held.append(parts)
            raise httpx.ReadTimeout("held back", request=request)
        if fault == "replay" and self.held:
            await self._deliver(*self.held.pop(0))
        response = await self._deliver(*parts)
        if fault == "duplicate":
            response = await self._deliver(*parts)
        if fault == "lost":  # the server committed; the seat never hears of it
            raise httpx.ReadError("connection reset after the server answered", request=request)
        return httpx.Response(response.status_code, headers=response.headers, content=response.content,
                              request=request)

    async def flush_held(self) -> None:
        while self.held:
            await self._deliver(*self.held.pop(0))


class County:
    def __init__(self, root: Path, clock: FakeClock, seats: int = 3, store: Path | str | None = None) -> None:
        self.root = root
        self.clock = clock
        self.store = root / "central.db" if store is None else store  # a SQLite path or a PostgreSQL URL
        self.central = open_store(self.store, clock)
        self.app = create_app(self.central, clock=clock, rate=1e9, burst=10**9)
        self.transport = FaultyTransport(httpx.ASGITransport(app=self.app))
        self.names = [f"seat-{n:02d}" for n in range(1, seats + 1)]
        self.tokens = {name: self.central.add_token(COUNTY, name) for name in self.names}
        self.seats: dict[str, Services] = {}
        for name in self.names:
            (root / name).mkdir()
            (root / name / "config.toml").write_text(
                f'[center]\ncounty = "{COUNTY}"\nseat = "{name}"\n'
                '[sync]\nserver = "http://central.test"\n', encoding="utf-8")
            self.seats[name] = self.open(name)
            self.seats[name].save_sync_token(self.tokens[name])

    def open(self, name: str) -> Services:
        return open_services(self.root / name / "linkage.db", config_path=self.root / name / "config.toml",
                             clock=self.clock)

    def restore_server(self, backup: Path) -> None:
        """Put the server back to an older backup, as an operator would after losing it."""
        self.central.close()
        restore_store(backup, self.store, self.clock)
        self.central = open_store(self.store, self.clock)
        self.app = create_app(self.central, clock=self.clock, rate=1e9, burst=10**9)
        self.transport.inner = httpx.ASGITransport(app=self.app)

    def restart(self, name: str) -> None:
        self.seats[name].close()
        self.seats[name] = self.open(name)

    def sync(self, name: str) -> Any:
        return self.seats[name].sync_once(transport=self.transport)

    def close(self) -> None:
        for services in self.seats.values():
            services.close()
        self.central.close()

    # -- what the assertions look at ------------------------------------------------------------
    def server_ids(self) -> list[str]:
        return [r[0] for r in self.central.conn.execute("SELECT id FROM events WHERE county = ?", (COUNTY,))]

    def server_seqs(self) -> list[int]:
        return [r[0] for r in self.central.conn.execute(
            "SELECT seq FROM events WHERE county = ? ORDER BY seq", (COUNTY,))]

    def local_ids(self, name: str) -> set[str]:
        return {r[0] for r in self.seats[name].store.all("SELECT id FROM events WHERE origin = 'local'")}

    def all_ids(self, name: str) -> set[str]:
        return {r[0] for r in self.seats[name].store.all("SELECT id FROM events")}

    def queued(self, name: str) -> set[str]:
        return {r[0] for r in self.seats[name].store.all("SELECT event_id FROM outbox")}

    def projection(self, name: str) -> dict[str, Any]:
        """The seat's current-state tables, minus seat-local numbering."""
        store = self.seats[name].store
        return {
            "incidents": sorted(tuple(r) for r in store.all(
                "SELECT id, status, category, disposition, merged_into, closed_at, phone, text"
                " FROM incidents")),
            "calls": sorted(tuple(r) for r in store.all("SELECT id, incident_id, phone, text FROM calls")),
            "orders": sorted((r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in store.all(
                "SELECT id, incident_id, status, steps, return_reason FROM orders")),
            "grades": sorted((g.incident_id, g.type.value, g.level.value, g.raised_at)
                             for g in grades_of(store, [r[0] for r in store.all(
                                 "SELECT DISTINCT incident_id FROM incident_grades")]).values()),
            "reviews": sorted(tuple(r) for r in store.all(
                "SELECT event_id, order_id, return_event, decision FROM order_return_reviews")),
            "catalog": one_row(store, "SELECT version FROM catalog_snapshot")[0],
            "pending": one_row(store, "SELECT count(*) FROM pending_events")[0],
        }

    def drain(self, rounds: int = 6) -> int:
        """Heal the network and sync every seat until all queues are empty and all caught up."""
        self.transport.plan.clear()
        passes = 0
        for _ in range(rounds):
            for name in self.names:
                report = self.sync(name)
                passes += 1
                assert report.ok, (name, report.error_code, report.error_detail)
            if all(not self.queued(n) for n in self.names) and all(
                self.seats[n].sync_status().lag == 0 for n in self.names
            ):
                # one more round so every seat has pulled the last pushes of the others
                for name in self.names:
                    assert self.sync(name).ok
                    passes += 1
                return passes
        raise AssertionError("the queues did not drain")


class DripServer:
    """A server that answers any request with headers and then one body byte every ``every`` s.

    httpx's read timeout is per chunk, so only an overall deadline stops a request to it. It
    records when a client connected and whether the client hung up before the drip ended.
    """

    def __init__(self, every: float = 0.2, total: float = 60.0) -> None:
        import socket
        import threading

        self.every, self.total = every, total
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connected = threading.Event()
        self.hung_up = threading.Event()
        self.finished = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        import threading

        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: Any) -> None:
        import time

        self.connected.set()
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n")
            end = time.monotonic() + self.total
            while time.monotonic() < end and not self._stop.is_set():
                conn.sendall(b" ")
                time.sleep(self.every)
            self.finished.set()
        except OSError:
            self.hung_up.set()
        finally:
            conn.close()

    def __enter__(self) -> DripServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(5)
        self.sock.close()
