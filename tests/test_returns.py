"""Returns (退单) and their review (退单审核): accept then reassign or cancel, reject back to the
unit where the order stood, a second return after a reject, implicit acceptance, refusals, and
that any arrival order of the events builds the same tables."""

from __future__ import annotations

import json
import random
import sqlite3
from typing import Any

import pytest
from conftest import Cli, TakeCall, Unchanged, one_row

from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput, IllegalTransition
from console.kernel.model import OrderStatus
from console.seat.services import Services
from console.store.transaction import Store, record_from_row


@pytest.fixture
def incident(call: TakeCall) -> int:
    """One open urban power-cut incident received at 14:00; returns its number."""
    return call().incident.no


def kinds(services: Services) -> list[str]:
    return [r[0] for r in services.store.all("SELECT kind FROM events ORDER BY seq")]


def row(services: Services, no: int) -> sqlite3.Row:
    return one_row(services.store, "SELECT * FROM orders WHERE no = ?", (no,))


def returned(services: Services, incident: int, *before: str, unit: str = "water") -> int:
    """An order to ``unit``, stepped through ``before``, then returned with a reason."""
    order = services.issue_order(incident, unit)
    for verb in before:
        services.step(order.no, verb)
    services.step(order.no, "return", reason="不属我单位职责")
    return order.no


# -- accept -------------------------------------------------------------------------------------
def test_accept_keeps_the_order_returned_then_reassign_keeps_both(services: Services, incident: int,
                                                                  clock: FakeClock) -> None:
    no = returned(services, incident)                       # at 14:00
    clock.advance(minutes=10)
    pending = services.order(no)[0]
    assert pending.status == OrderStatus.RETURNED and pending.return_decision == ""
    accepted = services.review_return(no, "accept", at="14:05")
    assert accepted.status == OrderStatus.RETURNED
    assert accepted.return_decision == "accept"
    assert accepted.return_reason == "不属我单位职责"
    assert row(services, no)["return_decision"] == "accept"
    new = services.reassign(no, "water_co", at="14:06")
    assert services.order(no)[0].status == OrderStatus.REASSIGNED
    assert new.reassigned_from == pending.id and new.unit == "water_co"
    # accepted explicitly: reassigning adds no second review
    assert kinds(services)[-4:] == ["order.stepped", "order.return_reviewed", "order.stepped",
                                    "order.issued"]
    [r] = services.returns(pending.id)
    assert (r.reason, r.decision, r.note) == ("不属我单位职责", "accept", "")
    assert r.reviewed_at is not None and r.reviewed_at.isoformat() == "2026-11-28T06:05:00+00:00"
    rows = services.store.all("SELECT no, unit, status, reassigned_from FROM orders ORDER BY no")
    assert [tuple(x) for x in rows] == [(1, "water", "reassigned", None),
                                        (2, "water_co", "issued", pending.id)]


@pytest.mark.parametrize("word", ["accept", "同意", "ty", "ACCEPT"])
def test_accept_spellings(services: Services, incident: int, word: str) -> None:
    no = returned(services, incident)
    assert services.review_return(no, word).return_decision == "accept"


# -- reject -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("before", "back_to", "next_verb"), [
    ((), OrderStatus.ISSUED, "ack"),
    (("deliver",), OrderStatus.DELIVERED, "ack"),
    (("ack",), OrderStatus.ACKNOWLEDGED, "depart"),
    (("ack", "arrive"), OrderStatus.ON_SCENE, "feedback"),
])
def test_reject_hands_the_order_back_where_it_stood(services: Services, incident: int, before: tuple[str, ...],
                                                    back_to: OrderStatus,
                                                    next_verb: str) -> None:
    no = returned(services, incident, *before)
    order = services.review_return(no, "reject", note="属于你单位辖区，请继续处置")
    assert order.status == back_to
    assert "returned" not in order.steps
    assert order.return_event == "" and order.return_reason == ""
    assert row(services, no)["status"] == back_to.value
    assert services.step(no, next_verb).status != back_to          # the unit can go on
    [r] = services.returns(order.id)
    assert (r.decision, r.note) == ("reject", "属于你单位辖区，请继续处置")


def test_reject_then_backwards_step_still_refused(services: Services, incident: int, unchanged: Unchanged) -> None:
    no = returned(services, incident, "ack")
    services.review_return(no, "reject", note="请继续处置")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.step(no, "ack")
    assert info.value.code == "order.backwards"


