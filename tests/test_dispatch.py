"""Orders (派单): issue, the lifecycle, illegal steps, first contact, handover, reassignment."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from conftest import OpenServices, Scalar, TakeCall, Unchanged, one_row

from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput, IllegalTransition, NotFound
from console.kernel.model import IncidentStatus, OrderStatus
from console.orders.dispatch import resolve_unit
from console.seat.services import Services


@pytest.fixture
def incident(call: TakeCall) -> int:
    """One open urban power-cut incident received at 14:00; returns its number."""
    return call().incident.no


def order_row(services: Services, no: int) -> sqlite3.Row:
    return one_row(services.store, "SELECT * FROM orders WHERE no = ?", (no,))


def n_events(services: Services) -> int:
    return one_row(services.store, "SELECT count(*) FROM events")[0]


# -- units --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "code"),
    [("power", "power"), ("gdj", "power"), ("县供电局", "power"), ("供电局", "power"),
     ("gongdianju", "power"), ("自来水", "water_co"), ("zls", "water_co"), ("ems120", "ems120"),
     ("ＧＤＪ", "power")],
)
def test_resolve_unit(services: Services, query: str, code: str) -> None:
    assert resolve_unit(services.ctx, query).code == code


def test_unknown_unit_refused(services: Services, incident: int, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.issue_order(incident, "xyzzy")
    assert info.value.code == "unit.not_found"
    assert info.value.message("zh") == "找不到联动单位：xyzzy"
    assert info.value.message("en") == "no linkage unit matches: xyzzy"


def test_ambiguous_unit_refused_with_candidates(services: Services, incident: int, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.issue_order(incident, "局")
    assert info.value.code == "unit.ambiguous"
    assert "psb 县公安局" in info.value.message("zh")
    assert "use the unit code" in info.value.message("en")


def test_unknown_incident_refused(services: Services, incident: int, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(NotFound) as info:
        services.issue_order(42, "power")
    assert info.value.code == "incident.not_found"
    assert info.value.message("zh") == "找不到警情 42"


@pytest.mark.parametrize("ref", [99, "99", "#99", "0123abcd"])
def test_unknown_order_refused(services: Services, incident: int, unchanged: Unchanged, ref: int | str) -> None:
    services.issue_order(incident, "power")
    with unchanged(services), pytest.raises(NotFound) as info:
        services.step(ref, "ack")
    assert info.value.code == "order.not_found"


# -- issue ----------------------------------------------------------------------------------------
def test_issue_order(services: Services, incident: int, scalar: Scalar) -> None:
    order = services.issue_order(incident, "gdj", note="请尽快派员")
    assert order.no == 1
    assert order.unit == "power" and order.unit_kind == "utility" and order.area == "urban"
    assert order.status == OrderStatus.ISSUED
    assert order.first_contact
    row = order_row(services, 1)
    assert row["issued_at"] == "2026-11-28T06:00:00.000Z"
    assert json.loads(row["steps"]) == {"issued": "2026-11-28T06:00:00.000Z"}
    issued = services.store.all("SELECT * FROM events WHERE kind = 'order.issued'")
    assert len(issued) == 1
    payload = json.loads(issued[0]["payload"])
    assert payload["order_id"] == order.id and payload["note"] == "请尽快派员"
    assert scalar("SELECT count(*) FROM outbox") == n_events(services)


def test_order_by_id_prefix(services: Services, incident: int) -> None:
    order = services.issue_order(incident, "power")
    assert services.step(order.id[:12], "ack").status == OrderStatus.ACKNOWLEDGED


def test_first_contact_flag_on_first_order_only(services: Services, incident: int) -> None:
    first = services.issue_order(incident, "power")
    second = services.issue_order(incident, "fire")
    services.step(first.no, "cancel")
    third = services.issue_order(incident, "water_co")
    assert [first.first_contact, second.first_contact, third.first_contact] == [True, False, False]
    rows = services.store.all("SELECT no, first_contact FROM orders ORDER BY no")
    assert [tuple(r) for r in rows] == [(1, 1), (2, 0), (3, 0)]


def test_first_contact_is_per_incident(services: Services, call: TakeCall) -> None:
    call()
    call(phone="13900000002", address="解放路1号")
    assert services.issue_order(1, "power").first_contact
    assert services.issue_order(2, "power").first_contact


def test_duplicate_open_order_for_same_unit_refused(services: Services, incident: int, unchanged: Unchanged) -> None:
    services.issue_order(incident, "power")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.issue_order(incident, "gdj")
    assert info.value.code == "order.duplicate"
    assert info.value.message("zh") == "县供电局 已有该警情的未结派单"
    assert info.value.message("en") == "County Power Supply Bureau already has an open order for this incident"


def test_same_unit_again_after_its_order_is_closed(services: Services, incident: int) -> None:
    services.issue_order(incident, "power")
    services.step(1, "cancel")
    again = services.issue_order(incident, "power")
    assert again.no == 2 and again.status == OrderStatus.ISSUED


def test_order_before_the_call_was_received_refused(services: Services, incident: int, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.issue_order(incident, "power", at="13:50")
    assert info.value.code == "order.before_incident"


@pytest.mark.parametrize("close", ["transfer", "merge", "complete"])
def test_order_for_incident_not_open_refused(services: Services, call: TakeCall, unchanged: Unchanged,
                                             close: str) -> None:
    call()
    call(phone="13900000002")
    if close == "transfer":
        # handed to 12345: the center's handling ended (a 110/119/120 transfer now lets a
        # linkage order follow: tests/test_multi_service.py)
        services.transfer(1, "12345")
    elif close == "merge":
        services.merge(1, 2)
    else:
        services.issue_order(1, "power")
        services.step(1, "ack")
        services.step(1, "complete")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.issue_order(1, "fire")
    assert info.value.code == "order.incident_not_open"
    label_zh, label_en = {"transfer": ("已转出", "transferred"), "merge": ("已合并", "merged"),
                          "complete": ("已办结", "closed")}[close]
    assert info.value.message("zh") == f"警情 1 不在处置中（{label_zh}），不能派单"
    assert info.value.message("en") == f"incident 1 is not open ({label_en}); cannot issue orders"


def test_two_seats_cannot_both_order_the_same_unit(services: Services, incident: int, open_svc: OpenServices,
                                                   unchanged: Unchanged) -> None:
    """Validation reads inside the write transaction, so a second session sees the first's order."""
    other = open_svc()
    services.issue_order(incident, "power")
    with unchanged(services), pytest.raises(BadInput) as info:
        other.issue_order(incident, "power")
    assert info.value.code == "order.duplicate"
    other.step(1, "ack")
    with unchanged(services), pytest.raises(IllegalTransition):
        services.step(1, "deliver")


