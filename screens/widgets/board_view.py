"""The live order board on Textual's Line API.

Rows are rebuilt only when the store changes; the countdown column is computed from each
order's stored deadline at paint time (never decremented), so a late timer tick can't drift
it, and a tick repaints only that column's region.

The selection model (issue 12): the order a key acts on is always a drawn, highlighted row.
The cursor sticks to the *position* the call-taker chose, not to an order that moved away
(after an ack the acked order re-sorts; Up must not land on another unit's order); a move
scrolls only as far as needed to keep the cursor among the drawn rows, never onto the header
or past the last drawn line; and unless the call-taker scrolled down on purpose, a reload
keeps the most urgent overdue order (the top rows) in view. Columns share out the width the
terminal has, so at 120 columns unit names are not cut to their 80-column width.
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

from console.kernel.model import STATUS_LABELS, Order, label
from console.orders.board import Board, BoardRow
from console.orders.deadlines import order_clock
from console.words import Words
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
#: How extra width beyond 80 columns is shared out (category, unit, status), and each one's cap.
_GROW = (("category", 3, 12), ("unit", 5, 20), ("status", 2, 8))


def column_widths(width: int) -> tuple[tuple[str, int], ...]:
    """The columns for a board ``width`` cells wide: the 80-column widths, and past 80 the
    spare cells go to category, unit and status (in 3:5:2 shares, each up to a cap)."""
    spare = max(0, width - sum(w + 1 for _, w in COLUMNS) - COUNTDOWN_WIDTH)
    total = sum(share for _, share, _ in _GROW)
    extra = {key: min(cap, spare * share // total) for key, share, cap in _GROW}
    return tuple((key, w + extra.get(key, 0)) for key, w in COLUMNS)


class BoardView(ScrollView, can_focus=True):
    # no horizontal scrollbar: it would take the last line, where End would select an order
    # that is never drawn
    DEFAULT_CSS = "BoardView { height: 1fr; overflow-x: hidden; }"
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
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
        self.columns: tuple[tuple[str, int], ...] = COLUMNS
        self.scrolled_on_purpose = False    # the call-taker moved the view off the top rows

    # -- model ------------------------------------------------------------------------------
    def show(self, board: Board, marks: dict[str, str] | None = None) -> None:
        """``marks``: order id → a short prefix for its status cell (督2 supervised, 催3 urged)."""
        self.rows = board.rows
        self.marks = marks or {}
        # the cursor keeps its position (the row the call-taker chose), clamped to the rows
        self.cursor = max(0, min(self.cursor, len(self.rows) - 1))
        self._selected_id = self.rows[self.cursor].order.id if self.rows else None
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        if not self.scrolled_on_purpose:
            self._scroll_top(0)              # the most urgent rows are the top ones
        self._keep_cursor_visible()
        self.refresh()
        self.post_message(self.Selected(self.selected))

    @property
    def selected(self) -> Order | None:
        return self.rows[self.cursor].order if self.rows else None

    @property
    def page(self) -> int:
        """How many order rows are drawn (the header takes the first line)."""
        return max(1, self.scrollable_content_region.height - 1)

    @property
    def first_drawn(self) -> int:
        return int(self.scroll_offset.y)

    def drawn(self, index: int) -> bool:
        return self.first_drawn <= index < self.first_drawn + self.page

    def overdue_above(self) -> int:
        """Overdue orders scrolled out of view above the first drawn row."""
        now = self.now()
        return sum(1 for r in self.rows[:self.first_drawn]
                   if order_clock(r.order, now, self.due_soon).state == "overdue")

    def _scroll_top(self, top: int) -> None:
        top = max(0, min(top, max(0, len(self.rows) - self.page)))
        self.scroll_to(y=top, animate=False, immediate=True)

    def _keep_cursor_visible(self) -> None:
        if self.cursor < self.first_drawn:
            self._scroll_top(self.cursor)
        elif self.cursor >= self.first_drawn + self.page:
            self._scroll_top(self.cursor - self.page + 1)

    def clocks(self) -> list[tuple[BoardRow, str]]:
        now = self.now()
        return [(r, order_clock(r.order, now, self.due_soon).state) for r in self.rows]

    # -- keys -------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))
        self._selected_id = self.rows[self.cursor].order.id
        self._keep_cursor_visible()
        self.scrolled_on_purpose = self.first_drawn > 0
        self.refresh()
        self.post_message(self.Selected(self.selected))

    def action_page(self, pages: int) -> None:
        """PageUp/PageDown move by the rows actually drawn, so they never skip past the view."""
        self.action_move(pages * max(1, self.page - 1))

    def on_resize(self) -> None:
        self.columns = column_widths(self.size.width)
        self._keep_cursor_visible()
        self.refresh()

    def key_enter(self) -> None:
        self.post_message(self.Selected(self.selected, opened=True))

    # -- paint ------------------------------------------------------------------------------
    @property
    def countdown_x(self) -> int:
        return sum(w + 1 for _, w in self.columns)

    def tick(self) -> None:
        """A second passed: repaint the countdown column of the drawn rows, and only when one
        of them races a deadline (a countdown's value changes each second; "no deadline" and
        an empty board do not change at all). The header is left alone unless the call-taker
        scrolled (its "overdue above" count can change)."""
        now = self.now()
        drawn = self.rows[self.first_drawn:self.first_drawn + self.page]
        if not any(order_clock(r.order, now, self.due_soon).stage is not None for r in drawn):
            return
        top = 0 if self.first_drawn else 1
        self.refresh(Region(self.countdown_x, top, COUNTDOWN_WIDTH, min(len(drawn) + 1, self.size.height) - top))

    def _cells(self, values: list[str], style: Style) -> list[Segment]:
        return [Segment(set_cell_size(value, width) + " ", style)
                for (_, width), value in zip(self.columns, values, strict=True)]

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_offset.y)
        width = self.size.width
        if y == 0:
            head = self._cells([tr(f"board.col.{k}", self.lang) for k, _ in self.columns],
                               Style(bold=True))
            above = self.overdue_above() if self.rows else 0
            title = tr("board.col.countdown", self.lang)
            if above:      # scrolled on purpose, with overdue orders out of view above
                title += " " + tr("board.overdue_above", self.lang, n=above)
            head.append(Segment(set_cell_size(title, COUNTDOWN_WIDTH),
                                Style(bold=True, color="red") if above else Style(bold=True)))
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
