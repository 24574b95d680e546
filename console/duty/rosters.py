"""Duty rosters (值班表) and filing (备案): who is on duty when, and which units are stale.

A unit files its roster with the center for a period: a list of shifts (start, end, the person
on duty, the duty phone and, by tier, the vehicle 四定 / contact 三定 / responsible person
三到位). Each filing is one ``roster.filed`` event and is never edited.

Which filing rules an instant is decided here, on read: **the newest filing (by event id)
whose period covers the instant**. A corrected week filed in the middle of a month replaces
only that week; the older filing still rules the rest of the month and stays in the log. The
rule is a pure function of the set of filings, so seats that received filings in different
orders by sync show the same roster (docs/sync-protocol.md "Conflict rules").

When no filing covers an instant the unit falls back to its published ``duty_hours``
(``source = "hours"``); inside a filing's period, an instant with no shift means nobody is on
duty. Everything is computed in UTC and shown in the center's configured zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from console.kernel.clean import one_line
from console.kernel.clock import iso
from console.kernel.errors import BadInput
from console.store.transaction import select_in

if TYPE_CHECKING:
    from console.catalog.registry import Catalog, Unit
    from console.store.context import Context
    from console.store.transaction import Store

#: A shift longer than this is refused: it bounds every "who is on duty now" index scan, and a
#: duty of more than a week is a typo rather than a roster.
MAX_SHIFT = timedelta(days=7)
#: Shifts per filing event; a longer import is split into consecutive filings (an event must
#: stay well under the sync protocol's 256 KiB).
MAX_SHIFTS_PER_FILING = 400
#: The field a tier's duty regime adds to every shift: 四定 vehicle, 三定 contact, 三到位
#: responsible person.
TIER_FIELD = {1: "vehicle", 2: "contact", 3: "responsible"}
TIER_FIELD_LABELS = {"vehicle": ("车辆", "vehicle"), "contact": ("联系人", "contact"),
                     "responsible": ("责任人", "responsible person")}


@dataclass(frozen=True)
class Shift:
    """One duty shift; ``filing`` is the id of the ``roster.filed`` event it came in."""

    unit: str
    start: datetime
    end: datetime
    person: str
    phone: str
    vehicle: str = ""
    contact: str = ""
    responsible: str = ""
    filing: str = ""

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def to_payload(self) -> dict[str, str]:
        data = {"start": iso(self.start), "end": iso(self.end), "person": self.person,
                "phone": self.phone}
        for key in ("vehicle", "contact", "responsible"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "start": iso(self.start), "end": iso(self.end),
                "person": self.person, "phone": self.phone, "vehicle": self.vehicle,
                "contact": self.contact, "responsible": self.responsible, "filing": self.filing}


@dataclass(frozen=True)
class Filing:
    """One filing (备案) as recorded: its period, when the unit filed it, and who recorded it."""

    id: str
    unit: str
    period_from: datetime
    period_to: datetime
    filed_at: datetime
    recorded_at: datetime
    seat: str
    operator: str
    shifts: int
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "unit": self.unit, "period_from": iso(self.period_from),
                "period_to": iso(self.period_to), "filed_at": iso(self.filed_at),
                "recorded_at": iso(self.recorded_at), "seat": self.seat,
                "operator": self.operator, "shifts": self.shifts, "source": self.source}


@dataclass(frozen=True)
class Duty:
    """A unit's duty at one instant: on duty or not, and why."""

    on_duty: bool
    source: str                 # "roster" (a filing covers the instant) or "hours" (duty_hours)
    shift: Shift | None = None  # the shift on now, when the roster says so


@dataclass(frozen=True)
class Staleness:
    """Why a unit is flagged: ``unfiled`` (Tier 1, never filed), ``old_filing``, ``gap``."""

    unit: str
    reasons: tuple[str, ...]
    last_filed_at: datetime | None
    gap_from: datetime | None = None
    gap_to: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "reasons": list(self.reasons),
                "last_filed_at": iso(self.last_filed_at) if self.last_filed_at else None,
                "gap": ({"from": iso(self.gap_from), "to": iso(self.gap_to)}
                        if self.gap_from and self.gap_to else None)}


