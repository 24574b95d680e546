"""Roll-call (点名): the center rings every Tier 1 unit's duty phone and records who answered.

The policy keeps Tier 1 units on 24-hour duty ("four fixed"); the daily roll-call is how the
center checks it. The list to call is the Tier 1 units of the registry, each with the duty
person and phone the filed roster names at that instant (``Services.roster``; the registry's
duty phone when no filing covers it). Each call is one ``rollcall.recorded`` event carrying
the result (answered / no_answer / wrong_person) and the person and phone as shown when the
call was made, so a later roster correction never rewrites what was rung.

A **round** is one pass over the list; its id is a UUIDv7 minted when its first call is
recorded, so two passes in a day stay apart. A unit may be rung again within a round: every
attempt is kept and the latest (by event id, last writer wins) is the unit's result.
The table behind this (``rollcall_calls``) is insert only; the current round, the results and
the day's record are all decided on read, so seats that receive the calls in any order by
sync show the same record. The day is the center's local day (``[center] timezone``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from console.kernel.clock import iso
from console.kernel.errors import BadInput
from console.kernel.ids import uuid7
from console.kernel.inputs import clean_text, day_bounds, normalize
from console.orders.dispatch import resolve_unit

if TYPE_CHECKING:
    from console.catalog.registry import Unit
    from console.seat.services import RosterEntry, Services
    from console.store.transaction import Store

#: result → (zh, en)
RESULTS: dict[str, tuple[str, str]] = {
    "answered": ("已接听", "answered"),
    "no_answer": ("未接听", "not answered"),
    "wrong_person": ("非值班人员", "wrong person"),
}
_RESULT_ALIASES = {
    "answered": "answered", "answer": "answered", "ok": "answered", "yes": "answered",
    "已接听": "answered", "接听": "answered", "已接": "answered", "接": "answered",
    "yjt": "answered", "jt": "answered",
    "no_answer": "no_answer", "no-answer": "no_answer", "noanswer": "no_answer", "no": "no_answer",
    "na": "no_answer", "未接听": "no_answer", "未接": "no_answer", "无人接听": "no_answer",
    "wjt": "no_answer", "wj": "no_answer",
    "wrong_person": "wrong_person", "wrong-person": "wrong_person", "wrong": "wrong_person",
    "wp": "wrong_person", "非值班人员": "wrong_person", "非值班": "wrong_person",
    "非本人": "wrong_person", "fzbry": "wrong_person", "fzb": "wrong_person",
}
#: A note longer than this is refused, not cut: it belongs in an incident, not a roll-call.
MAX_NOTE = 200
NEW_ROUND = "new"
#: How much of a round id people are shown (and may type): the minting millisecond and the
#: seat's id counter, so two rounds minted on one seat never share it.
ROUND_PREFIX = 18
_ROUND_REF = re.compile(r"[0-9a-f\-]{8,36}")


@dataclass(frozen=True)
class Attempt:
    """One recorded call (one ``rollcall.recorded`` event)."""

    id: str
    round_id: str
    unit: str
    at: datetime
    operator: str
    seat: str
    result: str
    duty_person: str
    duty_phone: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "round_id": self.round_id, "unit": self.unit, "at": iso(self.at),
                "operator": self.operator, "seat": self.seat, "result": self.result,
                "duty_person": self.duty_person, "duty_phone": self.duty_phone, "note": self.note}


@dataclass(frozen=True)
class Callee:
    """A Tier 1 unit to ring: who the roster says is on duty at the instant, and on which phone,
    with its result so far (the latest attempt of the round, if any)."""

    unit: Unit
    duty_person: str
    duty_phone: str
    source: str                         # "roster" (a filing covers the instant) or "hours"
    on_duty: bool
    attempts: tuple[Attempt, ...] = ()

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def result(self) -> str | None:
        return self.last.result if self.last else None

    def to_json(self) -> dict[str, Any]:
        last = self.last
        return {"unit": self.unit.code, "name_zh": self.unit.name_zh, "name_en": self.unit.name_en,
                "duty_person": self.duty_person, "duty_phone": self.duty_phone,
                "duty_source": self.source, "on_duty": self.on_duty, "result": self.result,
                "attempts": len(self.attempts), "last": last.to_json() if last else None}


@dataclass(frozen=True)
class RollList:
    """Who is to be called at ``at``, against the round ``round_id`` (None: none yet today)."""

    at: datetime
    day: date
    round_id: str | None
    callees: list[Callee]

    def counts(self) -> dict[str, int]:
        return summary(c.result for c in self.callees)

    def next_uncalled(self, after: int = -1) -> int | None:
        """Index of the first uncalled unit after ``after`` (wrapping), or None when all are."""
        n = len(self.callees)
        for step in range(1, n + 1):
            i = (after + step) % n
            if self.callees[i].result is None:
                return i
        return None

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "day": self.day.isoformat(), "round_id": self.round_id,
                "units": [c.to_json() for c in self.callees], "summary": self.counts()}


@dataclass(frozen=True)
class UnitRecord:
    """One Tier 1 unit in the day's record: its final result and every attempt."""

    code: str
    name_zh: str
    name_en: str
    attempts: tuple[Attempt, ...] = ()

    @property
    def final(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def to_json(self) -> dict[str, Any]:
        f = self.final
        return {"unit": self.code, "name_zh": self.name_zh, "name_en": self.name_en,
                "result": f.result if f else None, "attempts": len(self.attempts),
                "at": iso(f.at) if f else None, "operator": f.operator if f else None,
                "seat": f.seat if f else None, "duty_person": f.duty_person if f else None,
                "duty_phone": f.duty_phone if f else None, "note": f.note if f else None,
                "round_id": f.round_id if f else None,
                "history": [a.to_json() for a in self.attempts]}


@dataclass(frozen=True)
class DayReport:
    """The day's roll-call record (点名记录) in the center's local day."""

    day: date
    start: datetime
    end: datetime
    round_id: str | None                # the round asked for, or None for every round of the day
    units: list[UnitRecord]
    rounds: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return summary(u.final.result if u.final else None for u in self.units)

    @property
    def not_called(self) -> list[str]:
        return [u.code for u in self.units if u.final is None]

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "from": iso(self.start), "to": iso(self.end),
                "round_id": self.round_id, "rounds": self.rounds,
                "units": [u.to_json() for u in self.units], "summary": self.counts(),
                "not_called": self.not_called}


