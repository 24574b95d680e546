"""The city server's API in-process (httpx.ASGITransport) over a real store: a SQLite file in
tmp_path and a PostgreSQL database (``central_spec``: each test runs on both)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from central.app import create_app
from central.storage import open_store
from central.store import CentralStore
from central.testing import asgi_request, push_body, registry_payload, wire_event
from console.kernel.clock import FakeClock
from console.sync import protocol

START = "2026-11-28T06:00:00Z"


class Api:
    """The app, its store and one seat's token; ``api.get(...)`` etc. send one request."""

    def __init__(self, store: CentralStore, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.app = create_app(store, clock=clock)
        self.token = store.add_token("c1", "seat-01")

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def get(self, url: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return asgi_request(self.app, "GET", url, headers=self.auth(token), **kw)

    def post(self, url: str, body: Any, token: str | None = None) -> httpx.Response:
        return asgi_request(self.app, "POST", url, headers=self.auth(token), json=body)

    def push(self, events: list[dict[str, Any]], county: str = "c1", seat: str = "seat-01",
             token: str | None = None) -> httpx.Response:
        return self.post(f"/v1/streams/{county}/events:push", push_body(events, seat), token)


@pytest.fixture
def api(central_spec: Path | str) -> Iterator[Api]:
    clock = FakeClock(START)
    store = open_store(central_spec, clock)
    yield Api(store, clock)
    store.close()


def test_hello_without_a_token_tells_time_protocol_and_limits(api: Api) -> None:
    answer = asgi_request(api.app, "GET", "/v1/hello")
    assert answer.status_code == 200
    body = answer.json()
    assert body["server_time"] == "2026-11-28T06:00:00.000Z"
    assert body["supported"] == [1] and body["protocol"] == 1
    assert body["limits"]["max_batch_events"] == protocol.MAX_BATCH_EVENTS
    assert body["limits"]["max_body_bytes"] == protocol.MAX_BODY_BYTES
    assert "county" not in body and "epoch" not in body


def test_hello_with_a_token_names_county_seat_scopes_and_epoch(api: Api) -> None:
    body = api.get("/v1/hello").json()
    assert (body["county"], body["seat"], body["scopes"]) == ("c1", "seat-01", ["push", "pull"])
    assert body["epoch"] == api.store.epoch("c1")


def test_push_then_pull_round_trip(api: Api) -> None:
    events = [wire_event() for _ in range(3)]
    pushed = api.push(events)
    assert pushed.status_code == 200
    answer = pushed.json()
    assert [a["id"] for a in answer["acks"]] == [e["id"] for e in events], "acks in the pushed order"
    assert [(a["status"], a["seq"]) for a in answer["acks"]] == [("accepted", 1), ("accepted", 2), ("accepted", 3)]
    assert answer["server_time"] == "2026-11-28T06:00:00.000Z"
    api.clock.advance(2)
    again = api.push([events[1], wire_event()]).json()
    assert [(a["status"], a["seq"]) for a in again["acks"]] == [("duplicate", 2), ("accepted", 4)]
    assert again["epoch"] == answer["epoch"]

    pulled = api.get("/v1/streams/c1/events", params={"after": 1, "limit": 2})
    assert pulled.status_code == 200
    page = pulled.json()
    assert [e["seq"] for e in page["events"]] == [2, 3]
    assert page["next_after"] == 3 and page["high_watermark"] == 4
    assert page["server_time"] == "2026-11-28T06:00:02.000Z"
    assert page["epoch"] == answer["epoch"]
    first = page["events"][0]
    assert {k: first[k] for k in protocol.FIELDS} == events[1]
    assert first["received_at"] == "2026-11-28T06:00:00.000Z"
    rest = api.get("/v1/streams/c1/events", params={"after": page["next_after"]}).json()
    assert [e["seq"] for e in rest["events"]] == [4] and rest["next_after"] == 4
    empty = api.get("/v1/streams/c1/events", params={"after": 4}).json()
    assert empty["events"] == [] and empty["next_after"] == 4


def test_two_seats_of_a_county_see_each_others_events(api: Api) -> None:
    other = api.store.add_token("c1", "seat-02")
    api.push([wire_event()])
    api.push([wire_event("seat-02")], seat="seat-02", token=other)
    seen = api.get("/v1/streams/c1/events", token=other).json()["events"]
    assert [e["seat"] for e in seen] == ["seat-01", "seat-02"]


def test_conflict_ack_for_a_reused_id(api: Api) -> None:
    event = wire_event()
    api.push([event])
    acks = api.push([{**event, "operator": "someone-else"}]).json()["acks"]
    assert acks == [{"id": event["id"], "status": "conflict", "code": "id_reused"}]


def test_missing_answers_what_the_server_lacks(api: Api) -> None:
    have, lost = wire_event(), wire_event()
    api.push([have])
    answer = api.post("/v1/streams/c1/events:missing", {"ids": [have["id"], lost["id"]]})
    assert answer.status_code == 200
    assert answer.json()["missing"] == [lost["id"]]
    assert "server_time" in answer.json() and answer.json()["epoch"] == api.store.epoch("c1")


def test_registry_is_the_newest_catalog(api: Api) -> None:
    assert api.get("/v1/streams/c1/registry").json()["registry"] is None
    loaded = registry_payload("县供电局")
    catalog = wire_event(kind="catalog.loaded", payload=loaded)
    assert api.push([catalog]).status_code == 200
    registry = api.get("/v1/streams/c1/registry").json()
    assert registry["registry"]["version"] == loaded["version"]
    assert registry["registry"]["body"] == loaded["body"]
    assert registry["registry"]["event_id"] == catalog["id"]
    assert "server_time" in registry


@pytest.mark.parametrize("query", [
    {"after": "-1"}, {"after": "abc"}, {"after": "1.5"}, {"after": str(1 << 63)},
    {"limit": "0"}, {"limit": str(protocol.MAX_PULL_LIMIT + 1)}, {"limit": ""},
])
def test_pull_refuses_a_bad_query(api: Api, query: dict[str, str]) -> None:
    answer = api.get("/v1/streams/c1/events", params=query)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "invalid_request"


def test_pull_limit_at_its_bounds(api: Api) -> None:
    api.push([wire_event() for _ in range(3)])
    assert len(api.get("/v1/streams/c1/events", params={"limit": 1}).json()["events"]) == 1
    assert len(api.get("/v1/streams/c1/events", params={"limit": protocol.MAX_PULL_LIMIT}).json()["events"]) == 3


def test_openapi_is_served(api: Api) -> None:
    spec = asgi_request(api.app, "GET", "/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/v1/hello", "/v1/streams/{county}/events:push", "/v1/streams/{county}/events",
                                  "/v1/streams/{county}/events:missing", "/v1/streams/{county}/registry",
                                  "/v1/openapi.json", "/v1/streams"}


def test_unknown_paths_and_methods_are_problems_too(api: Api) -> None:
    nowhere = asgi_request(api.app, "GET", "/v2/hello")
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found"
    wrong = asgi_request(api.app, "DELETE", "/v1/hello")
    assert wrong.status_code == 405 and wrong.headers["allow"] and wrong.json()["code"] == "method_not_allowed"
    assert wrong.headers["content-type"] == "application/problem+json"


def test_one_json_log_line_per_request(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="linkage.central")
    event = wire_event()
    api.push([event, wire_event()])
    api.push([event])
    api.get("/v1/streams/c1/events")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "linkage.central"]
    assert len(lines) == 3
    first = lines[0]
    assert {k: first[k] for k in ("method", "path", "status", "county", "seat", "events", "accepted")} == {
        "method": "POST", "path": "/v1/streams/c1/events:push", "status": 200, "county": "c1",
        "seat": "seat-01", "events": 2, "accepted": 2}
    assert lines[1]["accepted"] == 0 and lines[2]["events"] == 2
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    assert not any(api.token in r.getMessage() for r in caplog.records)
    print("log line:", json.dumps(first))


def test_a_client_that_goes_away_mid_upload_is_logged_not_a_server_failure(
        central_spec: str, caplog: pytest.LogCaptureFixture) -> None:
    """A seat killed while sending a push: real uvicorn, a raw socket that sends half a body."""
    import logging
    import socket
    import time

    from central.testing import serve_in_thread
    from console.kernel.clock import SystemClock

    store = open_store(central_spec, SystemClock())
    token = store.add_token("c1", "seat-01")
    caplog.set_level(logging.INFO, logger="linkage.central")
    with serve_in_thread(store) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall((f"POST /v1/streams/c1/events:push HTTP/1.1\r\nhost: x\r\n"
                          f"authorization: Bearer {token}\r\ncontent-type: application/json\r\n"
                          "content-length: 5000\r\n\r\n" + '{"protocol": 1, "events": [').encode())
        for _ in range(200):
            if any("client_disconnected" in r.getMessage() for r in caplog.records):
                break
            time.sleep(0.02)
    lines = [r.getMessage() for r in caplog.records if r.name == "linkage.central"]
    assert any('"code": "client_disconnected"' in line and '"status": 499' in line for line in lines), lines
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)  # no traceback
    assert store.count_events() == 0
    store.close()
