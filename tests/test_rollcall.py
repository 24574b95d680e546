"""Roll-call (点名) of the Tier 1 units, on a fake clock.

The center is in Asia/Shanghai (UTC+8); the conftest clock starts at 2026-11-28T06:00:00Z =
Saturday 14:00 local. The list comes from the filed duty roster at an instant (the registry's
duty phone when no filing covers it); every call is kept; the day is the center's day.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import Unchanged

from console.duty import rollcall
from console.duty.rosters import Shift
from console.kernel.clock import FakeClock, parse_instant
from console.kernel.errors import BadInput
from console.seat.services import Services, open_services
from console.store.projections import apply_event
from console.store.transaction import record_from_row

TIER1 = 31  # Tier 1 units in data/units.toml


def shift(unit: str, start: str, end: str, person: str, phone: str) -> Shift:
    return Shift(unit, parse_instant(start), parse_instant(end), person, phone, vehicle="示A·D0001")


def file_power(services: Services) -> None:
    """The power bureau: day shift 张伟 08:00–20:00 and night shift 李娜 20:00–08:00 (local) on
    the 28th; nothing filed for the other Tier 1 units."""
    services.file_roster({"power": [
        shift("power", "2026-11-28T00:00:00Z", "2026-11-28T12:00:00Z", "张伟", "0000-1100201"),
        shift("power", "2026-11-28T12:00:00Z", "2026-11-29T00:00:00Z", "李娜", "0000-1100202"),
    ]})


def rows(services: Services) -> list[tuple]:
    return [tuple(r) for r in services.store.all(
        "SELECT unit, result, duty_person, duty_phone, note, round_id, called_at, operator"
        " FROM rollcall_calls ORDER BY event_id")]


@pytest.fixture
def machine_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone is far from the center's: nothing may depend on it."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# -- the list -----------------------------------------------------------------------------------
def test_list_is_the_tier1_units_with_the_roster_at_the_instant(services: Services) -> None:
    file_power(services)
    roll = rollcall.roll_list(services)
    assert len(roll.callees) == TIER1
    assert [c.unit.code for c in roll.callees] == [
        u.code for u in services.catalog.units.values() if u.tier == 1]
    assert roll.round_id is None and roll.day == date(2026, 11, 28)
    power = next(c for c in roll.callees if c.unit.code == "power")
    assert (power.duty_person, power.duty_phone, power.source) == ("张伟", "0000-1100201", "roster")
    psb = roll.callees[0]                              # no filing: the registry's duty phone
    assert psb.unit.code == "psb"
    assert (psb.duty_person, psb.duty_phone, psb.source) == ("", psb.unit.duty_phone, "hours")
    assert roll.counts() == {"answered": 0, "no_answer": 0, "wrong_person": 0,
                             "not_called": TIER1, "total": TIER1}


def test_list_across_midnight_in_center_time(services: Services, machine_tz: None) -> None:
    """01:30 on the 29th in the center is 17:30Z on the 28th: the night shift is on, the day is
    the 29th, and a round from the evening before is not this day's round."""
    file_power(services)
    assert isinstance(services.ctx.clock, FakeClock)
    services.ctx.clock.set("2026-11-28T15:50:00Z")     # 23:50 local on the 28th
    rollcall.record(services, "power", "answered")
    evening = rollcall.roll_list(services)
    assert evening.round_id is not None and evening.day == date(2026, 11, 28)
    night = rollcall.roll_list(services, parse_instant("2026-11-28T17:30:00Z"))
    assert night.day == date(2026, 11, 29) and night.round_id is None
    power = next(c for c in night.callees if c.unit.code == "power")
    assert (power.duty_person, power.duty_phone, power.result) == ("李娜", "0000-1100202", None)
    after = rollcall.roll_list(services, parse_instant("2026-11-29T00:30:00Z"))  # 08:30: unfiled
    power = next(c for c in after.callees if c.unit.code == "power")
    assert (power.duty_person, power.duty_phone, power.source) == (
        "", power.unit.duty_phone, "hours")


# -- recording ----------------------------------------------------------------------------------
def test_record_keeps_the_duty_phone_rung(services: Services) -> None:
    file_power(services)
    attempt, rid = rollcall.record(services, "gdj", "已接听", note="张工接听")  # pinyin initials
    assert attempt.unit == "power" and attempt.result == "answered"
    assert rows(services) == [("power", "answered", "张伟", "0000-1100201", "张工接听", rid,
                               "2026-11-28T06:00:00.000Z", services.ctx.operator)]
    # a corrected filing later names somebody else: what was rung stays as rung
    services.file_roster({"power": [
        shift("power", "2026-11-28T00:00:00Z", "2026-11-28T12:00:00Z", "王强", "0000-1100299")]})
    report = rollcall.day_report(services)
    power = next(u for u in report.units if u.code == "power")
    assert power.final is not None
    assert (power.final.duty_person, power.final.duty_phone) == ("张伟", "0000-1100201")
    # the TUI passes the line the operator saw; that is what is recorded
    shown = next(c for c in rollcall.roll_list(services).callees if c.unit.code == "psb")
    rollcall.record(services, "psb", "wrong-person", shown=shown)
    assert rows(services)[-1][:4] == ("psb", "wrong_person", "", shown.unit.duty_phone)


