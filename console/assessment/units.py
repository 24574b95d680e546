"""Each unit's record and the three lists, computed in SQL over the orders' milestone columns.

Why SQL and not Python over ``Order`` objects: a busy county's year is 400,000 orders; reading
and parsing each one's step document costs seconds, while the counts, the on-time judgements and
the percentiles below run inside SQLite over plain columns (migration "assessment"). The rules
(docs/assessment.md) in short:

* **Scope**: orders *issued* in the period (center-local days), whose incident is no drill; an
  order on a merged repeat is left out when the incident it was merged into has an order to the
  same unit (the same job, counted once).
* **Cut-off**: nothing after ``min(period end, now)`` is seen, so a report is the same whenever
  it is re-run; an order still open at the end is judged as it stood then.
* **Window**: a unit answers for its order until the order is handed over, reassigned, cancelled
  or its return accepted (``ended_at``), or the cut-off. A stage is *on time* when met by its
  deadline; *late* when met after it, or unmet and the deadline passed inside the window;
  otherwise not judged (the job left the unit before it was due, or it was not yet due).
* A handed-over order charges the first unit up to the handover, and the receiving unit from its
  own order's issue (the handover), on that order's own deadlines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from console.assessment.model import (
    CALLBACK_RESULTS,
    SUPERVISE_LEVELS,
    ListedOrder,
    StageFigure,
    UnitRecord,
)
from console.catalog.registry import Catalog
from console.kernel.clock import parse_instant
from console.store.queries import Reader

# The orders in scope with their milestones as of the cut-off (:start, :end, :cut).
SCOPE = """
WITH s AS MATERIALIZED (
  SELECT o.no, o.id, o.unit, o.status, o.issued_at, o.incident_id, i.no AS incident_no,
         min(coalesce(o.ended_at, '~'), :cut) AS we,
         CASE WHEN o.taken_at < :cut THEN o.taken_at END AS t,
         CASE WHEN o.departed_at < :cut THEN o.departed_at END AS dp,
         CASE WHEN o.arrived_at < :cut THEN o.arrived_at END AS ar,
         CASE WHEN o.fed_back_at < :cut THEN o.fed_back_at END AS fb,
         CASE WHEN o.ended_at < :cut THEN o.ended_at END AS en,
         o.ack_due, o.depart_due, o.arrive_due, o.feedback_due
  FROM orders o JOIN incidents i ON i.id = o.incident_id
  WHERE o.issued_at >= :start AND o.issued_at < :end AND i.drill = 0
    AND NOT (i.status = 'merged' AND EXISTS (
        SELECT 1 FROM orders k WHERE k.incident_id = i.merged_into AND k.unit = o.unit))
), g AS (
  SELECT *,
    CASE WHEN ack_due IS NULL THEN NULL WHEN t <= ack_due THEN 1
         WHEN t IS NOT NULL OR ack_due < we THEN 0 END AS ack_ok,
    CASE WHEN depart_due IS NULL THEN NULL WHEN dp <= depart_due THEN 1
         WHEN dp IS NOT NULL OR depart_due < we THEN 0 END AS dp_ok,
    CASE WHEN arrive_due IS NULL THEN NULL WHEN ar <= arrive_due THEN 1
         WHEN ar IS NOT NULL OR arrive_due < we THEN 0 END AS ar_ok,
    CASE WHEN feedback_due IS NULL THEN NULL WHEN fb <= feedback_due THEN 1
         WHEN fb IS NOT NULL OR feedback_due < we THEN 0 END AS fb_ok
  FROM s
)
"""

_PER_UNIT = SCOPE + """
SELECT unit, count(*) AS received,
  total(ack_ok = 1), total(ack_ok = 0), total(ar_ok = 1), total(ar_ok = 0),
  total(fb_ok = 1), total(fb_ok = 0),
  total(status = 'reassigned' AND en IS NOT NULL), total(status = 'handed_over' AND en IS NOT NULL),
  total(status = 'cancelled' AND en IS NOT NULL)
FROM g GROUP BY unit
"""

# Nearest-rank percentiles (the value at rank ceil(p·n/100)), per unit and stage, in SQLite.
_PERCENTILES = SCOPE + """
, d AS (
  SELECT unit, 'ack' AS k, round((julianday(t) - julianday(issued_at)) * 86400.0, 3) AS v FROM s WHERE t IS NOT NULL
  UNION ALL
  SELECT unit, 'arrive', round((julianday(ar) - julianday(issued_at)) * 86400.0, 3) FROM s WHERE ar IS NOT NULL
  UNION ALL
  SELECT unit, 'feedback', round((julianday(fb) - julianday(issued_at)) * 86400.0, 3) FROM s WHERE fb IS NOT NULL
), r AS (
  SELECT unit, k, v, row_number() OVER (PARTITION BY unit, k ORDER BY v) AS rn,
         count(*) OVER (PARTITION BY unit, k) AS n FROM d
)
SELECT unit, k, max(CASE WHEN rn = (50 * n + 99) / 100 THEN v END),
       max(CASE WHEN rn = (90 * n + 99) / 100 THEN v END)
