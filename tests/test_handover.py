"""Handover (移交) under first-contact responsibility (首接负责): the first unit's initial handling
is required and kept, the chain links both orders, and until the receiving unit acknowledges
the first unit's order reads as handed over, awaiting the receiver's ack."""

from __future__ import annotations

import pytest
from conftest import Cli, TakeCall, Unchanged, one_row

from console.commands.grammar import run
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput, IllegalTransition
from console.kernel.model import Order, OrderStatus
from console.seat.services import Services

HANDLING = "已关闭总阀，疏散周边住户，设置警戒"


@pytest.fixture
def incident(call: TakeCall) -> int:
    return call(text="闻到很浓的煤气味", category="gas_leak").incident.no


@pytest.fixture
def handed(services: Services, incident: int, clock: FakeClock) -> tuple[Order, Order]:
    """Fire brigade (first contact) acked at 14:02, on scene 14:09, hands over to gas at 14:15."""
    clock.advance(minutes=20)
    first = services.issue_order(incident, "fire", at="14:00")
    services.step(first.no, "ack", at="14:02")
    services.step(first.no, "arrive", at="14:09")
    new = services.handover(first.no, "gas", at="14:15", note=f"  {HANDLING} ")
    return first, new


def test_handover_keeps_the_initial_handling_and_links_both_ends(services: Services,
                                                                 handed: tuple[Order, Order]) -> None:
    first, new = handed
    assert new.initial_handling == HANDLING
    assert new.handover_from == first.id and new.status == OrderStatus.ISSUED
    old = services.order(first.no)[0]
    assert old.status == OrderStatus.HANDED_OVER
    assert old.handed_to == new.id
    assert old.first_contact and not new.first_contact
    assert old.awaiting_handover_ack and old.handover_acked_at is None
    row = one_row(services.store, "SELECT initial_handling FROM orders WHERE id = ?", (new.id,))
    assert row[0] == HANDLING


def test_first_unit_answers_until_the_receiving_unit_acks(services: Services, handed: tuple[Order, Order]) -> None:
    first, new = handed
    line = run(services, f"order show {first.no}", "zh").lines[0]
    assert "已移交（待接收单位签收）" in line
    data = run(services, f"order show {first.no}", "en").data["order"]
    assert (data["handed_to"], data["handover_acked"], data["handover_acked_at"]) == (new.id, False, None)
    services.step(new.no, "ack", at="14:18")
    old = services.order(first.no)[0]
    assert not old.awaiting_handover_ack
    assert old.handover_acked_at is not None
    assert old.handover_acked_at.isoformat() == "2026-11-28T06:18:00+00:00"
    shown = run(services, f"order show {first.no}", "en")
    assert shown.data["order"]["handover_acked"] is True
    assert shown.data["order"]["handover_acked_at"] == "2026-11-28T06:18:00.000Z"
    assert "awaiting" not in shown.lines[0]
    assert any("receiving unit acked 2026-11-28 14:18:00" in x for x in shown.lines)
    receiving = run(services, f"order show {new.no}", "en").data["order"]
    assert receiving["handover_from"] == first.id and receiving["handover_acked"] is True
    assert receiving["initial_handling"] == HANDLING


def test_a_receiver_that_reports_on_scene_first_counts_as_acked(services: Services,
                                                                handed: tuple[Order, Order]) -> None:
    first, new = handed
    services.step(new.no, "arrive", at="14:20")
    acked = services.order(first.no)[0].handover_acked_at
    assert acked is not None and acked.isoformat() == "2026-11-28T06:20:00+00:00"


def test_incident_show_has_the_chain(services: Services, handed: tuple[Order, Order], incident: int) -> None:
    first, new = handed
    out = run(services, f"incident show {incident}", "zh")
    orders = {o["no"]: o for o in out.data["orders"]}
    assert orders[first.no]["handed_to"] == new.id and orders[first.no]["handover_acked"] is False
    assert orders[new.no]["handover_from"] == first.id
    assert orders[new.no]["initial_handling"] == HANDLING
    assert orders[new.no]["handover_acked"] is False
    assert any(f"先期处置：{HANDLING}" in x for x in out.lines)
    assert any("接收单位尚未签收" in x for x in out.lines)
    services.step(new.no, "ack", at="14:16")
    orders = {o["no"]: o for o in run(services, f"incident show {incident}", "zh").data["orders"]}
    assert orders[first.no]["handover_acked"] is True and orders[new.no]["handover_acked"] is True


def test_orders_outside_a_handover_have_no_chain(services: Services, incident: int) -> None:
    services.issue_order(incident, "psb")
    data = run(services, "order show 1", "zh").data["order"]
    assert (data["handed_to"], data["handover_acked"], data["initial_handling"]) == (None, None, "")


def test_a_chain_of_two_handovers(services: Services, handed: tuple[Order, Order]) -> None:
    first, new = handed
    services.step(new.no, "ack", at="14:16")
    third = services.handover(new.no, "power", at="14:17", note="燃气管道已切断，需停电检修")
    mid = services.order(new.no)[0]
    assert mid.handover_from == first.id and mid.handed_to == third.id
    assert mid.awaiting_handover_ack and mid.initial_handling == HANDLING
    assert third.initial_handling == "燃气管道已切断，需停电检修"


# -- refusals ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("note", ["", "   ", "\n"])
def test_handover_without_initial_handling_refused(services: Services, incident: int, unchanged: Unchanged,
                                                   note: str) -> None:
    services.issue_order(incident, "fire")
    services.step(1, "ack")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.handover(1, "gas", note=note)
    assert info.value.code == "order.handover_note"
    assert info.value.message("zh") == "移交必须记录首接单位的先期处置情况（--note）"
    assert info.value.message("en") == "a handover needs the first unit's initial handling (--note)"


def test_handover_before_ack_and_to_self_refused(services: Services, incident: int, unchanged: Unchanged) -> None:
    services.issue_order(incident, "fire")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.handover(1, "gas", note=HANDLING)
    assert info.value.code == "order.handover_state"
    services.step(1, "ack")
    with unchanged(services), pytest.raises(BadInput) as to_self:
        services.handover(1, "fire", note=HANDLING)
    assert to_self.value.code == "order.handover_self"


def test_handed_over_order_cannot_be_handed_over_again(services: Services, handed: tuple[Order, Order],
                                                       unchanged: Unchanged) -> None:
    first, _ = handed
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.handover(first.no, "power", note=HANDLING)
    assert info.value.code == "order.handover_state"


# -- CLI --------------------------------------------------------------------------------------------
def test_handover_through_the_cli(cli: Cli) -> None:
    cli.ok("call", "new", "--phone", "13800000001", "--text", "闻到很浓的煤气味", "--address",
           "人民路12号", "--category", "gas_leak")
    cli.ok("order", "new", "1", "fire")
    cli.ok("order", "ack", "1")
    cli.refused("order", "handover", "1", "gas", code="order.handover_note", zh="先期处置",
                en="initial handling")
    new = cli.ok("yj", "1", "gas", "--note", HANDLING)["order"]
    assert new["initial_handling"] == HANDLING and new["handover_acked"] is False
    old = cli.ok("order", "show", "1")["order"]
    assert old["status"] == "handed_over" and old["handed_to"] == new["id"]
    assert old["handover_acked"] is False
    text = cli("order", "show", "1", as_json=False)
    assert text.code == 0 and "待接收单位签收" in text.out
    cli.ok("order", "ack", "2")
    assert cli.ok("order", "show", "1")["order"]["handover_acked"] is True
