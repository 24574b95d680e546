"""Shift handover (交接班): the summary on the fake clock, the handover recorded from whom to
whom after the receiver's PIN, refusals that write nothing, and the day's shift log."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
from conftest import Cli, one_row

from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.seat.services import Services

Unchanged = Callable[[Services], AbstractContextManager[None]]


@pytest.fixture
def staffed(services: Services) -> Services:
    services.enrol_operator("alice", "张三", "1234")
    services.enrol_operator("bob", "李四", "5678", admin="alice", admin_pin="1234")
    services.sign_in("alice", "1234")
    return services


def test_summary_lists_open_incidents_overdue_orders_supervision_and_notes(
        staffed: Services, call: Callable[..., object], clock: FakeClock) -> None:
    call()                                                    # #1, ordered below
    call(phone="13800000002", text="路灯不亮", address="东街3号", category="streetlight")
    staffed.issue_order(1, "gdj")
    staffed.note(1, "居民说变压器冒烟")
    staffed.supervise(1, 1, "居民多次来电")
    fresh = staffed.shift_summary()
    assert fresh.overdue == []                                # just issued: nothing overdue yet
    clock.advance(hours=1)
    sm = staffed.shift_summary()
    assert sm.operator == "alice"
    assert sm.since is not None and sm.since.isoformat().startswith("2026-11-28T06:00")
    assert [i.no for i in sm.open_incidents] == [1, 2]
    assert [r.order.no for r in sm.overdue] == [1]
    assert sm.overdue[0].clock.state == "overdue"
    assert [(r.order.no, s.level) for r, s in sm.supervised] == [(1, 1)]
    assert [(n.incident_no, n.text, n.operator) for n in sm.notes] == [(1, "居民说变压器冒烟", "alice")]
    data = sm.to_json()
    assert [i["no"] for i in data["open_incidents"]] == [1, 2]
    assert data["overdue_orders"][0]["no"] == 1 and data["overdue_orders"][0]["remaining_s"] < 0


def test_handover_is_recorded_from_whom_to_whom_and_the_seat_acts_as_the_receiver(
        staffed: Services, call: Callable[..., object], clock: FakeClock,
        open_svc: Callable[..., Services]) -> None:
    call()
    staffed.issue_order(1, "gdj")
    clock.advance(hours=2)
    h = staffed.hand_over_shift("bob", "5678", "1号警情供电局未签收，继续催")
    assert (h.from_operator, h.to_operator, h.open_incidents, h.overdue_orders) == (
        "alice", "bob", [1], [1])
    row = staffed.store.one("SELECT * FROM events WHERE kind = 'shift.handed_over'")
    assert row is not None and row["operator"] == "alice" and row["subject"] == "bob"
    p = json.loads(row["payload"])
    assert {k: p[k] for k in ("from_operator", "to_operator", "note", "open_incidents",
                              "overdue_orders", "at")} == {
        "from_operator": "alice", "to_operator": "bob", "note": "1号警情供电局未签收，继续催",
        "open_incidents": [1], "overdue_orders": [1], "at": "2026-11-28T08:00:00.000Z"}
    assert staffed.ctx.operator == "bob"
    staffed.note(1, "已再次催办")
    last = staffed.store.one("SELECT operator FROM events ORDER BY seq DESC LIMIT 1")
    assert last is not None and last[0] == "bob"
    assert open_svc().ctx.operator == "bob"
    # bob's shift starts at the handover: alice's notes are not his to hand on
    assert [n.text for n in staffed.shift_summary().notes] == ["已再次催办"]


def test_handover_refusals_write_nothing(staffed: Services, unchanged: Unchanged,
                                         only_failures_recorded: Callable[..., AbstractContextManager[None]]
                                         ) -> None:
    """Nothing but, for a wrong PIN, the failed attempt (console/duty/operators.py lockout)."""
    staffed.enrol_operator("carol", "王五", "9999", admin="alice", admin_pin="1234")
    staffed.disable_operator("carol", admin="alice", admin_pin="1234")
    for to, pin, code in [("bob", "0000", "operator.wrong_pin"), ("bob", "", "operator.wrong_pin"),
                          ("dave", "5678", "operator.unknown"), ("carol", "9999", "operator.disabled"),
                          ("alice", "1234", "shift.same_operator")]:
        with (only_failures_recorded(staffed, to) if code == "operator.wrong_pin"
              else unchanged(staffed)), pytest.raises(BadInput) as err:
            staffed.hand_over_shift(to, pin)
        assert err.value.code == code
        assert staffed.ctx.operator == "alice"
    assert one_row(staffed.store, "SELECT count(*) FROM shift_handovers")[0] == 0


def test_shift_log_is_by_the_centers_local_date(staffed: Services, clock: FakeClock) -> None:
    clock.set("2026-11-28T15:59:00Z")               # 23:59 local on the 28th
    staffed.hand_over_shift("bob", "5678", "夜班")
    clock.set("2026-11-28T16:01:00Z")               # 00:01 local on the 29th
    staffed.hand_over_shift("alice", "1234")
    assert [(h.from_operator, h.to_operator, h.note) for h in staffed.shift_log(date(2026, 11, 28))] == [
        ("alice", "bob", "夜班")]
    assert [h.to_operator for h in staffed.shift_log(date(2026, 11, 29))] == ["alice"]
    assert staffed.shift_log(date(2026, 11, 27)) == []


def test_cli_shift_verbs(cli: Cli) -> None:
    cli.ok("operator", "add", "alice", "--name", "张三", stdin="1234\n")
    cli.ok("operator", "add", "bob", "--name", "李四", "--admin", "alice", stdin="1234\n5678\n")
    cli.ok("operator", "signin", "alice", stdin="1234\n")
    cli.ok("call", "new", "--phone", "13800000001", "--text", "小区停电两个小时了",
           "--address", "人民路12号", "--area", "urban", "--category", "power_supply")
    cli.ok("order", "new", "1", "gdj")
    cli.now("2026-11-28T07:00:00Z")
    shown = cli.ok("shift", "show")["summary"]
    assert shown["operator"] == "alice"
    assert [i["no"] for i in shown["open_incidents"]] == [1]
    assert [o["no"] for o in shown["overdue_orders"]] == [1]
    human = cli("shift", "show", as_json=False).out
    assert "未结警情 1" in human and "超时派单 1" in human and "人民路12号" in human
    wrong = cli("shift", "handover", "--to", "bob", stdin="0000\n")
    assert wrong.code == 2 and "PIN 不正确" in wrong.err
    assert cli("--lang", "en", "shift", "handover", "--to", "bob", stdin="0000\n").err.strip() == (
        "linkage: wrong PIN")
    done = cli.ok("shift", "handover", "--to", "bob", "--note", "交接", stdin="5678\n")
    assert done["handover"]["from_operator"] == "alice" and done["handover"]["to_operator"] == "bob"
    logged = cli.ok("shift", "log", "--day", "2026-11-28")
    assert [h["to_operator"] for h in logged["handovers"]] == ["bob"]
    assert cli.ok("shift", "log")["day"] == "2026-11-28"
    bad = cli("shift", "log", "--day", "28/11")
    assert bad.code == 2 and bad.json["error"]["code"] == "input.day"
    assert cli.ok("operator", "list")["signed_in"] == "bob"
