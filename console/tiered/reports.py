"""Reporting upward (信息报送): the report track of an incident raised to plan level.

Raising an incident to plan level (``console/tiered/grading.py``) obliges the center to report to the
county emergency office at once: an initial report by phone, a written initial report, follow-up
reports while it lasts and a final report after it closes (seed §三(一); deadlines in
``data/report_deadlines.toml``, read by ``console/tiered/report_deadlines.py``).

Every report sent is a ``report.filed`` event kept whole in ``upward_reports`` (insert only):
who it went to, how, the text, and when it was made (as the dispatcher says). Nothing is
counted down: each clock is computed on read, at an instant, from

- the raising (``Grade.raised_at``, the first plan-level grading: lowering and raising again
  never restarts the clocks),
- the incident's *current* level and the configured province (raising further tightens the
  deadlines; a lowered incident keeps its reports),
- the reports filed so far and the incident's closure.

So two seats filing in any order, or a replay after a crash, give the same clocks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from console.kernel.clean import multi_line
from console.kernel.clock import iso, parse_instant
from console.kernel.errors import BadInput, IllegalTransition
from console.kernel.inputs import bounded, clean_text
from console.kernel.model import Incident
from console.kernel.vocab import REPORT_KINDS, REPORT_VIAS, Level
from console.store.context import Context
from console.store.queries import Reader, get_incident, incident_from_row
from console.tiered.grading import Grade, grade_of, grades_of, require_raised
from console.tiered.report_deadlines import ReportDeadlines, ReportRules, report_label

VIAS = REPORT_VIAS
_VIA_ALIASES = {"电话": "phone", "tel": "phone", "传真": "fax", "系统": "system",
                "系统报送": "system", "网络": "system", "当面": "in_person", "面报": "in_person",
                "in person": "in_person", "in-person": "in_person"}
_KIND_ALIASES = {"首报": "initial_phone", "电话首报": "initial_phone", "phone": "initial_phone",
                 "书面首报": "initial_written", "written": "initial_written",
                 "续报": "follow_up", "followup": "follow_up", "follow-up": "follow_up",
                 "终报": "final"}
#: The kinds whose report is a written text.
WRITTEN = frozenset({"initial_written", "follow_up", "final"})
#: The kinds filed once per incident.
ONCE = frozenset({"initial_phone", "initial_written", "final"})
STATES = ("none", "normal", "due_soon", "overdue", "done")
MAX_BODY = 20_000


@dataclass(frozen=True)
class FiledReport:
    event_id: str
    incident_id: str
    kind: str
    to: str
    via: str
    body: str
    at: datetime          # when the report was made, as the dispatcher says
    operator: str
    seat: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.event_id, "incident_id": self.incident_id, "kind": self.kind,
                "to": self.to, "via": self.via, "body": self.body, "at": iso(self.at),
                "operator": self.operator, "seat": self.seat}


@dataclass(frozen=True)
class ReportClock:
    """One report's deadline at one instant. ``none``: not due yet (follow-ups before the first
    report, the final before closure) or not due at all (lowered below plan level)."""

    kind: str
    due: datetime | None
    state: str
    remaining_s: float | None
    filed_at: datetime | None = None   # done: when the report that settled it was made
    late: bool = False                 # done after its deadline

    @property
    def open(self) -> bool:
        return self.state in ("normal", "due_soon", "overdue")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "due": iso(self.due) if self.due else None, "state": self.state,
                "remaining_s": None if self.remaining_s is None else int(self.remaining_s),
                "filed_at": iso(self.filed_at) if self.filed_at else None, "late": self.late}


@dataclass(frozen=True)
class ReportTrack:
    """An incident's reporting upward at one instant."""

    incident: Incident
    grade: Grade
    deadlines: ReportDeadlines | None     # None below plan level (lowered): nothing more is due
    reports: tuple[FiledReport, ...]
    clocks: tuple[ReportClock, ...]
    at: datetime

    def clock(self, kind: str) -> ReportClock:
        return next(c for c in self.clocks if c.kind == kind)

    @property
    def open_clocks(self) -> list[ReportClock]:
        """Clocks still running, most urgent first."""
        return sorted((c for c in self.clocks if c.open and c.due is not None),
                      key=lambda c: c.due or self.at)

    @property
    def overdue(self) -> int:
        return sum(1 for c in self.clocks if c.state == "overdue")

    def next_kind(self) -> str:
        """The kind to file next: the most urgent open clock, else a follow-up (or the final
        once closed)."""
        running = self.open_clocks
        if running:
            return running[0].kind
        if self.incident.closed_at is not None and not any(r.kind == "final" for r in self.reports):
            return "final"
        return "follow_up"

    def recomputed(self, now: datetime, soon: timedelta, tz: ZoneInfo) -> ReportTrack:
        """The same track at another instant, without reading the store (a countdown tick)."""
        clocks = compute_clocks(self.incident, self.grade, self.deadlines, self.reports, now, soon, tz)
        return replace(self, clocks=clocks, at=now)

    def to_json(self) -> dict[str, Any]:
        d = self.deadlines
        return {"incident_id": self.incident.id, "incident_no": self.incident.no,
                "level": self.grade.level.value, "raised_at": iso(self.grade.raised_at)
                if self.grade.raised_at else None,
                "province": d.province if d else None, "at": iso(self.at),
                "clocks": [c.to_json() for c in self.clocks],
                "reports": [r.to_json() for r in self.reports], "overdue": self.overdue}


