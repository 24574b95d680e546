"""Order deadlines: the rules by area and unit kind, and each order's clock at any instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import OpenServices, TakeCall, one_row

from console.kernel.clock import FakeClock, parse_instant
from console.kernel.config import Config, DeadlineConfig
from console.kernel.errors import DataError
from console.kernel.model import Order
from console.orders.deadlines import due_times, load_rules
from console.seat.services import Services

T0 = parse_instant("2026-11-28T06:00:00Z")  # 14:00 local


def minutes_after_issue(order: Order) -> dict[str, int | None]:
    def m(due: datetime | None) -> int | None:
        return None if due is None else int((due - order.issued_at).total_seconds() // 60)

    return {"ack": m(order.ack_due), "depart": m(order.depart_due), "arrive": m(order.arrive_due),
            "feedback": m(order.feedback_due)}


# -- the rules --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("area", "unit", "expected"),
    [
        ("urban", "psb", {"ack": 3, "depart": None, "arrive": 15, "feedback": 60}),
        ("urban", "fire", {"ack": 3, "depart": None, "arrive": 15, "feedback": 60}),
        ("urban", "ems120", {"ack": 3, "depart": None, "arrive": 15, "feedback": 60}),
        ("urban", "traffic_police", {"ack": 3, "depart": None, "arrive": 15, "feedback": 60}),
        ("urban", "power", {"ack": 5, "depart": None, "arrive": 30, "feedback": 120}),
        ("urban", "water_co", {"ack": 5, "depart": None, "arrive": 30, "feedback": 120}),
        ("urban", "civil", {"ack": 5, "depart": None, "arrive": 30, "feedback": 120}),
        ("urban", "chengguan", {"ack": 5, "depart": None, "arrive": 30, "feedback": 120}),
        ("urban", "rescue_team", {"ack": 5, "depart": None, "arrive": 30, "feedback": 120}),
        ("urban", "locksmith", {"ack": 5, "depart": None, "arrive": 30, "feedback": 120}),
        ("suburb", "psb", {"ack": 5, "depart": 5, "arrive": None, "feedback": 120}),
        ("suburb", "power", {"ack": 5, "depart": 5, "arrive": None, "feedback": 120}),
        ("rural", "ems120", {"ack": 5, "depart": 5, "arrive": None, "feedback": 120}),
        ("rural", "water_co", {"ack": 5, "depart": 5, "arrive": None, "feedback": 120}),
    ],
)
def test_deadlines_by_area_and_unit_kind(services: Services, call: TakeCall, area: str, unit: str,
                                         expected: dict[str, int | None]) -> None:
    call(area=area)
    order = services.issue_order(1, unit)
    assert minutes_after_issue(order) == expected
    row = one_row(services.store, "SELECT * FROM orders")
    assert (row["arrive_due"] is None) == (expected["arrive"] is None)


def test_deadlines_count_from_the_reported_issue_time(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call(at="13:40")
    clock.advance(minutes=10)
    order = services.issue_order(1, "psb", at="13:50")
    assert order.arrive_due == parse_instant("2026-11-28T06:05:00Z")   # 13:50 + 15 min


def test_immediate_follows_config(tmp_path: Path, open_svc: OpenServices) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[deadlines]\nimmediate_minutes = 2\n", encoding="utf-8")
    s = open_svc(config_path=config)
    s.new_call(phone="13800000001", text="停电", category="power_supply", area="rural")
    order = s.issue_order(1, "power")
    assert minutes_after_issue(order) == {"ack": 2, "depart": 2, "arrive": None, "feedback": 120}


def test_stored_deadlines_do_not_move_when_rules_change(tmp_path: Path, open_svc: OpenServices) -> None:
    s = open_svc()
    s.new_call(phone="13800000001", text="停电", category="power_supply", area="suburb")
    before = s.issue_order(1, "power")
    s.close()
    config = tmp_path / "config.toml"
    config.write_text("[deadlines]\nimmediate_minutes = 1\n", encoding="utf-8")
    again = open_svc(config_path=config)
    after = again.order(1)[0]
    assert (after.ack_due, after.depart_due) == (before.ack_due, before.depart_due)
    assert minutes_after_issue(after)["ack"] == 5


def test_first_matching_rule_wins(tmp_path: Path) -> None:
    path = tmp_path / "deadlines.toml"
    path.write_text(
        '[[rule]]\narea = "urban"\nkinds = ["police"]\narrive = 10\n'
        '[[rule]]\narea = "*"\nkinds = "*"\nack = "immediate"\narrive = 99\n', encoding="utf-8")
    rules = load_rules(Config(deadlines=DeadlineConfig(immediate_minutes=7)), path)
    assert due_times(rules, "urban", "police", T0) == {"arrive": T0 + timedelta(minutes=10)}
    assert due_times(rules, "urban", "fire", T0) == {"ack": T0 + timedelta(minutes=7),
                                                     "arrive": T0 + timedelta(minutes=99)}
    assert due_times(rules, "rural", "police", T0)["ack"] == T0 + timedelta(minutes=7)


def test_no_matching_rule_means_no_deadline(tmp_path: Path) -> None:
    path = tmp_path / "deadlines.toml"
    path.write_text('[[rule]]\narea = "urban"\nkinds = "police"\narrive = 15\n', encoding="utf-8")
    rules = load_rules(Config(), path)
    assert due_times(rules, "rural", "utility", T0) == {}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("", "[[rule]]"),
        ("[[rule]\narea = ", "TOML"),
        ('[[rule]]\nkinds = "dragon"\nack = 5\n', "dragon"),
        ('[[rule]]\narea = "downtown"\nack = 5\n', "downtown"),
        ('[[rule]]\nack = 0\n', "ack"),
        ('[[rule]]\nack = -3\n', "ack"),
        ('[[rule]]\nack = "soon"\n', "ack"),
        ('[[rule]]\nack = 1.5\n', "ack"),
        ('[[rule]]\nack = true\n', "ack"),
        ('[[rule]]\narrival = 15\n', "arrival"),
        ('[[rule]]\nkinds = []\nack = 5\n', "kinds"),
        ("rule = 5\n", "[[rule]]"),
    ],
)
def test_invalid_rules_are_refused_naming_the_entry(tmp_path: Path, body: str, fragment: str) -> None:
    path = tmp_path / "deadlines.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_rules(Config(), path)
    message = info.value.message("en")
    assert message.startswith("data/deadlines.toml")
    assert fragment in message
    assert info.value.exit_code == 2


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_rules(Config(), tmp_path / "nope.toml")


def test_shipped_rules_load(services: Services) -> None:
    assert len(services.ctx.rules) >= 3


# -- the clock of an order ----------------------------------------------------------------------
def test_clock_counts_down_and_goes_overdue(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call()
    order = services.issue_order(1, "psb")                   # urban police: ack 3, arrive 15
    c = services.clock_of(order)
    assert (c.stage, c.remaining_s, c.state, c.missed) == ("ack", 180, "due_soon", ())
    assert c.due == T0 + timedelta(minutes=3)
    clock.advance(minutes=2, seconds=59)
    c = services.order(1)[1]
    assert (c.stage, c.remaining_s, c.state) == ("ack", 1, "due_soon")
    clock.advance(seconds=2)
    c = services.order(1)[1]
    assert (c.stage, c.remaining_s, c.state, c.missed) == ("ack", -1, "overdue", ("ack",))


def test_clock_at_any_instant_without_moving_time(services: Services, call: TakeCall) -> None:
    call()
    order = services.issue_order(1, "power")                 # urban other: ack 5, arrive 30
    at = {m: services.clock_of(order, T0 + timedelta(minutes=m)) for m in (-10, 0, 6, 45, 200)}
    assert at[-10].state == "normal" and at[-10].remaining_s == 900
    assert at[0].state == "due_soon" and at[0].remaining_s == 300
    assert at[6].state == "overdue" and at[6].remaining_s == -60 and at[6].missed == ("ack",)
    assert at[45].stage == "ack" and at[45].missed == ("ack", "arrive")
    assert at[200].missed == ("ack", "arrive", "feedback")
    # nothing was written by asking
    assert one_row(services.store, "SELECT count(*) FROM events WHERE kind LIKE 'order.%'")[0] == 1


def test_stage_moves_on_as_the_order_progresses(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call()
    services.issue_order(1, "psb")
    clock.advance(minutes=2)
    services.step(1, "ack")
    c = services.order(1)[1]
    assert (c.stage, c.remaining_s, c.state, c.missed) == ("arrive", 13 * 60, "normal", ())
    clock.advance(minutes=9)                                  # 14:11, arrive due 14:15
    assert services.order(1)[1].state == "due_soon"
    clock.advance(minutes=5)                                  # 14:16
    c = services.order(1)[1]
    assert (c.stage, c.state, c.remaining_s, c.missed) == ("arrive", "overdue", -60, ("arrive",))
    services.step(1, "arrive", at="14:14")                   # the unit says it was there at 14:14
    c = services.order(1)[1]
    assert (c.stage, c.missed) == ("feedback", ())            # arrived in time after all
    assert c.due == T0 + timedelta(minutes=60)


def test_late_steps_are_recorded_as_missed(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call()
    services.issue_order(1, "psb")
    clock.advance(minutes=40)
    services.step(1, "ack", at="14:04")                       # due 14:03
    services.step(1, "arrive", at="14:20")                    # due 14:15
    c = services.order(1)[1]
    assert c.missed == ("ack", "arrive")
    assert c.stage == "feedback" and c.state == "normal"
    services.step(1, "feedback", at="14:30")
    services.step(1, "complete", at="14:35")
    c = services.order(1)[1]
    assert (c.stage, c.due, c.remaining_s, c.state) == (None, None, None, "none")
    assert c.missed == ("ack", "arrive")                      # the record stays after completion


def test_skipped_step_is_met_by_a_later_one(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call()
    services.issue_order(1, "psb")
    clock.advance(minutes=10)
    services.step(1, "arrive", at="14:02")                    # first report: already on scene
    c = services.order(1)[1]
    assert c.missed == ()
    assert c.stage == "feedback"


def test_suburb_order_races_ack_and_departure_but_no_arrival(services: Services, call: TakeCall,
                                                             clock: FakeClock) -> None:
    call(area="suburb")
    services.issue_order(1, "power")
    c = services.order(1)[1]
    assert (c.stage, c.remaining_s) == ("ack", 300)
    services.step(1, "ack", at="14:00")
    c = services.order(1)[1]
    assert (c.stage, c.remaining_s, c.state) == ("depart", 300, "due_soon")
    clock.advance(minutes=6)
    c = services.order(1)[1]
    assert (c.stage, c.state, c.missed) == ("depart", "overdue", ("depart",))
    services.step(1, "depart")
    c = services.order(1)[1]
    assert (c.stage, c.state) == ("feedback", "normal")       # no arrival limit in suburbs
    clock.advance(hours=1)
    services.step(1, "arrive")
    c = services.order(1)[1]
    assert c.stage == "feedback" and c.missed == ("depart",)


def test_closed_orders_are_not_missing_anything_new(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call()
    services.issue_order(1, "psb")
    services.issue_order(1, "fire")
    services.step(1, "cancel")
    services.step(2, "ack")
    services.handover(2, "gas", note="关阀疏散后移交燃气公司")
    clock.advance(hours=5)
    assert services.order(1)[1].missed == ()
    assert services.order(2)[1].missed == ()
    assert services.order(2)[1].state == "none"
