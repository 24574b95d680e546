"""The assessment's rules on the fake clock (docs/assessment.md): on time and late, nearest-rank
percentiles, who is charged for a handed-over order, a reassignment, a return rejected, a
cancellation, a drill, a merged repeat, an order open across the period's end, a unit with no
orders, the center's zone on a machine in another, the three lists, operators and the trend."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from console.assessment.model import Assessment, UnitRecord
from console.calls.stats import period
from console.kernel.clock import FakeClock, iso
from console.seat.services import Services

DAY = "2026-11-28"   # the fixtures' clock starts at 14:00 Asia/Shanghai on this day


def assess(services: Services, first: str = DAY, last: str | None = None,
           unit: str | None = None) -> Assessment:
    p = period(first, last or first, services.ctx.clock.now(), services.config.tz)
    return services.assess(p, unit=unit)


def unit_of(a: Assessment, code: str) -> UnitRecord:
    return next(u for u in a.units if u.unit == code)


def listed(a: Assessment, rule: str) -> dict[int, tuple[str, ...]]:
    return {o.order_no: o.reasons for o in a.lists[rule]}


def t(clock: FakeClock, hhmm: str) -> str | None:
    """Move the clock to ``hhmm`` local on DAY and record the step then (``at`` None: now)."""
    clock.set(f"{DAY}T{hhmm}:00+08:00")
    return None


@pytest.fixture
def incident(call: Callable[..., Any]) -> int:
    """An urban power cut at 14:00: other units ack in 5 min, arrive in 30, feed back in 120."""
    return int(call().incident.no)


def test_on_time_late_and_nearest_rank_percentiles(services: Services, clock: FakeClock,
                                                    call: Callable[..., Any]) -> None:
    orders = []
    for n in range(3):
        no = call(phone=f"1380000000{n}", address=f"人民路{n}号").incident.no
        orders.append(services.issue_order(no, "water").no)
    for no, minutes in zip(orders, (1, 2, 10), strict=True):
        services.step(no, "ack", at=t(clock, f"14:{minutes:02d}"))
    services.step(orders[0], "arrive", at=t(clock, "14:20"))
    services.step(orders[0], "feedback", at=t(clock, "15:00"))
    clock.set("2026-11-28T10:00:00Z")   # 18:00: every deadline but none after it has passed
    water = unit_of(assess(services), "water")
    assert water.received == 3
    ack, arrive, feedback = water.stage("ack"), water.stage("arrive"), water.stage("feedback")
    assert (ack.on_time, ack.late, ack.p50_s, ack.p90_s) == (2, 1, 120.0, 600.0)
    assert (arrive.on_time, arrive.late) == (1, 2)      # two never arrived, due 14:30
    assert (feedback.on_time, feedback.late) == (1, 2)  # due 16:00
    assert ack.rate == pytest.approx(2 / 3)
    a = assess(services)
    assert listed(a, "idle") == {orders[1]: ("no_movement",), orders[2]: ("no_movement",)}
    assert listed(a, "slow") == {} and listed(a, "ignored") == {}


def test_a_unit_with_no_orders_has_a_row_of_zeros(services: Services, incident: int) -> None:
    services.issue_order(incident, "water")
    agri = unit_of(assess(services), "agri")
    assert agri.received == 0 and agri.stage("ack").rate is None and agri.satisfaction is None
    assert {u.unit for u in assess(services).units} >= set(services.catalog.units)
    assert [u.unit for u in assess(services, unit="agri").units] == ["agri"]


def test_a_handover_charges_each_unit_for_its_own_part(services: Services, clock: FakeClock,
                                                       incident: int) -> None:
    first = services.issue_order(incident, "water").no
    services.step(first, "ack", at=t(clock, "14:02"))
    taken = services.handover(first, "water_co", at=t(clock, "14:10"), note="关阀止水，移交供水公司").no
    services.step(taken, "ack", at=t(clock, "14:20"))            # its own ack was due 14:15
    services.step(taken, "arrive", at=t(clock, "14:30"))
    clock.set("2026-11-28T12:00:00Z")
    a = assess(services)
    water, water_co = unit_of(a, "water"), unit_of(a, "water_co")
    assert (water.received, water.handed_over) == (1, 1)
    assert (water.stage("ack").on_time, water.stage("ack").late) == (1, 0)
    # arrival was due at 14:30, after the handover: the first unit is no longer charged
    assert water.stage("arrive").judged == 0 and water.stage("feedback").judged == 0
    assert (water_co.stage("ack").on_time, water_co.stage("ack").late) == (0, 1)
    assert water_co.stage("arrive").on_time == 1       # due 14:40 on its own order
    assert first not in listed(a, "idle")              # handing over is the job moving on


def test_a_handover_after_a_missed_deadline_still_charges_the_first_unit(
        services: Services, clock: FakeClock, incident: int) -> None:
    first = services.issue_order(incident, "water").no
    services.step(first, "ack", at=t(clock, "14:02"))
    services.handover(first, "water_co", at=t(clock, "14:40"), note="已先期处置")
    water = unit_of(assess(services), "water")
    assert water.stage("arrive").late == 1             # due 14:30, before the handover


def test_a_return_accepted_then_reassigned_ends_the_units_charge(services: Services, clock: FakeClock,
                                                                incident: int) -> None:
    first = services.issue_order(incident, "water").no
    services.step(first, "return", at=t(clock, "14:01"), reason="不属我单位职责")
    services.review_return(first, "accept", at=t(clock, "14:03"))
    services.reassign(first, "water_co", at=t(clock, "14:09"))
    a = assess(services)
    water = unit_of(a, "water")
    assert (water.received, water.reassigned_away, water.returns_accepted) == (1, 1, 1)
    assert water.stage("ack").judged == 0              # ack due 14:05, returned at 14:01
    assert first not in listed(a, "ignored")
    assert unit_of(a, "water_co").received == 1


def test_a_return_rejected_puts_the_order_on_the_not_followed_list(services: Services,
                                                                   clock: FakeClock,
                                                                   incident: int) -> None:
    no = services.issue_order(incident, "water").no
    services.step(no, "return", at=t(clock, "14:01"), reason="不归我们管")
    services.review_return(no, "reject", at=t(clock, "14:02"), note="供水管道属水务局")
    clock.set("2026-11-28T07:00:00Z")
    a = assess(services)
    assert listed(a, "ignored") == {no: ("never_acked", "return_rejected")}
    assert unit_of(a, "water").returns_rejected == 1
    assert unit_of(a, "water").stage("ack").late == 1


def test_cancelled_orders(services: Services, clock: FakeClock, call: Callable[..., Any]) -> None:
    early = services.issue_order(call().incident.no, "water").no
    services.step(early, "cancel", at=t(clock, "14:02"))
    late = services.issue_order(call(phone="13900000002", address="解放路9号").incident.no,
                                "water").no
    services.step(late, "cancel", at=t(clock, "14:10"))          # the ack was due at 14:05
    a = assess(services)
    water = unit_of(a, "water")
    assert (water.received, water.cancelled) == (2, 2)
    assert (water.stage("ack").on_time, water.stage("ack").late) == (0, 1)
    assert listed(a, "ignored") == {late: ("never_acked",)}
    assert early not in listed(a, "ignored")


def test_a_drill_is_left_out(services: Services, clock: FakeClock,
                             call: Callable[..., Any]) -> None:
    drill = call(drill=True).incident.no
    services.issue_order(drill, "water")
    clock.advance(hours=3)
    a = assess(services)
    assert unit_of(a, "water").received == 0
    assert all(not v for v in a.lists.values())
    assert all(o.calls == 0 for o in a.operators)


def test_a_merged_repeat_counts_once(services: Services, clock: FakeClock, call: Callable[..., Any]) -> None:
    master = call().incident.no
    kept = services.issue_order(master, "water").no
    dup = call(phone="13900000009", address="人民路12号旁").incident.no
    repeat = services.issue_order(dup, "water").no
    other = services.issue_order(dup, "gas").no
    for no in (repeat, other):
        services.step(no, "ack", at=t(clock, "14:02"))
        services.step(no, "complete", at=t(clock, "14:03"))
    services.merge(dup, master)
    a = assess(services)
    assert unit_of(a, "water").received == 1           # the same job, once
    assert unit_of(a, "gas").received == 1             # the master had no gas order: it counts
    assert unit_of(a, "water").stage("ack").judged == 0 and kept > 0


def test_an_order_open_across_the_period_end_is_judged_as_it_stood(
        services: Services, clock: FakeClock, call: Callable[..., Any]) -> None:
    clock.set("2026-11-28T15:20:00Z")                  # 23:20 local on the 28th
    slow = services.issue_order(call().incident.no, "water").no
    services.step(slow, "ack", at=t(clock, "23:22"))
    clock.set("2026-11-28T15:50:00Z")                  # 23:50
    pending = services.issue_order(call(phone="13900000003", address="北街1号").incident.no,
                                   "water").no
    services.step(pending, "ack", at=t(clock, "23:52"))
    clock.set("2026-11-28T16:30:00Z")                  # 00:30 on the 29th
    services.step(pending, "arrive")                   # after the cut-off (due 00:20)
    clock.set("2026-12-05T00:00:00Z")                  # a week later: the same report
    day = assess(services)
    water = unit_of(day, "water")
    assert day.cutoff == day.period.end
    assert (water.stage("ack").on_time, water.stage("ack").late) == (2, 0)
    assert (water.stage("arrive").on_time, water.stage("arrive").late) == (0, 1)  # slow's, 23:50
    assert water.stage("feedback").judged == 0         # both due after midnight
    assert listed(day, "slow") == {slow: ("arrive_late",)}
    assert listed(day, "idle") == {}
    nxt = assess(services, "2026-11-29")
    assert unit_of(nxt, "water").received == 0         # counted where it was issued
    both = assess(services, DAY, "2026-11-29")
    assert unit_of(both, "water").stage("arrive").late == 2  # pending arrived 00:30, due 00:20


def test_periods_are_center_days_on_a_machine_in_another_zone(
        services: Services, clock: FakeClock, call: Callable[..., Any]) -> None:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        clock.set("2026-11-28T15:59:00Z")              # 23:59 on the 28th in Shanghai
        services.issue_order(call().incident.no, "water")
        clock.set("2026-11-28T16:01:00Z")              # 00:01 on the 29th in Shanghai
        services.issue_order(call(phone="13900000004", address="南街2号").incident.no, "gas")
        a = assess(services)
        assert iso(a.period.start) == "2026-11-27T16:00:00.000Z"
        assert (unit_of(a, "water").received, unit_of(a, "gas").received) == (1, 0)
        b = assess(services, "2026-11-29")
        assert (unit_of(b, "water").received, unit_of(b, "gas").received) == (0, 1)
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


def test_urges_supervisions_and_callbacks(services: Services, clock: FakeClock,
                                          incident: int) -> None:
    no = services.issue_order(incident, "water").no
    services.urge(no, "值班员张三", "phone")
    services.urge(no, "值班员张三", "sms")
    services.supervise(no, 1, "迟迟未到场")
    services.supervise(no, 2, "仍未到场")
    services.step(no, "ack")
    services.step(no, "arrive")
    services.step(no, "feedback")
    services.step(no, "complete")
    services.callback(incident, "basic")
    clock.advance(minutes=5)
    water = unit_of(assess(services), "water")
    assert water.urges == 2 and water.supervisions == {2: 1}
    assert water.callbacks == {"basic": 1} and water.satisfaction == 1.0


def test_operators_and_the_center_figure(services: Services, clock: FakeClock,
                                         call: Callable[..., Any]) -> None:
    fast = call().incident.no
    clock.advance(seconds=45)
    services.issue_order(fast, "water")
    slow = call(phone="13900000005", address="西街3号").incident.no
    clock.advance(seconds=100)
    services.issue_order(slow, "water")
    call(phone="13900000006", address="东街4号", category="public_order", transfer="110")
    services.recategorize(slow, "water_supply")
    clock.advance(minutes=10)
    a = assess(services)
    [op] = a.operators
    assert (op.calls, op.dispatched, op.within_60, op.within_120) == (3, 2, 1, 2)
    assert (op.answer_order_p50_s, op.answer_order_p90_s) == (45.0, 100.0)
    assert (op.transfers, op.recategorized) == (1, 1)
    assert (a.center_figure.dispatched, a.center_figure.within_60) == (2, 1)


def test_the_trend_reads_the_previous_period(services: Services, clock: FakeClock,
                                             call: Callable[..., Any]) -> None:
    services.issue_order(call().incident.no, "water")
    clock.set("2026-11-29T06:00:00Z")
    services.issue_order(call(phone="13900000007", address="北街8号").incident.no, "water")
    services.issue_order(call(phone="13900000008", address="北街9号").incident.no, "water")
    a = assess(services, "2026-11-29")
    assert a.previous.first.isoformat() == DAY
    assert a.previous_units["water"].received == 1 and unit_of(a, "water").received == 2
