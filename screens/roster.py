"""F3: the live unit roster — who to call, on which phone, and whether they can take a job now.

Every unit of the registry with its tier, kind, duty phone, duty place and hours, and its
on-call state at this instant (``Services.roster``: on duty / off duty / busy with N open
orders). The state is recomputed whenever the screen is shown and on a slow timer (30 s; the
tests disable it), never counted down.

~60 mostly static rows: a DataTable with fixed column widths and ``Text`` cells is fine here
(pitfalls §2.1); a refresh that keeps the same rows only updates the state cells, so the
dispatcher's cursor stays put. Filters are cycled with ctrl-combos (an IME swallows letters)
and the search box takes Chinese, English, pinyin and initials through ``catalog.find_units``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from console.catalog.registry import KINDS, Unit
from console.kernel.errors import LinkageError
from console.kernel.model import STATUS_LABELS, label
from console.orders.board import BoardRow
from console.seat.services import RosterEntry, Services
from screens.base import ConsoleScreen
from screens.i18n import tr
from screens.widgets.ime_input import ImeInput

#: Seconds between two automatic recomputations of the on-call state.
DEFAULT_REFRESH_SECONDS = 30.0

# column key → (zh width, en width) in terminal cells; location last because it is long and
# the detail pane below the table always shows it in full.
COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("tier", 4, 6),
    ("unit", 20, 28),
    ("status", 10, 16),
    ("phone", 12, 12),
    ("kind", 8, 12),
    ("hours", 11, 12),
    ("person", 6, 11),
    ("location", 28, 28),
)
_STATE_STYLE = {
    "on_duty": Style(color="green"),
    "busy": Style(color="yellow", bold=True),
    "off_duty": Style(dim=True),
}
_TIERS: tuple[int | None, ...] = (None, 1, 2, 3)
T = TypeVar("T")


def fit(text: str, width: int) -> str:
    """Crop to ``width`` cells (CJK-aware, no ellipsis: ``…`` is ambiguous-width, rule 6)."""
    return set_cell_size(text, width).rstrip() if cell_len(text) > width else text


@dataclass
class Filters:
    tier: int | None = None
    kind: str | None = None
    category: str | None = None
    available: bool = False        # on duty now (busy included)
    query: str = ""

    @property
    def active(self) -> bool:
        return bool(self.tier or self.kind or self.category or self.available or self.query)


class RosterScreen(ConsoleScreen[None]):
    AUTO_FOCUS = ""  # focus is placed after layout (IME anchor, no scroll jump), see on_mount
    BINDINGS = [
        Binding("escape", "back", "binding.roster.back", id="roster.back"),
        Binding("f7", "search", "binding.roster.search", id="roster.search"),
        Binding("ctrl+t", "cycle_tier", "binding.roster.tier", id="roster.tier"),
        Binding("ctrl+y", "cycle_kind", "binding.roster.kind", id="roster.kind"),
        Binding("ctrl+g", "cycle_category", "binding.roster.category", id="roster.category"),
        Binding("ctrl+o", "toggle_available", "binding.roster.available", id="roster.available"),
        Binding("ctrl+l", "clear_filters", "binding.roster.clear", id="roster.clear"),
        Binding("ctrl+r", "refresh_roster", "binding.roster.refresh", id="roster.refresh"),
        # while the search box has focus, the arrows still move the table's cursor
        Binding("down", "cursor(1)", show=False),
        Binding("up", "cursor(-1)", show=False),
        Binding("pagedown", "cursor(10)", show=False),
        Binding("pageup", "cursor(-10)", show=False),
    ]

    def __init__(self, services: Services, lang: str, *, refresh_seconds: float | None = None) -> None:
        super().__init__(services, lang)
        self.refresh_seconds = refresh_seconds
        self.filters = Filters()
        self.entries: dict[str, RosterEntry] = {}
        self.orders: dict[str, list[BoardRow]] = {}
        self.shown: list[str] = []      # unit codes in table order
        self._timer: Timer | None = None
        self._ready = False
        self.title_line = Static(id="roster-title", markup=False)
        self.search = ImeInput(placeholder=tr("roster.search", lang), id="roster-search")
        self.filter_line = Static(id="roster-filters", markup=False)
        self.table: DataTable[Text] = DataTable(id="roster-table", cursor_type="row", zebra_stripes=True)
        self.detail = Static(id="roster-detail", markup=False)

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.search
        yield self.filter_line
        yield self.table
        yield self.detail
        yield Footer()

    def on_mount(self) -> None:
        en = self.lang != "zh"
        for key, zh_w, en_w in COLUMNS:
            width = en_w if en else zh_w
            self.table.add_column(Text(fit(tr(f"roster.col.{key}", self.lang), width)), key=key, width=width)
        self._ready = True
        self.refresh_roster()
        seconds = self.refresh_seconds
        if seconds is None:  # follow the app: tests run it with tick_seconds=0 (no timers)
            seconds = 0.0 if self.tick_seconds == 0 else DEFAULT_REFRESH_SECONDS
        if seconds > 0:
            self._timer = self.set_interval(seconds, self._on_timer)
            # the title's clock ticks every second (the unit states only every ``seconds``)
            self.set_interval(1.0, self._tick_clock)
        self.call_after_refresh(self.search.focus)

    def _tick_clock(self) -> None:
        if self.is_mounted and self.app.screen is self and self.entries:
            self._title()

    def on_screen_resume(self) -> None:
        """Shown again (back from an incident, a dialog): the state is of this instant."""
        if self._ready:
            self.refresh_roster()

    def _on_timer(self) -> None:
        if not self.is_mounted or self.app.screen is not self:
            return
        self.refresh_roster()

    # -- data -------------------------------------------------------------------------------
    def refresh_roster(self) -> None:
        """Recompute every unit's state at the current instant and repaint."""
        try:
            self.entries = {e.unit.code: e for e in self.services.roster()}
            self.orders = {}
            for row in self.services.board().rows:
                self.orders.setdefault(row.order.unit, []).append(row)
        except (LinkageError, sqlite3.Error) as exc:  # a locked or broken store must not kill the app
            message = exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc)
            self.title_line.update(Text(message, style="bold red"))
            return
        self._title()
        self._apply()

    def _title(self) -> None:
        states = [e.state for e in self.entries.values()]
        now = self.words.time(self.services.ctx.clock.now())
        self.title_line.update(Text(tr(
            "roster.title", self.lang, at=now, total=len(states), on=states.count("on_duty"),
            busy=states.count("busy"), off=states.count("off_duty")), style="bold"), layout=False)

    def visible_entries(self) -> list[RosterEntry]:
        """The entries the filters and the search let through: search rank order, else file order."""
        f = self.filters
        if f.query.strip():
            try:
                codes = [u.code for u in self.services.catalog.find_units(f.query)]
            except LinkageError:
                codes = []
        else:
            codes = list(self.entries)
        out = []
        for code in codes:
            entry = self.entries.get(code)
            if entry is None:
                continue
            unit = entry.unit
            if f.tier and unit.tier != f.tier:
                continue
            if f.kind and unit.kind != f.kind:
                continue
            if f.category and not self._handles(unit, f.category):
                continue
            if f.available and not entry.on_duty:
                continue
            out.append(entry)
        return out

    def _handles(self, unit: Unit, category: str) -> bool:
        cat = self.services.catalog.categories.get(category)
        return category in unit.categories or (cat is not None and unit.code in (cat.lead_unit, *cat.co_units))

    # -- table ------------------------------------------------------------------------------
    def _width(self, key: str) -> int:
        return next(en if self.lang != "zh" else zh for k, zh, en in COLUMNS if k == key)

    def _cell(self, key: str, text: str, style: Style | str = "") -> Text:
        return Text(fit(text, self._width(key)), style=style, no_wrap=True)

    def state_text(self, entry: RosterEntry) -> Text:
        if entry.state == "busy":
            words = tr("roster.state.busy", self.lang, n=entry.open_orders)
        elif entry.state == "off_duty" and entry.open_orders:
            words = tr("roster.state.off_duty_orders", self.lang, n=entry.open_orders)
        else:
            words = tr(f"roster.state.{entry.state}", self.lang)
        return self._cell("status", words, _STATE_STYLE[entry.state])

    def hours_short(self, unit: Unit) -> str:
        spec = unit.duty_hours
        if spec == "24h":
            return tr("roster.hours.24h", self.lang)
        if any(ch.isalpha() for ch in spec):     # day-restricted: "mon-fri 08:30-12:00,14:30-17:30"
            return tr("roster.hours.office", self.lang)
        return spec

    def kind_name(self, kind: str) -> str:
        return tr(f"roster.kind.{kind}", self.lang)

    def row_cells(self, entry: RosterEntry) -> list[Text]:
        u = entry.unit
        cells = {
            "tier": self._cell("tier", tr(f"roster.tier.{u.tier}", self.lang)),
            "unit": self._cell("unit", u.name_zh if self.lang == "zh" else u.name_en),
            "status": self.state_text(entry),
            "phone": self._cell("phone", entry.duty_phone, "bold"),
            "kind": self._cell("kind", self.kind_name(u.kind)),
            "hours": self._cell("hours", self.hours_short(u)),
            "person": (self._cell("person", entry.duty_person) if entry.duty_person
                       else self._cell("person", tr("roster.person.none", self.lang), "dim")),
            "location": self._cell("location", u.duty_location),
        }
        return [cells[key] for key, _, _ in COLUMNS]

    def _apply(self) -> None:
        """Show the visible entries; same rows as before → only the state cells change."""
        entries = self.visible_entries()
        codes = [e.unit.code for e in entries]
        if codes == self.shown and codes:
            for entry in entries:   # a shift change turns over the person and the phone too
                cells = dict(zip((k for k, _, _ in COLUMNS), self.row_cells(entry), strict=True))
                for key in ("status", "phone", "person"):
                    self.table.update_cell(entry.unit.code, key, cells[key])
        else:
            keep = self.selected_code()
            self.table.clear()
            for entry in entries:
                self.table.add_row(*self.row_cells(entry), key=entry.unit.code)
            self.shown = codes
            row = codes.index(keep) if keep in codes else 0
            if codes:
                self.call_after_refresh(self.table.move_cursor, row=row)  # textual#3544
        self._filter_line()
        self._detail(self.selected_code() if codes else None)

    def selected_code(self) -> str | None:
        if not self.shown:
            return None
        row = self.table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else self.shown[0]

    def _filter_line(self) -> None:
        f = self.filters
        every = tr("roster.all", self.lang)
        cat = self.services.catalog.categories.get(f.category or "")
        line = tr(
            "roster.filters", self.lang,
            tier=tr(f"roster.tier.{f.tier}", self.lang) if f.tier else every,
            kind=self.kind_name(f.kind) if f.kind else every,
            category=(cat.name_zh if self.lang == "zh" else cat.name_en) if cat else every,
            available=tr("roster.yes" if f.available else "roster.no", self.lang),
            query=f"“{f.query.strip()}”" if f.query.strip() else tr("roster.none", self.lang),
            shown=len(self.shown), total=len(self.entries))
        self.filter_line.update(Text(line, style="reverse" if f.active else "dim"), layout=False)

    def _detail(self, code: str | None) -> None:
        entry = self.entries.get(code or "")
        if entry is None:
            self.detail.update(Text(tr("roster.empty", self.lang), style="bold"))
            return
        self.detail.update(Text("\n".join(self.detail_lines(entry))))

    def detail_lines(self, entry: RosterEntry) -> Iterator[str]:
        u = entry.unit
        zh = self.lang == "zh"
        yield tr("roster.detail.head", self.lang, name=u.name_zh if zh else u.name_en, name_en=u.name_en,
                 name_zh=u.name_zh, tier=tr(f"roster.tier.{u.tier}", self.lang),
                 regime=tr(f"roster.regime.{u.regime}", self.lang), kind=self.kind_name(u.kind),
                 phone=entry.duty_phone)
        hours = self.hours_short(u)
        if hours != u.duty_hours and u.duty_hours != "24h":
            hours = f"{hours} ({u.duty_hours})"
        shift = entry.shift
        if shift is not None:
            yield tr("roster.detail.shift", self.lang, person=shift.person or "-",
                     start=self.words.time(shift.start, True), end=self.words.time(shift.end, True),
                     phone=shift.phone or u.duty_phone)
            if shift.vehicle or shift.contact or shift.responsible:
                yield tr("roster.detail.shift_extra", self.lang, vehicle=shift.vehicle or "-",
                         contact=shift.contact or "-", responsible=shift.responsible or "-")
        elif entry.source == "roster":
            yield tr("roster.detail.gap", self.lang)
        else:
            yield tr("roster.detail.duty", self.lang, location=u.duty_location, hours=hours)
        rows = self.orders.get(u.code, [])
        if rows:
            items = "；".join(tr("roster.detail.order", self.lang, no=r.order.no, incident=r.order.incident_no,
                                status=label(STATUS_LABELS, r.order.status, self.lang)) for r in rows[:4])
            yield tr("roster.detail.orders", self.lang, n=len(rows), items=items)
        else:
            yield tr("roster.detail.no_orders", self.lang)
        cats = [self.words.category(c) for c in u.categories]
        if cats:
            yield tr("roster.detail.categories", self.lang, items="、".join(cats) if zh else ", ".join(cats))

    # -- events -----------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.search:
            self.filters.query = event.value
            self._apply()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.shown:
            self.table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.row_key.value if event.row_key is not None else None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a busy unit opens the incident of its most urgent open order."""
        rows = self.orders.get(str(event.row_key.value), [])
        if rows:
            self.open_incident(rows[0].order.incident_id)

    # -- actions ----------------------------------------------------------------------------
    def action_back(self) -> None:
        self.go_home()

    def action_search(self) -> None:
        """F7: into the search box, or back to the table when already there."""
        if self.focused is self.search and self.shown:
            self.table.focus()
        else:
            self.search.focus()

    def action_cursor(self, delta: int) -> None:
        if self.shown:
            row = max(0, min(len(self.shown) - 1, self.table.cursor_row + delta))
            self.table.move_cursor(row=row)

    def action_cycle_tier(self) -> None:
        self.filters.tier = _next(_TIERS, self.filters.tier)
        self._apply()

    def action_cycle_kind(self) -> None:
        present = {e.unit.kind for e in self.entries.values()}
        self.filters.kind = _next((None, *(k for k in KINDS if k in present)), self.filters.kind)
        self._apply()

    def action_cycle_category(self) -> None:
        units = [e.unit for e in self.entries.values()]
        codes = [c for c in self.services.catalog.categories if any(self._handles(u, c) for u in units)]
        self.filters.category = _next((None, *codes), self.filters.category)
        self._apply()

    def action_toggle_available(self) -> None:
        self.filters.available = not self.filters.available
        self._apply()

    def action_clear_filters(self) -> None:
        self.filters = Filters()
        with self.search.prevent(Input.Changed):
            self.search.value = ""
        self._apply()

    def action_refresh_roster(self) -> None:
        self.refresh_roster()


def _next(options: tuple[T, ...], current: T) -> T:
    """The option after ``current`` (wrapping); the first one when ``current`` is unknown."""
    try:
        return options[(options.index(current) + 1) % len(options)]
    except ValueError:
        return options[0]
