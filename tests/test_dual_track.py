"""Dual-track reporting (双轨制): a Tier 1 unit that took a call itself reports it to the center,
recorded as unit-originated (source = unit) with the unit's own order at the reported status,
in one transaction; units of other tiers are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Cli, TakeCall, Unchanged, one_row

from console.calls.unit_reports import ReportResult
from console.commands.grammar import run
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.kernel.model import IncidentStatus, OrderStatus
from console.seat.services import Services
from console.store.transaction import Store, record_from_row


def report(services: Services, **kwargs: Any) -> ReportResult:
    kwargs.setdefault("phone", "13900000009")
    kwargs.setdefault("text", "燃气管道泄漏，我单位已到场处置")
    kwargs.setdefault("address", "东街5号")
    kwargs.setdefault("category", "gas_leak")
    return services.report(kwargs.pop("unit", "gas"), **kwargs)


def test_report_creates_unit_sourced_incident_and_its_order_in_one_transaction(services: Services,
                                                                               clock: FakeClock) -> None:
    clock.advance(minutes=30)
    result = report(services, at="14:10")
    i, o = result.incident, result.order
    assert (i.source, i.reporting_unit, i.status) == ("unit", "gas", IncidentStatus.OPEN)
    assert i.created_at.isoformat() == "2026-11-28T06:10:00+00:00"
    assert (o.unit, o.status, o.first_contact, o.incident_id) == ("gas", OrderStatus.ON_SCENE, True, i.id)
    assert set(o.steps) == {"issued", "on_scene"}          # skipped steps are not invented
    assert o.steps["on_scene"].isoformat() == "2026-11-28T06:10:00+00:00"
    row = one_row(services.store, "SELECT source, reporting_unit FROM incidents WHERE id = ?", (i.id,))
    assert tuple(row) == ("unit", "gas")
    events = services.store.all("SELECT kind, payload, recorded_at FROM events ORDER BY seq")[-3:]
    assert [e[0] for e in events] == ["incident.created", "order.issued", "order.stepped"]
    assert len({e[2] for e in events}) == 1                              # one transaction
    payload = json.loads(events[0][1])
    assert (payload["source"], payload["reporting_unit"]) == ("unit", "gas")


@pytest.mark.parametrize("status", ["acknowledged", "en_route", "on_scene", "feedback"])
def test_report_at_each_status(services: Services, status: str) -> None:
    order = report(services, status=status).order
    assert order.status == OrderStatus(status)
    assert order.is_open


def test_report_completed_closes_the_incident(services: Services) -> None:
    result = report(services, status="completed")
    assert result.order.status == OrderStatus.COMPLETED
    assert result.incident.status == IncidentStatus.CLOSED


def test_center_calls_stay_center_sourced(services: Services, call: TakeCall) -> None:
    incident = call().incident
    assert (incident.source, incident.reporting_unit) == ("center", "")
    data = run(services, f"incident show {incident.no}", "zh").data["incident"]
    assert (data["source"], data["reporting_unit"]) == ("center", None)


def test_report_lists_possible_duplicates(services: Services, call: TakeCall) -> None:
    first = call(phone="13900000009", text="闻到煤气味", address="东街5号", category="gas_leak").incident
    result = report(services)
    assert [d.no for d in result.duplicates] == [first.no]


def test_report_shows_on_the_board_with_its_source(services: Services) -> None:
    result = report(services)
    board = run(services, "board", "zh")
    assert [o["id"] for o in board.data["orders"]] == [result.order.id]
    shown = run(services, f"incident show {result.incident.no}", "zh")
    assert "单位上报：县燃气公司" in shown.lines[0]
    assert shown.data["incident"]["source"] == "unit"


# -- refusals ---------------------------------------------------------------------------------------
def test_non_tier1_unit_refused(services: Services, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        report(services, unit="petition")
    assert info.value.code == "report.not_tier1"
    assert "不是一级联动单位" in info.value.message("zh")
    assert "is not a Tier 1 unit" in info.value.message("en")


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"status": "issued"}, "report.status"),
    ({"status": "returned"}, "report.status"),
    ({"phone": "12"}, "input.phone"),
    ({"text": "  "}, "intake.empty_text"),
    ({"unit": "xyzzy"}, "unit.not_found"),
    ({"category": "no-such-category-xyz"}, "intake.unknown_category"),
    ({"at": "23:59"}, "input.future_time"),
])
def test_bad_reports_refused(services: Services, unchanged: Unchanged, kwargs: dict[str, Any], code: str) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        report(services, **kwargs)
    assert info.value.code == code
    assert info.value.message("zh") and info.value.message("en")


# -- order independence -----------------------------------------------------------------------------
def test_old_incident_events_replay_as_center_and_new_ones_as_unit(services: Services, call: TakeCall) -> None:
    call()
    report(services)
    records = [record_from_row(r) for r in services.store.all("SELECT * FROM events ORDER BY seq")]
    fresh = Store(":memory:", services.ctx.clock)
    try:
        with fresh.transaction("replay", "replay") as tx:
            for seq, record in enumerate(reversed(records), start=1):
                tx.receive(record, seq)
            tx.apply_pending()
        got = [tuple(r) for r in fresh.all("SELECT id, source, reporting_unit FROM incidents ORDER BY id")]
        want = [tuple(r) for r in services.store.all(
            "SELECT id, source, reporting_unit FROM incidents ORDER BY id")]
        assert got == want and [g[1] for g in got] == ["center", "unit"]
        order = one_row(fresh, "SELECT status FROM orders WHERE unit = 'gas'")
        assert order[0] == "on_scene"
    finally:
        fresh.close()


# -- CLI --------------------------------------------------------------------------------------------
def test_report_through_the_cli(cli: Cli) -> None:
    data = cli.ok("unit", "report", "gas", "--phone", "13900000009", "--text", "燃气泄漏，已到场",
                  "--address", "东街5号", "--category", "gas_leak", "--status", "en_route")
    assert data["incident"]["source"] == "unit" and data["incident"]["reporting_unit"] == "gas"
    assert data["order"]["status"] == "en_route" and data["order"]["unit"] == "gas"
    assert data["duplicates"] == []
    again = cli.ok("sb", "rqgs", "--phone", "13900000008", "--text", "燃气泄漏", "--category", "gas_leak")
    assert again["order"]["status"] == "on_scene"
    assert cli.ok("unit", "report", "gas", "--phone", "13900000007", "--text", "燃气泄漏",
                  "--category", "gas_leak")["incident"]["no"] == 3
    text = cli("--lang", "en", "unit", "report", "gas", "--phone", "13900000006", "--text", "gas leak",
               "--category", "gas_leak", as_json=False)
    assert text.code == 0 and "reported by" in text.out


@pytest.mark.parametrize(("argv", "code", "zh", "en"), [
    (["unit", "report", "petition", "--phone", "13900000009", "--text", "上访"], "report.not_tier1",
     "不是一级联动单位", "not a Tier 1 unit"),
    (["unit", "report", "gas", "--phone", "13900000009", "--text", "燃气泄漏", "--category",
      "gas_leak", "--status", "issued"], "report.status", "上报状态只能是", "reported status must be"),
    (["unit", "report", "gas", "--text", "燃气泄漏"], "command.missing", "缺少参数 PHONE", "missing PHONE"),
])
def test_report_refusals_through_the_cli(seeded: Cli, argv: list[str], code: str, zh: str, en: str) -> None:
    seeded.refused(*argv, code=code, zh=zh, en=en)
