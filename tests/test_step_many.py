"""Several orders in one step command (`ack 5 6 7`), the IME's `——note`, unit aliases in the
grammar (issue 12 items 10 and 14)."""

from __future__ import annotations

import pytest
from conftest import Unchanged, one_row

from console.commands.grammar import complete, run
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.seat.services import Services


@pytest.fixture
def three_orders(services: Services, clock: FakeClock) -> Services:
    services.new_call(phone="13800000001", text="燃气泄漏", category="gas_leak", address="人民路12号")
    for unit in ("gas", "fire", "housing"):
        services.issue_order(1, unit)
    clock.advance(minutes=5)
    return services


def test_ack_several_orders_in_one_command(three_orders: Services) -> None:
    out = run(three_orders, "ack 1 2 3 -1m", lang="en")
    assert [o["no"] for o in out.data["orders"]] == [1, 2, 3]
    assert all(o["status"] == "acknowledged" for o in out.data["orders"])
    assert len(out.lines) == 3 and all(line.startswith("saved") for line in out.lines)
    assert "County Gas Company" in out.lines[0] and "County Fire Brigade" in out.lines[1]
    steps = three_orders.store.all("SELECT kind FROM events WHERE kind = 'order.stepped'")
    assert len(steps) == 3


def test_several_orders_are_all_or_nothing(three_orders: Services, unchanged: Unchanged) -> None:
    run(three_orders, "ack 2")
    run(three_orders, "done 2")
    with unchanged(three_orders), pytest.raises(BadInput):
        run(three_orders, "ack 1 2 3")                       # 2 is already completed
    with unchanged(three_orders), pytest.raises(BadInput) as info:
        run(three_orders, "ack 1 1")
    assert info.value.code == "order.named_twice"


def test_several_orders_with_at_option(three_orders: Services) -> None:
    out = run(three_orders, "order arrive 1 3 --at -2m --note 到了", lang="en")
    assert [o["no"] for o in out.data["orders"]] == [1, 3]
    assert all(o["status"] == "on_scene" for o in out.data["orders"])


def test_ime_dashes_read_as_options(three_orders: Services) -> None:
    out = run(three_orders, "ack 1 ——note 电话签收")
    assert out.data["order"]["status"] == "acknowledged"
    note = one_row(three_orders.store, "SELECT payload FROM events WHERE kind = 'order.stepped'")[0]
    assert "电话签收" in note
    run(three_orders, "note 1 ——这不是选项")              # not an option name: stays text
    notes = three_orders.store.all("SELECT payload FROM events WHERE kind = 'incident.noted'")
    assert "——这不是选项" in notes[-1][0]


@pytest.mark.parametrize("typed, unit", [("dp 1 住建", "housing"), ("dp 1 cgj", "urban_mgmt"),
                                         ("dp 1 labour", "hrss"), ("dp 1 食药监", "fda")])
def test_aliases_order_units(services: Services, typed: str, unit: str) -> None:
    services.new_call(phone="13800000001", text="路面塌陷", category="road_damage", address="人民路")
    out = run(services, typed)
    assert out.data["order"]["unit"] == unit


def test_completion_offers_aliases(services: Services) -> None:
    assert complete(services, "dp 12 zj") == "dp 12 zjj"
    assert complete(services, "dp 12 lab") == "dp 12 labour"


def test_off_duty_tier_2_unit_is_ordered_with_a_warning(services: Services, clock: FakeClock) -> None:
    """22:00: the petitions bureau (Tier 2, office hours) is off duty; the order is issued and
    the answer warns in both languages; a Tier 1 unit gets no warning."""
    clock.set("2026-11-28T14:00:00Z")
    services.new_call(phone="13800000001", text="有人上访", category="power_supply", address="县政府")
    out = run(services, "dp 1 petition", lang="zh")
    assert out.data["order"]["unit"] == "petition"
    assert out.data["warnings"][0]["code"] == "order.off_duty"
    assert "非值班" in out.lines[-1] and "县信访局" in out.lines[-1]
    assert "off duty" in run(services, "dp 1 culture", lang="en").lines[-1]
    assert "warnings" not in run(services, "dp 1 power").data
    assert one_row(services.store, "SELECT count(*) FROM orders")[0] == 3
