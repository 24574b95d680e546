"""Verbs for reporting upward (信息报送, ``console/tiered/reports.py``): what is due, a draft of the
written report, filing a report, and one incident's report log."""

from __future__ import annotations

from pathlib import Path

from console.commands import shapes
from console.commands.grammar import Invocation, Outcome, command
from console.commands.verbs.grading import grade_line
from console.kernel.clock import iso
from console.kernel.errors import BadInput
from console.tiered.report_deadlines import report_label
from console.tiered.reports import ReportTrack, clock_text, due_clocks, via_label


def _track_lines(inv: Invocation, track: ReportTrack) -> list[str]:
    t, tz = inv.text, inv.services.config.tz
    lines = [t.incident_line(track.incident), grade_line(t, track.grade)]
    lines += [f"  {clock_text(c, inv.lang, tz)}" for c in track.clocks]
    for r in track.reports:
        lines.append(f"  {t.time(r.at, True)[5:16]} {report_label(r.kind, inv.lang)}"
                     f" · {via_label(r.via, inv.lang)} -> {r.to} ({r.operator})")
    return lines


@command("report due", zh="信息报送时限：所有预案级事件未完成的报送（电话首报、书面首报、续报、终报），最紧迫的在前",
         en="reports upward due: every open report clock of the plan-level incidents, most urgent"
            " first")
def _report_due(inv: Invocation) -> Outcome:
    s = inv.services
    now = s.ctx.clock.now()
    pairs = due_clocks(s.report_tracks(now))
    lines = [f"{inv.text.drill_mark(t.incident.drill)}#{t.incident.no} "
             f"{inv.text.category(t.incident.category)} · "
             f"{t.grade.level.value} · {clock_text(c, inv.lang, s.config.tz)}" for t, c in pairs]
    return inv.outcome(
        {"at": iso(now),
         "overdue": sum(1 for t, c in pairs if c.state == "overdue" and not t.incident.drill),
         "drill_overdue": sum(1 for t, c in pairs if c.state == "overdue" and t.incident.drill),
         "due": [{"incident_id": t.incident.id, "incident_no": t.incident.no, "drill": t.incident.drill,
                  "level": t.grade.level.value, **c.to_json()} for t, c in pairs]},
        lines or [inv.text.pick("没有待报送的信息", "no report due")])


@command("report show", args=("incident",),
         zh="信息报送记录：一起预案级事件的各项报送时限和已报送的报告",
         en="report log of a plan-level incident: its report clocks and the reports filed")
def _report_show(inv: Invocation) -> Outcome:
    incident, track = inv.services.report_track(inv.need("incident"))
    if track is None:
        return inv.outcome({"incident": shapes.incident_json(incident), "track": None},
                           [inv.text.incident_line(incident),
                            inv.text.pick("  未定为预案级别，无须向上报送",
                                          "  not at plan level: nothing to report upward")])
    return inv.outcome({"incident": shapes.incident_json(incident), "track": track.to_json()},
                       _track_lines(inv, track))


@command("report draft", args=("incident",), options=("kind",),
         zh="起草书面报告：按警情记录生成（事件、地点、时间、分级、伤亡、出动力量、已采取措施），供修改后报送",
         en="draft the written report from the incident's record (what, where, when, grade,"
            " casualties, units, measures taken) for you to edit and file")
def _report_draft(inv: Invocation) -> Outcome:
    kind, text = inv.services.report_draft(inv.need("incident"), inv.get("kind"), inv.lang)
    return inv.outcome({"kind": kind, "lang": inv.lang, "body": text}, [text])


def _body(inv: Invocation) -> str:
    path = inv.get("body_file")
    if path is None:
        return inv.get("body") or ""
    if inv.get("body") is not None:
        raise BadInput("upward.body_twice", zh="--body 和 --body-file 只能给一个",
                       en="give --body or --body-file, not both")
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput("upward.body_file", zh="读不了报告文件 {p}：{e}",
                       en="cannot read the report file {p}: {e}", p=path,
                       e=type(exc).__name__) from exc


@command("report file", args=("incident", "kind"), options=("to", "via", "body", "body-file", "at"),
         zh="记录报送：KIND 为 initial_phone 电话首报 / initial_written 书面首报 / follow_up 续报 /"
            " final 终报；--to 报送对象（如 县应急办值班室），--via phone|fax|system|in_person，"
            "书面报告须 --body 或 --body-file",
         en="record a report upward: KIND initial_phone / initial_written / follow_up / final;"
            " --to the recipient, --via phone|fax|system|in_person; written kinds need --body or"
            " --body-file")
def _report_file(inv: Invocation) -> Outcome:
    s = inv.services
    filed = s.file_report(inv.need("incident"), inv.need("kind"), inv.get("to") or "",
                          inv.get("via") or "", _body(inv), inv.get("at"))
    incident, track = s.report_track(filed.incident_id)
    t = inv.text
    head = t.pick(f"已记录{report_label(filed.kind, 'zh')}：{t.time(filed.at, True)} "
                  f"{via_label(filed.via, 'zh')}报送 {filed.to}",
                  f"recorded the {report_label(filed.kind, 'en')}: {t.time(filed.at, True)} "
                  f"by {via_label(filed.via, 'en')} to {filed.to}")
    lines = [head, *(_track_lines(inv, track) if track else [])]
    return inv.outcome({"report": filed.to_json(), "incident": shapes.incident_json(incident),
                        "track": track.to_json() if track else None}, lines)
