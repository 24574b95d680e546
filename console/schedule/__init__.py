"""The one scheduler: cron entries in the center's zone, on the injected clock.

Any feature registers a job here (``Scheduler.add``: a key, a cron line, what to do); the
console's event loop and the headless ``linkage agent`` call ``tick()`` every few seconds, and
``linkage schedule list`` shows each job's next run.

APScheduler does the calendar: ``CronTrigger`` computes the next fire time of a cron line in a
zone, across month ends (``0 8 31 * *`` skips 30-day months) and daylight-saving changes. Its
own run loop (``BackgroundScheduler``) is not used: that loop reads the machine's clock
(``datetime.now``), and every instant in this program comes from the one injected clock, so
tests and drills move time by hand. The loop here is ``tick``.

Catch-up: each job's last run is kept in ``seat_settings`` (``schedule.<key>``, seat-local,
never synced). A tick runs a job once when its next fire time after the last run has come,
then records *now* as the last run: a machine off for three days runs a daily job once on
start, not three times (APScheduler's "coalesce"). A job seen for the first time starts
counting from then: installing the console on the 15th does not produce the 1st's report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from console.kernel.clock import Clock, iso, parse_instant, to_utc
from console.kernel.errors import BadInput
from console.store.transaction import Store

_STATE_KEY = "schedule.{key}"
_EPSILON = timedelta(microseconds=1)
_MINUTE = timedelta(minutes=1)

Action = Callable[[datetime], object]


def trigger(cron: str, tz: ZoneInfo, where: str = "schedule") -> CronTrigger:
    """A five-field cron line (minute hour day month weekday) in ``tz``; refused with words."""
    try:
        return CronTrigger.from_crontab(cron, timezone=tz)
    except ValueError as exc:
        raise BadInput("schedule.cron", zh="{w}：无效的定时表达式 {c}（分 时 日 月 周）：{e}",
                       en="{w}: invalid cron line {c} (minute hour day month weekday): {e}",
                       w=where, c=cron[:60], e=exc) from exc


def next_fire(trig: CronTrigger, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after``, in UTC, and at another wall-clock time.

    Two guards around APScheduler 3.11's CronTrigger at a fall-back change (the hour that
    happens twice): it offers 01:30 both before and after the change (a daily job would run
    twice), and asked after the second 01:30 it answers that same 01:30 again (a loop). A wall
    time already fired is skipped, and an answer not after the question moves the question on.
    """
    tz = trig.timezone
    wall = after.astimezone(tz).replace(tzinfo=None)
    probe = after
    for _ in range(64):
        found = trig.get_next_fire_time(None, probe + _EPSILON)
        if found is None:
            return None
        nxt = to_utc(found)
        if nxt > after and nxt.astimezone(tz).replace(tzinfo=None) != wall:
            return nxt
        probe = max(nxt, probe) + _MINUTE
    return None


@dataclass
class Job:
    key: str
    cron: str
    name_zh: str
    name_en: str
    action: Action
    trig: CronTrigger


@dataclass(frozen=True)
class Ran:
    """One run made by ``tick``: which job, the fire time it was due at, what it returned."""

    key: str
    due: datetime
    at: datetime
    result: object
    missed: int               # fire times skipped by the catch-up (the machine was off)


class Scheduler:
    def __init__(self, store: Store, clock: Clock, tz: ZoneInfo) -> None:
        self.store, self.clock, self.tz = store, clock, tz
        self.jobs: dict[str, Job] = {}

    def add(self, key: str, cron: str, action: Action, *, zh: str, en: str) -> Job | None:
        """Register (or replace) a job; an empty cron line leaves it out."""
        if not cron.strip():
            self.jobs.pop(key, None)
            return None
        job = Job(key, cron, zh, en, action, trigger(cron, self.tz, f"[schedule] {key}"))
        self.jobs[key] = job
        return job

    # -- state ------------------------------------------------------------------------------
    def last_run(self, key: str) -> datetime | None:
        row = self.store.one("SELECT value FROM seat_settings WHERE key = ?", (_STATE_KEY.format(key=key),))
        return None if row is None else parse_instant(row[0])

    def _set_last(self, key: str, at: datetime) -> None:
        self.store.write_local(
            "INSERT INTO seat_settings (key, value, set_at, operator) VALUES (?, ?, ?, 'scheduler')"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value, set_at = excluded.set_at",
            (_STATE_KEY.format(key=key), iso(at), iso(at)))

    # -- reading ----------------------------------------------------------------------------
    def next_run(self, key: str, now: datetime | None = None) -> datetime | None:
        """When the job runs next: at its next fire time after the last run (which may be now,
        when a run was missed), or after now for a job never run."""
        job = self.jobs[key]
        now = now or self.clock.now()
        last = self.last_run(key)
        nxt = next_fire(job.trig, last if last is not None else now)
        return None if nxt is None else max(nxt, now) if last is not None else nxt

    def listing(self, now: datetime | None = None) -> list[tuple[Job, datetime | None, datetime | None]]:
        """Each job with its last run and next run, soonest first."""
        now = now or self.clock.now()
        rows = [(j, self.last_run(j.key), self.next_run(j.key, now)) for j in self.jobs.values()]
        far = now + timedelta(days=100000)
        return sorted(rows, key=lambda r: (r[2] or far, r[0].key))

    # -- running ----------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[Ran]:
        """Run every job whose time has come, once each, and record it."""
        now = now or self.clock.now()
        ran = []
        for job in list(self.jobs.values()):
            last = self.last_run(job.key)
            if last is None:      # first seen: count from now
                self._set_last(job.key, now)
                continue
            due = next_fire(job.trig, last)
            if due is None or due > now:
                continue
            missed = 0
            probe = due
            while missed < 1000:
                probe_next = next_fire(job.trig, probe)
                if probe_next is None or probe_next > now:
                    break
                missed, probe = missed + 1, probe_next
            # the latest due fire time is the one run (the report of the month just ended);
            # recorded before running, so a job that fails is not retried on every tick: its
            # error is returned for the caller to show
            self._set_last(job.key, now)
            try:
                result: object = job.action(probe)
            except Exception as exc:  # a failing job never stops the console's loop
                result = exc
            ran.append(Ran(job.key, probe, now, result, missed))
        return ran
