"""Incident detail: the header, every call, every order with its steps and deadlines, and
the full timeline with both times (as reported, as recorded), seat and operator.

Opened by Enter on a board order or a waiting incident. The orders are a list the dispatcher
can move through (up/down) to record a step on one of them with the same ctrl-keys as the
board; ctrl+n adds a note. Everything is read from ``Services.incident`` on every change, and
the countdowns are recomputed from the stored deadlines at each tick, never counted down.
Caller and unit text is data: it only ever reaches the screen inside ``Text``.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Static

from console.kernel.errors import LinkageError
from console.kernel.model import Order
from console.kernel.vocab import level_label, type_label
from console.orders.accountability import CALLBACK_RESULTS, pick
from console.seat.services import IncidentDetail, Services
from console.tiered.grading import Grade
from console.tiered.reports import ReportTrack
from screens.base import ConsoleScreen
from screens.dialogs.incident_note import NoteDialog
from screens.dialogs.step import StepDialog, StepRequest
from screens.i18n import tr
from screens.order_steps import OrderStepActions, step_bindings
from screens.upward_report import UpwardReportScreen
from screens.widgets.incident_view import IncidentView, upward_text


class OrderCard(Static, can_focus=True):
    """One order of the incident; the focused card is the order the step keys act on."""

    # before the scrolling body's own up/down: they move between the orders
    BINDINGS = [Binding("down", "screen.move(1)", show=False), Binding("up", "screen.move(-1)", show=False)]

    def __init__(self, order_id: str, content: Text) -> None:
        super().__init__(content, markup=False, classes="inc-order")
        self.order_id = order_id
        self._length = len(content.plain)

    def show(self, content: Text, *, relayout: bool = False) -> None:
        """New content; a countdown tick that keeps the text's length skips the relayout."""
        length = len(content.plain)
        self.update(content, layout=relayout or length != self._length)
        self._length = length


