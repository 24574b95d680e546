"""One event → words (zh/en): the incident timeline, written once for the CLI and every screen.

``linkage incident show N``, ``show N`` in the command bar and the TUI's incident screen all
read their timeline from ``timeline(detail, words)``, so a kind such as ``order.stepped`` is
never printed raw on one side and as words on the other. A line's detail is a tuple of
``(text, tag)`` parts: the CLI joins the texts, a screen maps each tag to a style
(``TAGS`` lists them). Every text is one line (``clean.one_line``): a timeline row is one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from console.kernel.clean import one_line
from console.kernel.clock import parse_instant
from console.kernel.model import DISPOSITION_LABELS, Disposition, label
from console.kernel.vocab import REPORT_KINDS, IncidentType, Level, level_label, type_label
from console.orders.accountability import CALLBACK_RESULTS, SUPERVISE_LEVELS, URGE_METHODS, pick
from console.store.transaction import EventRecord
from console.tiered.report_deadlines import report_label
from console.tiered.reports import via_label
from console.words import Words

if TYPE_CHECKING:
    from console.seat.services import IncidentDetail

#: What a part of a detail is, so a screen can style it: ``who`` a caller's number and name,
#: ``aside`` an address or other secondary words, ``merged`` the number of a merged repeat
#: incident, ``first`` the first-contact mark, ``chain`` a handover/reassignment link,
#: ``reason`` why a step was taken, ``title`` a plan's name; ``""`` plain words.
TAGS = ("", "who", "aside", "merged", "first", "chain", "reason", "title")

#: The name of each kind an incident's timeline can hold. An ``order.stepped`` is named by the
#: step it records (``STEP_NAMES``).
KIND_NAMES: dict[str, tuple[str, str]] = {
    "incident.created": ("接警", "call received"),
    "call.added": ("重复来电", "repeat call"),
    "incident.merged": ("合并", "merged"),
    "incident.noted": ("备注", "note"),
    "incident.recategorized": ("改类别", "recategorized"),
    "incident.triage_corrected": ("研判更正", "triage corrected"),
    "incident.transferred": ("转出", "transferred"),
    "incident.closed": ("警情办结", "incident closed"),
    "incident.reopened": ("重新打开", "reopened"),
    "order.issued": ("派单", "order issued"),
    "order.stepped": ("派单环节", "order step"),
    "order.return_reviewed": ("退单审核", "return reviewed"),
    "order.urged": ("催办", "urged"),
    "order.supervised": ("督办", "supervised"),
    "incident.called_back": ("回访", "callback"),
    "plan.activated": ("启动预案", "plan activated"),
    "plan.step_checked": ("处置要点", "checklist"),
    "incident.graded": ("分级", "graded"),
    "report.filed": ("信息报送", "report upward"),
}

STEP_NAMES: dict[str, tuple[str, str]] = {
    "issued": ("下达", "issued"),
    "delivered": ("送达", "delivered"),
    "acknowledged": ("签收", "acknowledged"),
    "en_route": ("出动", "en route"),
    "on_scene": ("到场", "on scene"),
    "feedback": ("反馈", "feedback"),
    "completed": ("办结", "completed"),
    "returned": ("退单", "returned"),
    "reassigned": ("改派", "reassigned"),
    "cancelled": ("取消", "cancelled"),
    "handed_over": ("移交", "handed over"),
}

#: A kind this version does not know (an event from a newer seat): named as an event, never
#: by its raw kind.
UNKNOWN_KIND = ("记录", "record")

_WORDS: dict[str, tuple[str, str]] = {
    "order": ("派单", "order"),
    "first": ("[首接]", "[first contact]"),
    "handover_from": ("移交自 派单 {no} {unit}", "handed over from order {no} {unit}"),
    "reassigned_from": ("改派自 派单 {no} {unit}", "reassigned from order {no} {unit}"),
    "merged_in": ("警情 #{no} 并入本警情", "incident #{no} merged into this one"),
    "merged_note": ("合并重复警情 #{no}", "merged repeat incident #{no}"),
    "category": ("类别改为 {category}", "category now {category}"),
    "reason": ("原因：{reason}", "reason: {reason}"),
    "note": ("备注：{note}", "note: {note}"),
    "hidden_number": ("号码未显示", "number withheld"),
    "no_name": ("（未留姓名）", "(no name)"),
    "step_done": ("第 {n} 步：已完成", "step {n}: done"),
    "step_undone": ("第 {n} 步：未完成", "step {n}: not done"),
    "accept": ("同意退单", "return accepted"),
    "reject": ("驳回退单", "return rejected"),
    "for_order": ("因派单 {unit}", "for an order to {unit}"),
    "reopened": (" · 重新打开", " · reopened"),
}

Part = tuple[str, str]


@dataclass(frozen=True)
class Line:
    """One timeline row: both times, the kind in words, who recorded it, the detail."""

    event: EventRecord
    happened: datetime
    recorded: datetime
    kind: str
    seat: str
    operator: str
    parts: tuple[Part, ...]

    @property
    def detail(self) -> str:
        return "".join(text for text, _ in self.parts)


def kind_name(kind: str, payload: Mapping[str, Any], lang: str) -> str:
    """``order.stepped`` → ``到场`` / ``on scene``; ``order.urged`` → ``催办`` / ``urged``."""
    if kind == "order.stepped":
        step = STEP_NAMES.get(str(payload.get("status", "")))
        if step is not None:
            return pick(step, lang)
    return pick(KIND_NAMES.get(kind, UNKNOWN_KIND), lang)


def timeline(detail: IncidentDetail, words: Words) -> list[Line]:
    """The incident's events in the order they happened (as reported), each in words."""
    writer = _Writer(detail, words)
    events = sorted(detail.timeline, key=lambda e: parse_instant(e.happened_at))
    return [Line(e, parse_instant(e.happened_at), parse_instant(e.recorded_at),
                 kind_name(e.kind, e.payload, words.lang), one_line(e.seat), one_line(e.operator),
                 tuple((one_line(text), tag) for text, tag in writer.parts(e) if text))
            for e in events]


