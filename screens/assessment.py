"""考核 (``assess`` / ``kh`` on the command bar, ctrl+x on the board): the per-unit table of a
month, sortable by any column, a terminal bar chart of an on-time rate, and the orders behind a
figure.

The figures are the core's (``Services.assess``, console/assessment/): this screen only lays
them out. ~60 mostly static rows: a DataTable with fixed widths and ``Text`` cells (pitfalls
§1.3, §2.1), cell cursor, so the cursor's column is what ctrl+s sorts by, what the chart shows
and what Enter drills into. Bars are ``#`` (ASCII: block characters are ambiguous-width, rule 6).
The data is computed when the screen opens and when the month changes, never on a timer.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from console.assessment.model import Assessment, ListedOrder
from console.assessment.tables import UNIT_COLUMNS, Column, reasons_text, shown, unit_row
from console.calls.stats import Period
from console.kernel.errors import LinkageError
from console.kernel.inputs import day_bounds
from console.seat.services import Services
from screens.base import ConsoleScreen
from screens.i18n import tr

#: The columns on screen (keys of UNIT_COLUMNS) and their widths in cells.
SHOWN: tuple[tuple[str, int], ...] = (
    ("name", 16), ("received", 6), ("ack_rate", 8), ("ack_p90", 8), ("arrive_rate", 8),
    ("arrive_p90", 8), ("feedback_rate", 8), ("feedback_p90", 8), ("returns_rejected", 6),
    ("urges", 6), ("satisfaction", 7), ("delta_ack_rate", 8),
)
_INDEX = {c.key: n for n, c in enumerate(UNIT_COLUMNS)}
CHART_UNITS = 8
#: which listed orders stand behind a column: reasons (None: every listed order of the unit)
_BEHIND: dict[str, tuple[str, ...]] = {
    "ack_rate": ("never_acked",), "ack_p90": ("never_acked",),
    "arrive_rate": ("arrive_late", "no_movement"), "arrive_p90": ("arrive_late", "no_movement"),
    "feedback_rate": ("feedback_late", "no_movement"), "feedback_p90": ("feedback_late", "no_movement"),
    "returns_rejected": ("return_rejected",),
}


def fit(text: str, width: int) -> str:
    return set_cell_size(text, width).rstrip() if cell_len(text) > width else text


def month_of(day: date, tz: Any) -> Period:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(first, last, day_bounds(first, tz)[0], day_bounds(last, tz)[1])


class AssessmentScreen(ConsoleScreen[None]):
    BINDINGS = [
        Binding("ctrl+s", "sort", "binding.assessment.sort", id="assessment.sort"),
        Binding("ctrl+p", "month(-1)", "binding.assessment.previous", id="assessment.previous"),
        Binding("ctrl+n", "month(1)", "binding.assessment.next", id="assessment.next"),
        Binding("escape", "back", "binding.assessment.back", id="assessment.back"),
    ]

    def __init__(self, services: Services, lang: str) -> None:
        super().__init__(services, lang)
        tz = services.config.tz
        self.today = services.ctx.clock.now().astimezone(tz).date()
        self.period = month_of(self.today, tz)
        self.assessment: Assessment | None = None
        self.rows: list[tuple[Any, ...]] = []
        self.sort_key = "received"
        self.sort_reverse = True
        self.title_line = Static(id="assessment-title", markup=False)
        self.center_line = Static(id="assessment-center", markup=False)
        self.table: DataTable[Text] = DataTable(id="assessment-table", cursor_type="cell",
                                                zebra_stripes=True)
        self.chart = Static(id="assessment-chart", markup=False)
        self.detail = Static(id="assessment-detail", markup=False)

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.center_line
        yield self.table
        yield self.chart
        yield self.detail
        yield Footer()

    def on_mount(self) -> None:
        for key, width in SHOWN:
            col = UNIT_COLUMNS[_INDEX[key]]
            self.table.add_column(Text(fit(self._head(col), width)), key=key, width=width)
        self.reload()
        self.table.focus()

    def _head(self, col: Column) -> str:
        text = col.zh if self.lang == "zh" else col.en
        return text.replace("下达→", "").replace("issue→", "")

    # -- data -------------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            self.assessment = self.services.assess(self.period)
        except (LinkageError, sqlite3.Error) as exc:  # a locked store must not kill the app
            text = exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc)
            self.detail.update(Text(text, style="bold red"))
            return
        a = self.assessment
        self.rows = [unit_row(u, a.previous_units.get(u.unit), self.lang) for u in a.units]
        self._fill()

    def _fill(self) -> None:
        a = self.assessment
        if a is None:
            return
        tz = self.services.config.tz
        n = _INDEX[self.sort_key]
        kind = UNIT_COLUMNS[n].kind
        filler = "" if kind == "text" else (-1e18 if self.sort_reverse else 1e18)
        self.rows.sort(key=lambda r: (r[n] if r[n] is not None else filler), reverse=self.sort_reverse)
        cursor = self.table.cursor_coordinate
        self.table.clear()
        for r in self.rows:
            self.table.add_row(*(Text(fit(shown(r[_INDEX[k]], UNIT_COLUMNS[_INDEX[k]].kind, tz), w),
                                      justify="left" if k == "name" else "right")
                                 for k, w in SHOWN), key=r[0])
        self.call_after_refresh(self.table.move_cursor, row=cursor.row, column=cursor.column)
        f = a.center_figure
        self.title_line.update(tr("assessment.title", self.lang, first=self.period.first.isoformat(),
                                  last=self.period.last.isoformat(),
                                  at=self.words.time(a.cutoff, with_date=True),
                                  sort=self._head(UNIT_COLUMNS[n]) + (" ↓" if self.sort_reverse else " ↑")))
        self.center_line.update(tr("assessment.center", self.lang, n=f.dispatched,
                                   s60=shown(f.share(f.within_60), "pct", tz),
                                   s120=shown(f.share(f.within_120), "pct", tz),
                                   ignored=len(a.lists["ignored"]), slow=len(a.lists["slow"]),
                                   idle=len(a.lists["idle"])))
        self._chart()
        self.detail.update(tr("assessment.hint", self.lang))

    def _cursor_key(self) -> str:
        column = self.table.cursor_coordinate.column
        return SHOWN[column][0] if 0 <= column < len(SHOWN) else "received"

    def _chart(self) -> None:
        """Bars of the cursor's column when it is a share, else of the ack on-time rate."""
        key = self._cursor_key()
        if UNIT_COLUMNS[_INDEX[key]].kind != "pct" or key.startswith("delta"):
            key = "ack_rate"
        n = _INDEX[key]
        rows = [r for r in self.rows if r[_INDEX["received"]]][:CHART_UNITS]
        lines = [tr("assessment.chart", self.lang, col=self._head(UNIT_COLUMNS[n]), n=len(rows))]
        for r in rows:
            rate = r[n]
            bar = "#" * round((rate or 0.0) * 20)
            lines.append(f"{set_cell_size(fit(str(r[1]), 14), 14)} {bar:<20} "
                         f"{shown(rate, 'pct', self.services.config.tz)}")
        self.chart.update("\n".join(lines))

    def behind(self, unit: str, key: str) -> list[ListedOrder]:
        """The listed orders of ``unit`` that stand behind the figure in column ``key``."""
        a = self.assessment
        if a is None:
            return []
        reasons = _BEHIND.get(key)
        found = [o for rule in ("ignored", "slow", "idle") for o in a.lists[rule]
                 if o.unit == unit and (reasons is None or set(o.reasons) & set(reasons))]
        return sorted({o.order_no: o for o in found}.values(), key=lambda o: (o.issued_at, o.order_no))

    # -- keys -------------------------------------------------------------------------------
    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self._chart()

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        unit = str(event.cell_key.row_key.value)
        key = str(event.cell_key.column_key.value)
        orders = self.behind(unit, key)
        col = self._head(UNIT_COLUMNS[_INDEX[key]])
        name = self.words.unit(unit)
        if not orders:
            self.detail.update(tr("assessment.detail.none", self.lang, unit=name, col=col))
            return
        lines = [tr("assessment.detail", self.lang, unit=name, col=col, n=len(orders))]
        for o in orders[:12]:
            lines.append(self.words.pick(
                f"  派单 {o.order_no} 警情 {o.incident_no} 下达 {self.words.time(o.issued_at, True)}："
                f"{reasons_text(o, 'zh')}",
                f"  order {o.order_no} incident {o.incident_no} issued {self.words.time(o.issued_at, True)}:"
                f" {reasons_text(o, 'en')}"))
        self.detail.update("\n".join(lines))

    def action_sort(self) -> None:
        key = self._cursor_key()
        self.sort_reverse = not self.sort_reverse if key == self.sort_key else key != "name"
        self.sort_key = key
        self._fill()

    def action_month(self, step: int) -> None:
        first = self.period.first
        target = (first - timedelta(days=1)) if step < 0 else (first + timedelta(days=32))
        if target.replace(day=1) > self.today:
            return
        self.period = month_of(target, self.services.config.tz)
        self.reload()

    def action_back(self) -> None:
        self.go_home()