def test_second_return_after_reject_is_a_new_return_to_review(services: Services, incident: int,
                                                              clock: FakeClock) -> None:
    clock.advance(minutes=30)
    order = services.issue_order(incident, "water", at="14:00")
    services.step(order.no, "ack", at="14:01")
    services.step(order.no, "return", at="14:02", reason="不归我管")
    services.review_return(order.no, "reject", note="归你管", at="14:03")
    services.step(order.no, "depart", at="14:04")
    again = services.step(order.no, "return", at="14:10", reason="现场是供水公司管网")
    assert again.status == OrderStatus.RETURNED and again.return_decision == ""
    assert again.return_reason == "现场是供水公司管网"
    assert again.steps["returned"].isoformat() == "2026-11-28T06:10:00+00:00"
    first, second = services.returns(order.id)
    assert again.return_event == second.event_id
    assert (first.decision, second.decision) == ("reject", "")
    accepted = services.review_return(order.no, "accept", at="14:11")
    assert accepted.status == OrderStatus.RETURNED and accepted.return_decision == "accept"
    assert [r.decision for r in services.returns(order.id)] == ["reject", "accept"]


# -- implicit acceptance --------------------------------------------------------------------------
def test_reassigning_an_unreviewed_return_accepts_it_in_the_same_transaction(services: Services, incident: int) -> None:
    no = returned(services, incident)
    before = one_row(services.store, "SELECT max(seq) FROM events")[0]
    services.reassign(no, "water_co")
    added = services.store.all("SELECT kind, payload FROM events WHERE seq > ? ORDER BY seq", (before,))
    assert [r[0] for r in added] == ["order.return_reviewed", "order.stepped", "order.issued"]
    review = json.loads(added[0][1])
    old = services.order(no)[0]
    assert review["decision"] == "accept" and review["order_id"] == old.id
    [r] = services.returns(old.id)
    assert review["return_event"] == r.event_id and r.decision == "accept"
    assert old.status == OrderStatus.REASSIGNED
    assert old.return_reason == "不属我单位职责"     # the return is kept with the reassignment


def test_cancelling_an_unreviewed_return_accepts_it(services: Services, incident: int) -> None:
    no = returned(services, incident)
    order = services.step(no, "cancel")
    assert order.status == OrderStatus.CANCELLED
    assert kinds(services)[-2:] == ["order.return_reviewed", "order.stepped"]
    assert [r.decision for r in services.returns(order.id)] == ["accept"]


# -- refusals -------------------------------------------------------------------------------------
def test_review_of_an_order_that_is_not_returned_refused(services: Services, incident: int,
                                                         unchanged: Unchanged) -> None:
    services.issue_order(incident, "water")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.review_return(1, "accept")
    assert info.value.code == "order.not_returned"
    assert info.value.message("zh") == "派单 1 处于“已下达”，没有待审核的退单"
    assert info.value.message("en") == "order 1 is issued; it has no return to review"
    assert info.value.exit_code == 2


@pytest.mark.parametrize(("first", "second"), [
    ("accept", "accept"), ("accept", "reject"), ("reject", "accept"), ("reject", "reject")])
def test_review_twice_refused(services: Services, incident: int, unchanged: Unchanged, first: str, second: str) -> None:
    no = returned(services, incident, "ack")
    services.review_return(no, first, note="请继续")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.review_return(no, second, note="再审一次")
    assert info.value.code == "order.return_reviewed"
    assert info.value.message("zh") == "派单 1 的退单已审核过"
    assert info.value.message("en") == "the return of order 1 was already reviewed"


def test_review_after_reassign_refused(services: Services, incident: int, unchanged: Unchanged) -> None:
    no = returned(services, incident)
    services.reassign(no, "water_co")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.review_return(no, "reject", note="x")
    assert info.value.code == "order.return_reviewed"


@pytest.mark.parametrize("note", ["", "   ", "\t"])
def test_reject_without_a_note_refused(services: Services, incident: int, unchanged: Unchanged, note: str) -> None:
    no = returned(services, incident)
    with unchanged(services), pytest.raises(BadInput) as info:
        services.review_return(no, "reject", note=note)
    assert info.value.code == "order.reject_note"
    assert info.value.message("zh") == "驳回退单必须说明理由（--note）"
    assert info.value.message("en") == "rejecting a return needs a note saying why (--note)"


