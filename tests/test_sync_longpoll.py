"""Held pulls (long-poll): an idle seat waits on the server instead of polling it, hears of
another seat's push at once, and still notices a server that has gone silent.

Real parts only: the real server (in a thread, or ``linkage serve`` as a process), real seats
on SQLite files, the real sync thread and the real TUI. Waits are bounded polls for a
condition; the one bound on time is the deadline's own promise, with room for a loaded machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx

from central.longpoll import MAX_WAIT_S, Holds
from central.store import CentralStore
from central.testing import push_body, serve_in_thread, serve_subprocess, wire_event
from console.calls import intake
from console.kernel.clock import SystemClock
from console.seat.services import Services, open_services
from console.sync.worker import SyncWorker
from screens.app import LinkageApp

COUNTY = "demo-county"


def _seat(root: Path, name: str, server: str, token: str, **sync: int) -> Services:
    (root / name).mkdir()
    extra = "".join(f"{k} = {v}\n" for k, v in sync.items())
    (root / name / "config.toml").write_text(
        f'[center]\ncounty = "{COUNTY}"\nseat = "{name}"\n[sync]\nserver = "{server}"\n{extra}',
        encoding="utf-8")
    services = open_services(root / name / "linkage.db", config_path=root / name / "config.toml",
                             clock=SystemClock())
    services.save_sync_token(token)
    return services


def _until(condition: object, seconds: float = 20.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def test_an_idle_seat_holds_one_pull_and_sees_a_push_from_it(tmp_path: Path) -> None:
    central = CentralStore(tmp_path / "central.db", SystemClock())
    tokens = {name: central.add_token(COUNTY, name) for name in ("seat-01", "seat-02")}
    with serve_in_thread(central) as url:
        other = _seat(tmp_path, "seat-01", url, tokens["seat-01"])
        mine = _seat(tmp_path, "seat-02", url, tokens["seat-02"])
        worker = SyncWorker(mine.store.path, mine.sync_settings(), SystemClock())  # type: ignore[arg-type]
        try:
            worker.start()
            assert _until(lambda: worker.passes >= 1)
            assert worker.last is not None and worker.last.ok
            passes = worker.passes
            made = intake.new_call(other.ctx, None, phone="13800000077", text="护栏倒在路上",
                                   address="解放路8号", category="public_order")
            assert other.sync_once().ok
            assert _until(lambda: mine.store.one("SELECT 1 FROM incidents WHERE id = ?",
                                                 (made.incident.id,)) is not None)
            assert _until(lambda: worker.passes > passes)
            # it came by the held pull: one request, nothing pushed, no hello before it
            assert worker.last is not None
            assert (worker.last.ok, worker.last.requests, worker.last.pushed) == (True, 1, 0)
            assert worker.last.pulled >= 1
        finally:
            worker.stop()
            other.close()
            mine.close()
    central.close()


def test_held_pulls_are_limited_per_address_and_beyond_it_answered_at_once(tmp_path: Path) -> None:
    central = CentralStore(tmp_path / "central.db", SystemClock())
    token = central.add_token(COUNTY, "seat-01")
    holds = Holds(per_address=1)
    with serve_in_thread(central, holds=holds) as url:
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/v1/streams/{COUNTY}/events"
        held: list[httpx.Response] = []

        def hold() -> None:
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                held.append(client.get(path, params={"after": 0, "wait": 20}))

        first = threading.Thread(target=hold)
        first.start()
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            hello = client.get("/v1/hello").json()
            assert hello["limits"]["max_pull_wait_seconds"] == MAX_WAIT_S
            assert _until(lambda: holds.held == 1)  # the server's own count: the first is held
            second = client.get(path, params={"after": 0, "wait": 20})
            assert second.status_code == 200 and second.json()["events"] == []
            assert first.is_alive(), "the first pull is still held while the second was answered"
            refused = client.get(path, params={"after": 0, "wait": MAX_WAIT_S + 1})
            assert refused.status_code == 422 and refused.json()["code"] == "invalid_request"
            # a push answers the held pull with the new event (leading heartbeat spaces are JSON)
            event = wire_event()
            assert client.post(f"/v1/streams/{COUNTY}/events:push", json=push_body([event])).status_code == 200
        first.join(30)
        assert [e["id"] for e in held[0].json()["events"]] == [event["id"]]
    central.close()


def test_a_held_pull_does_not_delay_the_server_stopping(tmp_path: Path) -> None:
    store_path = tmp_path / "central.db"
    central = CentralStore(store_path, SystemClock())
    token = central.add_token(COUNTY, "seat-01")
    central.close()
    with serve_subprocess(store_path) as server:
        answered: list[httpx.Response] = []

        def hold() -> None:
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                              timeout=60) as client:
                answered.append(client.get(f"/v1/streams/{COUNTY}/events", params={"after": 0, "wait": 25}))

        waiting = threading.Thread(target=hold)
        waiting.start()
        time.sleep(0.5)  # the pull reaches the server (its log line comes only when it ends)
        server.process.terminate()
        assert server.process.wait(20) == 0
        waiting.join(20)
        assert answered and answered[0].status_code == 200 and answered[0].json()["events"] == []


def test_a_long_polling_seat_notices_a_silent_server_within_its_deadline(tmp_path: Path) -> None:
    asyncio.run(_silent_server_scenario(tmp_path))


async def _silent_server_scenario(tmp_path: Path) -> None:
    """The server stops answering (SIGSTOP: no reset, no close, just silence) while the seat
    holds a pull: the missing heartbeat ends the pull within the deadline and the board says 离线."""
    store_path = tmp_path / "central.db"
    central = CentralStore(store_path, SystemClock())
    token = central.add_token(COUNTY, "seat-01")
    central.close()
    deadline = 4
    with serve_subprocess(store_path) as server:
        services = _seat(tmp_path, "seat-01", server.url, token, deadline_seconds=deadline)
        app = LinkageApp(services, "zh", tick_seconds=0.2)
        try:
            async with app.run_test(size=(140, 40)) as pilot:
                for _ in range(400):
                    if app.sync_worker.passes:
                        break
                    await pilot.pause(0.05)
                assert app.sync_worker.last.ok
                await pilot.pause(1.0)  # into the held pull
                assert "同步：在线" in str(app.board.status.render())
                passes = app.sync_worker.passes
                os.kill(server.process.pid, signal.SIGSTOP)
                stopped = time.monotonic()
                try:
                    line = ""
                    for _ in range(600):
                        await pilot.pause(0.05)
                        line = str(app.board.status.render())
                        if "同步：离线" in line:
                            break
                    noticed = time.monotonic() - stopped
                finally:
                    os.kill(server.process.pid, signal.SIGCONT)
                print(f"\nsilent server: held pull given up {noticed:.2f} s after SIGSTOP (deadline {deadline} s)")
                assert "同步：离线" in line, line
                assert app.sync_worker.passes > passes
                assert app.sync_worker.last.error_code == "timeout"
                assert noticed < deadline + 3.0  # the deadline's promise, with room for a loaded machine
        finally:
            services.close()


class OlderServer(httpx.AsyncBaseTransport):
    """The real server over loopback, as a server from before held pulls: its hello does not
    offer them (the one thing that differs); every request is recorded."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        # a transport per request: each sync pass runs its own event loop
        async with httpx.AsyncHTTPTransport() as inner:
            response = await inner.handle_async_request(request)
            content = await response.aread()
        if request.url.path == "/v1/hello":
            body = json.loads(content)
            body["limits"].pop("max_pull_wait_seconds", None)
            content = json.dumps(body).encode()
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=headers, content=content, request=request)