# -- the lifecycle --------------------------------------------------------------------------------
def test_full_lifecycle_with_reported_times(services: Services, incident: int, clock: FakeClock) -> None:
    order = services.issue_order(incident, "power", at="14:00")
    clock.advance(minutes=90)                                   # the dispatcher catches up at 15:30
    steps = [("deliver", "14:01"), ("ack", "14:03"), ("depart", "14:06"), ("arrive", "14:21"),
             ("feedback", "14:50"), ("complete", "15:10")]
    statuses = []
    for verb, at in steps:
        statuses.append(services.step(order.no, verb, at=at, note=f"{verb} note").status)
    assert statuses == [OrderStatus.DELIVERED, OrderStatus.ACKNOWLEDGED, OrderStatus.EN_ROUTE,
                        OrderStatus.ON_SCENE, OrderStatus.FEEDBACK, OrderStatus.COMPLETED]
    row = order_row(services, order.no)
    assert row["status"] == "completed"
    assert json.loads(row["steps"]) == {
        "issued": "2026-11-28T06:00:00.000Z", "delivered": "2026-11-28T06:01:00.000Z",
        "acknowledged": "2026-11-28T06:03:00.000Z", "en_route": "2026-11-28T06:06:00.000Z",
        "on_scene": "2026-11-28T06:21:00.000Z", "feedback": "2026-11-28T06:50:00.000Z",
        "completed": "2026-11-28T07:10:00.000Z",
    }
    stepped = services.store.all(
        "SELECT happened_at, recorded_at, payload FROM events WHERE kind = 'order.stepped' ORDER BY seq")
    assert [r["happened_at"][11:16] for r in stepped] == ["06:01", "06:03", "06:06", "06:21",
                                                         "06:50", "07:10"]
    assert {r["recorded_at"] for r in stepped} == {"2026-11-28T07:30:00.000Z"}
    assert json.loads(stepped[3]["payload"])["note"] == "arrive note"
    # the incident closed with its last order, at the time the completion happened
    inc = one_row(services.store, "SELECT status, closed_at FROM incidents WHERE no = ?", (incident,))
    assert tuple(inc) == ("closed", "2026-11-28T07:10:00.000Z")
    closed = services.store.all("SELECT happened_at FROM events WHERE kind = 'incident.closed'")
    assert [r[0] for r in closed] == ["2026-11-28T07:10:00.000Z"]
    assert services.board().rows == [] and services.board().waiting == []


