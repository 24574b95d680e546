"""The unit picker (派单): which linkage units get an order for one incident.

Recommended units come first (the category's lead, then its co-units, on-duty ones first),
then every other unit; each row shows tier, duty phone and the unit's state now (on duty,
off duty, or busy with N open orders). The lead is pre-selected, so a standard call is one
Enter here. Space toggles a row and Enter issues every selected order in one transaction
(all or none); with nothing selected, Enter orders the highlighted unit. Typing anywhere
searches (code, Chinese, English, pinyin, initials). A refusal stays in the dialog, in words.
Dismisses with ``Picked``: the issued orders (none on Esc) and what the board says about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from rich.cells import set_cell_size
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from console.catalog.registry import Unit
from console.kernel.errors import LinkageError
from console.kernel.model import Incident, Order
from console.seat.services import RosterEntry, Services
from screens.base import ConsoleModal
from screens.i18n import tr
from screens.widgets.field_input import FieldInput

TIER_ZH = {1: "一", 2: "二", 3: "三"}
HEADER_IDS = ("-recommended", "-others", "-matches", "-none")


class PickerKeys(Protocol):
    """What the list and the search box ask of the picker, synchronously (see ``UnitList``)."""

    def action_toggle_unit(self) -> None: ...
    def action_issue(self) -> None: ...
    def type_search(self, character: str) -> None: ...
    def refill(self) -> None: ...


class UnitList(OptionList):
    """The unit rows. Textual routes a key to the widget focused when it is read but runs
    bindings only when the key has bubbled back up to the App, later; a burst such as
    ``down down space enter`` (SSH batching, a busy machine) would then toggle and order
    before the cursor moved. So every key of the picker is handled right here, in typing
    order: moves run the list's own bindings, space toggles, Enter issues, and other typing
    goes to the search box, all at once rather than through messages."""

    def __init__(self, keys: PickerKeys, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self.keys = keys

    async def _on_key(self, event: events.Key) -> None:
        key, handled = event.key, True
        if key == "space":
            self.keys.action_toggle_unit()
        elif key == "enter":
            self.keys.action_issue()
        elif bindings := self._bindings.key_to_bindings.get(key):
            await self.run_action(bindings[0].action)
        elif event.is_printable and event.character:
            self.keys.type_search(event.character)
        else:
            handled = False
        if handled:
            event.stop()
            event.prevent_default()


class SearchInput(FieldInput):
    """The search box leaves space to the picker: space toggles the highlighted unit even
    while searching (codes, names, pinyin and initials need no spaces), and Enter issues.
    Both first apply the search typed so far, so "gdj" + space toggles what "gdj" found."""

    def __init__(self, keys: PickerKeys, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = keys

    async def _on_key(self, event: events.Key) -> None:
        if event.key in ("space", "enter"):
            event.stop()
            event.prevent_default()
            self.keys.refill()
            if event.key == "space":
                self.keys.action_toggle_unit()
            else:
                self.keys.action_issue()
        # otherwise Textual goes on to FieldInput's and Input's handlers (it walks the MRO)


@dataclass(frozen=True)
class PickRow:
    unit: Unit
    role: str            # "lead", "co" or ""
    entry: RosterEntry | None
    ordered: bool        # already has an open order for this incident


@dataclass(frozen=True)
class Picked:
    """The picker's result: the orders issued (empty on Esc) and the board's answer line."""

    orders: list[Order]
    answer: Text | None


class UnitPicker(ConsoleModal[Picked]):
    # Enter and space are handled by the list and the search box themselves (UnitList); the
    # bindings here name them for F1 and the Footer.
    BINDINGS = [
        Binding("enter", "issue", "binding.picker.issue", id="picker.issue"),
        Binding("space", "toggle_unit", "binding.picker.toggle", id="picker.toggle"),
        Binding("escape", "cancel", "binding.picker.cancel", id="picker.cancel"),
        Binding("down", "to_list", "binding.picker.list", id="picker.list", show=False),
    ]

    def __init__(self, services: Services, lang: str, incident_ref: str) -> None:
        super().__init__(services, lang)
        self.incident: Incident | None = None
        self.load_error = ""
        self.rows: dict[str, PickRow] = {}
        self.recommended: list[str] = []
        self.selected: dict[str, None] = {}   # insertion-ordered set of unit codes
        self.search = SearchInput(self, placeholder=tr("picker.search", lang), id="picker-search",
                                  compact=True)
        self.units = UnitList(self, id="picker-units")
        self._filled_query: str | None = None
        self._done = False                     # issued or cancelled: later keys of a burst do nothing
        self.status = Static(id="picker-status", markup=False)
        self.error = Static(id="picker-error", markup=False)
        try:
            self._load(incident_ref)
        except LinkageError as exc:
            self.load_error = exc.message(lang)

    # -- data ------------------------------------------------------------------------------
    def _load(self, ref: str) -> None:
        services = self.services
        detail = services.incident(ref)
        self.incident = detail.incident
        ordered = {o.unit for o, _ in detail.orders if o.is_open}
        roster = {e.unit.code: e for e in services.roster()}
        catalog = services.catalog
        units: tuple[Unit, ...] = ()
        category = catalog.categories.get(self.incident.category)
        if category is not None:
            units = catalog.units_for(category)
        else:
            try:
                top = services.triage(self.incident.text).top
            except LinkageError:
                top = None
            units = top.units if top else ()
        if units:
            lead, co = units[0], list(units[1:])
            co.sort(key=lambda u: not (roster[u.code].on_duty if u.code in roster else False))
            units = (lead, *co)
        self.recommended = [u.code for u in units]
        for i, unit in enumerate(units):
            self.rows[unit.code] = PickRow(unit, "lead" if i == 0 else "co", roster.get(unit.code),
                                           unit.code in ordered)
        others = [u for u in catalog.units.values() if u.code not in self.rows]
        others.sort(key=lambda u: not (roster[u.code].on_duty if u.code in roster else False))
        for unit in others:
            self.rows[unit.code] = PickRow(unit, "", roster.get(unit.code), unit.code in ordered)
        if self.recommended and not self.rows[self.recommended[0]].ordered:
            self.selected[self.recommended[0]] = None

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(self._title(), id="picker-title")
            yield self.search
            yield self.units
            yield self.status
            yield self.error
            yield Static(Text(tr("picker.hint", self.lang), style="dim"), id="picker-hint")

    def _title(self) -> Text:
        i = self.incident
        if i is None:
            return Text(self.load_error, style="bold red")
        where = i.address or tr("intake.no_address", self.lang)
        return Text(tr("picker.title", self.lang, no=i.no, category=self.words.category(i.category),
                       address=" ".join(where.split())), style="bold", no_wrap=True, overflow="crop")

    def on_mount(self) -> None:
        self._fill()
        self._show_status()
        if self.load_error:
            self.error.update(Text(self.load_error, style="bold red"))
        self.call_after_refresh(self.units.focus)

    def refill(self) -> None:
        """Apply the search box now, unless its text is already applied."""
        if self.search.value.strip() != self._filled_query:
            self._fill()
            self._show_status()

    def _fill(self) -> None:
        query = self.search.value.strip()
        self._filled_query = query
        options: list[Option] = []
        if query:
            found = [u.code for u in self.services.catalog.find_units(query) if u.code in self.rows]
            options.append(self._header("-matches", "picker.matches"))
            options += [self._option(code) for code in found]
            if not found:
                options.append(self._header("-none", "picker.no_match"))
        else:
            if self.recommended:
                options.append(self._header("-recommended", "picker.recommended"))
                options += [self._option(code) for code in self.recommended]
            options.append(self._header("-others", "picker.others"))
            options += [self._option(code) for code in self.rows if code not in self.recommended]
        self.units.set_options(options)
        first = next((n for n, o in enumerate(options) if not o.disabled), None)
        self.units.highlighted = first

    def _header(self, option_id: str, key: str) -> Option:
        return Option(Text(tr(key, self.lang), style="bold underline"), id=option_id, disabled=True)

    def _option(self, code: str) -> Option:
        return Option(self._row(self.rows[code]), id=code)

    def _row(self, row: PickRow) -> Text:
        zh = self.lang == "zh"
        unit = row.unit
        mark = "[-]" if row.ordered else "[x]" if unit.code in self.selected else "[ ]"
        role = tr(f"picker.{row.role}", self.lang) if row.role else ""
        tier = tr("picker.tier", self.lang, zh=TIER_ZH.get(unit.tier, str(unit.tier)), n=unit.tier)
        text = Text(no_wrap=True, overflow="crop")
        text.append(mark + " ", style="bold green" if unit.code in self.selected else "")
        text.append(set_cell_size(role, 5), style="bold" if row.role == "lead" else "")
        text.append(set_cell_size(unit.name_zh if zh else unit.name_en, 20 if zh else 28) + " ",
                    style="bold" if row.role else "")
        text.append(set_cell_size(tier, 7 if not zh else 5))
        text.append(set_cell_size(unit.duty_phone, 13))
        state, style = self._state(row)
        text.append(state, style=style)
        return text

    def _state(self, row: PickRow) -> tuple[str, str]:
        if row.ordered:
            return tr("picker.ordered", self.lang), "dim"
        entry = row.entry
        if entry is None or entry.state == "off_duty":
            return tr("picker.state.off_duty", self.lang), "dim"
        if entry.state == "busy":
            return tr("picker.state.busy", self.lang, n=entry.open_orders), "yellow"
        return tr("picker.state.on_duty", self.lang), "green"

    def _highlighted_code(self) -> str | None:
        index = self.units.highlighted
        if index is None:
            return None
        option = self.units.get_option_at_index(index)
        return option.id if option.id in self.rows else None

    def _names(self, codes: list[str]) -> str:
        return ("、" if self.lang == "zh" else ", ").join(self.words.unit(c) for c in codes)

    def _show_status(self) -> None:
        codes = list(self.selected)
        if codes:
            line = tr("picker.selected", self.lang, n=len(codes), names=self._names(codes))
            style = "bold green"
        else:
            code = self._highlighted_code()
            line = (tr("picker.will_issue", self.lang, names=self._names([code]))
                    if code and not self.rows[code].ordered else tr("picker.nothing", self.lang))
            style = "bold yellow"
        self.status.update(Text(line, style=style, no_wrap=True, overflow="crop"))

    # -- keys ------------------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_status()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.refill()

    def type_search(self, character: str) -> None:
        """Typing while the list has focus goes to the search box (IME commits included)."""
        self.search.focus()
        self.search.insert_text_at_cursor(character)
        self.refill()

    def action_to_list(self) -> None:
        self.units.focus()

    def action_toggle_unit(self) -> None:
        if self._done:
            return
        code = self._highlighted_code()
        if code is None:
            return
        row = self.rows[code]
        if row.ordered:
            self.error.update(Text(tr("picker.already_ordered", self.lang, unit=self.words.unit(code)),
                                   style="bold red"))
            return
        if code in self.selected:
            del self.selected[code]
        else:
            self.selected[code] = None
        self.units.replace_option_prompt(code, self._row(row))
        self._show_status()

    def action_issue(self) -> None:
        if self.incident is None or self._done:
            return
        codes = list(self.selected)
        if not codes:
            code = self._highlighted_code()
            if code is None:
                self.error.update(Text(tr("picker.nothing", self.lang), style="bold red"))
                return
            codes = [code]  # an already ordered unit is refused by the core, in words
        try:
            orders = self.services.issue_orders(self.incident.id, codes)
        except LinkageError as exc:
            self.error.update(Text(exc.message(self.lang), style="bold red"))
            return
        names = self._names([o.unit for o in orders])
        off = self.services.off_duty([o.unit for o in orders])
        said = tr("picker.issued", self.lang, no=self.incident.no, units=names)
        if off:   # ordered anyway (someone may answer), but said out loud
            said += " · " + self.words.off_duty_warning(off)
        self._done = True
        self.dismiss(Picked(orders, Text(said, style="bold yellow" if off else "bold green")))

    def action_cancel(self) -> None:
        if self._done:
            return
        self._done = True
        said = (Text(tr("picker.cancelled", self.lang, no=self.incident.no), style="bold yellow")
                if self.incident is not None else None)
        self.dismiss(Picked([], said))
