"""The draft of a written report upward (书面报告), composed from the incident's record.

The dispatcher writes the initial written report, the follow-ups and the final report under
time pressure; most of what goes in is already recorded: what happened (category, the callers'
account), where (address, area), when it was received, the grade and the casualties, which
units were ordered and when they acknowledged, set off, arrived and finished, what was done
(a first unit's initial handling on a handover, notes), and what was reported before. This
module puts those in the order the county emergency office reads them; the dispatcher edits
the text before filing it. Pure: the caller passes what it read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from console.kernel.clock import parse_instant
from console.kernel.model import STATUS_LABELS, Incident, Order, OrderStatus, label
from console.store.queries import calls_of, merged_into, orders_of
from console.store.transaction import Store
from console.tiered.grading import Grade, grade_of
from console.tiered.report_deadlines import report_label
from console.tiered.reports import FiledReport, reports_of, via_label

if TYPE_CHECKING:  # the words are the caller's (console/commands/shapes.py)
    from console.words import Words

#: The steps of an order worth reporting, in the order they happen.
_STEPS = (OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED, OrderStatus.EN_ROUTE, OrderStatus.ON_SCENE,
          OrderStatus.FEEDBACK, OrderStatus.COMPLETED, OrderStatus.HANDED_OVER,
          OrderStatus.RETURNED)


@dataclass(frozen=True)
class DraftInput:
    incident: Incident
    grade: Grade | None
    orders: list[Order]
    notes: list[tuple[datetime, str]]     # (reported time, note) of the incident's notes
    calls: list[str]                      # every caller's account, first call first
    reports: list[FiledReport]
    center: str                           # the reporting center's name
    operator: str
    now: datetime


def read_input(db: Store, incident: Incident, *, center: str, operator: str,
               now: datetime) -> DraftInput:
    """What the draft is made of, read from the store (the incident and its merged repeats)."""
    ids = [incident.id, *(m.id for m in merged_into(db, incident.id))]
    notes = [(parse_instant(e.happened_at), str(e.payload.get("note", "")))
             for e in db.events_for(ids) if e.kind == "incident.noted" and e.payload.get("note")]
    return DraftInput(incident, grade_of(db, incident.id), orders_of(db, ids), notes,
                      [c.text for c in calls_of(db, ids)], reports_of(db, incident.id), center,
                      operator, now)


def _casualties(t: Words, g: Grade | None) -> str:
    if g is None:
        return t.pick("伤亡情况：待核实", "casualties: to be confirmed")
    parts = []
    for n, zh, en in ((g.deaths, "死亡", "dead"), (g.injured, "受伤", "injured"),
                      (g.trapped, "被困", "trapped")):
        parts.append(t.pick(f"{zh}待核实", f"{en}: unknown") if n is None
                     else t.pick(f"{zh} {n} 人", f"{n} {en}"))
    return t.pick("伤亡情况：", "casualties: ") + t.pick("，", ", ").join(parts)


def _order_line(t: Words, o: Order) -> str:
    steps = []
    for status in _STEPS:
        at = o.steps.get(status.value)
        if at is not None:
            steps.append(f"{label(STATUS_LABELS, status, t.lang)} {t.time(at)[:5]}")
    now = label(STATUS_LABELS, o.status, t.lang)
    return (f"  {t.unit(o.unit)}" + t.pick("：", ": ") + t.pick("，", ", ").join(steps)
            + t.pick(f"（现{now}）", f" (now {now})"))


def _lines(items: Iterable[str], none: str) -> list[str]:
    found = [x for x in items if x]
    return found or [f"  {none}"]


def draft(t: Words, kind: str, d: DraftInput) -> str:
    """The report text in ``t``'s language, for ``kind`` (initial_written, follow_up, final)."""
    i = d.incident
    what = t.category(i.category)
    where = i.address or t.pick("地址待核实", "address to be confirmed")
    seq = sum(1 for r in d.reports if r.kind == kind) + 1
    title = report_label(kind, t.lang) + (t.pick(f"（第 {seq} 次）", f" (no. {seq})")
                                          if kind == "follow_up" else "")
    # a drill's report says so in its first words, so it is never sent upward as a real one
    head = t.drill_mark(i.drill) + t.pick(f"关于{where}{what}事件的{title}", f"{title}: {what} at {where}")
    grade = (d.grade.label(t.lang) if d.grade is not None
             else t.pick("未分级", "not graded"))
    accounts = list(dict.fromkeys([i.text, *d.calls]))
    out = [head, "",
           t.pick(f"报送单位：{d.center}", f"from: {d.center}"),
           t.pick(f"接报时间：{t.time(i.created_at, True)}（警情 #{i.no}）",
                  f"received: {t.time(i.created_at, True)} (incident #{i.no})"),
           t.pick(f"事发地点：{where}（{t.area(i.area)}）", f"place: {where} ({t.area(i.area)})"),
           t.pick(f"事件类别：{what}", f"category: {what}"),
           t.pick(f"事件分级：{grade}", f"grade: {grade}"),
           _casualties(t, d.grade),
           t.pick("基本情况：", "what happened:")]
    out += [f"  {x}" for x in accounts if x]
    out.append(t.pick("出动力量：", "units ordered:"))
    out += _lines((_order_line(t, o) for o in d.orders), t.pick("尚未派单", "none yet"))
    out.append(t.pick("已采取措施：", "measures taken:"))
    measures = [t.pick(f"  先期处置（{t.unit(o.unit)}接手前）：{o.initial_handling}",
                       f"  initial handling (before {t.unit(o.unit)} took over): {o.initial_handling}")
                for o in d.orders if o.initial_handling]
    measures += [f"  {t.time(at)[:5]} {note}" for at, note in d.notes]
    out += _lines(measures, t.pick("（请填写）", "(to be filled in)"))
    if i.closed_at is not None:
        out.append(t.pick(f"处置结果：已于 {t.time(i.closed_at, True)} 办结",
                          f"outcome: closed at {t.time(i.closed_at, True)}"))
    out.append(t.pick("已报送情况：", "reported so far:"))
    out += _lines((f"  {t.time(r.at, True)[5:16]} {report_label(r.kind, t.lang)}"
                   + t.pick(f"（{via_label(r.via, t.lang)}）", f" ({via_label(r.via, t.lang)})")
                   + f" -> {r.to}" for r in d.reports),
                  t.pick("无", "none"))
    out += ["", t.pick(f"报告人：{d.operator}　{t.time(d.now, True)[:16]}",
                       f"reported by: {d.operator}, {t.time(d.now, True)[:16]}")]
    return "\n".join(out)