def test_positional_clock_time_and_now(services: Services, incident: int, clock: FakeClock) -> None:
    services.issue_order(incident, "power")
    clock.advance(minutes=2)
    services.step(1, "ack")
    assert json.loads(order_row(services, 1)["steps"])["acknowledged"] == "2026-11-28T06:02:00.000Z"


def test_incident_stays_open_until_its_last_order_completes(services: Services, incident: int) -> None:
    services.issue_order(incident, "power")
    services.issue_order(incident, "fire")
    services.step(1, "ack")
    services.step(1, "complete")
    assert services.incident(incident).incident.status == IncidentStatus.OPEN
    services.step(2, "arrive")
    services.step(2, "complete")
    detail = services.incident(incident)
    assert detail.incident.status == IncidentStatus.CLOSED
    assert [e.kind for e in detail.timeline].count("incident.closed") == 1


def test_incident_with_only_cancelled_orders_stays_open_and_waits(services: Services, incident: int) -> None:
    services.issue_order(incident, "power")
    services.step(1, "cancel", note="误派")
    assert services.incident(incident).incident.status == IncidentStatus.OPEN
    assert [i.no for i in services.board().waiting] == [incident]


def test_cancel_of_last_open_order_closes_when_another_completed(services: Services, incident: int) -> None:
    services.issue_order(incident, "power")
    services.issue_order(incident, "fire")
    services.step(1, "ack")
    services.step(1, "complete")
    services.step(2, "cancel")
    assert services.incident(incident).incident.status == IncidentStatus.CLOSED


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (["arrive"], "on_scene"),                       # straight from issued
        (["ack", "arrive"], "on_scene"),
        (["depart"], "en_route"),
        (["feedback"], "feedback"),
        (["deliver", "on_scene_later_complete"], None),
    ],
)
def test_skipping_forward_is_allowed(services: Services, incident: int, path: list[str], expected: str | None) -> None:
    services.issue_order(incident, "power")
    if expected is None:
        services.step(1, "deliver")
        services.step(1, "arrive")
        assert services.step(1, "complete").status == OrderStatus.COMPLETED
        return
    for verb in path:
        order = services.step(1, verb)
    assert order.status.value == expected


def test_skipped_steps_are_not_invented(services: Services, incident: int) -> None:
    services.issue_order(incident, "power")
    services.step(1, "arrive")
    assert set(json.loads(order_row(services, 1)["steps"])) == {"issued", "on_scene"}


# -- illegal transitions ----------------------------------------------------------------------------
ILLEGAL = [
    # (steps taken first, the refused verb, kwargs, error code)
    (["arrive"], "ack", {}, "order.backwards"),
    (["ack"], "ack", {}, "order.backwards"),
    (["ack"], "deliver", {}, "order.backwards"),
    (["feedback"], "depart", {}, "order.backwards"),
    (["ack", "complete"], "feedback", {}, "order.closed"),
    (["ack", "complete"], "complete", {}, "order.closed"),
    (["ack", "complete"], "cancel", {}, "order.closed"),
    (["ack", "complete"], "return", {"reason": "x"}, "order.closed"),
    (["cancel"], "ack", {}, "order.closed"),
    (["cancel"], "cancel", {}, "order.closed"),
    ([], "complete", {}, "order.complete_unacked"),
    (["deliver"], "complete", {}, "order.complete_unacked"),
    ([], "return", {}, "order.return_reason"),
    ([], "return", {"reason": "   "}, "order.return_reason"),
    (["feedback"], "return", {"reason": "不归我们管"}, "order.not_returnable"),
    (["return"], "ack", {}, "order.returned"),
    (["return"], "arrive", {}, "order.returned"),
    (["return"], "complete", {}, "order.returned"),
    (["return"], "return", {"reason": "再退"}, "order.returned"),
    ([], "finish", {}, "order.unknown_step"),
]


