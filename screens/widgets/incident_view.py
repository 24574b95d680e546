"""What the incident screen shows, built as Rich renderables from one ``IncidentDetail``.

Kept apart from the screen so the words can be checked without a running app. Everything the
caller or a unit said goes into ``Text`` objects (``append``, never markup), so a ``[/b]`` in a
caller's account is shown as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.style import Style
from rich.table import Table
from rich.text import Text

from console.kernel.clock import parse_instant
from console.kernel.model import (
    DISPOSITION_LABELS,
    INCIDENT_STATUS_LABELS,
    MAIN_LINE,
    STATUS_LABELS,
    Order,
    label,
    services_label,
)
from console.orders.accountability import CALLBACK_RESULTS, pick, supervise_text
from console.orders.deadlines import STAGE_LABELS, STAGES, OrderClock
from console.seat.services import IncidentDetail
from console.tiered.grading import Grade
from console.tiered.reports import ReportTrack, clock_text
from console.timeline import Line, timeline
from console.words import Words
from screens.i18n import STRINGS, tr

CLOCK_STYLES = {
    "overdue": Style(color="white", bgcolor="red", bold=True),
    "due_soon": Style(color="black", bgcolor="yellow"),
    "normal": Style(color="green"),
    "none": Style(dim=True),
}
LABEL = Style(bold=True)
#: How each part of a timeline detail (console/timeline.py ``TAGS``) is drawn.
DETAIL_STYLES = {"who": "bold", "aside": "dim", "merged": "bold cyan", "first": "bold yellow",
                 "chain": "cyan", "reason": "bold red", "title": "bold"}
#: A step entered this long after it happened is shown with its recording time too.
LATE_ENTRY_SECONDS = 60
_STEP_ORDER = {s.value: i for i, s in enumerate(MAIN_LINE)}


class IncidentView:
    """The header, order blocks and timeline of one incident in one language."""

    def __init__(self, words: Words, lang: str, detail: IncidentDetail,
                 now: Callable[[], datetime]) -> None:
        self.words = words
        self.now = now  # the seat's clock: supervise countdowns are computed at paint time
        self.lang = lang
        self.detail = detail
        self.incident = detail.incident
        self.orders: dict[str, Order] = {o.id: o for o, _ in detail.orders}
        self.merged_nos = {m.id: m.no for m in detail.merged}  # merged incident id → its number
        self.recorded: dict[tuple[str, str], datetime] = {}  # (order id, status) → recorded at
        for e in detail.timeline:
            p = e.payload
            if e.kind == "order.issued":
                self.recorded[(p.get("order_id", ""), "issued")] = parse_instant(e.recorded_at)
            elif e.kind == "order.stepped":
                self.recorded[(p.get("order_id", ""), p.get("status", ""))] = parse_instant(e.recorded_at)

    # -- small words ------------------------------------------------------------------------
    def t(self, key: str, **params: object) -> str:
        return tr(key, self.lang, **params)

    def when(self, value: datetime | None) -> str:
        """Time of day, with the date when it is not the incident's own day."""
        if value is None:
            return "-"
        tz = self.words.tz
        local = value.astimezone(tz)
        if local.date() == self.incident.created_at.astimezone(tz).date():
            return local.strftime("%H:%M:%S")
        return local.strftime("%m-%d %H:%M")

    def order_ref(self, order_id: str | None) -> tuple[str, str]:
        order = self.orders.get(order_id or "")
        if order is None:
            return "?", "?"
        return str(order.no), self.words.unit(order.unit)

    def step_name(self, status: str) -> str:
        key = f"incident.step.{status}"
        return self.t(key) if key in STRINGS else status

    # -- title and header -------------------------------------------------------------------
    def title(self) -> Text:
        i = self.incident
        text = self.t("incident.title", no=i.no, category=self.words.category(i.category),
                      area=self.words.area(i.area), status=label(INCIDENT_STATUS_LABELS, i.status, self.lang),
                      disposition=(services_label(i.transfers, self.lang) if i.transfers
                                   else label(DISPOSITION_LABELS, i.disposition, self.lang)))
        if i.merged_into:
            text += " " + self.t("incident.merged_into")
        return Text(self.words.drill_mark(i.drill) + text, style="bold")

    def first_contact(self) -> Order | None:
        return next((o for o, _ in self.detail.orders if o.first_contact and o.incident_id == self.incident.id),
                    None)

    def header(self) -> Text:
        i = self.incident
        out = Text()

        def field(key: str, value: str | Text, end: str = "\n") -> None:
            out.append(self.t(key) + ("：" if self.lang == "zh" else ": "), LABEL)
            out.append(value)
            out.append(end)

        field("incident.address", Text(i.address or self.t("incident.no_address")).append(
            f" · {self.words.area(i.area)}"))
        field("incident.caller", self.caller(i.phone, i.caller_name))
        out.append(self.t("incident.received", at=self.words.time(i.created_at, True), seat=i.seat))
        if i.closed_at:
            out.append(" · " + self.t("incident.closed_at", at=self.words.time(i.closed_at, True)))
        out.append("\n")
        first = self.first_contact()
        if first is not None:
            field("incident.first_contact", Text(f"{self.words.unit(first.unit)} ({self.t('incident.order')} "
                                                 f"{first.no})", style="bold yellow"))
        else:
            field("incident.first_contact", Text(self.t("incident.no_first_contact"), style="dim"))
        for chain in self.chains():
            field("incident.chain", chain)
        field("incident.text", Text(i.text))
        cb = self.detail.callback
        if cb is not None:
            result = Text(pick(CALLBACK_RESULTS[cb.result], self.lang) + " " + self.when(cb.at),
                          style="bold red" if cb.result == "dissatisfied" else "bold green")
            if cb.note:
                result.append(f" · {cb.note}")
            field("callback.latest", result)
        out.append(self.t("incident.calls", n=len(self.detail.calls)) + "\n", LABEL)
        for n, call in enumerate(self.detail.calls):
            out.append(f"  {self.when(call.received_at)} ")
            out.append(self.caller(call.phone, call.caller_name))
            if call.incident_id != i.id:
                no = self.merged_nos.get(call.incident_id)
                mark = self.t("incident.call.merged", no=no) if no else self.t("incident.call.merged_unknown")
            else:
                mark = self.t("incident.call.first" if n == 0 else "incident.call.repeat")
            out.append(f" [{mark}]", "bold cyan" if n else "dim")
            out.append("：" if self.lang == "zh" else ": ")
            out.append(call.text)
            if call.address and call.address != i.address:
                out.append(f" ({call.address})", "dim")
            out.append("\n")
        if self.detail.history:
            out.append(self.t("incident.history") + "\n", LABEL)
            for call in self.detail.history[:5]:
                out.append(f"  {self.words.time(call.received_at, True)} ", "dim")
                out.append(call.text, "dim")
                out.append("\n")
        out.rstrip()
        return out

    def caller(self, phone: str, name: str) -> Text:
        text = Text(phone or self.t("incident.hidden_number"), style="bold")
        text.append(" ")
        text.append(name or self.t("incident.no_name"), "" if name else "dim")
        return text

    def chains(self) -> Iterator[Text]:
        """Handover (移交) and reassignment (改派) chains, each from its first order."""
        children: dict[str, list[tuple[str, Order]]] = {}
        for order, _ in self.detail.orders:
            if order.handover_from:
                children.setdefault(order.handover_from, []).append(("handover", order))
            if order.reassigned_from:
                children.setdefault(order.reassigned_from, []).append(("reassign", order))
        for order, _ in self.detail.orders:
            if order.handover_from or order.reassigned_from or order.id not in children:
                continue
            text = self.chain_link(order)
            current = order
            seen = {order.id}
            while children.get(current.id):
                how, nxt = children[current.id][0]
                if nxt.id in seen:
                    break
                seen.add(nxt.id)
                text.append(f" -{self.t('incident.chain.' + how)}-> ", "bold")
                text.append_text(self.chain_link(nxt))
                current = nxt
            yield text

    def chain_link(self, order: Order) -> Text:
        text = Text(f"{self.t('incident.order')} {order.no} {self.words.unit(order.unit)}")
        if order.first_contact:
            text.append(" " + self.t("incident.first_mark"), "bold yellow")
        if order.return_reason:
            text.append(f" ({self.step_name('returned')})", "red")
        return text

    # -- orders -----------------------------------------------------------------------------
    def order_block(self, order: Order, clock: OrderClock) -> Text:
        out = Text()
        out.append(f"{self.t('incident.order')} {order.no}  ", LABEL)
        out.append(self.words.unit(order.unit), LABEL)
        if order.first_contact:
            out.append(" " + self.t("incident.first_mark"), "bold yellow")
        if order.phase in ("initial", "plan"):   # 先期处置 / 预案; daily orders carry no mark
            out.append(" " + self.t(f"plan.phase.{order.phase}"),
                       "bold magenta" if order.phase == "initial" else "bold cyan")
        out.append(f"  {label(STATUS_LABELS, order.status, self.lang)}  ")
        if order.is_open:
            countdown = self.words.remaining(clock)
            out.append(f" {countdown} ", CLOCK_STYLES[clock.state])
        # steps with the times the unit reported, in the order they happened
        out.append(f"\n  {self.t('incident.order.steps')} ", "dim")
        steps = sorted(order.steps.items(), key=lambda kv: (kv[1], _STEP_ORDER.get(kv[0], 99)))
        for n, (status, at) in enumerate(steps):
            if n:
                out.append(" -> ", "dim")
            out.append(f"{self.step_name(status)} {self.when(at)}")
            recorded = self.recorded.get((order.id, status))
            if recorded is not None and abs((recorded - at).total_seconds()) >= LATE_ENTRY_SECONDS:
                out.append(f" ({self.t('incident.order.recorded', at=self.when(recorded))})", "dim")
        # deadlines, the missed ones marked
        out.append(f"\n  {self.t('incident.order.deadlines')} ", "dim")
        dues = {"ack": order.ack_due, "depart": order.depart_due, "arrive": order.arrive_due,
                "feedback": order.feedback_due}
        shown = [s for s in STAGES if dues[s] is not None]
        if not shown:
            out.append(self.t("incident.order.no_deadlines"), "dim")
        for n, stage in enumerate(shown):
            if n:
                out.append(" · ", "dim")
            out.append(f"{label(STAGE_LABELS, stage, self.lang)} {self.when(dues[stage])}")
            if stage in clock.missed:
                out.append(f" {self.t('incident.order.missed')}", "bold red")
        # responsibility: where it came from, where it went, why it was returned
        for other, _ in self.detail.orders:
            if other.handover_from == order.id:
                out.append("\n  " + self.t("incident.order.handover_to", no=other.no,
                                           unit=self.words.unit(other.unit)), "cyan")
            if other.reassigned_from == order.id:
                out.append("\n  " + self.t("incident.order.reassigned_to", no=other.no,
                                           unit=self.words.unit(other.unit)), "cyan")
        if order.handover_from:
            no, unit = self.order_ref(order.handover_from)
            out.append("\n  " + self.t("incident.order.handover_from", no=no, unit=unit), "cyan")
        if order.reassigned_from:
            no, unit = self.order_ref(order.reassigned_from)
            out.append("\n  " + self.t("incident.order.reassigned_from", no=no, unit=unit), "cyan")
        sup = self.detail.supervisions.get(order.id)
        if sup is not None:
            now = self.now()
            out.append("\n  ")
            out.append(supervise_text(self.words, sup, now) + f" · {sup.reason}",
                       "bold white on red" if sup.overdue(now) and order.is_open else "bold magenta")
        urged = self.detail.urges.get(order.id)
        if urged is not None:
            out.append("\n  ")
            out.append(self.t("incident.order.urged", n=urged[0], at=self.when(urged[1])), "magenta")
        if order.return_reason:
            out.append("\n  ")
            out.append(self.t("incident.order.return_reason", reason=order.return_reason), "bold red")
        return out

    # -- timeline ---------------------------------------------------------------------------
    def timeline(self) -> Table:
        table = Table(box=None, show_edge=False, pad_edge=False, expand=True, padding=(0, 1),
                      header_style="bold")
        en = self.lang != "zh"
        table.add_column(Text(self.t("incident.col.happened")), no_wrap=True, min_width=8)
        table.add_column(Text(self.t("incident.col.recorded")), no_wrap=True, min_width=8)
        table.add_column(Text(self.t("incident.col.kind")), max_width=13 if en else 8, overflow="fold")
        table.add_column(Text(self.t("incident.col.who")), max_width=13, overflow="fold")
        table.add_column(Text(self.t("incident.col.detail")), ratio=1, overflow="fold")
        # in the order things happened (as reported); the recorded column shows late entries
        for line in timeline(self.detail, self.words):
            late = abs((line.recorded - line.happened).total_seconds()) >= LATE_ENTRY_SECONDS
            table.add_row(
                Text(self.when(line.happened), style="yellow" if late else ""),
                Text(self.when(line.recorded), style="dim"),
                Text(line.kind, style="bold"),
                Text(f"{line.seat}/{line.operator}", style="dim"),
                self.event_detail(line),
            )
        return table

    @staticmethod
    def event_detail(line: Line) -> Text:
        """The words of console/timeline.py, styled by what each part is."""
        out = Text()
        for text, tag in line.parts:
            out.append(text, DETAIL_STYLES.get(tag, ""))
        return out


