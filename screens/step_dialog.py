"""A small form for one order step: the time the unit said, and a note or a reason.

The dialog calls ``perform(request)``; a refusal from the core (``LinkageError``) is shown in
place and everything typed stays, so the dispatcher corrects one field instead of retyping.
Dismisses with ``True`` once saved, ``False`` on Esc.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from console.errors import LinkageError
from console.model import Order
from console.render import Text as Words
from console.services import Services
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


# verb → (key, label key); the same keys wherever an order is selected (board, incident detail)
STEPS = (
    ("ack", "ctrl+s", "binding.step.ack"),
    ("depart", "ctrl+g", "binding.step.depart"),
    ("arrive", "ctrl+o", "binding.step.arrive"),
    ("feedback", "ctrl+f", "binding.step.feedback"),
    ("complete", "ctrl+l", "binding.step.complete"),
    ("return", "ctrl+r", "binding.step.return"),
)


def step_bindings(prefix: str, shown: tuple[str, ...]) -> list[Binding]:
    """The order-step bindings of a screen, ids ``<prefix>.<verb>``; ``shown`` go in the Footer."""
    return [
        *(Binding(key, f"step('{verb}')", desc, id=f"{prefix}.{verb}", show=verb in shown)
          for verb, key, desc in STEPS),
        Binding("ctrl+t", "reassign", "binding.reassign", id=f"{prefix}.reassign", show=False),
        Binding("ctrl+y", "handover", "binding.handover", id=f"{prefix}.handover", show=False),
    ]


class OrderStepActions:
    """Step, reassign and hand over the selected order through ``StepDialog``.

    A screen mixing this in provides ``services``, ``lang``, ``words``, ``app``, the selected
    order (``order_for_step``, which says why when there is none) and what to do once a step
    is saved (``step_saved``).
    """

    services: Services
    lang: str
    words: Words
    app: Any

    def order_for_step(self) -> Order | None:
        raise NotImplementedError

    def step_saved(self, title: str) -> None:
        raise NotImplementedError

    def _open_step(self, order: Order, verb_label: str, perform: Callable[[StepRequest], object], *,
                   reason: bool = False, unit: bool = False) -> None:
        title = tr("step.title", self.lang, no=order.no, unit=self.words.unit(order.unit), step=verb_label)

        def done(saved: bool | None) -> None:
            if saved:
                self.step_saved(title)

        self.app.push_screen(StepDialog(self.lang, title, perform, needs_reason=reason, needs_unit=unit), done)

    def action_step(self, verb: str) -> None:
        order = self.order_for_step()
        if order is None:
            return
        label_key = next((d for v, _, d in STEPS if v == verb), "binding.step.cancel")
        self._open_step(order, tr(label_key, self.lang),
                        lambda r: self.services.step(order.no, verb, r.at, r.note, r.reason),
                        reason=verb == "return")

    def action_reassign(self) -> None:
        order = self.order_for_step()
        if order is not None:
            self._open_step(order, tr("binding.reassign", self.lang),
                            lambda r: self.services.reassign(order.no, r.unit, r.at, r.note), unit=True)

    def action_handover(self) -> None:
        order = self.order_for_step()
        if order is not None:
            self._open_step(order, tr("binding.handover", self.lang),
                            lambda r: self.services.handover(order.no, r.unit, r.at, r.note), unit=True)