@pytest.mark.parametrize(("typed", "result"), [
    ("answered", "answered"), ("已接听", "answered"), ("jt", "answered"),
    ("no-answer", "no_answer"), ("未接听", "no_answer"), ("wjt", "no_answer"),
    ("wrong-person", "wrong_person"), ("非值班人员", "wrong_person"), ("wp", "wrong_person"),
    ("ＷＲＯＮＧ", "wrong_person"),
])
def test_result_words(typed: str, result: str) -> None:
    assert rollcall.parse_result(typed) == result


def test_recall_in_a_round_keeps_every_attempt_and_the_latest_wins(services: Services,
                                                                   clock: FakeClock) -> None:
    _, rid = rollcall.record(services, "psb", "no-answer")
    clock.advance(minutes=5)
    _, again = rollcall.record(services, "psb", "answered", note="第二次拨通")
    assert again == rid
    assert [r[1] for r in rows(services)] == ["no_answer", "answered"]
    psb = rollcall.roll_list(services).callees[0]
    assert (psb.result, len(psb.attempts)) == ("answered", 2)
    record = rollcall.day_report(services).units[0]
    assert record.final is not None and record.final.note == "第二次拨通"
    assert [a.result for a in record.attempts] == ["no_answer", "answered"]
    assert record.to_json()["at"] == "2026-11-28T06:05:00.000Z"

    # a second round the same day: its own id, its own list; the day's record has both
    clock.advance(hours=2)
    _, second = rollcall.record(services, "fire", "answered", round_id="new")
    assert second != rid
    roll = rollcall.roll_list(services)
    assert roll.round_id == second and roll.callees[0].result is None
    assert rollcall.roll_list(services, round_id=rid).callees[0].result == "answered"
    report = rollcall.day_report(services)
    assert [r["id"] for r in report.rounds] == [rid, second]
    assert report.counts()["answered"] == 2
    only_first = rollcall.day_report(services, round_id=rid)
    assert only_first.counts()["answered"] == 1 and "fire" in only_first.not_called
    # a round named by its prefix continues it
    _, third = rollcall.record(services, "gas", "no_answer", round_id=rid[:rollcall.ROUND_PREFIX])
    assert third == rid


def test_a_round_prefix_two_rounds_share_is_refused(services: Services, unchanged: Unchanged) -> None:
    """Rounds minted in one millisecond share their first 13 characters; the shown 18 do not."""
    _, one = rollcall.record(services, "psb", "answered", round_id="new")
    _, two = rollcall.record(services, "fire", "answered", round_id="new")
    shared = one[:next(i for i, (x, y) in enumerate(zip(one, two, strict=True)) if x != y)]
    assert len(shared) >= 8 and one[:rollcall.ROUND_PREFIX] != two[:rollcall.ROUND_PREFIX]
    with unchanged(services), pytest.raises(BadInput, match="several roll-call rounds") as caught:
        rollcall.record(services, "gas", "no_answer", round_id=shared[:8])
    assert caught.value.code == "rollcall.round_ambiguous" and "多个点名轮次" in caught.value.message("zh")


def test_next_uncalled_moves_on_and_wraps(services: Services) -> None:
    codes = [c.unit.code for c in rollcall.roll_list(services).callees]
    rollcall.record(services, codes[1], "answered")
    roll = rollcall.roll_list(services)
    assert roll.next_uncalled(0) == 2 and roll.next_uncalled(len(codes) - 1) == 0
    for code in codes:
        rollcall.record(services, code, "answered")
    assert rollcall.roll_list(services).next_uncalled(0) is None


# -- the day's record ---------------------------------------------------------------------------
def test_day_report_is_the_center_day_whatever_the_machine_zone(services: Services,
                                                                 clock: FakeClock,
                                                                 machine_tz: None) -> None:
    clock.set("2026-11-27T16:00:00Z")                  # 00:00:00 on the 28th in the center
    rollcall.record(services, "psb", "answered")
    clock.set("2026-11-28T15:59:59Z")                  # 23:59:59 on the 28th
    rollcall.record(services, "fire", "no_answer")
    clock.set("2026-11-28T16:00:00Z")                  # 00:00 on the 29th
    rollcall.record(services, "gas", "wrong_person")
    day = rollcall.day_report(services, date(2026, 11, 28))
    assert (day.start, day.end) == (parse_instant("2026-11-27T16:00:00Z"),
                                    parse_instant("2026-11-28T16:00:00Z"))
    called = {u.code: u.final.result for u in day.units if u.final}
    assert called == {"psb": "answered", "fire": "no_answer"}
    assert day.counts() == {"answered": 1, "no_answer": 1, "wrong_person": 0,
                            "not_called": TIER1 - 2, "total": TIER1}
    assert len(day.not_called) == TIER1 - 2 and "gas" in day.not_called
    today = rollcall.day_report(services)              # the clock's day: the 29th
    assert today.day == date(2026, 11, 29)
    assert {u.code for u in today.units if u.final} == {"gas"}
    # the 29th's first call started a round of its own
    assert today.rounds[0]["id"] != day.rounds[0]["id"]
    data = day.to_json()
    fire = next(u for u in data["units"] if u["unit"] == "fire")
    assert fire["at"] == "2026-11-28T15:59:59.000Z" and fire["operator"] == services.ctx.operator
    assert fire["duty_phone"] == services.catalog.unit("fire").duty_phone