FROM r GROUP BY unit, k
"""

# The tables of accountability (returns, urges, supervisions, callbacks) hold far fewer rows
# than the orders: each query below is driven by its own table and joins the order in scope by
# its key (CROSS JOIN keeps that order: the planner cannot start from the orders), instead of
# materializing the period's orders again.
_IN_SCOPE = """o.issued_at >= :start AND o.issued_at < :end AND i.drill = 0
  AND NOT (i.status = 'merged' AND EXISTS (
      SELECT 1 FROM orders k WHERE k.incident_id = i.merged_into AND k.unit = o.unit))"""

# Each return of an order in scope made before the cut-off, with its latest review by then.
_RETURNS = f"""
SELECT o.unit, (SELECT v.decision FROM order_return_reviews v
                WHERE v.return_event = r.event_id AND v.reviewed_at < :cut
                ORDER BY v.event_id DESC LIMIT 1) AS decision, count(*)
FROM order_returns r CROSS JOIN orders o ON o.id = r.order_id JOIN incidents i ON i.id = o.incident_id
WHERE r.returned_at < :cut AND {_IN_SCOPE}
GROUP BY o.unit, decision
"""

_URGES = f"""
SELECT o.unit, count(*)
FROM order_urges u CROSS JOIN orders o ON o.id = u.order_id JOIN incidents i ON i.id = o.incident_id
WHERE u.urged_at < :cut AND {_IN_SCOPE}
GROUP BY o.unit
"""

# Each order by the highest level it was supervised at by the cut-off.
_SUPERVISIONS = f"""
SELECT unit, lvl, count(*) FROM (
  SELECT o.unit, max(v.level) AS lvl
  FROM order_supervisions v CROSS JOIN orders o ON o.id = v.order_id JOIN incidents i ON i.id = o.incident_id
  WHERE v.supervised_at < :cut AND {_IN_SCOPE} GROUP BY o.id)
GROUP BY unit, lvl
"""

# The latest callback (by event id) made by the cut-off, of each incident a unit had an order in
# scope on: one row per (unit, incident).
_CALLBACKS = f"""
SELECT unit, result, count(*) FROM (
  SELECT DISTINCT o.unit, c.incident_id,
         (SELECT l.result FROM incident_callbacks l WHERE l.incident_id = c.incident_id
            AND l.called_at < :cut ORDER BY l.event_id DESC LIMIT 1) AS result
  FROM incident_callbacks c CROSS JOIN orders o ON o.incident_id = c.incident_id
  JOIN incidents i ON i.id = o.incident_id
  WHERE c.called_at < :cut AND {_IN_SCOPE})
WHERE result IS NOT NULL GROUP BY unit, result
"""

# The three lists. 有令不行: the ack deadline passed inside the window with no ack, or a return
# was rejected. 联而不动: taken on, then neither arrival nor feedback by the window's end, where
# the window was closed by a reassignment or an accepted return, or its last deadline passed
# (a handover or a cancellation is the job moving on, not standing still). 应而不急: taken on,
# a later stage late, and not already 联而不动.
_LISTED = SCOPE + """
, rej AS (
  SELECT DISTINCT r.order_id FROM order_returns r JOIN s ON s.id = r.order_id
  WHERE r.returned_at < :cut AND (
    SELECT v.decision FROM order_return_reviews v WHERE v.return_event = r.event_id
      AND v.reviewed_at < :cut ORDER BY v.event_id DESC LIMIT 1) = 'reject'
)
SELECT g.no, g.id, g.incident_no, g.unit, g.status, g.issued_at, g.t, g.ar, g.fb, g.en,
       g.ack_ok, g.dp_ok, g.ar_ok, g.fb_ok, g.id IN (SELECT order_id FROM rej) AS rejected,
       (g.t IS NOT NULL AND g.ar IS NULL AND g.fb IS NULL
        AND NOT (g.en IS NOT NULL AND g.status IN ('handed_over', 'cancelled'))
        AND (g.en IS NOT NULL OR coalesce(g.feedback_due, g.arrive_due) < :cut)) AS idle