@pytest.mark.parametrize(("before", "verb", "kwargs", "code"), ILLEGAL)
def test_illegal_transition_refused(services: Services, incident: int, unchanged: Unchanged, before: list[str],
                                    verb: str, kwargs: dict[str, Any],
                                    code: str) -> None:
    services.issue_order(incident, "power")
    services.issue_order(incident, "fire")      # keeps the incident open after a completion
    for step in before:
        services.step(1, step, reason="不属我单位职责" if step == "return" else "")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.step(1, verb, **kwargs)
    assert info.value.code == code
    assert info.value.message("zh") and info.value.message("en")


def test_transition_messages_in_both_languages(services: Services, incident: int, unchanged: Unchanged) -> None:
    services.issue_order(incident, "power")
    services.step(1, "arrive")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.step(1, "ack")
    assert info.value.message("zh") == "派单 1 已“已到场”，不能再记录“已签收”"
    assert info.value.message("en") == "order 1 is already on scene; it cannot go back to acknowledged"
    assert info.value.exit_code == 2


def test_return_reason_message(services: Services, incident: int, unchanged: Unchanged) -> None:
    services.issue_order(incident, "power")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.step(1, "return")
    assert info.value.message("zh") == "退单必须填写原因（--reason）"
    assert info.value.message("en") == "a return needs a reason (--reason)"


def test_returned_order_may_be_cancelled(services: Services, incident: int) -> None:
    services.issue_order(incident, "power")
    services.step(1, "return", reason="不属我单位职责")
    assert services.step(1, "cancel").status == OrderStatus.CANCELLED


@pytest.mark.parametrize("before", [[], ["deliver"], ["ack"], ["depart"], ["arrive"]])
def test_return_allowed_until_feedback(services: Services, incident: int, before: list[str]) -> None:
    services.issue_order(incident, "power")
    for verb in before:
        services.step(1, verb)
    order = services.step(1, "return", reason="  不属我单位职责 ")
    assert order.status == OrderStatus.RETURNED
    assert order.return_reason == "不属我单位职责"
    assert order_row(services, 1)["return_reason"] == "不属我单位职责"


# -- times -------------------------------------------------------------------------------------------
def test_step_time_before_previous_step_refused(services: Services, incident: int, clock: FakeClock,
                                                unchanged: Unchanged) -> None:
    services.issue_order(incident, "power")
    clock.advance(minutes=30)
    services.step(1, "ack", at="14:10")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.step(1, "arrive", at="14:05")
    assert info.value.code == "order.time_before_previous"
    assert "2026-11-28 14:05:00" in info.value.message("zh")
    assert "before the order's previous step at 2026-11-28 14:10:00" in info.value.message("en")


def test_step_time_before_issue_refused(services: Services, call: TakeCall, clock: FakeClock,
                                        unchanged: Unchanged) -> None:
    call(at="13:30")
    services.issue_order(1, "power", at="13:40")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.step(1, "ack", at="13:35")
    assert info.value.code == "order.time_before_previous"


def test_same_time_as_previous_step_is_fine(services: Services, incident: int) -> None:
    services.issue_order(incident, "power")
    assert services.step(1, "arrive", at="14:00").status == OrderStatus.ON_SCENE


@pytest.mark.parametrize(("at", "code"), [("23:59", "input.future_time"), ("14:05", "input.future_time"),
                                          ("yesterday", "input.time"), ("25:61", "input.time")])
def test_bad_step_time_refused(services: Services, incident: int, unchanged: Unchanged, at: str, code: str) -> None:
    services.issue_order(incident, "power")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.step(1, "ack", at=at)
    assert info.value.code == code


# -- handover ------------------------------------------------------------------------------------------
def test_handover_links_orders_and_closes_the_old(services: Services, incident: int, clock: FakeClock) -> None:
    first = services.issue_order(incident, "fire")            # first contact: fire brigade
    clock.advance(minutes=20)
    services.step(first.no, "ack", at="14:02")
    services.step(first.no, "arrive", at="14:09")
    new = services.handover(first.no, "gas", at="14:15", note="初步处置完毕，移交燃气公司")
    old = services.order(first.no)[0]
    assert old.status == OrderStatus.HANDED_OVER
    assert old.steps["handed_over"].isoformat() == "2026-11-28T06:15:00+00:00"
    assert new.handover_from == first.id
    assert new.unit == "gas" and new.status == OrderStatus.ISSUED
    assert not new.first_contact
    assert new.issued_at.isoformat() == "2026-11-28T06:15:00+00:00"
    assert new.ack_due is not None and new.ack_due.isoformat() == "2026-11-28T06:20:00+00:00"
    rows = services.store.all("SELECT no, status, handover_from FROM orders ORDER BY no")
    assert [tuple(r) for r in rows] == [(1, "handed_over", None), (2, "issued", first.id)]
    assert services.incident(incident).incident.status == IncidentStatus.OPEN
    kinds = [r[0] for r in services.store.all("SELECT kind FROM events ORDER BY seq")]
    assert kinds[-2:] == ["order.stepped", "order.issued"]