# -- parsing ----------------------------------------------------------------------------------
def parse_kind(raw: str) -> str:
    key = clean_text(raw or "").strip().lower().replace("-", "_")
    found = key if key in REPORT_KINDS else _KIND_ALIASES.get(key) or _KIND_ALIASES.get(raw or "")
    if found is None:
        raise BadInput("upward.bad_kind",
                       zh="报送类型 {v!r} 无效：应为 initial_phone（电话首报）、initial_written（书面首报）、"
                          "follow_up（续报）或 final（终报）",
                       en="unknown report kind {v!r}: use initial_phone, initial_written, follow_up"
                          " or final", v=str(raw)[:40])
    return found


def parse_via(raw: str) -> str:
    key = clean_text(raw or "").strip().lower()
    found = key.replace("-", "_") if key.replace("-", "_") in VIAS else _VIA_ALIASES.get(key)
    if found is None:
        raise BadInput("upward.bad_via",
                       zh="报送方式 {v!r} 无效：应为 phone（电话）、fax（传真）、system（系统报送）或"
                          " in_person（当面）",
                       en="unknown way of reporting {v!r}: use phone, fax, system or in_person",
                       v=str(raw)[:40])
    return found


def via_label(via: str, lang: str) -> str:
    zh, en = VIAS.get(via, (via, via))
    return zh if lang == "zh" else en


# -- clocks -----------------------------------------------------------------------------------
def _state(due: datetime, now: datetime, soon: timedelta) -> str:
    if now > due:
        return "overdue"
    return "due_soon" if due - now <= soon else "normal"


def _running(kind: str, due: datetime, now: datetime, soon: timedelta) -> ReportClock:
    return ReportClock(kind, due, _state(due, now, soon), (due - now).total_seconds())


def _done(kind: str, due: datetime | None, filed: FiledReport) -> ReportClock:
    return ReportClock(kind, due, "done", None, filed.at, due is not None and filed.at > due)


def next_fixed_time(after: datetime, times: tuple[time, ...], tz: ZoneInfo) -> datetime:
    """The first of the local times of day ``times`` strictly after ``after``."""
    local = after.astimezone(tz)
    for days in range(3):
        day = local.date() + timedelta(days=days)
        for t in times:
            candidate = datetime.combine(day, t, tzinfo=tz)
            if candidate > local:
                return candidate.astimezone(after.tzinfo)
    raise AssertionError("a time of day recurs within a day")  # pragma: no cover


def follow_up_due(last: datetime, d: ReportDeadlines, tz: ZoneInfo) -> datetime | None:
    """When the next follow-up is due after the report made at ``last``: the province's next
    fixed time if it has any, else ``follow_up_minutes`` later."""
    if d.follow_up_at:
        return next_fixed_time(last, d.follow_up_at, tz)
    if d.follow_up_minutes:
        return last + timedelta(minutes=d.follow_up_minutes)
    return None