FROM g
WHERE (g.ack_ok = 0 AND g.t IS NULL) OR g.id IN (SELECT order_id FROM rej)
   OR (g.t IS NOT NULL AND (g.dp_ok = 0 OR g.ar_ok = 0 OR g.fb_ok = 0
       OR (g.ar IS NULL AND g.fb IS NULL)))
ORDER BY g.issued_at, g.no
"""


def _params(start: datetime, end: datetime, cut: datetime) -> dict[str, str]:
    from console.kernel.clock import iso
    return {"start": iso(start), "end": iso(end), "cut": iso(cut)}


def unit_records(db: Reader, catalog: Catalog, start: datetime, end: datetime, cut: datetime,
                 unit: str | None = None) -> list[UnitRecord]:
    """Every unit of the registry (a unit with no orders gets a row of zeros) plus any unit
    that had orders and has since left the registry; ``unit`` keeps that one alone."""
    p = _params(start, end, cut)
    base: dict[str, dict[str, Any]] = {}

    def row(code: str) -> dict[str, Any]:
        if code not in base:
            u = catalog.units.get(code)
            base[code] = {"unit": code, "name_zh": u.name_zh if u else code,
                          "name_en": u.name_en if u else code, "stages": {},
                          "supervisions": {}, "callbacks": {}}
        return base[code]

    for code in catalog.units:
        row(code)
    counts: dict[str, tuple[int, ...]] = {}
    for r in db.all(_PER_UNIT, p):
        d = row(r[0])
        d["received"] = int(r[1])
        a_on, a_late, r_on, r_late, f_on, f_late, reas, hand, canc = (int(x) for x in r[2:11])
        counts[r[0]] = (a_on, a_late, r_on, r_late, f_on, f_late)
        d.update(reassigned_away=reas, handed_over=hand, cancelled=canc)
    spreads: dict[tuple[str, str], tuple[float | None, float | None]] = {
        (r[0], r[1]): (r[2], r[3]) for r in db.all(_PERCENTILES, p)}
    for code, c in counts.items():
        for n, stage in enumerate(("ack", "arrive", "feedback")):
            p50, p90 = spreads.get((code, stage), (None, None))
            row(code)["stages"][stage] = StageFigure(c[2 * n], c[2 * n + 1], p50, p90)
    for r in db.all(_RETURNS, p):
        key = {"accept": "returns_accepted", "reject": "returns_rejected"}.get(r[1] or "", "returns_pending")
        row(r[0])[key] = row(r[0]).get(key, 0) + int(r[2])
    for r in db.all(_URGES, p):
        row(r[0])["urges"] = int(r[1])
    for r in db.all(_SUPERVISIONS, p):
        if int(r[1]) in SUPERVISE_LEVELS:
            row(r[0])["supervisions"][int(r[1])] = int(r[2])
    for r in db.all(_CALLBACKS, p):
        if r[1] in CALLBACK_RESULTS:
            row(r[0])["callbacks"][r[1]] = int(r[2])
    records = [UnitRecord(**d) for d in base.values()]
    if unit is not None:
        records = [u for u in records if u.unit == unit]
    return sorted(records, key=lambda u: (-u.received, u.unit))


def _when(value: str | None) -> datetime | None:
    return None if value is None else parse_instant(value)


def listed_orders(db: Reader, start: datetime, end: datetime, cut: datetime,
                  unit: str | None = None) -> dict[str, list[ListedOrder]]:
    """The three lists, oldest order first; an order whose return was rejected and which was
    then also slow is on both 有令不行 and 应而不急, each with its own reasons."""
    lists: dict[str, list[ListedOrder]] = {"ignored": [], "slow": [], "idle": []}
    for r in db.all(_LISTED, _params(start, end, cut)):
        if unit is not None and r["unit"] != unit:
            continue

        def listed(rule: str, reasons: tuple[str, ...], r: Any = r) -> ListedOrder:
            return ListedOrder(rule, reasons, r["no"], r["id"], r["incident_no"], r["unit"],
                               r["status"], parse_instant(r["issued_at"]), _when(r["t"]),
                               _when(r["ar"]), _when(r["fb"]), _when(r["en"]))

        ignored = tuple(k for k, hit in (("never_acked", r["ack_ok"] == 0 and r["t"] is None),
                                         ("return_rejected", bool(r["rejected"]))) if hit)
        if ignored:
            lists["ignored"].append(listed("ignored", ignored))
        if r["t"] is None:
            continue
        if r["idle"]:
            lists["idle"].append(listed("idle", ("no_movement",)))
            continue
        slow = tuple(k for k, ok in (("depart_late", r["dp_ok"]), ("arrive_late", r["ar_ok"]),
                                     ("feedback_late", r["fb_ok"])) if ok == 0)
        if slow:
            lists["slow"].append(listed("slow", slow))
    return lists