@pytest.mark.parametrize("before", [[], ["deliver"]])
def test_handover_before_ack_refused(services: Services, incident: int, unchanged: Unchanged,
                                     before: list[str]) -> None:
    services.issue_order(incident, "fire")
    for verb in before:
        services.step(1, verb)
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.handover(1, "gas")
    assert info.value.code == "order.handover_state"


@pytest.mark.parametrize("before", [["ack", "complete"], ["cancel"], ["return"]])
def test_handover_of_closed_or_returned_order_refused(services: Services, incident: int, unchanged: Unchanged,
                                                      before: list[str]) -> None:
    services.issue_order(incident, "fire")
    services.issue_order(incident, "psb")
    for verb in before:
        services.step(1, verb, reason="x" if verb == "return" else "")
    with unchanged(services), pytest.raises(IllegalTransition):
        services.handover(1, "gas")


def test_handover_to_same_unit_or_unit_with_open_order_refused(services: Services, incident: int,
                                                               unchanged: Unchanged) -> None:
    services.issue_order(incident, "fire")
    services.issue_order(incident, "gas")
    services.step(1, "ack")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.handover(1, "fire")
    assert info.value.code == "order.handover_self"
    with unchanged(services), pytest.raises(BadInput) as info:
        services.handover(1, "gas", note="已关闭阀门")
    assert info.value.code == "order.duplicate"


# -- return and reassign --------------------------------------------------------------------------------
def test_reassign_after_return_keeps_both_orders(services: Services, incident: int, clock: FakeClock) -> None:
    first = services.issue_order(incident, "water")
    clock.advance(minutes=10)
    services.step(first.no, "return", at="14:04", reason="不属我单位职责 应由自来水公司处理")
    new = services.reassign(first.no, "water_co", at="14:06")
    old = services.order(first.no)[0]
    assert old.status == OrderStatus.REASSIGNED
    assert old.return_reason == "不属我单位职责 应由自来水公司处理"
    assert set(old.steps) == {"issued", "returned", "reassigned"}
    assert new.reassigned_from == first.id and new.unit == "water_co"
    assert new.status == OrderStatus.ISSUED and not new.first_contact
    rows = services.store.all("SELECT no, unit, status, reassigned_from FROM orders ORDER BY no")
    assert [tuple(r) for r in rows] == [(1, "water", "reassigned", None),
                                        (2, "water_co", "issued", first.id)]
    assert [o.no for o, _ in services.incident(incident).orders] == [1, 2]


def test_reassign_refusals(services: Services, incident: int, unchanged: Unchanged) -> None:
    services.issue_order(incident, "water")
    services.issue_order(incident, "power")
    services.step(1, "return", reason="不归我管")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.reassign(1, "water")
    assert info.value.code == "order.reassign_self"
    with unchanged(services), pytest.raises(BadInput) as info:
        services.reassign(1, "power")
    assert info.value.code == "order.duplicate"
    with unchanged(services), pytest.raises(BadInput) as info:
        services.reassign(1, "xyzzy")
    assert info.value.code == "unit.not_found"
    with unchanged(services), pytest.raises(BadInput) as info:
        services.reassign(1, "water_co", at="13:00")
    assert info.value.code == "order.time_before_previous"
    services.step(2, "cancel")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.reassign(2, "water_co")
    assert info.value.code == "order.closed"


def test_returned_order_stays_on_the_board_until_reassigned(services: Services, incident: int) -> None:
    services.issue_order(incident, "water")
    services.step(1, "return", reason="不归我管")
    board = services.board()
    assert [r.order.status for r in board.rows] == [OrderStatus.RETURNED]
    assert board.waiting == []
    services.reassign(1, "water_co")
    assert [r.order.unit for r in services.board().rows] == ["water_co"]
