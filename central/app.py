"""The city server's HTTP API (Starlette), as specified in docs/sync-protocol.md.

Every refusal is an RFC 9457 problem (``application/problem+json``) with a stable ``code`` the
seat acts on, and a refused request stores nothing: a push is checked whole before its one
transaction opens. Checks run cheapest first (token, stream, rate, size, JSON, shape, events)
so a bad or hostile client costs the server as little as possible.

Endpoints are async but call the store directly: its calls are short SQLite transactions and
the server runs one worker process, so a thread hop would buy nothing.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, TypeGuard

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.chaining import read_skipped
from central.longpoll import MAX_WAIT_S, Holds
from central.openapi import build_spec
from central.store import CITY_WRITE_KINDS, AuthError, CentralStore, Credential
from console.duty import pins
from console.kernel.clock import Clock, iso
from console.kernel.ids import horizon
from console.sync import protocol

logger = logging.getLogger("linkage.central")

PROBLEM_TYPE = "application/problem+json"
DEFAULT_PULL_LIMIT = 500
MAX_AFTER = (1 << 63) - 1
PUSH_FIELDS = frozenset({"protocol", "seat", "events", "skipped"})
_DIGITS = re.compile(r"[0-9]{1,19}")
_REALM = 'Bearer realm="linkage"'
MAX_TRACKED_ADDRESSES = 4096  # failure buckets kept (least recently used dropped first)


class Problem(Exception):
    """A refusal on its way to the client; nothing has been stored when one is raised."""

    def __init__(self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> JSONResponse:
        try:
            title = HTTPStatus(self.status).phrase
        except ValueError:  # 499, nginx's "client closed request": logged, never delivered
            title = "Client Closed Request"
        body = {"type": "about:blank", "title": title, "status": self.status,
                "code": self.code, "detail": self.detail, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers, media_type=PROBLEM_TYPE)


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; ``take`` says how long to wait if empty."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate if self.rate > 0 else math.inf


class AccessLog:
    """One JSON line per request on ``linkage.central``; endpoints add who and how much.

    The token is never logged: only the credential's county and seat.
    """

    def __init__(self, app: ASGIApp, log: logging.Logger = logger) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        info: dict[str, Any] = {"county": None, "seat": None, "events": None, "accepted": None, "code": None}
        scope["linkage"] = info
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            line = {"method": scope["method"], "path": str(scope["path"])[:200], "status": status, **info,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2)}
            self.log.info(json.dumps(line, ensure_ascii=False))


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(fn: Handler) -> Handler:
    """Problems become problem responses; anything unexpected a bare 500 (no stack trace)."""

    async def endpoint(request: Request) -> Response:
        try:
            return await fn(request)
        except Problem as problem:
            _note(request, code=problem.code)
            return problem.response()
        except Exception:
            logger.exception("unexpected failure in %s", request.url.path[:200])
            _note(request, code="internal")
            return Problem(500, "internal", "the server failed; try again later").response()

    return endpoint


def _note(request: Request, **values: Any) -> None:
    info = request.scope.get("linkage")
    if isinstance(info, dict):
        info.update(values)


def _is_int(value: object) -> TypeGuard[int | float]:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer())


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def create_app(
    store: CentralStore,
    *,
    clock: Clock,
    rate: float = 20,
    burst: int = 60,
    log: logging.Logger = logger,
    monotonic: Callable[[], float] = time.monotonic,
    id_skew_s: float = protocol.MAX_ID_SKEW_S,
    fail_rate: float = 1.0,
    fail_burst: int | None = None,
    holds: Holds | None = None,
) -> Starlette:
    """The API over ``store``. ``rate``/``burst`` size each seat's push and pull buckets;
    ``monotonic`` is the rate limiter's time source (injectable so tests need not sleep);
    ``id_skew_s`` how far ahead of ``clock`` an event id may be (``future_id`` beyond).

    ``fail_burst``/``fail_rate`` size the bucket each client *address* draws on for every
    request without a valid token (none, unknown, revoked; anonymous ``hello``; unknown paths):
    when it is empty the answer is 429 with Retry-After. A valid token never draws on it, so
    seats behind one NAT with a misconfigured neighbour keep working. None turns it off (the
    default here, for in-process tests; ``linkage serve`` turns it on).

    ``holds`` bounds the held pulls (``central/longpoll.py``); a default one if None."""
    holds = holds or Holds()
    buckets: dict[tuple[str, str, str], TokenBucket] = {}
    failures: OrderedDict[str, TokenBucket] = OrderedDict()
    spec = build_spec()

    def now() -> str:
        return iso(clock.now())

    # -- who is asking ----------------------------------------------------------------------
    def strike(request: Request) -> None:
        """A request without a valid token draws on its address's bucket; 429 once it is empty."""
        if fail_burst is None:
            return
        address = request.client.host if request.client else "-"
        t = monotonic()
        bucket = failures.get(address)
        if bucket is None:
            bucket = failures[address] = TokenBucket(fail_rate, fail_burst, t)
            if len(failures) > MAX_TRACKED_ADDRESSES:
                failures.popitem(last=False)
        else:
            failures.move_to_end(address)
        wait = bucket.take(t)
        if wait > 0:
            seconds = max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
            raise Problem(429, "rate_limited", "too many requests without a valid token from this address;"
                          f" retry in {seconds} s", headers={"Retry-After": str(seconds)})

    def credential(request: Request, *, required: bool = True) -> Credential | None:
        header = request.headers.get("authorization")
        if header is None:
            strike(request)
            if not required:
                return None
            raise Problem(401, "unauthenticated", "this endpoint needs 'Authorization: Bearer <token>'",
                          headers={"WWW-Authenticate": _REALM})
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            strike(request)
            raise Problem(401, "unauthenticated", "the Authorization header must be 'Bearer <token>'",
                          headers={"WWW-Authenticate": _REALM})
        try:
            cred = store.authenticate(token)
        except AuthError as exc:
            strike(request)
            detail = ("this token has been revoked; ask the city administrator for a new one"
                      if exc.reason == "token_revoked" else "unknown token")
            raise Problem(401, exc.reason, detail,
                          headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token"'}) from None
        _note(request, county=cred.county, seat=cred.seat)
        return cred

    def stream_for(request: Request, cred: Credential, *, write: bool) -> str:
        """The path's county, if this credential may use it; another county's stream is
        answered exactly like a stream that does not exist."""
        county = str(request.path_params["county"])
        if write and cred.is_city and "supervise" in cred.scopes:
            # the city supervises any county that exists (its kinds are checked per event)
            if not store.has_stream(county):
                raise Problem(404, "no_such_stream", "no such stream")
            return county
        if write:
            if "push" not in cred.scopes:
                raise Problem(403, "forbidden", "this token may read but not write")
            if cred.county != county:
                raise Problem(404, "no_such_stream", "no such stream for this token")
            return county
        if cred.is_city and "read-all" in cred.scopes:
            if not store.has_stream(county):
                raise Problem(404, "no_such_stream", "no such stream")
            return county
        if "pull" not in cred.scopes:
            raise Problem(403, "forbidden", "this token may not read streams")
        if cred.county != county:
            raise Problem(404, "no_such_stream", "no such stream for this token")
        return county

    def throttle(cred: Credential, kind: str) -> None:
        key = (cred.county, cred.seat, kind)
        t = monotonic()
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = TokenBucket(rate, burst, t)
        wait = bucket.take(t)
        if wait > 0:
            seconds = max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
            raise Problem(429, "rate_limited", f"too many {kind} requests from this seat; retry in {seconds} s",
                          headers={"Retry-After": str(seconds)})

    def admit(request: Request, *, write: bool, bucket: str) -> tuple[Credential, str]:
        """Every stream endpoint's door, cheapest check first: the token (401), its right to
        this county's stream (403/404), then the seat's rate bucket (429)."""
        cred = credential(request)
        assert cred is not None
        county = stream_for(request, cred, write=write)
        throttle(cred, bucket)
        return cred, county

    async def read_object(request: Request) -> dict[str, Any]:
        """The body as a JSON object, never reading more than MAX_BODY_BYTES."""
        cap = protocol.MAX_BODY_BYTES
        length = request.headers.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > cap:
            raise Problem(413, "too_large", f"the body must be at most {cap} bytes")
        data = bytearray()
        try:
            async for chunk in request.stream():
                data += chunk
                if len(data) > cap:
                    raise Problem(413, "too_large", f"the body must be at most {cap} bytes")
        except ClientDisconnect:
            # the seat went away mid-upload (killed, network cut): nothing stored, nobody to
            # answer; logged as such, not as a server failure
            raise Problem(499, "client_disconnected", "the client went away while sending") from None
        try:
            value = json.loads(bytes(data), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise Problem(400, "malformed_json", "the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise Problem(400, "malformed_json", "the body must be a JSON object")
        # A lone surrogate can only come from a \uD800–\uDFFF escape or from raw bytes that
        # json decodes with "surrogatepass" (lead byte 0xED): look only when either is there.
        if b"\\u" in data or b"\xed" in data:
            try:
                json.dumps(value, ensure_ascii=False).encode("utf-8")
            except (UnicodeEncodeError, RecursionError):
                raise Problem(400, "malformed_json", "the body holds text that is not valid Unicode") from None
        return value

    def invalid(detail: str) -> Problem:
        return Problem(422, "invalid_request", detail)

    # -- endpoints --------------------------------------------------------------------------
    async def hello(request: Request) -> Response:
        answer: dict[str, Any] = {
            "server_time": now(), "protocol": protocol.PROTOCOL, "supported": list(protocol.SUPPORTED),
            "limits": {"max_batch_events": protocol.MAX_BATCH_EVENTS, "max_body_bytes": protocol.MAX_BODY_BYTES,
                       "max_pull_limit": protocol.MAX_PULL_LIMIT, "max_missing_ids": protocol.MAX_MISSING_IDS,
                       "max_event_bytes": protocol.MAX_EVENT_BYTES, "rate_per_second": rate, "burst": burst,
                       "id_skew_seconds": id_skew_s, "max_pull_wait_seconds": MAX_WAIT_S},
        }
        cred = credential(request, required=False)
        if cred is not None:
            answer.update(county=cred.county, seat=cred.seat, scopes=list(cred.scopes),
                          epoch=None if cred.is_city else store.epoch(cred.county))
        return JSONResponse(answer)

    async def push(request: Request) -> Response:
        cred, county = admit(request, write=True, bucket="push")
        body = await read_object(request)
        raw_version = body.get("protocol")
        if not _is_int(raw_version):
            raise invalid("'protocol' must be an integer")
        version = int(raw_version)
        if version not in protocol.SUPPORTED:
            raise Problem(426, "unsupported_protocol", f"protocol {version} is not spoken here; update required",
                          supported=list(protocol.SUPPORTED))
        unknown = sorted(set(body) - PUSH_FIELDS)
        if unknown:
            raise invalid(f"unknown field {unknown[0][:64]!r}")
        events = body.get("events")
        if not isinstance(events, list):
            raise invalid("'events' must be a list")
        if not protocol.valid_name(body.get("seat")):
            raise invalid("'seat' must be a short ASCII name")
        if body["seat"] != cred.seat:
            raise invalid("'seat' is not the seat of this token")
        if len(events) > protocol.MAX_BATCH_EVENTS:
            raise Problem(413, "too_large", f"at most {protocol.MAX_BATCH_EVENTS} events per push")
        skipped = read_skipped(body["skipped"]) if "skipped" in body else []  # central/chaining.py
        if isinstance(skipped, str):
            raise invalid(skipped)
        _note(request, events=len(events))
        errors = []
        bodies: list[str] = []
        id_limit = horizon(int(clock.now().timestamp() * 1000), int(id_skew_s * 1000))
        for index, event in enumerate(events):
            # the canonical text is made once: it is the size checked, the bytes hashed and stored
            problem = protocol.check_event(event, seat=cred.seat, check_size=False, id_limit_ms=id_limit)
            if problem is None:
                bodies.append(protocol.canonical(event))
                if len(bodies[-1].encode()) > protocol.MAX_EVENT_BYTES:
                    problem = protocol.TOO_LARGE
            if problem is not None:
                event_id = event.get("id") if isinstance(event, dict) else None
                errors.append({"index": index, "id": event_id if isinstance(event_id, str) else None,
                               "code": problem[0], "detail": problem[1]})
        if cred.is_city:
            outside = [index for index, event in enumerate(events) if event.get("kind") not in CITY_WRITE_KINDS]
            if outside:
                raise Problem(403, "forbidden", "a city token may record only supervision (order.supervised)"
                              f" and notes (incident.noted); event {outside[0]} is neither; nothing was stored")
        if errors:
            raise Problem(422, "invalid_events", f"{len(errors)} of {len(events)} events were refused;"
                          " nothing was stored", errors=errors)
        acks = store.apply_batch(county, cred.seat, events, bodies, skipped, check_chain=True)
        accepted = sum(1 for a in acks if a["status"] == "accepted")
        _note(request, accepted=accepted)
        if accepted:
            holds.wake(county)  # the pulls held for this county answer now
        return JSONResponse({"acks": acks, "epoch": store.epoch(county), "server_time": now()})

    async def pull(request: Request) -> Response:
        cred, county = admit(request, write=False, bucket="pull")
        after = _query_int(request, "after", 0, 0, MAX_AFTER)
        limit = _query_int(request, "limit", DEFAULT_PULL_LIMIT, 1, protocol.MAX_PULL_LIMIT)
        wait = _query_int(request, "wait", 0, 0, MAX_WAIT_S)

        def page(*, empty_too: bool) -> bytes | None:
            texts, next_after, high = store.pull_json(county, after, limit)
            if not texts and not empty_too:
                return None
            if cred.is_city:
                texts = [_without_pin_material(t) for t in texts]
            _note(request, events=len(texts))
            head = json.dumps({"epoch": store.epoch(county), "next_after": next_after, "high_watermark": high,
                               "server_time": now()}, ensure_ascii=False)
            return f'{head[:-1]},"events":[{",".join(texts)}]}}'.encode()

        found = page(empty_too=not wait)
        if found is not None:
            return Response(found, media_type="application/json")
        address = request.client.host if request.client else "-"
        _note(request, held=wait)  # the access log line says the pull was held (up to wait s)
        return StreamingResponse(
            holds.hold(county, address, wait, lambda: page(empty_too=False),
                       lambda: page(empty_too=True) or b""),
            media_type="application/json", headers={"cache-control": "no-store"})

    async def missing(request: Request) -> Response:
        _, county = admit(request, write=True, bucket="pull")
        body = await read_object(request)
        unknown = sorted(set(body) - {"ids"})
        if unknown:
            raise invalid(f"unknown field {unknown[0][:64]!r}")
        ids = body.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise invalid("'ids' must be a list of strings")
        if len(ids) > protocol.MAX_MISSING_IDS:
            raise invalid(f"at most {protocol.MAX_MISSING_IDS} ids per request")
        _note(request, events=len(ids))
        return JSONResponse({"missing": store.missing(county, ids), "epoch": store.epoch(county),
                             "server_time": now()})

    async def registry(request: Request) -> Response:
        _, county = admit(request, write=False, bucket="pull")
        return JSONResponse({"registry": store.registry(county), "epoch": store.epoch(county),
                             "server_time": now()})

    async def city_streams(request: Request) -> Response:
        """Every county stream (name, last seq, epoch): what a city console keeps a replica of.
        City tokens only; a county's token is answered as if the list did not exist."""
        cred = credential(request)
        assert cred is not None
        if not (cred.is_city and "read-all" in cred.scopes):
            raise Problem(404, "not_found", "no such resource for this token")
        throttle(cred, "pull")
        return JSONResponse({"streams": store.streams(), "server_time": now()})

    async def openapi(request: Request) -> Response:
        strike(request)  # served to anyone, so it counts like any request without a token
        return JSONResponse(spec)

    async def http_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        try:
            strike(request)  # probing for paths is a failing request too
        except Problem as problem:
            _note(request, code=problem.code)
            return problem.response()
        _note(request, code=code)
        return Problem(exc.status_code, code, HTTPStatus(exc.status_code).description or code,
                       headers=dict(exc.headers or {})).response()

    async def server_error(request: Request, exc: Exception) -> Response:
        return Problem(500, "internal", "the server failed; try again later").response()

    routes = [
        Route("/v1/hello", _guarded(hello), methods=["GET"]),
        Route("/v1/streams/{county}/events:push", _guarded(push), methods=["POST"]),
        Route("/v1/streams/{county}/events:missing", _guarded(missing), methods=["POST"]),
        Route("/v1/streams/{county}/events", _guarded(pull), methods=["GET"]),
        Route("/v1/streams/{county}/registry", _guarded(registry), methods=["GET"]),
        Route("/v1/openapi.json", _guarded(openapi), methods=["GET"]),
        Route("/v1/streams", _guarded(city_streams), methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(AccessLog, log=log)],
        exception_handlers={HTTPException: http_problem, Exception: server_error},
    )
    app.state.store = store  # for tests and tools that hold only the app
    app.state.holds = holds  # closed by the server's shutdown (central/cli.py)
    return app


def _without_pin_material(text: str) -> str:
    """An event as served to a city reader: no PIN salt or hash at any depth. A city reader
    needs no operator's PIN, and with them a 4-8 digit PIN falls to an offline search. Only
    events that mention such a key are decoded; the rest go out verbatim."""
    if not any(f'"{key}"' in text for key in pins.PIN_FIELDS):
        return text
    return json.dumps(pins.redact(json.loads(text)), ensure_ascii=False, separators=(",", ":"))


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise Problem(422, "invalid_request", f"'{name}' must be an integer from {low} to {high}")
    return int(raw)