def summary(results: Iterable[str | None]) -> dict[str, int]:
    """Counts per result, ``not_called`` and ``total``."""
    counts = {key: 0 for key in (*RESULTS, "not_called")}
    total = 0
    for r in results:
        counts[r or "not_called"] += 1
        total += 1
    counts["total"] = total
    return counts


# -- days and rounds ----------------------------------------------------------------------------
def day_of(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def current_round(store: Store, tz: ZoneInfo, at: datetime) -> str | None:
    """The round of the latest call (by event id) on the center-local day of ``at``."""
    start, end = day_bounds(day_of(at, tz), tz)
    row = store.one("SELECT round_id FROM rollcall_calls WHERE called_at >= ? AND called_at < ?"
                    " ORDER BY event_id DESC LIMIT 1", (iso(start), iso(end)))
    return row[0] if row else None


def find_round(store: Store, ref: str) -> str:
    """A round by id or by an id prefix of at least 8 characters."""
    text = normalize(ref).lower()
    rows = store.all("SELECT DISTINCT round_id FROM rollcall_calls WHERE round_id LIKE ? LIMIT 2",
                     (text + "%",)) if _ROUND_REF.fullmatch(text) else []
    if len(rows) > 1:
        raise BadInput("rollcall.round_ambiguous", zh="“{r}”对应多个点名轮次，请输入更长的轮次编号",
                       en="'{r}' matches several roll-call rounds; type more of the round id",
                       r=ref[:40])
    if not rows:
        raise BadInput("rollcall.round", zh="找不到点名轮次：{r}（新一轮请用 --round new）",
                       en="no such roll-call round: {r} (start one with --round new)", r=ref[:40])
    return str(rows[0][0])


def new_round_id(services: Services) -> str:
    return uuid7(int(services.ctx.clock.now().timestamp() * 1000))


# -- reads ------------------------------------------------------------------------------------
_COLUMNS = ("event_id, round_id, unit, called_at, operator, seat, result, duty_person,"
            " duty_phone, note")


def _attempt(r: Sequence[Any]) -> Attempt:
    return Attempt(r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4], r[5], r[6], r[7], r[8], r[9])


def attempts_of_round(store: Store, round_id: str) -> dict[str, list[Attempt]]:
    """unit → its attempts in the round, oldest first by event id (the last one counts)."""
    found: dict[str, list[Attempt]] = {}
    for r in store.all(f"SELECT {_COLUMNS} FROM rollcall_calls WHERE round_id = ? ORDER BY event_id",
                       (round_id,)):
        found.setdefault(r[2], []).append(_attempt(r))
    return found


def tier1(services: Services) -> list[Unit]:
    return [u for u in services.catalog.units.values() if u.tier == 1]


def callee_of(entry: RosterEntry, attempts: Sequence[Attempt] = ()) -> Callee:
    return Callee(entry.unit, entry.duty_person, entry.duty_phone, entry.source, entry.on_duty,
                  tuple(attempts))


def roll_list(services: Services, at: datetime | None = None,
              round_id: str | None = None) -> RollList:
    """The Tier 1 units in registry order, with the duty person and phone at ``at`` (now) and
    their results in ``round_id`` (default: the current round of that day)."""
    when = at or services.ctx.clock.now()
    tz = services.config.tz
    rid = round_id or current_round(services.store, tz, when)
    done = attempts_of_round(services.store, rid) if rid else {}
    callees = [callee_of(e, done.get(e.unit.code, ())) for e in services.roster(when)
               if e.unit.tier == 1]
    return RollList(when, day_of(when, tz), rid, callees)