class IncidentScreen(OrderStepActions, ConsoleScreen[None]):
    AUTO_FOCUS = ""  # focus is placed after layout (IME anchor, no scroll jump), see on_mount
    BINDINGS = [
        Binding("escape", "back", "binding.incident.back", id="incident.back"),
        Binding("ctrl+n", "note", "binding.incident.note", id="incident.note"),
        Binding("ctrl+b", "callback", "binding.callback", id="incident.callback", show=False),
        Binding("ctrl+p", "plan", "binding.incident.plan", id="incident.plan"),
        Binding("ctrl+a", "grade", "binding.incident.grade", id="incident.grade"),
        Binding("ctrl+x", "report", "binding.incident.report", id="incident.report"),
        *step_bindings("incident", shown=("ack", "depart", "arrive", "complete", "return")),
        # with no order to focus: arrows and page keys scroll the whole detail
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("home", "page(-1000)", show=False),
        Binding("end", "page(1000)", show=False),
    ]

    def __init__(self, services: Services, lang: str, incident_ref: str | int, *,
                 tick_seconds: float | None = None) -> None:
        super().__init__(services, lang)
        self.ref = incident_ref
        if tick_seconds is not None:
            self.tick_seconds = tick_seconds
        self.detail: IncidentDetail | None = None
        self.view: IncidentView | None = None
        self._version = -1
        self._timer: Timer | None = None
        self.title_bar = Static(id="inc-title", markup=False)
        self.body = VerticalScroll(id="inc-body", can_focus=False)
        self.header = Static(id="inc-header", markup=False)
        self.upward = Static(id="inc-upward", markup=False)   # grade and report clocks (信息报送)
        self.track: ReportTrack | None = None
        self.grade: Grade | None = None
        self.orders_head = Static(classes="inc-section", markup=False)
        self.cards: list[OrderCard] = []
        self._selected_id: str | None = None
        self.timeline_head = Static(classes="inc-section", markup=False)
        self.timeline = Static(id="inc-timeline", markup=False)
        self.answer = Static(id="inc-answer", markup=False)

    def compose(self) -> ComposeResult:
        yield self.title_bar
        with self.body:
            yield self.header
            yield self.upward
            yield self.orders_head
            yield self.timeline_head
            yield self.timeline
        yield self.answer
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        if self.tick_seconds > 0:
            self._timer = self.set_interval(self.tick_seconds, self.tick)
        self.call_after_refresh(self._initial_focus)

    def _initial_focus(self) -> None:
        """The first open order (else the first one), without scrolling the header away."""
        card = self._card(self._selected_id)
        if card is not None:
            self.set_focus(card, scroll_visible=False)

    def on_screen_resume(self) -> None:
        if self.detail is not None:
            self.reload()

    # -- data -------------------------------------------------------------------------------
    def _store_version(self) -> int:
        """Changes when another connection (CLI, sync) committed; our own writes reload anyway."""
        return self.services.store.data_version()

    def reload(self) -> None:
        try:
            detail = self.services.incident(self.ref)
            self._version = self._store_version()
        except (LinkageError, sqlite3.Error) as exc:
            message = exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc)
            self.title_bar.update(Text(message, style="bold red"))
            return
        self.detail = detail
        view = self.view = IncidentView(self.words, self.lang, detail, self.services.ctx.clock.now)
        self.title_bar.update(view.title())
        self.header.update(view.header())
        self._reload_upward(detail)
        ids = [o.id for o, _ in detail.orders]
        if self._selected_id not in ids:
            self._selected_id = next((o.id for o, _ in detail.orders if o.is_open), ids[0] if ids else None)
        self.orders_head.update(Text(tr("incident.orders", self.lang, n=len(ids)) if ids
                                     else tr("incident.no_orders", self.lang)))
        blocks = [(o.id, view.order_block(o, c)) for o, c in detail.orders]
        if [c.order_id for c in self.cards] == ids:
            for card, (_, block) in zip(self.cards, blocks, strict=True):
                card.show(block, relayout=True)
        else:
            refocus = isinstance(self.focused, OrderCard)
            for card in self.cards:
                card.remove()
            self.cards = [OrderCard(order_id, block) for order_id, block in blocks]
            if self.cards:
                self.body.mount(*self.cards, after=self.orders_head)
                if refocus:
                    self.call_after_refresh(self._focus_selected)
        self.timeline_head.update(Text(tr("incident.timeline", self.lang, n=len(detail.timeline))))
        self.timeline.update(view.timeline())

    def tick(self) -> None:
        """Countdowns of this instant; a full reload when another connection wrote."""
        if not self.is_mounted or self.app.screen is not self or self.detail is None or self.view is None:
            return
        try:
            if self._store_version() != self._version:
                self.reload()
                return
            for card, (order, _) in zip(self.cards, self.detail.orders, strict=False):
                if order.is_open:
                    card.show(self.view.order_block(order, self.services.clock_of(order)))
            if self.track is not None:
                self.track = self.track.recomputed(self.services.ctx.clock.now(), self._soon(),
                                                   self.services.config.tz)
                self._show_upward()
        except (LinkageError, sqlite3.Error):
            return  # shown at the next reload; a tick must never take the app down

    def _soon(self) -> timedelta:
        return timedelta(minutes=self.services.config.deadlines.due_soon_minutes)

    def _reload_upward(self, detail: IncidentDetail) -> None:
        """The grade and the report clocks; the data/ files are read only once graded."""
        self.grade = self.services.grade_of(detail.incident.id)
        self.track = None
        if self.grade is not None and self.grade.raised_at is not None:
            try:
                self.track = self.services.report_track(detail.incident.id)[1]
            except LinkageError as exc:
                self.upward.update(Text(exc.message(self.lang), style="bold red"))
                return
        self._show_upward()

    def _show_upward(self) -> None:
        self.upward.update(upward_text(self.lang, self.services.config.tz, self.grade, self.track))
        self.upward.display = self.grade is not None

    def _card(self, order_id: str | None) -> OrderCard | None:
        return next((c for c in self.cards if c.order_id == order_id), None)

    def _focus_selected(self) -> None:
        card = self._card(self._selected_id)
        if card is not None:
            card.focus()

    def on_descendant_focus(self, event: object) -> None:
        widget = getattr(event, "widget", None)
        if isinstance(widget, OrderCard):
            self._selected_id = widget.order_id

    def selected_order(self) -> Order | None:
        if self.detail is None:
            return None
        return next((o for o, _ in self.detail.orders if o.id == self._selected_id), None)

    @property
    def dispatch_incident_ref(self) -> str:
        """F8 on this screen orders units for this incident (read by ``LinkageApp.action_dispatch``)."""
        return self.detail.incident.id if self.detail is not None else str(self.ref)

    def _say(self, text: str, style: str = "bold green") -> None:
        self.answer.update(Text(text, style=style))

    # -- actions ----------------------------------------------------------------------------
    def action_back(self) -> None:
        """Back where it was opened from (the board reloads itself when it shows again)."""
        self.dismiss()

    def action_page(self, pages: int) -> None:
        height = max(1, self.body.scrollable_content_region.height - 1)
        self.body.scroll_relative(y=pages * height, animate=False)

    def action_move(self, delta: int) -> None:
        """Next/previous order; past the first or last one (or with none) scroll a line."""
        focused = self.focused
        if isinstance(focused, OrderCard) and focused in self.cards:
            index = self.cards.index(focused) + delta
            if 0 <= index < len(self.cards):
                self.cards[index].focus()
                return
        self.body.scroll_relative(y=delta, animate=False)

    def action_note(self) -> None:
        if self.detail is None:
            return
        incident = self.detail.incident
        title = tr("incident.note.title", self.lang, no=incident.no)

        def done(saved: bool | None) -> None:
            if saved:
                self.reload()
                self._say(tr("incident.note.saved", self.lang))

        self.app.push_screen(NoteDialog(self.lang, title, lambda text: self.services.note(incident.id, text)), done)

    def action_callback(self) -> None:
        """回访 after closure; the core refuses one before it, and the dialog shows why."""
        if self.detail is None:
            return
        incident = self.detail.incident
        title = tr("callback.title", self.lang, no=incident.no)

        def perform(r: StepRequest) -> object:
            reopen = r.get("reopen").strip().lower() in ("y", "yes", "是", "1", "s")
            return self.services.callback(incident.id, r.get("result"), r.note, reopen, r.at)

        def done(saved: bool | None) -> None:
            if saved:
                self.reload()
                latest = self.detail.callback if self.detail is not None else None
                if latest is not None:
                    result = pick(CALLBACK_RESULTS[latest.result], self.lang)
                    key = "callback.reopened" if latest.reopen else "callback.saved"
                    self._say(tr(key, self.lang, no=incident.no, result=result))

        self.app.push_screen(StepDialog(self.lang, title, perform,
                                        fields=("result", "note", "reopen", "at"),
                                        hints={"at": "step.callback_at"}), done)

    def action_grade(self) -> None:
        """分级: the rules' suggestions above the form, the top one (else the current grade)
        filled in, so following the rules is ctrl+a and Enter."""
        if self.detail is None:
            return
        incident = self.detail.incident
        current = self.services.grade_of(incident.id)
        lines = [tr("grade.current", self.lang, grade=current.label(self.lang)) if current
                 else tr("grade.none", self.lang)]
        values: dict[str, str] = {}
        if current is not None:
            values = {"grade_level": current.level.value, "grade_type": type_label(current.type, self.lang)}
        try:
            found = self.services.grade_suggestions(incident.id)[1]
        except LinkageError as exc:
            lines.append(tr("grade.suggestions_unavailable", self.lang, error=exc.message(self.lang)))
            found = []
        if found:
            lines.append(tr("grade.suggestions", self.lang))
            for n, sug in enumerate(found[:4], start=1):
                kind = type_label(sug.type, self.lang) if sug.type else "-"
                lines.append(f"{n}. {level_label(sug.level, self.lang)} · {kind} · {sug.reason(self.lang)}")
            top = found[0]
            values["grade_level"] = top.level.value
            if top.type is not None:
                values["grade_type"] = type_label(top.type, self.lang)
        else:
            lines.append(tr("grade.no_suggestion", self.lang))
        lines.append(tr("grade.levels", self.lang))

        def perform(r: StepRequest) -> object:
            return self.services.grade(incident.id, r.get("grade_level"), type=r.get("grade_type") or None,
                                       deaths=r.get("deaths"), injured=r.get("injured"),
                                       trapped=r.get("trapped"), reason=r.get("grade_reason"),
                                       rule=found[0].rule if found and r.get("grade_level") == (
                                           found[0].level.value) else "")

        def done(saved: bool | None) -> None:
            if saved:
                self.reload()
                if self.grade is not None:
                    self._say(tr("grade.saved", self.lang, grade=self.grade.label(self.lang)))

        self.app.push_screen(StepDialog(
            self.lang, tr("grade.title", self.lang, no=incident.no), perform,
            fields=("grade_level", "grade_type", "deaths", "injured", "trapped", "grade_reason"),
            values=values, detail="\n".join(lines)), done)

    def action_report(self) -> None:
        """信息报送: the report screen for this incident; refused below plan level."""
        if self.detail is None:
            return
        incident = self.detail.incident
        grade = self.services.grade_of(incident.id)
        if grade is None or not grade.plan_level:
            self._say(tr("upward.not_raised", self.lang, no=incident.no), "bold red")
            return
        try:
            track = self.services.report_track(incident.id)[1]
        except LinkageError as exc:
            self._say(exc.message(self.lang), "bold red")
            return
        if track is None:
            return
        screen = UpwardReportScreen(self.services, self.lang, incident.id, track)

        def done(saved: bool | None) -> None:
            self.reload()
            if saved:
                self._say(screen.saved)

        self.app.push_screen(screen, done)

    def order_for_step(self) -> Order | None:
        order = self.selected_order()
        if order is None:
            self._say(tr("incident.no_order_selected", self.lang), "bold red")
        return order

    def step_saved(self, title: str) -> None:
        self.reload()
        self._say(tr("incident.saved", self.lang, what=title))

    def action_plan(self) -> None:
        """预案: the plans matching this incident, the proposal, activation, the checklist."""
        if self.detail is None:
            return
        from screens.plan import PlanScreen

        self.app.push_screen(PlanScreen(self.services, self.lang, self.detail.incident.id,
                                        tick_seconds=self.tick_seconds))
