"""The live order board on Textual's Line API.

Rows are rebuilt only when the store changes; the countdown column is computed from each
order's stored deadline at paint time (never decremented), so a late timer tick can't drift
it, and a tick repaints only that column's region. The cursor is kept by order id, so a
reload that reorders rows (a new overdue order jumps to the top) keeps the selection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.board import Board, BoardRow
from console.deadlines import order_clock
from console.model import STATUS_LABELS, Order, label
from console.render import Text as Words
from screens.i18n import tr

_STYLES = {
    "overdue": Style(color="white", bgcolor="red", bold=True),
    "due_soon": Style(color="black", bgcolor="yellow"),
    "normal": Style(),
    "none": Style(dim=True),
}
_CURSOR = Style(reverse=True)
# (key, width); the countdown column comes last so a tick repaints one region.
# 80 columns: 5+6+12+16+12 cells and a space each (56), then the countdown (24).
COLUMNS = (("order", 5), ("incident", 6), ("category", 12), ("unit", 16), ("status", 12))
COUNTDOWN_WIDTH = 24


class BoardView(ScrollView, can_focus=True):
    DEFAULT_CSS = "BoardView { height: 1fr; }"
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-10)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("home", "move(-100000)", show=False),
        Binding("end", "move(100000)", show=False),
    ]

    class Selected(Message):
        """The highlighted order changed (or Enter was pressed on it)."""

        def __init__(self, order: Order | None, opened: bool = False) -> None:
            super().__init__()
            self.order = order
            self.opened = opened

    def __init__(self, words: Words, lang: str, now: Callable[[], datetime], due_soon: timedelta,
                 *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.words = words
        self.lang = lang
        self.now = now
        self.due_soon = due_soon
        self.rows: list[BoardRow] = []
        self.marks: dict[str, str] = {}
        self.cursor = 0
        self._selected_id: str | None = None

    # -- model ------------------------------------------------------------------------------
    def show(self, board: Board, marks: dict[str, str] | None = None) -> None:
        """``marks``: order id → a short prefix for its status cell (督2 supervised, 催3 urged)."""
        self.rows = board.rows
        self.marks = marks or {}
        ids = [r.order.id for r in self.rows]
        if self._selected_id in ids:
            self.cursor = ids.index(self._selected_id)
        self.cursor = max(0, min(self.cursor, len(self.rows) - 1))
        self._selected_id = ids[self.cursor] if ids else None
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self.refresh()

    @property
    def selected(self) -> Order | None:
        return self.rows[self.cursor].order if self.rows else None

    def clocks(self) -> list[tuple[BoardRow, str]]:
        now = self.now()
        return [(r, order_clock(r.order, now, self.due_soon).state) for r in self.rows]

    # -- keys -------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))
        self._selected_id = self.rows[self.cursor].order.id
        row_y = self.cursor + 1
        if row_y < self.scroll_offset.y + 1:
            self.scroll_to(y=max(0, row_y - 1), animate=False)
        elif row_y >= self.scroll_offset.y + self.size.height:
            self.scroll_to(y=row_y - self.size.height + 1, animate=False)
        self.refresh()
        self.post_message(self.Selected(self.selected))

    def key_enter(self) -> None:
        self.post_message(self.Selected(self.selected, opened=True))

    # -- paint ------------------------------------------------------------------------------
    @property
    def countdown_x(self) -> int:
        return sum(w + 1 for _, w in COLUMNS)

    def tick(self) -> None:
        self.refresh(Region(self.countdown_x, 0, COUNTDOWN_WIDTH, self.size.height))

    def _cells(self, values: list[str], style: Style) -> list[Segment]:
        return [Segment(set_cell_size(value, width) + " ", style)
                for (_, width), value in zip(COLUMNS, values, strict=True)]

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_offset.y)
        width = self.size.width
        if y == 0:
            head = self._cells([tr(f"board.col.{k}", self.lang) for k, _ in COLUMNS], Style(bold=True))
            head.append(Segment(set_cell_size(tr("board.col.countdown", self.lang), COUNTDOWN_WIDTH),
                                Style(bold=True)))
            return Strip(head).crop_extend(0, width, None)
        if not self.rows:
            if y == 1:
                return Strip([Segment(set_cell_size(tr("board.empty", self.lang), width))])
            return Strip.blank(width)
        if index - 1 >= len(self.rows):
            return Strip.blank(width)
        row = self.rows[index - 1]
        clock = order_clock(row.order, self.now(), self.due_soon)
        values = [str(row.order.no), f"#{row.order.incident_no}",
                  self.words.drill_mark(row.order.drill)
                  + (f"{'+'.join(row.transfers)}·" if row.transfers else "")  # also sent to 120 …
                  + self.words.category(row.category),
                  self.words.unit(row.order.unit),
                  self.marks.get(row.order.id, "") + label(STATUS_LABELS, row.order.status, self.lang)]
        countdown = self.words.remaining(clock)  # says 超时 / OVERDUE in words, not only in red
        base = _CURSOR if index - 1 == self.cursor and self.has_focus else (
            Style(underline=True) if index - 1 == self.cursor else Style())
        segments = self._cells(values, base)
        segments.append(Segment(set_cell_size(countdown, COUNTDOWN_WIDTH), _STYLES[clock.state] + base
                                if base is _CURSOR else _STYLES[clock.state]))
        return Strip(segments).crop_extend(0, width, None)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
