"""Grading (分级) on the fake clock: the dispatcher's grade, what the rules suggest, raising
and lowering, refusals that change nothing, and convergence whatever order gradings arrive in."""

from __future__ import annotations

import random

import pytest
from conftest import Cli, Unchanged

from console.kernel.clock import FakeClock
from console.kernel.errors import LinkageError
from console.seat.services import Services
from console.store.projections import apply_event
from console.store.transaction import record_from_row


def _gas(services: Services, address: str = "人民路12号阳光小区") -> int:
    return services.new_call(phone="13800000001", text="小区燃气泄漏，味道很大", address=address,
                             area="urban", category="gas_leak").incident.no


def test_grade_defaults_the_type_from_the_category_and_raises_at_plan_level(
        services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    assert services.grade_of(services.incident(no).incident.id) is None
    clock.advance(minutes=2)
    g = services.grade(no, "Ⅲ级", trapped="3")
    assert (g.type.value, g.level.value, g.trapped, g.deaths) == ("accident", "III", 3, None)
    assert g.plan_level and g.raised_at == clock.now() and g.operator == "duty"
    clock.advance(minutes=5)
    g2 = services.grade(no, "II", deaths=1)            # raised further: the clock start stays
    assert g2.level.value == "II" and g2.raised_at == g.raised_at
    assert (g2.deaths, g2.trapped) == (1, 3)           # casualties not given keep their value
    assert [i.no for i, _ in services.raised()] == [no]


def test_lowering_below_plan_level_needs_a_reason_and_keeps_the_raising(
        services: Services, clock: FakeClock, unchanged: Unchanged) -> None:
    no = _gas(services)
    raised = services.grade(no, "IV")
    clock.advance(minutes=3)
    with unchanged(services), pytest.raises(LinkageError) as refused:
        services.grade(no, "daily")
    assert refused.value.code == "grade.lower_reason"
    assert "原因" in refused.value.message("zh") and "reason" in refused.value.message("en")
    low = services.grade(no, "daily", reason="核实为误报")
    assert not low.plan_level and low.raised_at == raised.raised_at
    assert services.raised() == []
    clock.advance(minutes=3)
    again = services.grade(no, "IV", reason="再次升级")
    assert again.raised_at == raised.raised_at   # the report clocks never restart


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"level": "V"}, "grading.bad_level"),
    ({"level": "III", "type": "meteor"}, "grading.bad_type"),
    ({"level": "III", "deaths": "-1"}, "grade.bad_count"),
    ({"level": "III", "injured": "many"}, "grade.bad_count"),
])
def test_bad_grades_are_refused_in_both_languages_and_change_nothing(
        services: Services, unchanged: Unchanged, kwargs: dict, code: str) -> None:
    no = _gas(services)
    with unchanged(services), pytest.raises(LinkageError) as refused:
        services.grade(no, **kwargs)
    assert refused.value.code == code
    assert refused.value.message("zh") != refused.value.message("en")


def test_same_grade_twice_and_a_merged_repeat_are_refused(
        services: Services, unchanged: Unchanged) -> None:
    no = _gas(services)
    services.grade(no, "IV")
    with unchanged(services), pytest.raises(LinkageError) as same:
        services.grade(no, "一般")
    assert same.value.code == "grade.unchanged"
    other = services.new_call(phone="13900000002", text="燃气味", address="解放路1号",
                              area="urban", category="gas_leak").incident.no
    services.merge(other, no)
    with unchanged(services), pytest.raises(LinkageError) as merged:
        services.grade(other, "IV")
    assert merged.value.code == "grade.merged"


def test_suggestions_use_every_call_the_casualties_and_the_cluster(
        services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    incident, found = services.grade_suggestions(no)
    assert [s.rule for s in found]                          # a gas leak in a 小区 fires the place rule
    assert any("小区" in s.reason("zh") for s in found)
    _, with_dead = services.grade_suggestions(no, deaths="3")
    assert with_dead[0].kind == "casualties" and with_dead[0].level.value in ("III", "II", "I")
    assert incident.no == no


def test_gradings_converge_in_any_arrival_order(services: Services, clock: FakeClock) -> None:
    """Replaying the gradings shuffled gives the same grade and raising (tables decided on read)."""
    no = _gas(services)
    for level, reason in (("IV", ""), ("daily", "误报"), ("III", "复燃"), ("II", "")):
        clock.advance(minutes=1)
        services.grade(no, level, reason=reason)
    incident_id = services.incident(no).incident.id
    expected = services.grade_of(incident_id)
    conn = services.store.conn
    rows = conn.execute("SELECT * FROM events WHERE kind = 'incident.graded'").fetchall()
    events = [record_from_row(r) for r in rows]
    assert len(events) == 4
    for seed in range(5):
        random.Random(seed).shuffle(events)
        conn.execute("DELETE FROM incident_grades")
        for e in events:
            apply_event(conn, e)
        assert services.grade_of(incident_id) == expected


def test_cli_grade_suggest_and_raised_with_json_and_exit_codes(seeded: Cli) -> None:
    cli = seeded
    data = cli.ok("incident", "suggest", "1", "--deaths", "1")
    assert data["suggestions"] and data["suggestions"][0]["kind"] == "casualties"
    data = cli.ok("grade", "1", "IV", "--type", "accident", "--deaths", "1")
    assert data["grade"]["level"] == "IV" and data["grade"]["plan_level"] is True
    assert data["grade"]["deaths"] == 1 and data["grade"]["raised_at"]
    assert [x["incident"]["no"] for x in cli.ok("raised")["incidents"]] == [1]
    refused = cli("grade", "1", "IV", "--type", "accident")
    assert refused.code == 2 and refused.json["ok"] is False
    assert cli.rows("SELECT count(*) FROM incident_grades")[0][0] == 1
    plain = cli("--lang", "en", "grade", "1", "daily", as_json=False)
    assert plain.code == 2 and "reason" in plain.err
