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
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from console.accountability import supervise_text
from console.errors import LinkageError
from console.model import Order
from console.render import Text as Words
from console.services import Services
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


def _level(text: str) -> str:
    """``level 2`` typed in an English dialog reads as 2; the core reads 一级督办 and digits."""
    text = text.strip()
    return text.lower().removeprefix("level").strip() or "1"


# verb → (key, label key); the same keys wherever an order is selected (board, incident detail)
STEPS = (
    ("ack", "ctrl+s", "binding.step.ack"),
    ("depart", "ctrl+g", "binding.step.depart"),
    ("arrive", "ctrl+o", "binding.step.arrive"),
    ("feedback", "ctrl+f", "binding.step.feedback"),
    ("complete", "ctrl+l", "binding.step.complete"),
    ("return", "ctrl+r", "binding.step.return"),
)


def step_bindings(prefix: str, shown: tuple[str, ...], *, priority: bool = False) -> list[Binding]:
    """The order-step bindings of a screen, ids ``<prefix>.<verb>``; ``shown`` go in the Footer.
    ``priority``: the keys win over a focused Input's editing keys (ctrl+u/e/d/k/w)."""
    p = priority
    return [
        *(Binding(key, f"step('{verb}')", desc, id=f"{prefix}.{verb}", show=verb in shown, priority=p)
          for verb, key, desc in STEPS),
        Binding("ctrl+t", "reassign", "binding.reassign", id=f"{prefix}.reassign", show=False, priority=p),
        Binding("ctrl+y", "handover", "binding.handover", id=f"{prefix}.handover", show=False, priority=p),
        Binding("ctrl+u", "urge", "binding.urge", id=f"{prefix}.urge", show="urge" in shown, priority=p),
        Binding("ctrl+e", "supervise", "binding.supervise", id=f"{prefix}.supervise",
                show="supervise" in shown, priority=p),
        Binding("ctrl+d", "review_return", "binding.review_return", id=f"{prefix}.review-return",
                show=False, priority=p),
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
                   reason: bool = False, unit: bool = False, fields: tuple[str, ...] | None = None,
                   values: dict[str, str] | None = None, detail: str = "") -> None:
        title = tr("step.title", self.lang, no=order.no, unit=self.words.unit(order.unit), step=verb_label)

        def done(saved: bool | None) -> None:
            if saved:
                self.step_saved(title)

        wants_unit = unit or "unit" in (fields or ())
        self.app.push_screen(StepDialog(self.lang, title, perform, needs_reason=reason, needs_unit=unit,
                                        fields=fields, values=values, detail=detail,
                                        find_units=self.unit_rows if wants_unit else None), done)

    def unit_rows(self, query: str) -> list[tuple[str, str]]:
        """The units a typed name, pinyin, initials or everyday short name (住建, zjj, labour)
        finds, best first, each marked when it is a Tier 2/3 unit off duty now."""
        try:
            units = self.services.catalog.find_units(query)[:5]
        except LinkageError:
            return []
        rows = []
        for u in units:
            mark = "" if u.tier == 1 or self.services.on_duty(u) else " " + tr("picker.state.off_duty", self.lang)
            rows.append((u.code, f"{u.code}  {self.words.unit(u.code)}{mark}"))
        return rows

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
                            lambda r: self.services.handover(order.no, r.unit, r.at, r.get("handling")),
                            fields=("unit", "handling", "at"))

    def action_urge(self) -> None:
        """催办: the dialog opens on the unit's duty phone and person from the roster now, so
        chasing an overdue order is Ctrl+U and Enter."""
        order = self.order_for_step()
        if order is None:
            return
        unit = self.services.catalog.units.get(order.unit)
        to = ""
        if unit is not None:
            duty = self.services.duty(unit)
            phone = duty.shift.phone if duty.shift and duty.shift.phone else unit.duty_phone
            person = duty.shift.person if duty.shift else ""
            to = " ".join(x for x in (person, phone) if x)
        count = len(self.services.urges(order.id))
        self._open_step(
            order, tr("binding.urge", self.lang),
            lambda r: self.services.urge(order.no, r.get("to"), r.get("how") or "phone", r.note, r.at),
            fields=("to", "how", "at", "note"), values={"to": to, "how": tr("urge.how.phone", self.lang)},
            detail=tr("urge.detail", self.lang, n=count))

    def action_supervise(self) -> None:
        """督办: level 1 (center director) is filled in; the deadline defaults to the profile's."""
        order = self.order_for_step()
        if order is None:
            return
        current = self.services.supervision(order.id)
        level = tr(f"supervise.level.{current.level if current else 1}", self.lang)
        detail = tr("supervise.levels", self.lang)
        if current is not None:
            detail = supervise_text(self.words, current, self.services.ctx.clock.now()) + "\n" + detail
        self._open_step(
            order, tr("binding.supervise", self.lang),
            lambda r: self.services.supervise(order.no, _level(r.get("level")), r.get("why"),
                                              r.get("minutes") or None, r.at),
            fields=("level", "why", "minutes", "at"), values={"level": level},
            detail=detail)

    def action_review_return(self) -> None:
        """退单审核: accept (then Ctrl+T reassigns) or reject (the unit carries on); the unit's
        reason is shown above the form."""
        order = self.order_for_step()
        if order is None:
            return
        self._open_step(
            order, tr("binding.review_return", self.lang),
            lambda r: self.services.review_return(order.no, r.get("decision"), r.note, r.at),
            fields=("decision", "note", "at"),
            detail=tr("review.reason", self.lang, reason=order.return_reason or "-"))