# -- the write ------------------------------------------------------------------------------
def filing_payloads(unit: str, shifts: Sequence[Shift], period: tuple[datetime, datetime] | None,
                    filed_at: datetime, source: str = "") -> list[dict[str, Any]]:
    """The ``roster.filed`` payloads for one unit's shifts (already validated, sorted, disjoint).

    The period defaults to the span of the shifts. More than ``MAX_SHIFTS_PER_FILING`` shifts
    are split into consecutive filings whose periods tile the whole period, so they do not
    supersede one another.
    """
    if not shifts:
        raise ValueError("a filing needs at least one shift")
    start, end = period or (shifts[0].start, max(s.end for s in shifts))
    chunks = [shifts[i:i + MAX_SHIFTS_PER_FILING] for i in range(0, len(shifts), MAX_SHIFTS_PER_FILING)]
    payloads = []
    for n, chunk in enumerate(chunks):
        chunk_from = start if n == 0 else chunk[0].start
        chunk_to = end if n == len(chunks) - 1 else chunks[n + 1][0].start
        payloads.append({"unit": unit, "period_from": iso(chunk_from), "period_to": iso(chunk_to),
                         "filed_at": iso(filed_at), "source": source,
                         "shifts": [s.to_payload() for s in chunk]})
    return payloads


def check_shifts(shifts: Sequence[Shift], period: tuple[datetime, datetime] | None) -> None:
    """Refuse a filing the projection could not make sense of (used for API callers; the CSV
    importer reports the same problems per line before it gets here)."""
    last: Shift | None = None
    for s in shifts:
        if s.end <= s.start or s.end - s.start > MAX_SHIFT:
            raise BadInput("roster.shift_length", zh="班次结束时间须晚于开始时间，且不超过 7 天",
                           en="a shift must end after it starts and last at most 7 days")
        if last is not None and s.start < last.end:
            raise BadInput("roster.overlap", zh="同一单位的班次不能重叠", en="a unit's shifts must not overlap")
        if period and (s.start < period[0] or s.end > period[1]):
            raise BadInput("roster.outside_period", zh="班次超出备案时段", en="a shift lies outside the filed period")
        last = s
    if period and period[1] <= period[0]:
        raise BadInput("roster.period", zh="备案时段的结束须晚于开始", en="the filed period must end after it starts")


def file_roster(ctx: Context, filings: dict[str, list[Shift]], *,
                period: tuple[datetime, datetime] | None = None, filed_at: datetime | None = None,
                source: str = "") -> list[str]:
    """Record one filing per unit, all in one transaction; returns the new event ids."""
    when = filed_at or ctx.clock.now()
    for code, shifts in filings.items():
        ctx.catalog.unit(code)
        if not shifts:
            raise BadInput("roster.empty", zh="{u} 没有班次", en="no shifts for {u}", u=code)
        check_shifts(shifts, period)
    ids = []
    with ctx.transaction() as tx:
        for code, shifts in filings.items():
            for payload in filing_payloads(code, shifts, period, when, source):
                ids.append(tx.append("roster.filed", payload, subject=f"roster:{code}",
                                     happened_at=when).id)
    return ids


# -- reads ----------------------------------------------------------------------------------
_SHIFT_COLUMNS = "s.unit, s.start_at, s.end_at, s.person, s.phone, s.vehicle, s.contact, s.responsible, s.event_id"
_FILING_COLUMNS = ("event_id, unit, period_from, period_to, filed_at, recorded_at, seat, operator,"
                   " shifts, source")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _shift(row: Sequence[Any]) -> Shift:
    """A stored shift as people read it: names and phones pulled from another seat are cleaned
    (console/kernel/clean.py), so a roster line cannot carry an escape sequence or a forged line."""
    return Shift(row[0], _dt(row[1]), _dt(row[2]), one_line(row[3]), one_line(row[4]), one_line(row[5]),
                 one_line(row[6]), one_line(row[7]), row[8])