def compute_clocks(incident: Incident, grade: Grade, deadlines: ReportDeadlines | None,
                   reports: list[FiledReport] | tuple[FiledReport, ...], now: datetime,
                   soon: timedelta, tz: ZoneInfo) -> tuple[ReportClock, ...]:
    """Every clock of the track at ``now``; pure, so the order reports arrived in is moot."""
    first: dict[str, FiledReport] = {}
    for r in sorted(reports, key=lambda r: (r.at, r.event_id)):
        first.setdefault(r.kind, r)
    raised = grade.raised_at
    out: list[ReportClock] = []
    for kind, minutes in (("initial_phone", deadlines.initial_phone_minutes if deadlines else None),
                          ("initial_written", deadlines.initial_written_minutes if deadlines else None)):
        due = raised + timedelta(minutes=minutes) if raised and minutes else None
        if kind in first:
            out.append(_done(kind, due, first[kind]))
        elif due is None:
            out.append(ReportClock(kind, None, "none", None))
        else:
            out.append(_running(kind, due, now, soon))
    # follow-ups roll from the latest report while the incident is open
    progress = [r for r in reports if r.kind != "final"]
    last = max(progress, key=lambda r: (r.at, r.event_id)) if progress else None
    follow = None
    if deadlines is not None and last is not None and incident.closed_at is None:
        follow = follow_up_due(last.at, deadlines, tz)
    if follow is not None:
        out.append(_running("follow_up", follow, now, soon))
    else:
        out.append(ReportClock("follow_up", None, "none", None))
    closed = incident.closed_at
    final_due = closed + timedelta(days=deadlines.final_days) if closed and deadlines else None
    if "final" in first:
        out.append(_done("final", final_due, first["final"]))
    elif final_due is None:
        out.append(ReportClock("final", None, "none", None))
    else:
        out.append(_running("final", final_due, now, soon))
    return tuple(out)


# -- reads ------------------------------------------------------------------------------------
def _report(row: Any) -> FiledReport:
    return FiledReport(row["event_id"], row["incident_id"], row["kind"], row["to_whom"], row["via"],
                       row["body"], parse_instant(row["reported_at"]), row["operator"], row["seat"])


def reports_of(db: Reader, incident_id: str) -> list[FiledReport]:
    rows = db.all("SELECT * FROM upward_reports WHERE incident_id = ? ORDER BY reported_at, event_id",
                  (incident_id,))
    return [_report(r) for r in rows]


def _deadlines(rules: ReportRules, grade: Grade) -> ReportDeadlines | None:
    return rules.for_level(grade.level) if grade.level is not Level.DAILY else None


def track_of(db: Reader, incident: Incident, rules: ReportRules, now: datetime, soon: timedelta,
             tz: ZoneInfo, grade: Grade | None = None,
             reports: list[FiledReport] | None = None) -> ReportTrack | None:
    """The incident's report track at ``now``; ``None`` if it was never raised to plan level."""
    grade = grade or grade_of(db, incident.id)
    if grade is None or grade.raised_at is None:
        return None
    filed = reports if reports is not None else reports_of(db, incident.id)
    deadlines = _deadlines(rules, grade)
    clocks = compute_clocks(incident, grade, deadlines, filed, now, soon, tz)
    return ReportTrack(incident, grade, deadlines, tuple(filed), clocks, now)


def tracks(db: Reader, rules: ReportRules, now: datetime, soon: timedelta,
           tz: ZoneInfo) -> list[ReportTrack]:
    """The track of every incident ever raised to plan level, in two queries plus the grades."""
    rows = db.all("SELECT * FROM incidents WHERE id IN (SELECT incident_id FROM incident_grades"
                  " WHERE level != 'daily')")
    incidents = {r["id"]: incident_from_row(r) for r in rows}
    grades = grades_of(db, list(incidents))
    filed: dict[str, list[FiledReport]] = {}
    for r in db.all("SELECT * FROM upward_reports ORDER BY reported_at, event_id"):
        filed.setdefault(r["incident_id"], []).append(_report(r))
    out = []
    for iid, incident in incidents.items():
        g = grades.get(iid)
        if g is None or g.raised_at is None:
            continue
        found = track_of(db, incident, rules, now, soon, tz, g, filed.get(iid, []))
        if found is not None:
            out.append(found)
    return out


def due_clocks(found: list[ReportTrack]) -> list[tuple[ReportTrack, ReportClock]]:
    """Every open clock over the tracks, most urgent (earliest due) first."""
    pairs = [(t, c) for t in found for c in t.open_clocks]
    pairs.sort(key=lambda p: (p[1].due or p[0].at, p[0].incident.no))
    return pairs


