"""``linkage server audit``: check the server store's events and hash chains end to end.

The server keeps each event's canonical text verbatim (``body``), its SHA-256 (``hash``) and
its chain link (``chain_prev``, ``chain_hash``, console/store/chain.py), so nothing is re-serialised:
every stored body must hash to its ``hash``; a chained one must also be the link of its body
after its ``prev``; each (county, seat) chain, bridged by the links the seat declared skipped,
must be one unbroken line ending at the head the server recorded; and no unchained event may
follow a seat's chain (the server refuses those on push). Findings name the event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from central.store import CentralStore
from console.store.chain import Finding, Link, link, walk


def verify_server(store: CentralStore) -> dict[str, Any]:
    problems: list[dict[str, str]] = []
    chains: dict[tuple[str, str], list[Link]] = {}
    first_chained: dict[tuple[str, str], int] = {}
    events = 0
    with store._lock:
        rows = store.conn.execute(
            "SELECT county, seq, id, seat, body, hash, chain_prev, chain_hash FROM events ORDER BY county, seq")
        for row in rows:
            events += 1
            key = (row["county"], row["seat"])
            body = row["body"]
            fine = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest() == row["hash"]
            try:
                wire = json.loads(body)
                fine = fine and isinstance(wire, dict) and (wire.get("id"), wire.get("seat")) == (
                    row["id"], row["seat"])
            except ValueError:
                fine = False
            if row["chain_hash"] is None:
                if not fine:
                    problems.append(_problem(row["county"], Finding(
                        row["seat"], row["id"], "hash_mismatch", "the stored event no longer matches its hash")))
                if key in first_chained:
                    problems.append(_problem(row["county"], Finding(
                        row["seat"], row["id"], "unchained", "an unchained event after this seat's chain began")))
                continue
            first_chained.setdefault(key, row["seq"])
            fine = fine and link(row["chain_prev"], body) == row["chain_hash"]
            chains.setdefault(key, []).append(Link(row["id"], row["chain_prev"], row["chain_hash"], fine))
        for row in store.conn.execute("SELECT id, county, seat, prev, hash FROM chain_skips"):
            chains.setdefault((row["county"], row["seat"]), []).append(
                Link(row["id"], row["prev"], row["hash"], None))
        heads = {(r["county"], r["seat"]): (r["hash"], r["event_id"])
                 for r in store.conn.execute("SELECT county, seat, hash, event_id FROM chain_heads")}
    seats = []
    for (county, seat), links in sorted(chains.items()):
        held, findings = walk(seat, links)
        followed = {item.prev for item in links}
        head = heads.get((county, seat))
        ends = [item for item in links if item.hash not in followed]
        if head is None or head[0] not in {item.hash for item in links}:
            findings.append(Finding(seat, head[1] if head else "", "head_mismatch",
                                    "the recorded chain head is not among this seat's links"))
        elif [e.hash for e in ends] != [head[0]]:
            findings.append(Finding(seat, head[1], "head_mismatch",
                                    "the recorded chain head is not the end of this seat's chain"))
        problems += [_problem(county, f) for f in findings]
        seats.append({"county": county, "seat": seat, "links": held,
                      "skipped": sum(1 for item in links if item.content_ok is None),
                      "problems": len(findings), "ok": not findings})
    return {"ok": not problems, "events": events, "seats": seats, "problems": problems}


def _problem(county: str, finding: Finding) -> dict[str, str]:
    return {"county": county, **finding.to_json()}
