"""Learning from the floor: the call-taker's corrections of triage, as recorded in the log.

Every time a call-taker chose another category than triage's top suggestion (or chose one where
triage abstained), intake recorded an ``incident.triage_corrected`` event on the incident, so it
syncs like any other fact. This module reads them back: ``linkage triage report`` shows the
confusion (suggested → chosen, with counts), ``linkage triage train --with-corrections`` folds the
corrected calls (the incident's account, labelled with the chosen category) into training.
Drills are left out: a trainee's choice is not the center's judgement.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from console.kernel.clock import iso


class _Reads(Protocol):
    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]: ...


@dataclass(frozen=True)
class Correction:
    incident_id: str
    at: str
    text: str
    suggested: str | None
    chosen: str
    abstained: bool


def corrections(db: _Reads, start: datetime | None = None, end: datetime | None = None) -> list[Correction]:
    """Corrections recorded between ``start`` and ``end`` (inclusive, any when ``None``), oldest
    first, drills excluded; the latest correction of an incident wins."""
    sql = ("SELECT e.subject, e.happened_at, e.payload, i.text FROM events e JOIN incidents i ON i.id = e.subject"
           " WHERE e.kind = 'incident.triage_corrected' AND i.drill = 0")
    params: list[str] = []
    if start is not None:
        sql += " AND e.happened_at >= ?"
        params.append(iso(start))
    if end is not None:
        sql += " AND e.happened_at <= ?"
        params.append(iso(end))
    latest: dict[str, Correction] = {}
    for subject, at, payload, text in db.all(sql + " ORDER BY e.seq", tuple(params)):
        p = json.loads(payload)
        latest[subject] = Correction(subject, at, text or "", p.get("suggested"), p["chosen"],
                                     bool(p.get("abstained")))
    return sorted(latest.values(), key=lambda c: (c.at, c.incident_id))


def confusion(rows: list[Correction]) -> list[tuple[str, str, int]]:
    """(suggested or "", chosen, count), most frequent first, then by codes."""
    counts = Counter((c.suggested or "", c.chosen) for c in rows)
    return sorted(((s, ch, n) for (s, ch), n in counts.items()), key=lambda x: (-x[2], x[0], x[1]))
