"""Repeat calls by meaning (issue 12 item 6): the same place written differently, the same
building, the same road; each candidate says why it is offered."""

from __future__ import annotations

import pytest
from conftest import Cli, TakeCall

from console.catalog.repeats import place_form, place_relation
from console.kernel.clock import FakeClock
from console.seat.services import Services


@pytest.mark.parametrize("a, b, relation", [
    ("人民路12号", "人民路12号幸福小区3栋", "place"),        # contained
    ("人民路１２号", "人民路12号", "place"),                  # full-width digits
    ("人民路十二号", "人民路12号", "place"),                  # Chinese number
    ("人民路12號", "人民路12号", "place"),                    # traditional 號
    ("幸福小区3栋302室", "幸福小区三栋三〇二室", "place"),
    ("城关镇人民路12号", "人民路12号", "place"),
    ("人民路12号菜市场门口", "人民路12号幸福小区", "place"),  # the same building, more said
    ("人民路12号", "人民路14号", "road"),                     # the same road
    ("李家村3组", "李家村村委会", "road"),
    ("人民路12号", "解放路8号", None),
    ("", "人民路12号", None),
])
def test_place_relation(a: str, b: str, relation: str | None) -> None:
    assert place_relation(a, b) == relation
    assert place_relation(b, a) == relation


def test_place_form_folds_variants() -> None:
    assert place_form("幸福小区 三〇二室") == "幸福小区302室"
    assert place_form("一百零五号") == "105号"


def test_seven_minutes_apart_written_differently_is_offered_with_its_reason(services: Services, call: TakeCall,
                                                                            clock: FakeClock) -> None:
    """The issue's case: 人民路12号 vs 人民路12号幸福小区3栋, same category, seven minutes apart."""
    first = call(phone="13800000001", address="人民路12号")
    clock.advance(minutes=7)
    again = call(phone="13900000002", address="人民路12号幸福小区3栋", text="我们楼也停电了")
    assert [(r.incident.no, r.reasons) for r in again.repeats] == [(first.incident.no, ("place",))]
    assert again.repeats[0].words("zh") == "同地点" and again.repeats[0].words("en") == "same place"


def test_same_number_and_same_road_reasons(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call(phone="13800000001", address="人民路20号")
    call(phone="13700000003", address="人民路12号", category="water_supply", text="停水")
    clock.advance(minutes=3)
    again = call(phone="13700000003", address="人民路14号")
    assert [(r.incident.no, r.reasons) for r in again.repeats] == [(2, ("number",)), (1, ("road",))]
    assert again.repeats[1].words("zh") == "同路段"


def test_reasons_in_the_cli_json(cli: Cli) -> None:
    cli.ok("call", "new", "--phone", "13800000001", "--text", "停电了", "--category", "power_supply",
           "--address", "人民路12号")
    data = cli.ok("call", "new", "--phone", "13900000002", "--text", "也停电了", "--category",
                  "power_supply", "--address", "人民路12号幸福小区3栋")
    assert [(d["no"], d["reasons"], d["why"]) for d in data["duplicates"]] == [(1, ["place"], "同地点")]
