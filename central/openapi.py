"""The OpenAPI 3.1 description of the server, written by hand and built from the protocol.

Written by hand so it says exactly what the server does (every problem response, the limits,
the security scheme); built from ``console.sync.protocol`` and ``console.store.projections`` so the event
kinds, their required payload keys and the limits can never drift from the checks. The
schemathesis test holds the server to it.
"""

from __future__ import annotations

from typing import Any

from console.kernel.inputs import VISIBLE_CHAR
from console.store.payloads import json_schemas
from console.store.projections import APPLIERS
from console.sync import protocol

NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # protocol.valid_name
UUID7_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
OPERATOR_PATTERN = VISIBLE_CHAR  # operator_problem: not blank, the same class in both regex dialects
MAX_SEQ = (1 << 63) - 1
JSON = "application/json"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _event_of_kind(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(protocol.FIELDS),
        "properties": {
            "id": _ref("EventId"),
            "kind": {"const": kind},
            "subject": {"type": ["string", "null"]},
            "happened_at": _ref("Instant"),
            "recorded_at": _ref("Instant"),
            "seat": _ref("Name"),
            "operator": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": OPERATOR_PATTERN},
            "payload": payload,
            "chain": _ref("ChainLink"),
        },
    }


def _problem(description: str, *, headers: dict[str, Any] | None = None,
             schema: str = "Problem") -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {PROBLEM: {"schema": _ref(schema)}}}
    if headers:
        answer["headers"] = headers
    return answer


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