class _Writer:
    def __init__(self, detail: IncidentDetail, words: Words) -> None:
        self.words = words
        self.lang = words.lang
        self.incident_id = detail.incident.id
        self.orders = {o.id: o for o, _ in detail.orders}
        self.merged_nos = {m.id: m.no for m in detail.merged}

    def w(self, key: str, **params: object) -> str:
        text = pick(_WORDS[key], self.lang)
        return text.format(**params) if params else text

    def order_ref(self, order_id: object) -> tuple[str, str]:
        order = self.orders.get(str(order_id or ""))
        if order is None:
            return "?", "?"
        return str(order.no), self.words.unit(order.unit)

    def merged_no(self, incident_id: object) -> str:
        return str(self.merged_nos.get(str(incident_id or ""), "?"))

    def note(self, p: Mapping[str, Any]) -> list[Part]:
        return [(" · ", ""), (self.w("note", note=p["note"]), "")] if p.get("note") else []

    def order_head(self, p: Mapping[str, Any]) -> list[Part]:
        no, unit = self.order_ref(p.get("order_id"))
        return [(f"{self.w('order')} {no} {unit}", "")]

    def parts(self, e: EventRecord) -> list[Part]:
        p = e.payload
        out: list[Part] = []
        if e.subject and e.subject != self.incident_id:     # an event of a merged repeat incident
            out.append((f"[#{self.merged_no(e.subject)}] ", "merged"))
        kind = e.kind
        colon = "：" if self.lang == "zh" else ": "
        if kind in ("incident.created", "call.added"):
            phone, name = str(p.get("phone") or ""), str(p.get("caller_name") or "")
            out += [(phone or self.w("hidden_number"), "who"), (" ", ""),
                    (name or self.w("no_name"), "who" if name else "aside"),
                    (colon, ""), (str(p.get("text", "")), "")]
            if p.get("address"):
                out.append((f" ({p['address']})", "aside"))
        elif kind == "incident.merged":
            out.append((self.w("merged_in", no=self.merged_no(p.get("incident_id"))), ""))
        elif kind == "incident.noted":
            if p.get("merged"):
                out.append((self.w("merged_note", no=self.merged_no(p["merged"])), ""))
            else:
                out.append((str(p.get("note", "")), ""))
        elif kind == "incident.recategorized":
            out.append((self.w("category", category=self.words.category(str(p.get("category", "")))), ""))
        elif kind == "incident.transferred":
            try:
                out.append((label(DISPOSITION_LABELS, Disposition(str(p.get("disposition"))), self.lang), ""))
            except ValueError:
                out.append((str(p.get("disposition", "")), ""))
            out += self.note(p)
        elif kind == "incident.reopened":
            if p.get("for_order"):
                out.append((self.w("for_order", unit=self.words.unit(str(p["for_order"]))), ""))
            out += self.note(p)
        elif kind == "order.issued":
            no, _ = self.order_ref(p.get("order_id"))
            out.append((f"{self.w('order')} {no} -> {self.words.unit(str(p.get('unit', '')))}", ""))
            if p.get("first_contact"):
                out.append((" " + self.w("first"), "first"))
            for key in ("handover_from", "reassigned_from"):
                if p.get(key):
                    src_no, src_unit = self.order_ref(p[key])
                    out.append((" · " + self.w(key, no=src_no, unit=src_unit), "chain"))
            out += self.note(p)
        elif kind == "order.stepped":
            out += self.order_head(p)
            if p.get("reason"):
                out += [(" · ", ""), (self.w("reason", reason=p["reason"]), "reason")]
            out += self.note(p)
        elif kind == "order.return_reviewed":
            out += self.order_head(p)
            decision = str(p.get("decision", ""))
            out.append((" · " + (self.w(decision) if decision in ("accept", "reject") else decision), ""))
            out += self.note(p)
        elif kind == "order.urged":
            out += [*self.order_head(p), (" · ", "")]
            how = pick(URGE_METHODS.get(str(p.get("how")), (str(p.get("how")),) * 2), self.lang)
            out.append(((f"{how}催办 {p.get('to', '')}" if self.lang == "zh"
                         else f"by {how} via {p.get('to', '')}"), ""))
            out += self.note(p)
        elif kind == "order.supervised":
            out += [*self.order_head(p), (" · ", "")]
            level = p.get("level")
            name = (pick(SUPERVISE_LEVELS.get(level, (str(level),) * 2), self.lang)
                    if isinstance(level, int) else str(level))
            out.append(((f"{level}级 {name}：{p.get('reason', '')}" if self.lang == "zh"
                         else f"level {level} ({name}): {p.get('reason', '')}"), ""))
        elif kind == "incident.called_back":
            result = pick(CALLBACK_RESULTS.get(str(p.get("result")), (str(p.get("result")),) * 2), self.lang)
            out.append((result, ""))
            out += self.note(p)
            if p.get("reopen"):
                out.append((self.w("reopened"), ""))
        elif kind == "plan.activated":
            out.append((str(p.get("plan_name_zh" if self.lang == "zh" else "plan_name_en", "")), "title"))
            if p.get("reason"):
                out += [(" · ", ""), (self.w("reason", reason=p["reason"]), "")]
        elif kind == "plan.step_checked":
            out.append((self.w("step_done" if p.get("done") else "step_undone", n=p.get("step", "?")), ""))
            out += self.note(p)
        elif kind == "report.filed":
            report = str(p.get("kind", ""))
            out.append((report_label(report, self.lang) if report in REPORT_KINDS else report, ""))
            out.append((f" · {via_label(str(p.get('via', '')), self.lang)} -> {p.get('to', '')}", ""))
        elif kind == "incident.graded":
            try:
                out.append((f"{type_label(IncidentType(str(p.get('type'))), self.lang)} · "
                            f"{level_label(Level(str(p.get('level'))), self.lang)}", ""))
            except ValueError:
                out.append((f"{p.get('type')} {p.get('level')}", ""))
            if p.get("reason"):
                out.append((f" · {p['reason']}", ""))
        else:
            out += self.note(p)
        return out
