"""The live order board on Textual's Line API.

Rows are rebuilt only when the store changes; the countdown column is computed from each
order's stored deadline at paint time (never decremented), so a late timer tick can't drift
it, and a tick repaints only that column's region.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.board import Board, BoardRow
from console.deadlines import order_clock
from console.model import STATUS_LABELS, label
from console.render import Text as Words
from screens.i18n import tr

_STYLES = {
    "overdue": Style(color="white", bgcolor="red", bold=True),
    "due_soon": Style(color="black", bgcolor="yellow"),
    "normal": Style(),
    "none": Style(dim=True),
}
# (key, width); the countdown column comes last so a tick repaints one region.
COLUMNS = (("order", 6), ("incident", 7), ("category", 14), ("unit", 16), ("status", 8))
COUNTDOWN_WIDTH = 22


class BoardView(ScrollView, can_focus=True):
    DEFAULT_CSS = "BoardView { height: 1fr; }"

    def __init__(self, words: Words, lang: str, now: Callable[[], datetime], due_soon: timedelta) -> None:
        super().__init__()
        self.words = words
        self.lang = lang
        self.now = now
        self.due_soon = due_soon
        self.rows: list[BoardRow] = []

    def show(self, board: Board) -> None:
        self.rows = board.rows
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self.refresh()

    @property
    def countdown_x(self) -> int:
        return sum(w + 1 for _, w in COLUMNS)

    def overdue_count(self) -> int:
        now = self.now()
        return sum(1 for r in self.rows if order_clock(r.order, now, self.due_soon).state == "overdue")

    def tick(self) -> None:
        self.refresh(Region(self.countdown_x, 0, COUNTDOWN_WIDTH, self.size.height))

    def _cells(self, values: list[str], style: Style) -> list[Segment]:
        segments = []
        for (_, width), value in zip(COLUMNS, values, strict=True):
            segments.append(Segment(set_cell_size(value, width) + " ", style))
        return segments

    def render_line(self, y: int) -> Strip:
        scroll_y = int(self.scroll_offset.y)
        index = y + scroll_y
        width = self.size.width
        if index == 0:
            head = self._cells([tr(f"board.col.{k}", self.lang) for k, _ in COLUMNS], Style(bold=True))
            head.append(Segment(set_cell_size(tr("board.col.countdown", self.lang), COUNTDOWN_WIDTH),
                                Style(bold=True)))
            return Strip(head).crop_extend(0, width, None)
        if not self.rows:
            if index == 1:
                return Strip([Segment(set_cell_size(tr("board.empty", self.lang), width))])
            return Strip.blank(width)
        if index - 1 >= len(self.rows):
            return Strip.blank(width)
        row = self.rows[index - 1]
        now: datetime = self.now()
        clock = order_clock(row.order, now, self.due_soon)
        values = [str(row.order.no), f"#{row.order.incident_no}", self.words.category(row.category),
                  self.words.unit(row.order.unit), label(STATUS_LABELS, row.order.status, self.lang)]
        countdown = self.words.remaining(clock)
        if clock.state == "overdue":
            countdown = f"{tr('board.overdue_mark', self.lang)} {countdown}"
        segments = self._cells(values, Style())
        segments.append(Segment(set_cell_size(countdown, COUNTDOWN_WIDTH), _STYLES[clock.state]))
        return Strip(segments).crop_extend(0, width, None)