def test_unknown_decision_refused(services: Services, incident: int, unchanged: Unchanged) -> None:
    no = returned(services, incident)
    with unchanged(services), pytest.raises(BadInput) as info:
        services.review_return(no, "maybe")
    assert info.value.code == "order.review_decision"
    assert "accept" in info.value.message("zh") and "reject" in info.value.message("en")


def test_review_before_the_return_refused(services: Services, incident: int, clock: FakeClock,
                                          unchanged: Unchanged) -> None:
    clock.advance(minutes=10)
    order = services.issue_order(incident, "water", at="14:00")
    services.step(order.no, "return", at="14:05", reason="不归我管")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.review_return(order.no, "accept", at="14:04")
    assert info.value.code == "order.time_before_previous"


@pytest.mark.parametrize("reason", ["", "  "])
def test_return_without_a_reason_refused(services: Services, incident: int, unchanged: Unchanged, reason: str) -> None:
    services.issue_order(incident, "water")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.step(1, "return", reason=reason)
    assert info.value.code == "order.return_reason"
    assert info.value.message("zh") == "退单必须填写原因（--reason）"
    assert info.value.message("en") == "a return needs a reason (--reason)"


def test_returned_order_cannot_step_on_until_rejected(services: Services, incident: int, unchanged: Unchanged) -> None:
    no = returned(services, incident)
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.step(no, "ack")
    assert info.value.code == "order.returned"
    assert "驳回" in info.value.message("zh") and "reject" in info.value.message("en")


def test_reassign_refusals(services: Services, incident: int, unchanged: Unchanged) -> None:
    no = returned(services, incident)
    with unchanged(services), pytest.raises(BadInput) as info:
        services.reassign(no, "water")
    assert info.value.code == "order.reassign_self"
    assert info.value.message("zh") == "不能改派给同一单位"
    assert info.value.message("en") == "cannot reassign to the same unit"
    services.step(no, "cancel")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.reassign(no, "water_co")
    assert info.value.code == "order.closed"
    assert info.value.message("zh") == "派单 1 已是“已取消”状态，不能改派"
    assert info.value.message("en") == "order 1 is already cancelled; it cannot be reassigned"


# -- CLI ------------------------------------------------------------------------------------------
def test_review_through_the_cli(seeded: Cli) -> None:
    cli = seeded
    cli.ok("order", "return", "1", "--reason", "不属我单位职责")
    shown = cli.ok("order", "show", "1")
    assert shown["order"]["status"] == "returned"
    assert shown["order"]["return_review"] == "pending"
    assert shown["returns"][0]["reason"] == "不属我单位职责" and shown["returns"][0]["decision"] is None
    data = cli.ok("order", "review", "1", "reject", "--note", "属你单位职责")
    assert data["order"]["status"] == "issued" and data["order"]["return_review"] is None
    assert data["returns"][0]["decision"] == "reject" and data["returns"][0]["note"] == "属你单位职责"
    cli.ok("order", "ack", "1")
    cli.ok("order", "return", "1", "--reason", "仍不属于")
    data = cli.ok("review", "1", "同意")
    assert data["order"]["return_review"] == "accepted"
    assert [r["decision"] for r in data["returns"]] == ["reject", "accept"]
    text = cli("--lang", "en", "order", "show", "1", as_json=False)
    assert text.code == 0
    assert "returned (accepted)" in text.out and "rejected: 属你单位职责" in text.out
    new = cli.ok("order", "reassign", "1", "water_co")["order"]
    assert new["reassigned_from"] == data["order"]["id"]


@pytest.mark.parametrize(("argv", "code", "zh", "en"), [
    (["order", "review", "1", "accept"], "order.not_returned", "没有待审核的退单", "no return to review"),
    (["order", "review", "1"], "command.missing", "缺少参数 DECISION", "missing DECISION"),
])
def test_review_refusals_through_the_cli(seeded: Cli, argv: list[str], code: str, zh: str, en: str) -> None:
    seeded.refused(*argv, code=code, zh=zh, en=en)


