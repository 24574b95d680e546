"""Tamper evidence: each seat's events form a hash chain (docs/sync-protocol.md, "Hash chain").

Accountability rests on order times nobody can quietly edit. Every event a seat shares carries
``hash = SHA-256("linkage-chain-v1\\n" + prev + "\\n" + canonical)``, where ``canonical`` is
the event's eight fields (id, kind, subject, happened_at, recorded_at, seat, operator, payload)
as canonical JSON (sorted keys, no spaces, UTF-8) and ``prev`` the hash of the seat's previous
shared event (empty for the seat's first chained event). Editing one byte of an event changes
its hash; putting a matching hash back breaks the link from the next event. The city server
checks every link on push and keeps the hashes, so a seat cannot rewrite what it has synced,
and neither side can edit a stored event without ``linkage audit verify`` naming it.

This module is pure (no SQLite, no I/O): the seat's store, the sync protocol, the server and
both audits use the one definition.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_DOMAIN = b"linkage-chain-v1\n"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# allow_nan=False: NaN and Infinity are not JSON (the server never stores nor serves them)
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
CONTENT_FIELDS = ("id", "kind", "subject", "happened_at", "recorded_at", "seat", "operator", "payload")


def canonical(event: Mapping[str, Any]) -> str:
    """The one text form of an event's content that is hashed (and stored by the server)."""
    return _CANONICAL.encode({k: event[k] for k in CONTENT_FIELDS})


def link(prev: str | None, canonical_text: str) -> str:
    """The chain hash of an event whose content is ``canonical_text``, after ``prev``."""
    digest = hashlib.sha256(_DOMAIN)
    digest.update((prev or "").encode())
    digest.update(b"\n")
    digest.update(canonical_text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def is_hash(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX64.fullmatch(value))


@dataclass(frozen=True)
class Link:
    """One element of a seat's chain as found in a store. ``content_ok`` says whether the
    stored hash is the hash of the stored content after ``prev`` (None: content not kept, a
    link the seat declared skipped)."""

    event_id: str
    prev: str | None
    hash: str
    content_ok: bool | None = True


@dataclass(frozen=True)
class Finding:
    """Something wrong (or, for a ``gap`` in a chain only partly held, worth knowing)."""

    seat: str
    event_id: str
    code: str  # hash_mismatch | fork | gap | second_start | unchained
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"seat": self.seat, "event": self.event_id, "code": self.code, "detail": self.detail}


def walk(seat: str, links: Iterable[Link]) -> tuple[int, list[Finding]]:
    """Check one seat's chain in whatever order its links come: (links held, findings).

    Every link must hash its own content; no two links may follow the same one (a fork: a
    rewritten or replayed history); only one may start the chain; a link whose ``prev`` is
    not held is a ``gap`` (an event deleted, or never received by this store).
    """
    items = list(links)
    findings: list[Finding] = []
    by_hash = {item.hash for item in items}
    followers: dict[str | None, list[Link]] = {}
    for item in items:
        if item.content_ok is False:
            findings.append(Finding(seat, item.event_id, "hash_mismatch",
                                    "the event's content or chain fields were changed after it was recorded"))
        followers.setdefault(item.prev, []).append(item)
    for prev, after in followers.items():
        if prev is None:
            for extra in sorted(after, key=lambda i: i.event_id)[1:]:
                findings.append(Finding(seat, extra.event_id, "second_start",
                                        "a second event starts this seat's chain"))
            continue
        if len(after) > 1:
            for extra in sorted(after, key=lambda i: i.event_id)[1:]:
                findings.append(Finding(seat, extra.event_id, "fork",
                                        f"another event already follows {prev[:12]}…"))
        if prev not in by_hash:
            for item in after:
                findings.append(Finding(seat, item.event_id, "gap",
                                        f"the event before it ({prev[:12]}…) is not in this store"))
    return len(items), findings
