"""Contingency plan activation (预案启动) on the fake clock: the right orders with roles and
phases at each level, units already ordered skipped, the initial response (先期处置) told apart
from the plan-led response, refusals that change nothing, the checklist with its deadlines,
convergence whatever order the events arrive in, and the snapshot that keeps an activation
as it was when the plan file changes."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, OpenServices, Unchanged, one_row

from console.catalog.loading import default_data_dir
from console.kernel.clock import FakeClock
from console.kernel.errors import LinkageError
from console.seat.services import Services
from console.store.projections import apply_event
from console.store.transaction import record_from_row

GAS = "residential_gas_leak"
AT_IV = ["gas", "fire", "psb", "ems120", "power", "chengnan"]
AT_III = [*AT_IV[:6], "safety", "housing", "press"]   # min_level III: support first, then standby


def _gas(services: Services, address: str = "人民路12号阳光小区") -> int:
    return services.new_call(phone="13800000001", text="小区燃气泄漏，味道很大", address=address,
                             area="urban", category="gas_leak").incident.no


def _orders(services: Services, no: int) -> list[tuple[str, str, str]]:
    """(unit, phase, activation) of the incident's orders, in issue order, from the store."""
    incident_id = services.incident(no).incident.id
    return [(r[0], r[1], r[2]) for r in services.store.all(
        "SELECT unit, phase, activation FROM orders WHERE incident_id = ? ORDER BY no", (incident_id,))]


def _refused(services: Services, unchanged: Callable, code: str, fn: Callable[[], object]) -> LinkageError:
    with unchanged(services), pytest.raises(LinkageError) as refused:
        fn()
    assert refused.value.code == code, refused.value.code
    assert refused.value.message("zh") != refused.value.message("en")
    return refused.value


@pytest.mark.parametrize(("level", "units"), [("IV", AT_IV), ("III", AT_III)])
def test_activation_orders_the_plans_units_at_the_incidents_level(
        services: Services, clock: FakeClock, level: str, units: list[str]) -> None:
    no = _gas(services)
    services.grade(no, level)
    clock.advance(minutes=1)
    proposal = services.plan_proposal(no, GAS)
    assert [p.unit.code for p in proposal.to_order] == units and proposal.matches
    assert one_row(services.store, "SELECT count(*) FROM events WHERE kind LIKE 'plan.%'")[0] == 0
    a, orders = services.activate_plan(no, GAS)
    assert [o.unit for o in orders] == units
    rows = _orders(services, no)
    assert rows == [(u, "plan", a.id) for u in units]
    assert orders[0].first_contact and not any(o.first_contact for o in orders[1:])
    assert all(o.issued_at == clock.now() for o in orders)
    roles = {u["code"]: u["role"] for u in a.units}
    assert roles["gas"] == "lead" and roles["fire"] == "support"
    assert ("housing" in roles) == (level == "III")
    if level == "III":
        assert roles["housing"] == roles["press"] == "standby"
    stored = one_row(services.store, "SELECT plan, level, operator, forced FROM plan_activations")
    assert tuple(stored) == (GAS, level, "duty", 0)
    # the order carries the unit's task from the plan
    note = one_row(services.store, "SELECT payload FROM events WHERE kind = 'order.issued' LIMIT 1")[0]
    assert "牵头抢险" in note and '"phase":"plan"' in note


