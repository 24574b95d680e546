"""Each operator's record (接警员考核) and the center's answer→order figure (NFPA 1225 style).

Who did what is read from the event log (``events.operator``), the one place every seat's
work arrives at, by kind and time (index ``events_kind_at``):

* calls taken: ``incident.created`` and ``call.added`` (a repeat merged into an incident is
  still a call someone answered);
* answer → first order: from the incident's creation (the call as recorded) to its first order,
  for incidents the center took itself that needed a linkage order (not merged away);
* ring → answer: this seat's phone feed (``phone_calls``, seat-local), each answered call given
  to the operator signed in at this seat when it was answered;
* transfers (转警), merges (合并) and corrections of triage (改类别) by who recorded them.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from typing import Any

from console.assessment.model import CenterFigure, OperatorRecord
from console.kernel.clock import iso, parse_instant
from console.store.queries import Reader

_IN = "e.happened_at >= :start AND e.happened_at < :end"

_CALLS = f"""
SELECT e.operator, count(*) FROM events e JOIN incidents i ON i.id = e.subject
WHERE e.kind IN ('incident.created', 'call.added') AND {_IN} AND i.drill = 0
GROUP BY e.operator
"""

# Each incident the center took that needed an order: seconds from its creation to its first
# order (NULL when none was issued by the cut-off).
_ANSWER_ORDER = f"""
WITH x AS MATERIALIZED (
  SELECT e.operator AS op, (SELECT round((julianday(min(o.issued_at)) - julianday(i.created_at)) * 86400.0, 3)
                            FROM orders o WHERE o.incident_id = i.id AND o.issued_at < :cut) AS v
  FROM events e JOIN incidents i ON i.id = e.subject
  WHERE e.kind = 'incident.created' AND {_IN} AND i.drill = 0 AND i.status != 'merged'
    AND i.source = 'center'
    AND (i.disposition = 'linkage' OR EXISTS (SELECT 1 FROM orders o WHERE o.incident_id = i.id))
), r AS MATERIALIZED (
  SELECT op, v, row_number() OVER (PARTITION BY op ORDER BY v) AS rn,
         count(v) OVER (PARTITION BY op) AS n FROM x WHERE v IS NOT NULL
)
SELECT x.op, count(*), total(x.v <= 60.0), total(x.v <= 120.0),
       (SELECT max(CASE WHEN rn = (50 * n + 99) / 100 THEN r.v END) FROM r WHERE r.op = x.op),
       (SELECT max(CASE WHEN rn = (90 * n + 99) / 100 THEN r.v END) FROM r WHERE r.op = x.op)
FROM x GROUP BY x.op
"""

_BY_KIND = f"""
SELECT e.operator, count(*) FROM events e JOIN incidents i ON i.id = e.subject
WHERE e.kind = :kind AND {_IN} AND i.drill = 0 GROUP BY e.operator
"""

_TRANSFERS = """
SELECT t.operator, count(*) FROM incident_transfers t JOIN incidents i ON i.id = t.incident_id
WHERE t.transferred_at >= :start AND t.transferred_at < :end AND i.drill = 0 GROUP BY t.operator
"""


def nearest_rank(values: list[float], pct: int) -> float | None:
    """The value at rank ceil(pct·n/100) of the sorted values: the same rule as the SQL."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, (pct * len(ordered) + 99) // 100) - 1]


def _ring_answer(db: Reader, seat: str, start: datetime, end: datetime) -> dict[str, list[float]]:
    """Ring → answer seconds of this seat's answered calls, by the operator signed in then."""
    signs = db.all("SELECT happened_at, operator, kind FROM events WHERE seat = ? AND kind IN"
                   " ('operator.signed_in', 'operator.signed_out') AND happened_at < ?"
                   " ORDER BY happened_at, seq", (seat, iso(end)))
    times = [r[0] for r in signs]
    who = [r[1] if r[2] == "operator.signed_in" else "" for r in signs]
    out: dict[str, list[float]] = {}
    for r in db.all("SELECT rang_at, ended_at FROM phone_calls WHERE state = 'answered' AND drill = 0"
                    " AND rang_at >= ? AND rang_at < ? AND ended_at IS NOT NULL",
                    (iso(start), iso(end))):
        at = bisect_right(times, r[1]) - 1
        login = who[at] if at >= 0 else ""
        secs = (parse_instant(r[1]) - parse_instant(r[0])).total_seconds()
        out.setdefault(login or "-", []).append(max(0.0, secs))
    return out


def operator_records(db: Reader, seat: str, start: datetime, end: datetime, cut: datetime
                     ) -> tuple[list[OperatorRecord], CenterFigure]:
    p = {"start": iso(start), "end": iso(min(end, cut)), "cut": iso(cut)}
    names = {r[0]: r[1] for r in db.all("SELECT login, name FROM operators")}
    data: dict[str, dict[str, Any]] = {}

    def row(login: str) -> dict[str, Any]:
        return data.setdefault(login, {"login": login, "name": names.get(login, "")})

    for r in db.all(_CALLS, p):
        row(r[0])["calls"] = int(r[1])
    total = [0, 0, 0]
    for r in db.all(_ANSWER_ORDER, p):
        d = row(r[0])
        d.update(dispatched=int(r[1]), within_60=int(r[2]), within_120=int(r[3]),
                 answer_order_p50_s=r[4], answer_order_p90_s=r[5])
        total = [total[0] + int(r[1]), total[1] + int(r[2]), total[2] + int(r[3])]
    for kind, key in (("incident.merged", "merges"), ("incident.recategorized", "recategorized")):
        for r in db.all(_BY_KIND, {**p, "kind": kind}):
            row(r[0])[key] = int(r[1])
    for r in db.all(_TRANSFERS, p):
        row(r[0])["transfers"] = int(r[1])
    for login, secs in _ring_answer(db, seat, start, min(end, cut)).items():
        row(login).update(answered=len(secs), ring_answer_p50_s=nearest_rank(secs, 50),
                          ring_answer_p90_s=nearest_rank(secs, 90))
    records = sorted((OperatorRecord(**d) for d in data.values()), key=lambda o: (-o.calls, o.login))
    return records, CenterFigure(*total)