def test_a_seat_polls_a_server_that_does_not_hold_pulls(tmp_path: Path) -> None:
    central = CentralStore(tmp_path / "central.db", SystemClock())
    token = central.add_token(COUNTY, "seat-01")
    transport = OlderServer()
    with serve_in_thread(central) as url:
        mine = _seat(tmp_path, "seat-01", url, token, interval_seconds=1)
        settings = mine.sync_settings()
        assert settings is not None
        worker = SyncWorker(mine.store.path, settings, SystemClock(), transport=transport)
        try:
            worker.start()
            assert _until(lambda: worker.passes >= 3)
            assert worker.last is not None and worker.last.ok
        finally:
            worker.stop()
            mine.close()
    pulls = [u for u in transport.urls if "/events?" in u]
    assert len(pulls) >= 3 and not any("wait=" in u for u in pulls)
    assert sum("/v1/hello" in u for u in transport.urls) >= 3  # a whole pass each time, as before
    central.close()


def test_a_held_pull_given_up_by_its_seat_frees_its_place(tmp_path: Path) -> None:
    """A seat ends its held pull whenever it has something to push; the server must notice the
    closed connection and give the place back, or a busy seat would use up its address's
    places and fall back to polling."""
    central = CentralStore(tmp_path / "central.db", SystemClock())
    token = central.add_token(COUNTY, "seat-01")
    holds = Holds()
    with serve_in_thread(central, holds=holds) as url:

        async def give_up() -> None:
            async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
                task = asyncio.ensure_future(client.get(f"/v1/streams/{COUNTY}/events",
                                                        params={"after": 0, "wait": 25}))
                for _ in range(500):
                    if holds.held == 1:
                        break
                    await asyncio.sleep(0.01)
                assert holds.held == 1
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        for _ in range(3):
            asyncio.run(give_up())
            assert _until(lambda: holds.held == 0, 10), "the place of a pull given up is back"
        assert holds.by_address == {} and holds.waiters == {}
    central.close()