# -- filing -----------------------------------------------------------------------------------
def file_report(ctx: Context, incident_ref: str | int, *, kind: str, to: str, via: str,
                body: str = "", at: str | None = None) -> FiledReport:
    """Record a report made upward. Refused (nothing written): an incident not at plan level now,
    a final report before closure, a written kind without its text, a second initial report of
    the same kind (file a follow-up), a second final, an unknown kind or way."""
    what = parse_kind(kind)
    how = parse_via(via)
    whom = bounded(to, 200, "报送对象", "recipient")
    text = multi_line(body or "").strip()
    if len(text) > MAX_BODY:
        raise BadInput("upward.body_too_long", zh="报送内容过长：{n} 字（最多 {m} 字）",
                       en="the report is too long: {n} characters (at most {m})", n=len(text), m=MAX_BODY)
    if not whom:
        raise BadInput("upward.to_needed", zh="请填写报送对象（--to，如 县应急办值班室）",
                       en="say whom the report went to (--to, e.g. the county emergency office)")
    if what in WRITTEN and not text:
        raise BadInput("upward.body_needed", zh="{k}须有书面内容（--body 或 --body-file）",
                       en="a {e} needs its written text (--body or --body-file)",
                       k=report_label(what, "zh"), e=report_label(what, "en"))
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        incident = get_incident(tx, incident_ref)
        require_raised(tx, incident, "report")
        if what == "final" and incident.closed_at is None:
            raise IllegalTransition("upward.final_open", zh="警情 #{no} 尚未办结，不能终报（请续报）",
                                    en="incident #{no} is not closed yet: no final report"
                                       " (file a follow-up)", no=incident.no)
        if when < incident.created_at:
            raise BadInput("upward.before_incident", zh="报送时间早于接警时间",
                           en="the report is dated before the incident was received")
        if what in ONCE:
            earlier = tx.one("SELECT reported_at FROM upward_reports WHERE incident_id = ? AND"
                             " kind = ? ORDER BY reported_at LIMIT 1", (incident.id, what))
            if earlier is not None:
                raise IllegalTransition(
                    "upward.twice", zh="警情 #{no} 的{k}已于 {at} 报送；后续情况请续报（follow_up）",
                    en="the {e} of incident #{no} was filed at {at}; report further news as a"
                       " follow-up", no=incident.no, k=report_label(what, "zh"),
                    e=report_label(what, "en"),
                    at=parse_instant(earlier[0]).astimezone(ctx.config.tz).strftime("%m-%d %H:%M"))
        event = tx.append("report.filed", {"incident_id": incident.id, "kind": what, "to": whom,
                                           "via": how, "body": text},
                          subject=incident.id, happened_at=when)
    return FiledReport(event.id, incident.id, what, whom, how, text,
                       parse_instant(event.happened_at), event.operator, event.seat)


# -- words ------------------------------------------------------------------------------------
def span_text(seconds: float, lang: str) -> str:
    """``4:05`` under an hour, ``2:04:05`` under a day, ``3天4小时`` / ``3d 4h`` beyond."""
    secs = int(abs(seconds))
    if secs < 3600:
        return f"{secs // 60:d}:{secs % 60:02d}"
    if secs < 86400:
        return f"{secs // 3600:d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    days, hours = secs // 86400, secs % 86400 // 3600
    return f"{days}天{hours}小时" if lang == "zh" else f"{days}d {hours}h"


def clock_text(c: ReportClock, lang: str, tz: ZoneInfo) -> str:
    """``电话首报 14:30 剩余 4:00`` / ``written initial report OVERDUE by 5:00 (due 15:00)``."""
    zh = lang == "zh"
    name = report_label(c.kind, lang)

    def hm(value: datetime) -> str:
        return value.astimezone(tz).strftime("%H:%M" if c.kind != "final" else "%m-%d %H:%M")

    if c.state == "done" and c.filed_at is not None:
        late = ("（逾时）" if zh else " (late)") if c.late else ""
        return f"{name} 已报 {hm(c.filed_at)}{late}" if zh else f"{name} filed {hm(c.filed_at)}{late}"
    if c.due is None or c.remaining_s is None:
        waiting = {"follow_up": ("首报后开始", "starts with the first report"),
                   "final": ("办结后开始", "starts at closure")}.get(c.kind, ("无须报送", "not required"))
        return f"{name} {waiting[0] if zh else waiting[1]}"
    span = span_text(c.remaining_s, lang)
    if c.state == "overdue":
        return f"{name} 超时 {span}（应于 {hm(c.due)}）" if zh else \
            f"{name} OVERDUE by {span} (due {hm(c.due)})"
    return f"{name} {hm(c.due)} 前，剩余 {span}" if zh else f"{name} by {hm(c.due)}, in {span}"