def _filing(row: Sequence[Any]) -> Filing:
    return Filing(row[0], row[1], _dt(row[2]), _dt(row[3]), _dt(row[4]), _dt(row[5]), row[6], row[7],
                  row[8], row[9])


def duty_at(store: Store, at: datetime, units: Iterable[str] | None = None) -> dict[str, Duty]:
    """The roster's answer at ``at`` for every unit a filing covers then (one query).

    Units missing from the answer have no filing covering ``at``: the caller falls back to
    their duty hours. Inside one filing shifts never overlap, so the shift on duty is the
    filing's latest shift starting at or before ``at`` (one index seek per unit).
    """
    t = iso(at)
    where, params = "", [t, t]
    if units is not None:
        codes = list(units)
        where = f" AND unit IN ({','.join('?' * len(codes))})"
        params += codes
    cursor = store.conn.execute(
        "WITH owner AS (SELECT unit, max(event_id) AS event_id FROM roster_filings"
        f" WHERE period_to > ? AND period_from <= ?{where} GROUP BY unit)"
        " SELECT o.unit, s.start_at, s.end_at, s.person, s.phone, s.vehicle, s.contact,"
        " s.responsible, o.event_id FROM owner o LEFT JOIN roster_shifts s"
        " ON s.event_id = o.event_id AND s.start_at = ("
        "  SELECT max(start_at) FROM roster_shifts WHERE event_id = o.event_id AND start_at <= ?)",
        (*params, t),
    )
    answer: dict[str, Duty] = {}
    for row in cursor:
        if row[1] is not None and row[2] > t:
            answer[row[0]] = Duty(True, "roster", _shift(row))
        else:
            answer[row[0]] = Duty(False, "roster")
    return answer


def effective_shifts(store: Store, start: datetime, end: datetime,
                     units: Iterable[str] | None = None) -> dict[str, list[Shift]]:
    """Per unit, the shifts in force between ``start`` and ``end``, as pieces clipped where a
    newer filing takes over (not clipped to the window). Ordered by start."""
    return {unit: [Shift(r[0], _dt(left), _dt(right), one_line(r[3]), one_line(r[4]), one_line(r[5]),
                         one_line(r[6]), one_line(r[7]), r[8])
                   for r, left, right in pieces]
            for unit, pieces in _effective(store, start, end, units).items()}


Piece = tuple[tuple[Any, ...], str, str]  # (stored shift row, from, to) as ISO text


def _effective(store: Store, start: datetime, end: datetime,
               units: Iterable[str] | None = None) -> dict[str, list[Piece]]:
    """``effective_shifts`` on the stored ISO text (one fixed UTC form, so text order is time
    order), without building objects: the stale check runs it for every Tier 1 unit."""
    a, b = iso(start), iso(end)
    where, params = "", [a, b]
    if units is not None:
        codes = list(units)
        where = f" AND unit IN ({','.join('?' * len(codes))})"
        params += codes
    filings: dict[str, list[tuple[str, str, str]]] = {}
    for unit, event_id, period_from, period_to in store.conn.execute(
        "SELECT unit, event_id, period_from, period_to FROM roster_filings"
        f" WHERE period_to > ? AND period_from < ?{where}", params,
    ):
        filings.setdefault(unit, []).append((event_id, period_from, period_to))
    if not filings:
        return {}
    ids = [f[0] for fs in filings.values() for f in fs]
    rows: dict[str, list[tuple[Any, ...]]] = {}
    # Shifts that can touch the window started at most MAX_SHIFT before it (key range).
    earliest = iso(start - MAX_SHIFT)
    for row in select_in(
        store.conn,
        f"SELECT {_SHIFT_COLUMNS} FROM roster_shifts s WHERE s.event_id IN ({{ids}})"
        " AND s.start_at >= ? AND s.start_at < ? AND s.end_at > ?",
        ids, after=(earliest, b, a),
    ):
        rows.setdefault(row[8], []).append(row)
    answer = {}
    for unit, fs in filings.items():
        pieces = _resolve(fs, rows, a, b)
        if pieces:
            answer[unit] = pieces
    return answer