def test_reject_without_note_through_the_cli(seeded: Cli) -> None:
    cli = seeded
    cli.ok("order", "return", "1", "--reason", "不属我单位职责")
    before = cli.snapshot()
    result = cli("order", "review", "1", "reject")
    assert result.code == 2 and result.json["error"]["code"] == "order.reject_note"
    again = cli.ok("order", "review", "1", "accept")
    assert again["order"]["return_review"] == "accepted"
    twice = cli("order", "review", "1", "accept")
    assert twice.code == 2 and twice.json["error"]["code"] == "order.return_reviewed"
    assert cli.snapshot()["orders"] != before["orders"]


def test_board_marks_a_return_awaiting_review(services: Services, incident: int) -> None:
    from console.commands.grammar import run

    returned(services, incident)
    zh = run(services, "board", "zh")
    assert any("已退单（待审核）" in line for line in zh.lines)
    assert zh.data["orders"][0]["return_review"] == "pending"
    services.review_return(1, "accept")
    assert any("returned (accepted)" in line for line in run(services, "board", "en").lines)


# -- order independence ---------------------------------------------------------------------------
TABLES = {
    "orders": "SELECT id, incident_id, unit, status, steps, first_contact, handover_from,"
              " reassigned_from, issued_at, return_reason, return_event, return_decision,"
              " initial_handling FROM orders ORDER BY id",
    "incidents": "SELECT id, status, closed_at, category, disposition, source, reporting_unit"
                 " FROM incidents ORDER BY id",
    "order_returns": "SELECT * FROM order_returns ORDER BY event_id",
    "order_return_reviews": "SELECT * FROM order_return_reviews ORDER BY event_id",
}


def tables(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {name: [tuple(r) for r in conn.execute(sql)] for name, sql in TABLES.items()}


def replay(records: list[Any]) -> dict[str, list[tuple[Any, ...]]]:
    """A fresh seat receiving ``records`` in the given order, the way sync delivers them (an
    event about an order it has not got yet waits as pending)."""
    fresh = Store(":memory:", FakeClock("2026-01-01T00:00:00Z"))
    try:
        with fresh.transaction("replay", "replay") as tx:
            for seq, record in enumerate(records, start=1):
                tx.receive(record, seq)
            tx.apply_pending()
        assert one_row(fresh, "SELECT count(*) FROM pending_events")[0] == 0
        return tables(fresh.conn)
    finally:
        fresh.close()


def test_any_arrival_order_builds_the_same_tables(services: Services, call: TakeCall, clock: FakeClock) -> None:
    s = services
    first = call().incident.no
    second = call(phone="13800000002", address="解放路3号").incident.no
    a = s.issue_order(first, "water")                              # return, reject, go on, return
    s.step(a.no, "ack")
    s.step(a.no, "return", reason="不归我管")
    s.review_return(a.no, "reject", note="归你管")
    s.step(a.no, "arrive")
    s.step(a.no, "return", reason="还是不归我管")
    s.reassign(a.no, "water_co")                                   # implicit accept
    b = s.issue_order(second, "power")                             # return, accept, cancel
    s.step(b.no, "return", reason="线路不是我们的")
    s.review_return(b.no, "accept")
    s.step(b.no, "cancel")
    c = s.issue_order(second, "fire")                              # handover, receiver acks
    s.step(c.no, "ack")
    handed = s.handover(c.no, "gas", note="已关阀疏散")
    s.step(handed.no, "ack")
    s.report("gas", phone="13900000009", text="燃气泄漏，已到场处置", address="东街5号",
             category="gas_leak", status="on_scene")
    # Another seat, not having seen the reject of a's first return... reviews it as accepted:
    # the later review (larger id) of one return rules, wherever it arrives.
    d = s.issue_order(first, "psb")
    s.step(d.no, "return", reason="不是治安问题")
    s.review_return(d.no, "reject", note="有人报打架")
    ret = s.returns(d.id)[0]
    with s.ctx.transaction() as tx:
        tx.append("order.return_reviewed", {"order_id": d.id, "return_event": ret.event_id,
                                            "decision": "accept", "note": ""},
                  subject=d.incident_id)
    assert s.order(d.no)[0].status == OrderStatus.RETURNED

    records = [record_from_row(r) for r in s.store.all("SELECT * FROM events ORDER BY seq")]
    expected = tables(s.store.conn)
    assert replay(records) == expected
    rnd = random.Random(20261128)
    for _ in range(25):
        shuffled = records[:]
        rnd.shuffle(shuffled)
        assert replay(shuffled) == expected
