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
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from console.kernel.errors import LinkageError
from screens.i18n import STRINGS, tr
from screens.keys import localize
from screens.refusals import tui_message
from screens.widgets.ime_input import ImeInput


@dataclass(frozen=True)
class StepRequest:
    """What was typed, by field name (``at``, ``note``, ``reason``, ``unit``, ``to``, ...)."""

    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def at(self) -> str | None:
        return self.values.get("at") or None

    @property
    def note(self) -> str:
        return self.get("note")

    @property
    def reason(self) -> str:
        return self.get("reason")

    @property
    def unit(self) -> str:
        return self.get("unit")


class StepDialog(ModalScreen[bool]):
    """One form for every order action; ``fields`` names its inputs in order, each one's
    placeholder is the i18n key ``step.<field>``, ``values`` pre-fills some (the duty phone
    an urge goes to, say), so the common case is one key and Enter."""

    BINDINGS = [
        Binding("escape", "cancel", "binding.close", id="step.cancel"),
        # while the unit field has focus, up/down move through its suggestions (like the picker)
        Binding("down", "unit_move(1)", "binding.step.next_unit", id="step.next-unit", show=False),
        Binding("up", "unit_move(-1)", "binding.step.previous_unit", id="step.previous-unit",
                show=False),
    ]

    def __init__(self, lang: str, title: str, perform: Callable[[StepRequest], object], *,
                 needs_reason: bool = False, needs_unit: bool = False,
                 fields: tuple[str, ...] | None = None, values: dict[str, str] | None = None,
                 detail: str = "", find_units: Callable[[str], list[tuple[str, str]]] | None = None,
                 hints: dict[str, str] | None = None) -> None:
        """``hints``: field → the i18n key of its placeholder where ``step.<field>`` does not
        fit this dialog (a callback's time is not "the time the unit reported")."""
        super().__init__()
        #: what the unit field offers as it is typed: (code, row text), best first
        self.find_units = find_units
        self.unit_list = OptionList(id="step-unit-list", compact=True)
        self.unit_list.can_focus = False     # Tab goes on to the next field; up/down move it
        self.unit_codes: list[str] = []
        self.perform = perform
        localize(self, lang)
        self.lang = lang
        self.title_text = title
        self.detail = detail
        self.fields = fields or (*(("unit",) if needs_unit else ()), "at",
                                 *(("reason",) if needs_reason else ()), "note")
        self.values = values or {}
        self.hints = hints or {}
        self.error = Static(id="step-error", markup=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            if self.detail:
                yield Static(Text(self.detail), id="step-detail")
            for name in self.fields:
                field = ImeInput(self.values.get(name, ""),
                                 placeholder=tr(self.hints.get(name, f"step.{name}"), self.lang),
                                 id=f"step-{name}")
                label = f"step.label.{name}"
                if label in STRINGS:   # a label stays when the field is filled in
                    with Horizontal(classes="step-row"):
                        yield Static(Text(tr(label, self.lang)), classes="step-label")
                        yield field
                else:
                    yield field
                if name == "unit" and self.find_units is not None:
                    yield self.unit_list
            yield self.error
            yield Static(Text(tr("step.hint", self.lang), style="dim"))

    def on_mount(self) -> None:
        first = self.query(Input).first()
        self.unit_list.display = False
        self.call_after_refresh(first.focus)

    # -- unit suggestions ---------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "step-unit" or self.find_units is None:
            return
        found = self.find_units(event.value) if event.value.strip() else []
        self.unit_codes = [code for code, _ in found]
        self.unit_list.set_options([Option(Text(row), id=code) for code, row in found])
        self.unit_list.display = bool(found)
        if found:
            self.unit_list.highlighted = 0

    def chosen_unit(self) -> str | None:
        """The highlighted suggestion: what Enter orders (the typed text when there is none)."""
        if not self.unit_codes or not self.unit_list.display:
            return None
        index = self.unit_list.highlighted if self.unit_list.highlighted is not None else 0
        return self.unit_codes[min(index, len(self.unit_codes) - 1)]

    def action_unit_move(self, delta: int) -> None:
        focused = self.focused
        if focused is None or focused.id != "step-unit" or not self.unit_codes:
            if delta > 0:
                self.focus_next()
            else:
                self.focus_previous()
            return
        index = self.unit_list.highlighted if self.unit_list.highlighted is not None else 0
        self.unit_list.highlighted = max(0, min(len(self.unit_codes) - 1, index + delta))

    def show_error(self, message: str) -> None:
        self.error.update(Text(message, style="bold red"))

    def _value(self, selector: str) -> str:
        found = self.query(selector)
        return found.first(Input).value.strip() if found else ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = {name: self._value(f"#step-{name}") for name in self.fields}
        chosen = self.chosen_unit()
        if "unit" in values and values["unit"] and chosen is not None:
            values["unit"] = chosen
        request = StepRequest(values)
        try:
            self.perform(request)
        except LinkageError as exc:
            self.show_error(tui_message(exc, self.lang, self.fields))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