def upward_text(lang: str, tz: ZoneInfo, grade: Grade | None, track: ReportTrack | None) -> Text:
    """The grade and the report-upward clocks (信息报送), one line each, styled by state; empty
    for an incident never graded. Shared by the incident header and the report screen."""
    out = Text()
    if grade is None:
        return out
    colon = "：" if lang == "zh" else ": "
    out.append(tr("upward.grade", lang) + colon, LABEL)
    out.append(grade.label(lang), "bold magenta" if grade.plan_level else "")
    counts = [(n, zh if lang == "zh" else en) for n, zh, en in (
        (grade.deaths, "死亡", "dead"), (grade.injured, "受伤", "injured"),
        (grade.trapped, "被困", "trapped")) if n is not None]
    if counts:
        out.append(" (" + ", ".join(f"{w} {n}" for n, w in counts) + ")")
    if track is None:
        return out
    if not grade.plan_level:
        out.append(tr("upward.lowered", lang), "dim")
    out.append("\n" + tr("upward.head", lang) + colon, LABEL)
    for n, clock in enumerate(track.clocks):
        if n:
            out.append(" · ", "dim")
        style = "bold green" if clock.state == "done" else CLOCK_STYLES.get(clock.state, "")
        out.append(clock_text(clock, lang, tz), style)
    return out
