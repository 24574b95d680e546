"""The product's scheduled jobs, registered on the one scheduler (console/schedule/) from
``[schedule]`` in config.toml: the monthly assessment written to the reports folder, roll-call
reminders, the roster-filing reminder and report-upward follow-ups (续报).

A job returns a ``Reminder`` (what the console shows, and the screen one key opens) or the
files it wrote; the console's loop and ``linkage agent`` call ``Scheduler.tick``. Another
feature adds its job with ``scheduler.add`` on the same object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.calls.stats import Period
from console.kernel.inputs import day_bounds
from console.schedule import Scheduler

if TYPE_CHECKING:
    from console.seat.services import Services


@dataclass(frozen=True)
class Reminder:
    """Something the console says when a job fires; ``opens`` names the screen one key opens
    (``rollcall``, ``roster``, ``reports``), '' for none."""

    kind: str
    zh: str
    en: str
    opens: str = ""
    items: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "zh": self.zh, "en": self.en, "opens": self.opens,
                "items": list(self.items)}


def previous_month(fired: datetime, s: Services) -> Period:
    """The center-local calendar month before the one ``fired`` falls in."""
    local = fired.astimezone(s.config.tz).date()
    last = local.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    tz = s.config.tz
    return Period(first, last, day_bounds(first, tz)[0], day_bounds(last, tz)[1])


def reports_folder(s: Services) -> Path:
    folder = s.config.reports.folder
    base = Path(s.store.path).parent
    return (base / folder if folder else base / "reports").expanduser()


def monthly_assessment(s: Services, fired: datetime) -> list[Path]:
    """Last month's assessment as XLSX and PDF in the reports folder, named by the month."""
    from console.assessment.pdf import find_font, write_pdf
    from console.assessment.xlsx import write_xlsx

    p = previous_month(fired, s)
    a = s.assess(p)
    stem = reports_folder(s) / f"assessment-{p.first.strftime('%Y-%m')}"
    return [write_xlsx(a, stem.with_suffix(".xlsx"), s.config.tz),
            write_pdf(a, stem.with_suffix(".pdf"), s.config.tz, find_font(s.config.reports.font))]


def rollcall_reminder(s: Services, fired: datetime) -> Reminder:
    return Reminder("rollcall", "点名时间到：请对一级联动单位点名", "roll-call time: call the Tier 1 units",
                    opens="rollcall")


def roster_reminder(s: Services, fired: datetime) -> Reminder | None:
    stale = s.stale_units(fired)
    if not stale:
        return None
    return Reminder("roster", f"{len(stale)} 个单位值班表需备案或更新",
                    f"{len(stale)} units must file or renew their duty roster",
                    opens="roster", items=tuple(x.unit for x in stale))


def report_followups(s: Services, fired: datetime) -> Reminder | None:
    due = [t for t in s.report_tracks(fired) if t.open_clocks and not t.incident.drill]
    if not due:
        return None
    return Reminder("reports", f"{len(due)} 起警情待续报", f"{len(due)} incidents owe a report upward",
                    opens="reports", items=tuple(str(t.incident.no) for t in due))


def build_scheduler(s: Services) -> Scheduler:
    """The seat's scheduler with the product's jobs from ``[schedule]``."""
    cfg = s.config.schedule
    sched = Scheduler(s.store, s.ctx.clock, s.config.tz)
    sched.add("monthly_assessment", cfg.monthly_assessment, lambda t: monthly_assessment(s, t),
              zh="月度考核报告", en="monthly assessment report")
    sched.add("rollcall", cfg.rollcall, lambda t: rollcall_reminder(s, t), zh="点名提醒",
              en="roll-call reminder")
    sched.add("roster_reminder", cfg.roster_reminder, lambda t: roster_reminder(s, t),
              zh="值班表备案提醒", en="roster filing reminder")
    sched.add("report_followups", cfg.report_followups, lambda t: report_followups(s, t),
              zh="续报提醒", en="report-upward follow-ups")
    return sched