def _resolve(filings: list[tuple[str, str, str]], rows: dict[str, list[tuple[Any, ...]]],
             start: str, end: str) -> list[Piece]:
    """Cut time at every period and shift edge; each slice belongs to the newest filing (by
    event id) covering it, and shows that filing's shift there if it has one. Adjacent slices
    of one shift are joined back: (shift row, from, to) per piece touching [start, end)."""
    edges = {start, end}
    for _, period_from, period_to in filings:
        edges.add(period_from)
        edges.add(period_to)
    for event_id, _, _ in filings:
        for row in rows.get(event_id, ()):
            edges.add(row[1])
            edges.add(row[2])
    newest_first = sorted(filings, reverse=True)
    pieces: list[list[Any]] = []
    for left, right in pairwise(sorted(edges)):
        owner = next((f[0] for f in newest_first if f[1] <= left and right <= f[2]), None)
        if owner is None:
            continue
        shift: tuple[Any, ...] | None = next(
            (r for r in rows.get(owner, ()) if r[1] <= left and right <= r[2]), None)
        if shift is None:
            continue
        if pieces and pieces[-1][2] == left and pieces[-1][0] is shift:
            pieces[-1][2] = right
        else:
            pieces.append([shift, left, right])
    return [(r, left, right) for r, left, right in pieces if right > start and left < end]


def first_gap(pieces: Sequence[Piece], start: str, end: str) -> tuple[str, str] | None:
    """The first stretch of ``[start, end)`` no piece covers, or None (ISO text)."""
    cursor = start
    for _, left, right in pieces:
        if left > cursor:
            return cursor, min(left, end)
        cursor = max(cursor, right)
        if cursor >= end:
            return None
    return (cursor, end) if cursor < end else None


def filings_of(store: Store, unit: str, limit: int = 20) -> list[Filing]:
    """A unit's filings, newest first (superseded ones included: nothing is deleted)."""
    rows = store.conn.execute(
        f"SELECT {_FILING_COLUMNS} FROM roster_filings WHERE unit = ? ORDER BY filed_at DESC,"
        " event_id DESC LIMIT ?", (unit, limit))
    return [_filing(r) for r in rows]


def stale_units(store: Store, catalog: Catalog, now: datetime, max_age: timedelta,
                horizon: timedelta) -> list[Staleness]:
    """Units whose latest filing is older than ``max_age``, and Tier 1 units whose roster
    leaves a gap in the next ``horizon`` (a Tier 1 unit that never filed is ``unfiled``).

    Two small queries plus the Tier 1 coverage check over ``horizon``: cheap enough for the
    board's status line.
    """
    last = {r[0]: _dt(r[1]) for r in store.conn.execute(
        "SELECT unit, max(filed_at) FROM roster_filings GROUP BY unit")}
    tier1 = [u.code for u in catalog.units.values() if u.tier == 1 and u.code in last]
    coverage = _effective(store, now, now + horizon, tier1) if tier1 else {}
    window = iso(now), iso(now + horizon)
    flagged = []
    for unit in catalog.units.values():
        filed = last.get(unit.code)
        reasons: list[str] = []
        gap = None
        if filed is None:
            if unit.tier == 1:
                reasons.append("unfiled")
        else:
            if now - filed > max_age:
                reasons.append("old_filing")
            if unit.tier == 1:
                gap = first_gap(coverage.get(unit.code, []), *window)
                if gap:
                    reasons.append("gap")
        if reasons:
            flagged.append(Staleness(unit.code, tuple(reasons), filed,
                                     *((_dt(gap[0]), _dt(gap[1])) if gap else (None, None))))
    return flagged


def duty_of(unit: Unit, roster: dict[str, Duty], local_now: datetime) -> Duty:
    """The roster's answer if a filing covers the instant, else the published duty hours."""
    found = roster.get(unit.code)
    if found is not None:
        return found
    return Duty(unit.within_duty_hours(local_now), "hours")
