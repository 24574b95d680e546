"""``linkage audit verify``: check a seat database's hash chains end to end (console/store/chain.py).

Every chained event's stored hash must be the link of its stored content after its stored
``prev``; each seat's links must form one unbroken line. This seat's own chain must be whole
(a gap means an event was deleted); another seat's chain is checked as far as this database
holds it (gaps are reported, not failures: events that seat kept quarantined never arrive).
A shared event of this seat left without a link after its chain began means a link was wiped.
Findings name the event, so a single edited byte in a payload or a time is pointed at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from console.store.chain import CONTENT_FIELDS, Finding, Link, canonical, link, walk
from console.store.transaction import Store


@dataclass
class SeatChain:
    seat: str
    origin: str  # local (this seat's own) | remote (pulled)
    links: int = 0
    gaps: int = 0
    problems: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"seat": self.seat, "origin": self.origin, "links": self.links, "gaps": self.gaps,
                "problems": self.problems, "ok": self.problems == 0}


@dataclass
class AuditReport:
    events: int = 0
    unchained: int = 0  # events outside any chain (made before it, or drills kept home)
    seats: list[SeatChain] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    gaps: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "unchained": self.unchained,
                "seats": [s.to_json() for s in self.seats],
                "problems": [p.to_json() for p in self.problems], "gaps": [g.to_json() for g in self.gaps]}


def stored_link(row: Any) -> Link:
    """A chained event row as a chain link, its content re-hashed from the stored columns."""
    try:
        event = {k: row[k] for k in CONTENT_FIELDS if k != "payload"}
        event["payload"] = json.loads(row["payload"])
        content_ok = link(row["chain_prev"], canonical(event)) == row["chain_hash"]
    except (ValueError, TypeError):
        content_ok = False  # the payload is no longer even JSON
    return Link(row["id"], row["chain_prev"], row["chain_hash"], content_ok)


def verify_seat(store: Store) -> AuditReport:
    report = AuditReport()
    report.events = int(store.one("SELECT count(*) FROM events")[0])  # type: ignore[index]
    report.unchained = int(store.one("SELECT count(*) FROM events WHERE chain_hash IS NULL")[0])  # type: ignore[index]
    groups: dict[tuple[str, str], list[Link]] = {}
    for row in store.conn.execute(
            "SELECT id, kind, subject, happened_at, recorded_at, seat, operator, payload, chain_prev,"
            " chain_hash, origin FROM events WHERE chain_hash IS NOT NULL ORDER BY seq"):
        groups.setdefault((row["seat"], row["origin"]), []).append(stored_link(row))
    for (seat, origin), links in sorted(groups.items()):
        chain = SeatChain(seat, origin)
        chain.links, findings = walk(seat, links)
        for finding in findings:
            if finding.code == "gap" and origin == "remote":
                chain.gaps += 1
                report.gaps.append(finding)
            else:
                chain.problems += 1
                report.problems.append(finding)
        report.seats.append(chain)
    for row in _wiped(store):
        report.problems.append(Finding(row[1], row[0], "unchained",
                                       "a shared event of this seat has no chain link after its chain began"))
        for chain in report.seats:
            if (chain.seat, chain.origin) == (row[1], "local"):
                chain.problems += 1
    return report


def _wiped(store: Store) -> list[Any]:
    """This seat's events made after its chain began, shared (not a drill kept home), unlinked."""
    return store.all(
        "SELECT e.id, e.seat FROM events e WHERE e.origin = 'local' AND e.chain_hash IS NULL"
        " AND e.seq > (SELECT min(f.seq) FROM events f WHERE f.seat = e.seat AND f.origin = 'local'"
        "              AND f.chain_hash IS NOT NULL)"
        " AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.drill = 1"
        "                 AND i.id = coalesce(CASE WHEN json_valid(e.payload)"
        "                                     THEN json_extract(e.payload, '$.incident_id') END, e.subject))"
        " ORDER BY e.seq")