def test_initial_response_is_told_apart_and_ordered_units_are_skipped(
        services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    services.issue_order(no, "fire")                    # daily: not graded yet
    services.grade(no, "IV")
    clock.advance(minutes=1)
    services.issue_order(no, "psb")                     # raised, no plan yet: initial response
    proposal = services.plan_proposal(no, GAS)
    already = {p.unit.code: p.existing.no for p in proposal.items if p.existing}
    assert already == {"fire": 1, "psb": 2}
    clock.advance(minutes=1)
    a, orders = services.activate_plan(no, GAS)
    assert [o.unit for o in orders] == ["gas", "ems120", "power", "chengnan"]
    assert {u["code"]: u["already_ordered"] for u in a.units} == {
        "gas": False, "fire": True, "psb": True, "ems120": False, "power": False, "chengnan": False}
    clock.advance(minutes=1)
    services.issue_order(no, "health")                  # after the activation: plan-led, by hand
    assert _orders(services, no) == [
        ("fire", "daily", ""), ("psb", "initial", ""), ("gas", "plan", a.id), ("ems120", "plan", a.id),
        ("power", "plan", a.id), ("chengnan", "plan", a.id), ("health", "plan", "")]
    shown = services.incident(no)
    assert [o.phase for o, _ in shown.orders][:2] == ["daily", "initial"]


def test_refusals_write_nothing(services: Services, clock: FakeClock,
                                unchanged: Unchanged) -> None:
    no = _gas(services)
    _refused(services, unchanged, "grade.not_raised", lambda: services.activate_plan(no, GAS))
    services.grade(no, "daily")
    _refused(services, unchanged, "grade.not_raised", lambda: services.activate_plan(no, GAS))
    services.grade(no, "IV")
    _refused(services, unchanged, "plans.not_found", lambda: services.activate_plan(no, "no_such_plan"))
    _refused(services, unchanged, "plan.no_match", lambda: services.activate_plan(no, "road_collapse"))
    _refused(services, unchanged, "plan.force_reason",
             lambda: services.activate_plan(no, "road_collapse", force=True))
    services.activate_plan(no, GAS)
    _refused(services, unchanged, "plan.already_active", lambda: services.activate_plan(no, GAS))
    # forced with a reason: recorded as forced, the reason kept
    a, _ = services.activate_plan(no, "road_collapse", force=True, reason="燃气泄漏引发路面塌陷")
    assert a.forced and a.reason == "燃气泄漏引发路面塌陷"
    # a merged repeat and a closed incident
    other = _gas(services, "解放路1号")
    services.grade(other, "IV")
    services.merge(other, no)
    _refused(services, unchanged, "plan.merged", lambda: services.activate_plan(other, GAS))
    closed = _gas(services, "建设路8号")
    services.grade(closed, "IV")
    services.transfer(closed, "answered")
    _refused(services, unchanged, "plan.incident_not_open", lambda: services.activate_plan(closed, GAS))


def test_checklist_progress_overdue_and_toggling(
        services: Services, clock: FakeClock, unchanged: Unchanged) -> None:
    no = _gas(services)
    services.grade(no, "IV")
    _refused(services, unchanged, "plan.none_active", lambda: services.check_plan_step(no, 1))
    a, _ = services.activate_plan(no, GAS)
    assert a.progress() == (0, 10) and a.overdue(clock.now()) == []
    assert [s.due_minutes for s in a.steps[:3]] == [2, 5, 20]
    clock.advance(minutes=1)
    a = services.check_plan_step(no, 1, note="已电话指导撤离")
    assert a.progress() == (1, 10) and a.steps[0].check is not None
    assert a.steps[0].check.note == "已电话指导撤离"
    clock.advance(minutes=5)                           # 14:06: step 2 (due 14:05) is overdue
    assert [s.n for s in a.overdue(clock.now())] == [2]
    a = services.check_plan_step(no, "2")
    assert a.overdue(clock.now()) == [] and a.progress() == (2, 10)
    clock.advance(minutes=20)                          # 14:26: step 3 (due 14:20) overdue
    assert [s.n for s in services.activations(a.incident_id)[0].overdue(clock.now())] == [3]
    a = services.check_plan_step(no, 2, done=False, note="燃气公司未签收")
    assert a.progress() == (1, 10) and [s.n for s in a.overdue(clock.now())] == [2, 3]
    a = services.check_plan_step(no, 2, done=False, note="已催办")   # a note alone is kept
    step = a.step(2)
    assert step is not None and step.check is not None and step.check.note == "已催办"
    _refused(services, unchanged, "plan.step_unchanged", lambda: services.check_plan_step(no, 1))
    _refused(services, unchanged, "plan.no_such_step", lambda: services.check_plan_step(no, 11))
    _refused(services, unchanged, "plan.bad_step", lambda: services.check_plan_step(no, "x"))
    assert one_row(services.store, "SELECT count(*) FROM plan_step_checks")[0] == 4


def test_activation_and_checks_converge_in_any_arrival_order(
        services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    services.grade(no, "IV")
    services.issue_order(no, "psb")
    a, _ = services.activate_plan(no, GAS)
    for step, done in ((1, True), (2, True), (1, False), (3, True), (1, True), (2, False)):
        clock.advance(minutes=1)
        services.check_plan_step(no, step, done=done, note=f"{step}{done}")
    expected = services.activations(a.incident_id)
    assert expected[0].progress() == (2, 10)
    orders = _orders(services, no)
    conn = services.store.conn
    rows = conn.execute("SELECT * FROM events WHERE kind IN ('plan.activated', 'plan.step_checked',"
                        " 'order.issued')").fetchall()
    events = [record_from_row(r) for r in rows]
    for seed in range(5):
        random.Random(seed).shuffle(events)
        conn.execute("DELETE FROM plan_activations")
        conn.execute("DELETE FROM plan_step_checks")
        conn.execute("DELETE FROM orders")
        for e in events:
            apply_event(conn, e)
        assert services.activations(a.incident_id) == expected
        assert sorted(_orders(services, no)) == sorted(orders)


def test_an_activation_keeps_the_plan_as_activated_when_the_file_changes(
        tmp_path: Path, open_svc: OpenServices, clock: FakeClock) -> None:
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    services = open_svc(data_dir=data)
    no = _gas(services)
    services.grade(no, "IV")
    a, _ = services.activate_plan(no, GAS)
    before = services.activations(a.incident_id)
    plan_file = data / "plans" / "residential_gas_leak.toml"
    text = plan_file.read_text(encoding="utf-8")
    plan_file.write_text(text.replace("due_minutes = 2\n", "due_minutes = 9\n")
                         .replace("居民小区燃气泄漏应急预案", "燃气泄漏预案（修订）"), encoding="utf-8")
    services.close()
    again = open_svc(data_dir=data)
    assert again.tiered.plans.plan(GAS).steps[0].due_minutes == 9          # the file did change
    after = again.activations(a.incident_id)
    assert after == before
    assert after[0].name_zh == "居民小区燃气泄漏应急预案" and after[0].steps[0].due_minutes == 2


def test_cli_plan_verbs_with_json_and_exit_codes(cli: Cli) -> None:
    cli.ok("call", "new", "--phone", "13800000001", "--text", "小区燃气泄漏，味道很大",
           "--address", "人民路12号阳光小区", "--area", "urban", "--category", "gas_leak")
    assert len(cli.ok("plan", "list")["plans"]) == 4
    assert cli.ok("plan", "list", "1")["plans"] == []                 # not graded yet
    shown = cli.ok("plan", "show", GAS)["plan"]
    assert shown["units"][0] == {"code": "gas", "role": "lead", "task_zh": shown["units"][0]["task_zh"],
                                 "task_en": shown["units"][0]["task_en"], "min_level": None}
    refused = cli("plan", "activate", "1", GAS)
    assert refused.code == 2 and refused.json["error"]["code"] == "grade.not_raised"
    cli.ok("grade", "1", "IV")
    cli.ok("order", "new", "1", "psb")
    assert [p["code"] for p in cli.ok("plan", "list", "1")["plans"]] == [GAS]
    proposal = cli.ok("plan", "propose", "1", GAS)["proposal"]
    assert [(u["unit"], u["already_ordered"]) for u in proposal["units"]][:3] == [
        ("gas", False), ("fire", False), ("psb", True)]
    before = cli.snapshot()
    refused = cli("plan", "activate", "1", "urban_waterlogging")
    assert refused.code == 2 and refused.json["error"]["code"] == "plan.no_match"
    assert cli.snapshot() == before
    data = cli.ok("plan", "activate", "1", GAS)
    assert [o["unit"] for o in data["orders"]] == ["gas", "fire", "ems120", "power", "chengnan"]
    assert {o["phase"] for o in data["orders"]} == {"plan"}
    assert data["activation"]["progress"] == {"done": 0, "total": 10}
    cli.now("2026-11-28T06:10:00Z")
    checked = cli.ok("plan", "check", "1", "1", "--note", "已指导撤离")["activation"]
    assert checked["progress"]["done"] == 1 and checked["steps"][0]["note"] == "已指导撤离"
    assert checked["overdue"] == [2]
    assert cli.ok("plan", "check", "1", "1", "--undo")["activation"]["progress"]["done"] == 0
    status = cli.ok("plan", "status", "1")
    assert [o["unit"] for o in status["orders"]["initial"]] == ["psb"]
    assert len(status["orders"]["plan"]) == 5 and status["activations"][0]["overdue"] == [1, 2]
    show = cli.ok("incident", "show", "1")
    assert show["activations"][0]["plan"] == GAS
    assert [o["phase"] for o in show["orders"]][:2] == ["initial", "plan"]
    text = cli("plan", "status", "1", as_json=False)
    assert text.code == 0 and "先期处置" in text.out and "【超时】" in text.out
    assert cli("plan", "check", "1", "99").code == 2
