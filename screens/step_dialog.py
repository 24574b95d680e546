"""A small form for one order step: the time the unit said, and a note or a reason.

The dialog calls ``perform(request)``; a refusal from the core (``LinkageError``) is shown in
place and everything typed stays, so the dispatcher corrects one field instead of retyping.
Dismisses with ``True`` once saved, ``False`` on Esc.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from console.errors import LinkageError
from screens.i18n import tr
from screens.keys import localize
from screens.widgets.ime_input import ImeInput


@dataclass(frozen=True)
class StepRequest:
    at: str | None
    note: str
    reason: str
    unit: str


class StepDialog(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "binding.close", id="step.cancel")]

    def __init__(self, lang: str, title: str, perform: Callable[[StepRequest], object], *,
                 needs_reason: bool = False, needs_unit: bool = False) -> None:
        super().__init__()
        self.perform = perform
        localize(self, lang)
        self.lang = lang
        self.title_text = title
        self.needs_reason = needs_reason
        self.needs_unit = needs_unit
        self.error = Static(id="step-error", markup=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            if self.needs_unit:
                yield ImeInput(placeholder=tr("step.unit", self.lang), id="step-unit")
            yield ImeInput(placeholder=tr("step.time", self.lang), id="step-at")
            if self.needs_reason:
                yield ImeInput(placeholder=tr("step.reason", self.lang), id="step-reason")
            yield ImeInput(placeholder=tr("step.note", self.lang), id="step-note")
            yield self.error
            yield Static(Text(tr("step.hint", self.lang), style="dim"))

    def on_mount(self) -> None:
        first = self.query(Input).first()
        self.call_after_refresh(first.focus)

    def show_error(self, message: str) -> None:
        self.error.update(Text(message, style="bold red"))

    def _value(self, selector: str) -> str:
        found = self.query(selector)
        return found.first(Input).value.strip() if found else ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        request = StepRequest(
            at=self._value("#step-at") or None,
            note=self._value("#step-note"),
            reason=self._value("#step-reason"),
            unit=self._value("#step-unit"),
        )
        try:
            self.perform(request)
        except LinkageError as exc:
            self.show_error(exc.message(self.lang))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