def day_report(services: Services, day: date | None = None,
               round_id: str | None = None) -> DayReport:
    """The day's record: per Tier 1 unit the final result (latest call by event id), its
    attempts, time, operator and the duty person and phone rung; the rounds; who was not called.
    A unit called that day that is no longer Tier 1 is listed after them."""
    tz = services.config.tz
    the_day = day or day_of(services.ctx.clock.now(), tz)
    start, end = day_bounds(the_day, tz)
    where, params = "called_at >= ? AND called_at < ?", [iso(start), iso(end)]
    if round_id:
        where += " AND round_id = ?"
        params.append(round_id)
    calls = [_attempt(r) for r in services.store.all(
        f"SELECT {_COLUMNS} FROM rollcall_calls WHERE {where} ORDER BY event_id", tuple(params))]
    by_unit: dict[str, list[Attempt]] = {}
    rounds: dict[str, dict[str, Any]] = {}
    for a in calls:
        by_unit.setdefault(a.unit, []).append(a)
        r = rounds.setdefault(a.round_id, {"id": a.round_id, "first_at": a.at, "last_at": a.at,
                                           "calls": 0, "units": set()})
        r["first_at"], r["last_at"] = min(r["first_at"], a.at), max(r["last_at"], a.at)
        r["calls"] += 1
        r["units"].add(a.unit)
    units = [UnitRecord(u.code, u.name_zh, u.name_en, tuple(by_unit.pop(u.code, ())))
             for u in tier1(services)]
    for code, attempts in by_unit.items():
        known = services.catalog.units.get(code)
        units.append(UnitRecord(code, known.name_zh if known else code,
                                known.name_en if known else code, tuple(attempts)))
    round_rows = [{"id": r["id"], "first_at": iso(r["first_at"]), "last_at": iso(r["last_at"]),
                   "calls": r["calls"], "units": len(r["units"])}
                  for r in sorted(rounds.values(), key=lambda r: (r["first_at"], r["id"]))]
    return DayReport(the_day, start, end, round_id, units, round_rows)


# -- the write --------------------------------------------------------------------------------
def parse_result(raw: str) -> str:
    result = _RESULT_ALIASES.get(normalize(raw or "").lower())
    if result is None:
        raise BadInput("rollcall.result",
                       zh="点名结果只能是 answered（已接听）、no-answer（未接听）或 wrong-person（非值班人员）：{r}",
                       en="the roll-call result must be answered, no-answer or wrong-person: {r}",
                       r=str(raw)[:20])
    return result


def check_note(raw: str) -> str:
    text = clean_text(raw or "")
    if len(text) > MAX_NOTE:
        raise BadInput("rollcall.note", zh="备注过长：{n} 字（最多 {m} 字）",
                       en="the note is too long: {n} characters (at most {m})", n=len(text), m=MAX_NOTE)
    return text


def tier1_unit(services: Services, ref: str) -> Unit:
    unit = resolve_unit(services.ctx, ref)
    if unit.tier != 1:
        raise BadInput("rollcall.not_tier1", zh="{u_zh} 是{t}级单位，点名只针对一级单位",
                       en="{u_en} is a tier {t} unit; the roll-call is for tier 1 units only",
                       u_zh=unit.name_zh, u_en=unit.name_en, t=unit.tier)
    return unit


def record(services: Services, unit_ref: str, result: str, *, note: str = "",
           at: str | None = None, round_id: str | None = None,
           shown: Callee | None = None) -> tuple[Attempt, str]:
    """Record one call of the roll-call; returns the attempt and its round id.

    ``round_id``: ``new`` starts a round; an id (or prefix) continues that one; none continues
    the current round of the day (the one of the latest call), or starts the first. ``shown``
    is the line the operator was looking at (the TUI): its duty person and phone are recorded as
    shown; otherwise they are the roster's at the reported time.
    """
    unit = tier1_unit(services, unit_ref)
    verdict = parse_result(result)
    text = check_note(note)
    when = services.ctx.reported_time(at)
    if round_id and normalize(round_id).lower() == NEW_ROUND:
        rid = new_round_id(services)
    elif round_id:
        rid = find_round(services.store, round_id)
    else:
        rid = current_round(services.store, services.config.tz, when) or new_round_id(services)
    if shown is not None and shown.unit.code == unit.code:
        person, phone = shown.duty_person, shown.duty_phone
    else:
        entry = next(e for e in services.roster(when) if e.unit.code == unit.code)
        person, phone = entry.duty_person, entry.duty_phone
    with services.ctx.transaction() as tx:
        event = tx.append("rollcall.recorded",
                          {"unit": unit.code, "result": verdict, "duty_person": person,
                           "duty_phone": phone, "note": text, "round_id": rid},
                          subject=f"rollcall:{rid}", happened_at=when)
    return Attempt(event.id, rid, unit.code, datetime.fromisoformat(event.happened_at),
                   event.operator, event.seat, verdict, person, phone, text), rid


def result_text(result: str | None, lang: str) -> str:
    if result is None:
        return "未点名" if lang == "zh" else "not called"
    zh, en = RESULTS.get(result, (result, result))
    return zh if lang == "zh" else en
