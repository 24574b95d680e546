"""Shift handover (交接班), ctrl+w on the board: what is handed over, and the receiver signs.

The top lists what ``Services.shift_summary`` finds now (open incidents, overdue orders,
supervised orders, this shift's notes), as ``linkage shift show`` prints it. Below, the
receiving operator's login and PIN and an optional note; Enter moves to the next empty
required field, then records ``shift.handed_over`` through the core. The seat then acts as
the receiver (the board's status line shows them). A refusal is shown in place, nothing saved.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Static

from console.commands.verbs.operators import summary_lines
from console.duty.handover import Handover
from console.kernel.errors import LinkageError
from console.seat.services import Services
from screens.base import ConsoleScreen
from screens.i18n import tr
from screens.widgets.ime_input import ImeInput


class ShiftHandoverScreen(ConsoleScreen[Handover | None]):
    """Dismisses with the recorded handover, or None on Esc."""

    BINDINGS = [Binding("escape", "cancel", "binding.close", id="shift.close")]

    def __init__(self, services: Services, lang: str) -> None:
        super().__init__(services, lang)
        self.summary = Static(id="shift-summary", markup=False)
        self.to = ImeInput(placeholder=tr("shift.to", lang), id="shift-to")
        self.pin = ImeInput(placeholder=tr("shift.pin", lang), id="shift-pin", password=True,
                            max_length=8)
        self.note = ImeInput(placeholder=tr("shift.note", lang), id="shift-note")
        self.error = Static(id="shift-error", markup=False)

    def compose(self) -> ComposeResult:
        cfg = self.services.config
        yield Static(Text(tr("shift.title", self.lang, seat=cfg.center.seat,
                             operator=self.services.ctx.operator), style="bold"), id="shift-title")
        with VerticalScroll(id="shift-body"):
            yield self.summary
        with Vertical(id="shift-form"):
            yield self.to
            yield self.pin
            yield self.note
            yield self.error
            yield Static(Text(tr("shift.hint", self.lang), style="dim"))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        sm = self.services.shift_summary()
        self.summary.update(Text("\n".join(summary_lines(self.words, sm)[1:])))
        self.call_after_refresh(self.to.focus)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        for field in (self.to, self.pin):
            if not field.value.strip():
                field.focus()
                return
        try:
            done = self.services.hand_over_shift(self.to.value, self.pin.value, self.note.value)
        except LinkageError as exc:
            self.error.update(Text(exc.message(self.lang), style="bold red"))
            self.pin.value = ""
            (self.pin if exc.code == "operator.wrong_pin" else self.to).focus()
            return
        self.dismiss(done)

    def action_cancel(self) -> None:
        self.dismiss(None)