def test_reported_time_decides_the_day(services: Services, clock: FakeClock) -> None:
    """A call recorded at 00:10 with --at 23:55 belongs to the day before."""
    clock.set("2026-11-28T16:10:00Z")                  # 00:10 on the 29th
    rollcall.record(services, "psb", "answered", at="23:55")
    assert {u.code for u in rollcall.day_report(services, date(2026, 11, 28)).units if u.final} == {"psb"}
    assert not [u for u in rollcall.day_report(services).units if u.final]


# -- refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "kwargs", "code", "zh", "en"), [
    (("nosuchunit", "answered"), {}, "unit.not_found", "找不到联动单位", "no linkage unit matches"),
    (("petition", "answered"), {}, "rollcall.not_tier1", "点名只针对一级单位", "tier 1 units only"),
    (("psb", "maybe"), {}, "rollcall.result", "点名结果只能是", "must be answered"),
    (("psb", "answered"), {"note": "长" * 201}, "rollcall.note", "备注过长", "too long"),
    (("psb", "answered"), {"round_id": "0000000000"}, "rollcall.round", "找不到点名轮次",
     "no such roll-call round"),
    (("psb", "answered"), {"at": "明天"}, "input.time", "时间格式无法识别", "unrecognised time"),
])
def test_refusals_change_nothing(services: Services, unchanged: Unchanged, args: tuple[str, ...],
                                 kwargs: dict[str, Any], code: str, zh: str, en: str) -> None:
    with unchanged(services), pytest.raises(BadInput) as caught:
        rollcall.record(services, *args, **kwargs)
    assert caught.value.code == code
    assert zh in caught.value.message("zh") and en in caught.value.message("en")
    assert rows(services) == []


def test_a_note_of_the_longest_length_is_kept(services: Services) -> None:
    rollcall.record(services, "psb", "answered", note="长" * rollcall.MAX_NOTE)
    assert rows(services)[0][4] == "长" * rollcall.MAX_NOTE


# -- order independence ---------------------------------------------------------------------------
def test_events_applied_in_reverse_give_the_same_record(services: Services, clock: FakeClock,
                                                        tmp_path: Path) -> None:
    """Calls reach other seats in any order (sync, crash replay): the same list and record."""
    file_power(services)
    rollcall.record(services, "psb", "no_answer")
    clock.advance(minutes=1)
    rollcall.record(services, "power", "answered")
    clock.advance(minutes=1)
    rollcall.record(services, "psb", "wrong_person")
    clock.advance(minutes=1)
    rollcall.record(services, "psb", "answered", note="回拨接通")
    clock.advance(minutes=1)
    rollcall.record(services, "fire", "answered", round_id="new")
    events = [record_from_row(r) for r in services.store.all(
        "SELECT * FROM events WHERE kind IN ('roster.filed', 'rollcall.recorded') ORDER BY seq")]
    other = open_services(tmp_path / "other.db", clock=clock)
    try:
        conn = other.store.conn
        conn.execute("BEGIN")
        for e in reversed(events):
            apply_event(conn, e)
        conn.execute("COMMIT")
        assert rollcall.day_report(other).to_json() == rollcall.day_report(services).to_json()
        assert rollcall.roll_list(other).to_json() == rollcall.roll_list(services).to_json()
        first = rollcall.day_report(services).rounds[0]["id"]
        assert (rollcall.roll_list(other, round_id=first).to_json()
                == rollcall.roll_list(services, round_id=first).to_json())
    finally:
        other.close()
    psb = rollcall.roll_list(services, round_id=first).callees[0]
    assert (psb.result, len(psb.attempts)) == ("answered", 3)


def test_two_seats_converge_through_the_server(tmp_path: Path) -> None:
    """Two seats call units of one round without seeing each other's calls, then sync: the
    same list and the same day's record on both (b's later call of psb wins on both)."""
    from sync_harness import County

    county = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    try:
        a, b = county.seats["seat-01"], county.seats["seat-02"]
        _, rid = rollcall.record(a, "psb", "no_answer")
        for name in ("seat-01", "seat-02"):
            assert county.sync(name).ok
        rollcall.record(a, "fire", "answered")
        _, same = rollcall.record(b, "psb", "answered")          # b continues a's round
        assert same == rid
        county.drain()
        assert county.projection("seat-01") == county.projection("seat-02")
        assert rollcall.day_report(a).to_json() == rollcall.day_report(b).to_json()
        assert rollcall.roll_list(a).to_json() == rollcall.roll_list(b).to_json()
        psb = rollcall.roll_list(a).callees[0]
        assert (psb.result, len(psb.attempts), psb.last.seat if psb.last else "") == (
            "answered", 2, "seat-02")
    finally:
        county.close()
