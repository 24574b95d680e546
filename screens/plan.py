"""Contingency plans of one incident (ctrl+p on the incident screen): pick, activate, work the
checklist.

Three views on one screen. The *list* holds the plans whose triggers cover the incident's grade
and category (and any plan already activated on it, with its progress); up/down choose, Enter
opens the *proposal*: every unit the plan orders at this level with its role and task, units
that already have an open order marked. ctrl+y confirms it with one key: the activation and all
its orders are written in one transaction (``console.tiered.activation.activate``, the same as
``linkage plan activate``). The *checklist* of the activated plan follows: up/down move, Enter
ticks or unticks the step, ctrl+n types a note for it; progress and overdue steps are shown,
the deadlines computed from the activation time at every paint. Esc goes back one view.

Nothing here is focusable but the note box, so the screen's keys always reach the screen.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from console.kernel.errors import LinkageError
from console.kernel.model import Incident
from console.seat.services import Services
from console.tiered.activation import Activation, Proposal
from console.tiered.plans import role_label
from screens.base import ConsoleScreen
from screens.i18n import tr
from screens.widgets.ime_input import ImeInput


@dataclass(frozen=True)
class Entry:
    """A row of the list: a plan by code and name, and its activation on this incident if any."""

    code: str
    name_zh: str
    name_en: str
    activation: Activation | None


class PlanScreen(ConsoleScreen[None]):
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("enter", "select", "binding.plan.select", id="plan.select"),
        Binding("ctrl+y", "activate", "binding.plan.activate", id="plan.activate"),
        Binding("ctrl+n", "note", "binding.plan.note", id="plan.note"),
        Binding("escape", "back", "binding.plan.back", id="plan.back"),
        Binding("down", "cursor(1)", show=False),
        Binding("up", "cursor(-1)", show=False),
    ]

    def __init__(self, services: Services, lang: str, incident_ref: str, *,
                 tick_seconds: float | None = None) -> None:
        super().__init__(services, lang)
        self.ref = incident_ref
        if tick_seconds is not None:
            self.tick_seconds = tick_seconds
        self.mode = "list"
        self.cursor = 0
        self.incident: Incident | None = None
        self.entries: list[Entry] = []
        self.proposal: Proposal | None = None
        self.activation: Activation | None = None
        self._timer: Timer | None = None
        self.title_line = Static(id="plan-title", markup=False)
        self.scroll = VerticalScroll(id="plan-scroll", can_focus=False)
        self.body = Static(id="plan-body", markup=False)
        self.note = ImeInput(placeholder=tr("plan.note.placeholder", lang), id="plan-note",
                             select_on_focus=False)
        self.message = Static(id="plan-message", markup=False)

    def compose(self) -> ComposeResult:
        yield self.title_line
        with self.scroll:
            yield self.body
        yield self.note
        yield self.message
        yield Footer()

    def on_mount(self) -> None:
        self.note.display = False
        self.reload()
        if self.tick_seconds > 0:
            self._timer = self.set_interval(self.tick_seconds, self.tick)

    def tick(self) -> None:
        """Overdue marks move with the clock; a tick must never take the app down."""
        if self.is_mounted and self.app.screen is self and self.mode == "checklist":
            try:
                self.paint()
            except (LinkageError, sqlite3.Error):
                return

    # -- data -------------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            incident = self.services.incident(self.ref).incident
            grade = self.services.grade_of(incident.id)
            plans = self.services.matching_plans(incident)
            found = self.services.activations(incident.id)
        except (LinkageError, sqlite3.Error) as exc:
            self._say(exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc), "bold red")
            return
        self.incident = incident
        latest = {a.plan: a for a in found}
        entries = [Entry(p.code, p.name_zh, p.name_en, latest.get(p.code)) for p in plans]
        entries += [Entry(a.plan, a.name_zh, a.name_en, a) for code, a in latest.items()
                    if code not in {p.code for p in plans}]
        self.entries = entries
        if self.activation is not None:
            self.activation = next((a for a in found if a.id == self.activation.id), None)
        self.title_line.update(Text(tr("plan.title", self.lang, no=incident.no,
                                       grade=grade.label(self.lang) if grade else
                                       tr("plan.not_graded", self.lang)), style="bold"))
        self.paint()

    def _rows(self) -> int:
        if self.mode == "list":
            return len(self.entries)
        if self.mode == "checklist" and self.activation is not None:
            return len(self.activation.steps)
        return 0

    # -- painting ---------------------------------------------------------------------------
    def paint(self) -> None:
        self.cursor = max(0, min(self.cursor, self._rows() - 1))
        if self.mode == "proposal" and self.proposal is not None:
            self.body.update(self.proposal_text(self.proposal))
        elif self.mode == "checklist" and self.activation is not None:
            self.body.update(self.checklist_text(self.activation))
        else:
            self.mode = "list"
            self.body.update(self.list_text())

    def _mark(self, n: int) -> str:
        return "reverse" if n == self.cursor else ""

    def list_text(self) -> Text:
        out = Text(tr("plan.list.head", self.lang) + "\n", style="bold")
        if not self.entries:
            out.append(tr("plan.list.none", self.lang), "dim")
        for n, e in enumerate(self.entries):
            name = e.name_zh if self.lang == "zh" else e.name_en
            line = Text(f"{'>' if n == self.cursor else ' '} {name} ({e.code})", style=self._mark(n))
            if e.activation is not None:
                done, total = e.activation.progress()
                line.append("  " + tr("plan.list.active", self.lang, done=done, total=total),
                            "bold green")
            out.append_text(line)
            out.append("\n")
        out.rstrip()
        return out

    def proposal_text(self, p: Proposal) -> Text:
        out = Text(tr("plan.proposal.head", self.lang, plan=p.plan.name(self.lang),
                      n=len(p.to_order)) + "\n", style="bold")
        if p.already_active:
            out.append(tr("plan.proposal.active", self.lang) + "\n", "bold yellow")
        if not p.matches:
            out.append(tr("plan.proposal.mismatch", self.lang) + "\n", "bold red")
        for item in p.items:
            u = item.unit
            out.append(f"[{role_label(u.role, self.lang)}] ", "bold cyan")
            out.append(self.words.unit(u.code), "bold")
            if item.existing is not None:
                out.append("  " + tr("plan.proposal.already", self.lang, no=item.existing.no), "yellow")
            out.append("\n    ")
            out.append(u.task_zh if self.lang == "zh" else u.task_en, "dim")
            out.append("\n")
        out.rstrip()
        return out

    def checklist_text(self, a: Activation) -> Text:
        now = self.services.ctx.clock.now()
        done, total = a.progress()
        late = a.overdue(now)
        extra = tr("plan.checklist.overdue", self.lang, n=len(late)) if late else ""
        out = Text(tr("plan.checklist.head", self.lang, plan=a.name(self.lang),
                      at=self.words.time(a.at), done=done, total=total, overdue=extra) + "\n",
                   style="bold")
        for n, s in enumerate(a.steps):
            line = Text(f"{'>' if n == self.cursor else ' '} {'[x]' if s.done else '[ ]'} {s.n}. ",
                        style=self._mark(n))
            line.append(s.text(self.lang), "dim" if s.done else "")
            if s.due is not None:
                line.append("  " + tr("plan.step.due", self.lang, at=self.words.time(s.due)), "dim")
            if s.overdue(now):
                line.append(" " + tr("plan.step.overdue", self.lang), "bold white on red")
            if s.check is not None:
                if s.done:
                    line.append("  " + tr("plan.step.done_at", self.lang, at=self.words.time(s.check.at),
                                          who=s.check.operator), "green")
                if s.check.note:
                    line.append("  · ")
                    line.append(s.check.note, "italic")
            out.append_text(line)
            out.append("\n")
        out.rstrip()
        return out

    def _say(self, text: str, style: str = "bold green") -> None:
        self.message.update(Text(text, style=style))

    # -- actions ----------------------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        if self.note.display:
            return
        rows = self._rows()
        if rows:
            self.cursor = max(0, min(rows - 1, self.cursor + delta))
            self.paint()

    def action_select(self) -> None:
        if self.note.display or self.incident is None:
            return
        if self.mode == "list" and self.entries:
            entry = self.entries[self.cursor]
            if entry.activation is not None:
                self._open_checklist(entry.activation)
                return
            try:
                self.proposal = self.services.plan_proposal(self.incident.id, entry.code)
            except (LinkageError, sqlite3.Error) as exc:
                self._say(exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc), "bold red")
                return
            self.mode = "proposal"
            self.paint()
        elif self.mode == "checklist" and self.activation is not None and self.activation.steps:
            step = self.activation.steps[self.cursor]
            self._check(step.n, done=not step.done)

    def _open_checklist(self, a: Activation, cursor: int = 0) -> None:
        self.activation = a
        self.mode = "checklist"
        self.cursor = cursor
        self.paint()

    def action_activate(self) -> None:
        if self.mode != "proposal" or self.proposal is None or self.incident is None:
            return
        plan = self.proposal.plan
        try:
            a, orders = self.services.activate_plan(self.incident.id, plan.code)
        except (LinkageError, sqlite3.Error) as exc:
            self._say(exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc), "bold red")
            return
        self.proposal = None
        self.reload()
        self._open_checklist(a)
        self._say(tr("plan.activated", self.lang, plan=a.name(self.lang), n=len(orders)))

    def _check(self, n: int, *, done: bool, note: str = "") -> bool:
        assert self.activation is not None and self.incident is not None
        cursor = self.cursor
        try:
            a = self.services.check_plan_step(self.incident.id, n, done=done, note=note,
                                              plan=self.activation.plan)
        except (LinkageError, sqlite3.Error) as exc:
            self._say(exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc), "bold red")
            return False
        self.reload()
        self._open_checklist(a, cursor)
        state = tr("plan.state.done" if done else "plan.state.undone", self.lang)
        self._say(tr("plan.note.saved", self.lang, n=n) if note
                  else tr("plan.checked", self.lang, n=n, state=state))
        return True

    def action_note(self) -> None:
        if self.mode != "checklist" or self.activation is None or not self.activation.steps:
            return
        self.note.display = True
        self.note.value = ""
        self.call_after_refresh(self.note.focus)

    def _close_note(self) -> None:
        self.note.value = ""
        self.note.display = False
        self.set_focus(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.activation is None or not self.note.value.strip():
            self._close_note()
            return
        step = self.activation.steps[self.cursor]
        if self._check(step.n, done=step.done, note=self.note.value):
            self._close_note()

    def action_back(self) -> None:
        if self.note.display:
            self._close_note()
        elif self.mode in ("proposal", "checklist"):
            self.mode = "list"
            self.cursor = 0
            self.proposal = None
            self.paint()
        else:
            self.app.pop_screen()
