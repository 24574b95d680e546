"""Hostile and mistaken requests: each is answered with the right status and a clear problem,
and NOTHING is stored (every table of the server's store is compared before and after). Each
test runs on both engines (SQLite and PostgreSQL: ``central_spec``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from engines import table_rows

from central.app import create_app
from central.storage import is_postgresql, open_store
from central.testing import asgi_request, push_body, wire_event
from console.kernel.clock import FakeClock
from console.sync import protocol

START = "2026-11-28T06:00:00Z"
TABLES = ("streams", "events", "tokens", "schema_migrations")


class Ticker:
    """The rate limiter's time source, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Server:
    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.clock = FakeClock(START)
        self.store = open_store(path, self.clock)
        self.ticker = Ticker()
        self.app = create_app(self.store, clock=self.clock, rate=1000, burst=1000, monotonic=self.ticker)
        self.c1 = self.store.add_token("c1", "seat-01")
        self.c2 = self.store.add_token("c2", "seat-01")
        self.city = self.store.add_token("*", "city-01", ("read-all",))
        self.store.apply_batch("c1", "seat-01", [wire_event()])
        self.store.apply_batch("c2", "seat-01", [wire_event()])

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, read through a separate connection to the store."""
        return table_rows(self.path, TABLES)

    def send(self, method: str, url: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return asgi_request(self.app, method, url, headers=headers, **kw)

    def push(self, body: Any, token: str | None = None, county: str = "c1", **kw: Any) -> httpx.Response:
        if isinstance(body, bytes):
            kw["content"] = body
        else:
            kw["json"] = body
        return self.send("POST", f"/v1/streams/{county}/events:push", token or self.c1, **kw)


@pytest.fixture
def server(central_spec: Path | str) -> Iterator[Server]:
    s = Server(central_spec)
    yield s
    s.store.close()


def refused(server: Server, response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "about:blank" and problem["status"] == status and problem["code"] == code
    assert problem["title"] and problem["detail"]
    assert "Traceback" not in response.text
    print(f"{status} {code}: {problem['detail']}")
    return dict(problem)


@pytest.fixture
def unchanged(server: Server) -> Iterator[None]:
    before = server.rows()
    yield
    assert server.rows() == before, "a refused request wrote to the server store"


def test_no_token_or_a_wrong_one_is_401_unauthenticated(server: Server, unchanged: None) -> None:
    for token, headers in ((None, {}), ("not-a-real-token", {}), (None, {"Authorization": "Basic abc"}),
                           (None, {"Authorization": "Bearer "})):
        answer = server.send("POST", "/v1/streams/c1/events:push", token, headers=headers,
                             json=push_body([wire_event()]))
        refused(server, answer, 401, "unauthenticated")
        assert answer.headers["www-authenticate"].startswith("Bearer")
    for url in ("/v1/streams/c1/events", "/v1/streams/c1/registry"):
        refused(server, server.send("GET", url, "wrong"), 401, "unauthenticated")
    refused(server, server.send("GET", "/v1/hello", "wrong"), 401, "unauthenticated")


def test_a_revoked_token_is_401_token_revoked_from_the_next_request(server: Server, unchanged: None) -> None:
    token = server.store.add_token("c1", "seat-07")
    assert server.send("GET", "/v1/streams/c1/events", token).status_code == 200
    before = server.rows()
    server.store.revoke("c1", "seat-07")
    after_revoke = server.rows()
    answer = server.push(push_body([wire_event("seat-07")], "seat-07"), token)
    problem = refused(server, answer, 401, "token_revoked")
    assert "revoked" in problem["detail"]
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    refused(server, server.send("GET", "/v1/hello", token), 401, "token_revoked")
    assert server.rows() == after_revoke
    # put the token table back as the fixture saw it (the revocation itself was ours, not the request's)
    with server.store._tx() as conn:
        conn.execute("DELETE FROM tokens WHERE seat = 'seat-07'")
    assert server.rows()["events"] == before["events"]


def test_a_token_of_another_county_finds_no_stream(server: Server, unchanged: None) -> None:
    for method, url, body in (("POST", "/v1/streams/c2/events:push", push_body([wire_event()])),
                              ("POST", "/v1/streams/c2/events:missing", {"ids": []}),
                              ("GET", "/v1/streams/c2/events", None),
                              ("GET", "/v1/streams/c2/registry", None),
                              ("GET", "/v1/streams/c9/events", None)):
        answer = server.send(method, url, server.c1, json=body) if body is not None else server.send(
            method, url, server.c1)
        problem = refused(server, answer, 404, "no_such_stream")
        assert "c2" not in json.dumps(problem), "another county's stream is never described"
    # an existing and a non-existent county are answered the same
    a = server.send("GET", "/v1/streams/c2/events", server.c1).json()
    b = server.send("GET", "/v1/streams/c9/events", server.c1).json()
    assert a == b


def test_more_than_500_events_is_413(server: Server, unchanged: None) -> None:
    events = [wire_event() for _ in range(protocol.MAX_BATCH_EVENTS + 1)]
    problem = refused(server, server.push(push_body(events)), 413, "too_large")
    assert "500" in problem["detail"]


def test_a_body_over_1_mib_is_413_whether_declared_or_streamed(server: Server, unchanged: None) -> None:
    big = {"incident_id": "x", "text": "长" * 80_000}  # ~240 KB of UTF-8 per event, under the event cap
    body = json.dumps(push_body([wire_event(payload=big) for _ in range(5)]), ensure_ascii=False).encode()
    assert len(body) > protocol.MAX_BODY_BYTES
    refused(server, server.push(body, headers={"Content-Type": "application/json"}), 413, "too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the cap applies while reading
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    streamed = server.send("POST", "/v1/streams/c1/events:push", server.c1, content=chunks())
    assert "content-length" not in streamed.request.headers
    refused(server, streamed, 413, "too_large")
    # a Content-Length that understates the body does not lift the cap either
    lying = server.send("POST", "/v1/streams/c1/events:push", server.c1, content=body,
                        headers={"Content-Length": "10"})
    refused(server, lying, 413, "too_large")


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b'{"protocol": NaN}', b"[1, 2]", b'"text"',
                                 b"\xff\xfe\x00", b'{"protocol": 1, "seat": "seat-01", "events": ["\\ud800"]}'])
def test_malformed_json_is_400(server: Server, unchanged: None, raw: bytes) -> None:
    refused(server, server.push(raw), 400, "malformed_json")


def test_an_unknown_event_kind_refuses_the_whole_batch_naming_the_event(server: Server, unchanged: None) -> None:
    good = [wire_event(), wire_event()]
    bad = {**wire_event(), "kind": "incident.teleported"}
    answer = server.push(push_body([good[0], bad, good[1]]))
    problem = refused(server, answer, 422, "invalid_events")
    assert problem["errors"] == [{"index": 1, "id": bad["id"], "code": "unknown_kind",
                                  "detail": "unknown event kind 'incident.teleported'"}]


def test_every_bad_event_is_listed(server: Server, unchanged: None) -> None:
    no_payload_key = wire_event(kind="order.stepped", payload={"order_id": "o1"})
    del no_payload_key["payload"]["status"]
    events: list[Any] = [wire_event(), {**wire_event(), "id": "not-a-uuid"}, {**wire_event(), "extra": 1},
                         no_payload_key, 42]
    problem = refused(server, server.push(push_body(events)), 422, "invalid_events")
    assert [(e["index"], e["code"]) for e in problem["errors"]] == [
        (1, "bad_id"), (2, "unknown_field"), (3, "bad_payload"), (4, "not_an_object")]
    assert problem["errors"][2]["id"] == no_payload_key["id"]
    assert problem["errors"][-1]["id"] is None


def test_a_future_protocol_version_is_426_with_what_is_supported(server: Server, unchanged: None) -> None:
    body = {**push_body([wire_event()]), "protocol": 2}
    problem = refused(server, server.push(body), 426, "unsupported_protocol")
    assert problem["supported"] == [1]
    for version in (None, "1", True, 1.5):
        refused(server, server.push({**push_body([wire_event()]), "protocol": version}), 422, "invalid_request")
    no_version = push_body([wire_event()])
    del no_version["protocol"]
    refused(server, server.push(no_version), 422, "invalid_request")


@pytest.mark.parametrize("body", [
    {"protocol": 1, "seat": "seat-01", "events": {}},
    {"protocol": 1, "seat": "seat-01"},
    {"protocol": 1, "events": []},
    {"protocol": 1, "seat": "seat-01", "events": [], "force": True},
])
def test_a_wrong_body_shape_is_422_invalid_request(server: Server, unchanged: None, body: dict[str, Any]) -> None:
    refused(server, server.push(body), 422, "invalid_request")


def test_a_seat_cannot_push_as_another_seat(server: Server, unchanged: None) -> None:
    problem = refused(server, server.push(push_body([wire_event("seat-02")], "seat-02")), 422, "invalid_request")
    assert "seat" in problem["detail"]
    mixed = [wire_event(), wire_event("seat-02")]
    problem = refused(server, server.push(push_body(mixed)), 422, "invalid_events")
    assert [(e["index"], e["code"]) for e in problem["errors"]] == [(1, "wrong_seat")]


def test_a_city_token_reads_every_county_but_writes_none(server: Server, unchanged: None) -> None:
    for county in ("c1", "c2"):
        page = server.send("GET", f"/v1/streams/{county}/events", server.city)
        assert page.status_code == 200 and len(page.json()["events"]) == 1
        assert server.send("GET", f"/v1/streams/{county}/registry", server.city).status_code == 200
    hello = server.send("GET", "/v1/hello", server.city).json()
    assert (hello["county"], hello["scopes"], hello["epoch"]) == ("*", ["read-all"], None)
    refused(server, server.send("GET", "/v1/streams/c9/events", server.city), 404, "no_such_stream")
    refused(server, server.push(push_body([wire_event("city-01")], "city-01"), server.city), 403, "forbidden")
    refused(server, server.send("POST", "/v1/streams/c1/events:missing", server.city, json={"ids": []}),
            403, "forbidden")


def test_missing_refuses_a_bad_body(server: Server, unchanged: None) -> None:
    url = "/v1/streams/c1/events:missing"
    refused(server, server.send("POST", url, server.c1, content=b"nope"), 400, "malformed_json")
    for body in ({"ids": "x"}, {"ids": [1]}, {}, {"ids": [], "more": 1},
                 {"ids": ["x"] * (protocol.MAX_MISSING_IDS + 1)}):
        refused(server, server.send("POST", url, server.c1, json=body), 422, "invalid_request")


def test_an_empty_bucket_is_429_with_retry_after(server: Server) -> None:
    """2 requests a second, burst 5, per seat and separately for push and pull."""
    server.app = create_app(server.store, clock=server.clock, rate=2, burst=5, monotonic=server.ticker)
    url = "/v1/streams/c1/events"
    assert [server.send("GET", url, server.c1).status_code for _ in range(5)] == [200] * 5
    before = server.rows()
    limited = server.send("GET", url, server.c1)
    refused(server, limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) >= 1
    assert server.push(push_body([wire_event()])).status_code == 200, "push has its own bucket"
    assert [server.push(push_body([])).status_code for _ in range(4)] == [200] * 4
    refused(server, server.push(push_body([wire_event()])), 429, "rate_limited")
    assert len(server.rows()["events"]) == len(before["events"]) + 1, "the throttled push stored nothing"
    assert server.send("GET", "/v1/streams/c2/events", server.c2).status_code == 200, "buckets are per seat"
    server.ticker.now += 0.5  # 2 tokens a second: half a second buys one more request
    assert server.send("GET", url, server.c1).status_code == 200
    assert server.send("GET", url, server.c1).status_code == 429
    print(f"5 pulls at once fine, the 6th throttled (Retry-After {limited.headers['retry-after']} s)")


def test_a_failure_inside_is_a_bare_500_problem_without_a_stack_trace(server: Server) -> None:
    if is_postgresql(server.path):
        # a closed connection is replaced on the next request; a table gone is not
        server.store.conn.execute("ALTER TABLE events RENAME TO events_gone")
    else:
        server.store.conn.close()  # the database goes away under the running app
    answer = server.send("GET", "/v1/streams/c1/events", server.c1)
    refused(server, answer, 500, "internal")
    assert not any(word in answer.text.lower() for word in ("sqlite", "postgres", "psycopg", "events_gone"))
    if is_postgresql(server.path):
        server.store.conn.execute("ALTER TABLE events_gone RENAME TO events")
    else:
        server.store = open_store(server.path, server.clock)  # for the fixture's close


def test_tokens_never_reach_the_log(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.push(push_body([wire_event()]))
    server.send("GET", "/v1/streams/c1/events", "a-wrong-token-value")
    server.send("GET", "/v1/streams/c2/events", server.city)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert server.c1 not in text and server.city not in text and "a-wrong-token-value" not in text
    assert '"seat": "seat-01"' in text
