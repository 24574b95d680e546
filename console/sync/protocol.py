"""Sync protocol v1: the event on the wire, its checks, and the limits.

One module for both ends (the seat client and the ``central`` server), so the two can never
disagree on what a valid event is. See docs/sync-protocol.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, TypeGuard

from console.kernel.clock import parse_instant
from console.kernel.ids import DEFAULT_SKEW_MS
from console.kernel.inputs import operator_problem
from console.store import chain
from console.store.payloads import INSTANT_BODY, payload_problem
from console.store.projections import APPLIERS
from console.store.transaction import EventRecord

PROTOCOL = 1
SUPPORTED = (1,)
MAX_BATCH_EVENTS = 500
MAX_BODY_BYTES = 1 << 20
MAX_PULL_LIMIT = 1000
MAX_MISSING_IDS = 1000
MAX_EVENT_BYTES = 256 * 1024
MAX_ID_SKEW_S = DEFAULT_SKEW_MS // 1000  # how far ahead of the server's clock an id may be
MAX_SKIPPED_LINKS = 500  # chain links a push may declare skipped (quarantined on the seat)
FIELDS = chain.CONTENT_FIELDS
CHAIN = "chain"  # the optional hash-chain link {"prev", "hash"} (console/store/chain.py)
_FIELD_SET = frozenset(FIELDS)
_CHAINED_SET = frozenset((*FIELDS, CHAIN))

_UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# The one text form of an instant (console.kernel.clock.iso): UTC, milliseconds. One form only, so
# instants from different seats compare correctly as text (order steps keep the earlier one).
INSTANT = INSTANT_BODY  # one pattern: console/store/payloads.py
_INSTANT = re.compile(INSTANT)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def valid_name(value: object) -> TypeGuard[str]:
    """County and seat names (the envelope: who wrote it): short, ASCII, safe in a URL path
    and a log line."""
    return isinstance(value, str) and bool(_NAME.fullmatch(value))


def to_wire(record: EventRecord) -> dict[str, Any]:
    wire = {
        "id": record.id, "kind": record.kind, "subject": record.subject,
        "happened_at": record.happened_at, "recorded_at": record.recorded_at,
        "seat": record.seat, "operator": record.operator, "payload": record.payload,
    }
    if record.chain_hash is not None:
        wire[CHAIN] = {"prev": record.chain_prev, "hash": record.chain_hash}
    return wire


def from_wire(wire: dict[str, Any]) -> EventRecord:
    """A checked wire event as a record (call ``check_event`` first)."""
    return EventRecord(
        id=wire["id"], kind=wire["kind"], subject=wire["subject"],
        happened_at=wire["happened_at"], recorded_at=wire["recorded_at"], seat=wire["seat"],
        operator=wire["operator"], payload=wire["payload"],
        chain_prev=wire[CHAIN]["prev"] if CHAIN in wire else None,
        chain_hash=wire[CHAIN]["hash"] if CHAIN in wire else None,
    )


def canonical(wire: dict[str, Any]) -> str:
    """The one text form of an event's content that is hashed and stored: its eight fields
    (not the chain link), sorted keys, no spaces."""
    return chain.canonical(wire)



def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_only(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_only(v) for v in value]
    return value


def json_safe(text: str) -> str:
    """``text`` if it is strict JSON, else the same value with NaN/Infinity written as null.

    A server older than the checks may have stored them (Python's json writes them); served as
    they are, a seat's JSON parser would choke on the whole page. Costs a substring scan unless
    one of the two words is there."""
    if "Infinity" not in text and "NaN" not in text:
        return text
    try:
        json.loads(text, parse_constant=_no_constant)
        return text  # the words were inside strings
    except ValueError:
        return json.dumps(_finite_only(json.loads(text)), ensure_ascii=False, separators=(",", ":"))


def content_hash(wire: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(wire).encode()).hexdigest()


def id_millis(event_id: str) -> int:
    """The Unix milliseconds a UUIDv7 carries in its first 48 bits."""
    return int(event_id.replace("-", "")[:12], 16)


def valid_link(value: object) -> bool:
    """A hash-chain link on the wire: ``{"prev": hex or null, "hash": hex}``, nothing else."""
    return (isinstance(value, dict) and value.keys() == {"prev", "hash"} and chain.is_hash(value["hash"])
            and (value["prev"] is None or chain.is_hash(value["prev"])))


def valid_id(value: object) -> bool:
    """An event id: a lowercase UUIDv7."""
    return isinstance(value, str) and bool(_UUID7.fullmatch(value))


def check_event(wire: object, *, seat: str | None = None, check_size: bool = True,
                id_limit_ms: int | None = None) -> tuple[str, str] | None:
    """(code, English detail) for an event that must not be stored, or None if it is fine.

    The envelope, then the payload against its kind's schema (console/store/payloads.py). The
    server and every pulling seat run this same function, so what one accepts the other can
    apply. ``check_size=False`` leaves the size to the caller, who encodes the event anyway
    (the server hashes the canonical form) or already bounded the whole page it came in.
    ``id_limit_ms`` refuses an id whose time lies beyond it (``console.kernel.ids.horizon``): a
    far-future id would win every last-writer-wins comparison for ever.
    """
    if not isinstance(wire, dict):
        return "not_an_object", "an event must be a JSON object"
    if wire.keys() != _FIELD_SET and wire.keys() != _CHAINED_SET:
        unknown = sorted(set(wire) - _CHAINED_SET)
        if unknown:
            return "unknown_field", f"unknown field {unknown[0]!r}"
        absent = [k for k in FIELDS if k not in wire]
        return "missing_field", f"missing field {absent[0]!r}"
    if not isinstance(wire["id"], str) or not _UUID7.fullmatch(wire["id"]):
        return "bad_id", "id must be a lowercase UUIDv7"
    if id_limit_ms is not None and id_millis(wire["id"]) > id_limit_ms:
        return "future_id", "the id's time is ahead of the server's clock by more than the allowed skew"
    if not isinstance(wire["kind"], str) or wire["kind"] not in APPLIERS:
        return "unknown_kind", f"unknown event kind {str(wire['kind'])[:64]!r}"
    if wire["subject"] is not None and not isinstance(wire["subject"], str):
        return "bad_field", "subject must be a string or null"
    for key in ("happened_at", "recorded_at"):
        value = wire[key]
        if not isinstance(value, str) or not _INSTANT.fullmatch(value):
            return "bad_time", f"{key} must be a UTC instant like 2026-11-28T06:00:00.000Z"
        try:
            parse_instant(value)
        except ValueError:
            return "bad_time", f"{key} is not a real instant"
    if not valid_name(wire["seat"]):
        return "bad_seat", "seat must be a short ASCII name"
    if seat is not None and wire["seat"] != seat:
        return "wrong_seat", "an event's seat must be the seat of the token that pushes it"
    bad_operator = operator_problem(wire["operator"])
    if bad_operator is not None:
        return "bad_field", bad_operator
    if not isinstance(wire["payload"], dict):
        return "bad_payload", "payload must be a JSON object"
    if CHAIN in wire and not valid_link(wire[CHAIN]):
        return "bad_chain", "chain must be {prev, hash}: hash 64 lowercase hex digits, prev the same or null"
    problem = payload_problem(wire["kind"], wire["payload"])
    if problem is not None:
        return problem
    if check_size and len(canonical(wire).encode()) > MAX_EVENT_BYTES:
        return TOO_LARGE
    return None


TOO_LARGE = ("too_large", f"an event must be at most {MAX_EVENT_BYTES} bytes")
