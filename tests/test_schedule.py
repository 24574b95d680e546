"""The scheduler on the fake clock: next runs across month ends and daylight-saving changes in
a zone that has them (America/New_York), a missed run caught up exactly once, a job first seen
counting from then, a failing job not retried every tick, and the roll-call reminder that
opens the roll-call; the CLI's ``schedule list`` / ``schedule run`` and the monthly report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from console.kernel.clock import FakeClock, iso, parse_instant
from console.kernel.errors import BadInput
from console.schedule import Scheduler, next_fire, trigger
from console.seat.jobs import Reminder
from console.seat.services import Services

NEW_YORK = ZoneInfo("America/New_York")


def fires(cron: str, after: str, n: int, tz: ZoneInfo = NEW_YORK) -> list[str]:
    trig, at, out = trigger(cron, tz), parse_instant(after), []
    for _ in range(n):
        nxt = next_fire(trig, at)
        assert nxt is not None
        out.append(iso(nxt))
        at = nxt
    return out


def test_month_ends_skip_short_months_and_roll_over_the_year() -> None:
    assert fires("0 8 31 * *", "2027-01-31T14:00:00Z", 3) == [
        "2027-03-31T12:00:00.000Z", "2027-05-31T12:00:00.000Z", "2027-07-31T12:00:00.000Z"]
    assert fires("0 8 1 * *", "2026-12-15T00:00:00Z", 2) == [
        "2027-01-01T13:00:00.000Z", "2027-02-01T13:00:00.000Z"]
    # the center's zone: 08:00 on the 1st in Shanghai is midnight UTC
    assert fires("0 8 1 * *", "2026-11-28T06:00:00Z", 1, ZoneInfo("Asia/Shanghai")) == [
        "2026-12-01T00:00:00.000Z"]


def test_daylight_saving_in_new_york() -> None:
    # 08:00 local is 13:00Z in winter and 12:00Z from the spring change (2027-03-14)
    assert fires("0 8 * * *", "2027-03-13T12:00:00Z", 3) == [
        "2027-03-13T13:00:00.000Z", "2027-03-14T12:00:00.000Z", "2027-03-15T12:00:00.000Z"]
    # 02:30 does not exist on 2027-03-14: that day's run is at 03:30 EDT, once
    assert fires("30 2 * * *", "2027-03-13T12:00:00Z", 2) == [
        "2027-03-14T07:30:00.000Z", "2027-03-15T06:30:00.000Z"]
    # 01:30 happens twice on 2027-11-07: run at the first, not again an hour later
    assert fires("30 1 * * *", "2027-11-06T12:00:00Z", 3) == [
        "2027-11-07T05:30:00.000Z", "2027-11-08T06:30:00.000Z", "2027-11-09T06:30:00.000Z"]


def test_a_bad_cron_line_is_refused_with_words(services: Services) -> None:
    with pytest.raises(BadInput) as caught:
        trigger("61 * * * *", NEW_YORK)
    assert caught.value.code == "schedule.cron"


def _sched(services: Services, clock: FakeClock, tz: ZoneInfo = NEW_YORK) -> Scheduler:
    return Scheduler(services.store, clock, tz)


def test_a_missed_run_is_caught_up_exactly_once(services: Services, clock: FakeClock) -> None:
    sched = _sched(services, clock)
    runs: list[datetime] = []
    sched.add("monthly", "0 8 1 * *", runs.append, zh="月报", en="monthly")
    clock.set("2026-11-28T12:00:00Z")
    assert sched.tick() == []                          # first seen: counts from now
    assert iso(sched.next_run("monthly") or clock.now()) == "2026-12-01T13:00:00.000Z"
    clock.set("2027-03-05T12:00:00Z")                  # the machine was off Dec, Jan, Feb, Mar
    [ran] = sched.tick()
    assert (iso(ran.due), ran.missed) == ("2027-03-01T13:00:00.000Z", 3)
    assert [iso(r) for r in runs] == ["2027-03-01T13:00:00.000Z"]
    assert sched.tick() == [] and len(runs) == 1       # not repeated
    clock.set("2027-03-05T12:00:30Z")
    assert sched.tick() == []
    # a restart (a new scheduler over the same database) does not run it again either
    again = _sched(services, clock)
    again.add("monthly", "0 8 1 * *", runs.append, zh="月报", en="monthly")
    assert again.tick() == [] and len(runs) == 1
    assert iso(again.next_run("monthly") or clock.now()) == "2027-04-01T12:00:00.000Z"
    clock.set("2027-04-01T12:00:00Z")
    assert [r.missed for r in again.tick()] == [0] and len(runs) == 2


def test_a_failing_job_is_reported_not_retried_every_tick(services: Services,
                                                          clock: FakeClock) -> None:
    sched = _sched(services, clock)

    def broken(at: datetime) -> None:
        raise OSError("disk full")

    sched.add("broken", "* * * * *", broken, zh="坏", en="broken")
    sched.tick()
    clock.advance(minutes=1)
    [ran] = sched.tick()
    assert isinstance(ran.result, OSError)
    assert sched.tick() == []


@pytest.fixture
def rollcall_services(tmp_path: Path, open_svc: Callable[..., Services]) -> Services:
    config = tmp_path / "config.toml"
    config.write_text('[schedule]\nrollcall = "0 9,21 * * *"\nroster_reminder = ""\n', encoding="utf-8")
    return open_svc(config_path=config)


def test_the_rollcall_reminder_opens_the_rollcall(rollcall_services: Services,
                                                  clock: FakeClock) -> None:
    s = rollcall_services
    s.scheduler.tick()                                 # 14:00 Shanghai: first seen
    assert iso(s.scheduler.next_run("rollcall") or clock.now()) == "2026-11-28T13:00:00.000Z"
    clock.set("2026-11-28T13:00:00Z")                  # 21:00
    [ran] = s.scheduler.tick()
    assert isinstance(ran.result, Reminder)
    assert (ran.result.opens, ran.result.zh) == ("rollcall", "点名时间到：请对一级联动单位点名")


def test_schedule_cli_and_the_monthly_report(cli: Any, tmp_path: Path) -> None:
    jobs = cli("schedule", "list").data["jobs"]
    assert {j["job"]: j["next_run"] for j in jobs}["monthly_assessment"] == "2026-12-01T00:00:00.000Z"
    assert cli("schedule", "run").data["ran"] == []    # first seen
    cli.now("2026-12-02T01:00:00Z")                    # the 1st 08:00 went by while off
    ran = {r["job"]: r for r in cli("schedule", "run").data["ran"]}
    files = ran["monthly_assessment"]["result"]
    assert [Path(f).name for f in files] == ["assessment-2026-11.xlsx", "assessment-2026-11.pdf"]
    assert all(Path(f).is_file() for f in files)
    assert cli("schedule", "run").data["ran"] == []