_WWW_AUTH = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}
_RETRY_AFTER = {"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1}}}


def _stream_errors(*, body: bool, write: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {
        "401": _problem("Missing, unknown (`unauthenticated`) or revoked (`token_revoked`) token.",
                        headers=_WWW_AUTH),
        "403": _problem("`forbidden`: the token's scopes do not allow this."),
        "404": _problem("`no_such_stream`: the path's county is not the token's county."),
        "422": _problem("`invalid_request` (bad query or body shape)"
                        + (" or `invalid_events` (see `errors`)." if write else "."), schema="InvalidProblem"),
        "429": _problem("`rate_limited`: this seat's token bucket is empty, or (without a valid token) this"
                        " address's failure bucket.", headers=_RETRY_AFTER),
        "500": _problem("`internal`: server trouble; back off and retry."),
    }
    if body:
        errors["400"] = _problem("`malformed_json`: the body is not JSON or not a JSON object.")
        errors["413"] = _problem(f"`too_large`: body over {protocol.MAX_BODY_BYTES} bytes"
                                 + (f" or more than {protocol.MAX_BATCH_EVENTS} events." if write else "."))
    return errors


def _county() -> dict[str, Any]:
    return {"name": "county", "in": "path", "required": True,
            "description": "The county whose stream this is; must be the token's county.",
            "schema": _ref("Name")}


def build_spec() -> dict[str, Any]:
    kinds = sorted(APPLIERS)
    # every kind's payload schema, generated from the very types the server checks with
    payloads, components = json_schemas()
    schemas: dict[str, Any] = {
        **components,
        "Name": {"type": "string", "pattern": NAME_PATTERN},
        "EventId": {"type": "string", "pattern": UUID7_PATTERN, "description": "lowercase UUIDv7"},
        "Instant": {"type": "string", "format": "date-time", "pattern": f"^{protocol.INSTANT}$"},
        "ChainHash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                      "description": "a hash-chain link (docs/sync-protocol.md, \"Hash chain\")"},
        "ChainLink": {
            "type": "object", "additionalProperties": False, "required": ["prev", "hash"],
            "description": "The event's link in its seat's hash chain (docs/sync-protocol.md, \"Hash chain\").",
            "properties": {"prev": {"oneOf": [_ref("ChainHash"), {"type": "null"}]}, "hash": _ref("ChainHash")},
        },
        "SkippedLink": {
            "type": "object", "additionalProperties": False, "required": ["id", "prev", "hash"],
            "properties": {"id": _ref("EventId"), "prev": {"oneOf": [_ref("ChainHash"), {"type": "null"}]},
                           "hash": _ref("ChainHash")},
        },
        "Event": {
            "description": "One event on the wire. `kind` must be known and its payload must match "
                           "that kind's schema (console/store/payloads.py); unknown fields are refused at any "
                           "depth. Every event's `seat` must be the token's seat, and its id may not run "
                           "ahead of the server's clock by more than `limits.id_skew_seconds`.",
            "oneOf": [_event_of_kind(k, payloads[k]) for k in kinds if k in payloads],
        },
        "StoredEvent": {
            "type": "object",
            "required": [*protocol.FIELDS, "seq", "received_at"],
            "properties": {
                "id": _ref("EventId"),
                "kind": {"type": "string", "enum": kinds},
                "subject": {"type": ["string", "null"]},
                "happened_at": {"type": "string"},
                "recorded_at": {"type": "string"},
                "seat": _ref("Name"),
                "operator": {"type": "string"},
                "payload": {"type": "object"},
                "chain": {"type": "object"},
                "seq": {"type": "integer", "minimum": 1},
                "received_at": {"type": "string"},
            },
        },
        "PushRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["protocol", "seat", "events"],
            "properties": {
                "protocol": {"type": "integer", "enum": list(protocol.SUPPORTED),
                             "description": "Any other version is answered 426 `unsupported_protocol`."},
                "seat": {**_ref("Name"), "description": "Must be the token's seat."},
                "events": {"type": "array", "maxItems": protocol.MAX_BATCH_EVENTS, "items": _ref("Event")},
                "skipped": {"type": "array", "maxItems": protocol.MAX_SKIPPED_LINKS, "items": _ref("SkippedLink"),
                            "description": "Chain links of this seat's quarantined events, bridged by the server."},
            },
        },
        "Ack": {
            "oneOf": [
                {"type": "object", "required": ["id", "status", "seq"], "properties": {
                    "id": {"type": "string"}, "status": {"enum": ["accepted", "duplicate"]},
                    "seq": {"type": "integer", "minimum": 1}}},
                {"type": "object", "required": ["id", "status", "code"], "properties": {
                    "id": {"type": "string"}, "status": {"const": "conflict"}, "code": {"type": "string"}}},
                {"type": "object", "required": ["id", "status", "code", "detail"], "properties": {
                    "id": {"type": "string"}, "status": {"const": "rejected"},
                    "code": {"enum": ["chain_break", "bad_hash", "chain_missing"]}, "detail": {"type": "string"}}},
            ],
        },
        "PushResponse": {
            "type": "object",
            "required": ["acks", "epoch", "server_time"],
            "properties": {"acks": {"type": "array", "items": _ref("Ack")}, "epoch": {"type": "string"},
                           "server_time": {"type": "string"}},
        },
        "PullResponse": {
            "type": "object",
            "required": ["epoch", "events", "next_after", "high_watermark", "server_time"],
            "properties": {
                "epoch": {"type": "string"},
                "events": {"type": "array", "items": _ref("StoredEvent")},
                "next_after": {"type": "integer", "minimum": 0},
                "high_watermark": {"type": "integer", "minimum": 0},
                "server_time": {"type": "string"},
            },
        },
        "MissingRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["ids"],
            "properties": {"ids": {"type": "array", "maxItems": protocol.MAX_MISSING_IDS,
                                   "items": {"type": "string"}}},
        },
        "MissingResponse": {
            "type": "object",
            "required": ["missing", "epoch", "server_time"],
            "properties": {"missing": {"type": "array", "items": {"type": "string"}},
                           "epoch": {"type": "string"}, "server_time": {"type": "string"}},
        },
        "RegistryResponse": {
            "type": "object",
            "required": ["registry", "epoch", "server_time"],
            "properties": {
                "registry": {"oneOf": [{"type": "null"}, {
                    "type": "object", "required": ["event_id", "seq", "recorded_at", "version", "body"],
                    "properties": {"event_id": {"type": "string"}, "seq": {"type": "integer"},
                                   "recorded_at": {"type": "string"}, "version": {}, "body": {}}}]},
                "epoch": {"type": "string"},
                "server_time": {"type": "string"},
            },
        },
        "StreamsResponse": {
            "type": "object",
            "required": ["streams", "server_time"],
            "properties": {
                "streams": {"type": "array", "items": {
                    "type": "object", "required": ["county", "last_seq", "epoch"],
                    "properties": {"county": {"type": "string"}, "last_seq": {"type": "integer"},
                                   "epoch": {"type": "string"}}}},
                "server_time": {"type": "string"},
            },
        },
        "Hello": {
            "type": "object",
            "required": ["server_time", "protocol", "supported", "limits"],
            "properties": {
                "server_time": {"type": "string"},
                "protocol": {"type": "integer"},
                "supported": {"type": "array", "items": {"type": "integer"}},
                "limits": {"type": "object"},
                "county": {"type": "string"},
                "seat": {"type": "string"},
                "scopes": {"type": "array", "items": {"type": "string"}},
                "epoch": {"type": ["string", "null"]},
            },
        },
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "code", "detail"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "code": {"type": "string"}, "detail": {"type": "string"},
                "supported": {"type": "array", "items": {"type": "integer"}},
            },
        },
        "InvalidProblem": {
            "allOf": [_ref("Problem")],
            "properties": {"errors": {"type": "array", "items": {
                "type": "object", "required": ["index", "id", "code", "detail"],
                "properties": {"index": {"type": "integer", "minimum": 0}, "id": {"type": ["string", "null"]},
                               "code": {"type": "string"}, "detail": {"type": "string"}}}}},
        },
    }
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    paths: dict[str, Any] = {
        "/v1/hello": {"get": {
            "operationId": "hello",
            "summary": "Server time, protocol versions and limits; with a token also who it is.",
            "description": "No token needed. A token that is sent must be valid, so a seat learns of a "
                           "revoked token here too.",
            "security": [{}, *bearer],
            "responses": {
                "200": _ok("The server is up.", "Hello"),
                "401": _problem("A token was sent and it is unknown or revoked.", headers=_WWW_AUTH),
                "429": _problem("`rate_limited`: too many requests without a valid token from this address.",
                                headers=_RETRY_AFTER),
                "500": _problem("`internal`: server trouble."),
            },
        }},
        "/v1/streams/{county}/events:push": {"post": {
            "operationId": "push",
            "summary": "Append a batch of events to the county's stream, in one transaction.",
            "security": bearer,
            "parameters": [_county()],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("PushRequest")}}},
            "responses": {
                "200": _ok("One ack per pushed event, in the pushed order.", "PushResponse"),
                "426": _problem("`unsupported_protocol`: `supported` lists the versions spoken here."),
                **_stream_errors(body=True, write=True),
            },
        }},
        "/v1/streams/{county}/events": {"get": {
            "operationId": "pull",
            "summary": "The county's events after a seq, oldest first.",
            "security": bearer,
            "parameters": [
                _county(),
                {"name": "after", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ, "default": 0}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": protocol.MAX_PULL_LIMIT,
                            "default": 500}},
            ],
            "responses": {"200": _ok("A page of events.", "PullResponse"),
                          **_stream_errors(body=False, write=False)},
        }},
        "/v1/streams/{county}/events:missing": {"post": {
            "operationId": "missing",
            "summary": "Which of these event ids the county's stream lacks (used after an epoch change).",
            "security": bearer,
            "parameters": [_county()],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("MissingRequest")}}},
            "responses": {"200": _ok("The ids the server lacks, in the asked order.", "MissingResponse"),
                          **_stream_errors(body=True, write=False)},
        }},
        "/v1/streams/{county}/registry": {"get": {
            "operationId": "registry",
            "summary": "The county's newest unit registry (`catalog.loaded` payload), or null.",
            "security": bearer,
            "parameters": [_county()],
            "responses": {"200": _ok("The newest registry.", "RegistryResponse"),
                          **_stream_errors(body=False, write=False)},
        }},
        "/v1/streams": {"get": {
            "operationId": "streams",
            "summary": "Every county's stream (name, last seq, epoch): for city tokens only.",
            "security": bearer,
            "responses": {
                "200": _ok("The streams, by county.", "StreamsResponse"),
                "401": _problem("Missing, unknown (`unauthenticated`) or revoked (`token_revoked`) token.",
                                headers=_WWW_AUTH),
                "404": _problem("`not_found`: not a city token."),
                "429": _problem("`rate_limited`.", headers=_RETRY_AFTER),
                "500": _problem("`internal`: server trouble."),
            },
        }},
        "/v1/openapi.json": {"get": {
            "operationId": "openapi",
            "summary": "This description.",
            "security": [{}],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}},
                          "500": _problem("`internal`: server trouble.")},
        }},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Linkage city server", "version": str(protocol.PROTOCOL),
                 "description": "Sync protocol v1 between county seats and the city server "
                                "(docs/sync-protocol.md)."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A seat token from `linkage server add-seat`."}},
        },
    }
