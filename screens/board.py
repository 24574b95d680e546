"""The home screen: status line, live order board, command bar and its answers."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from console.commands import run
from console.errors import LinkageError
from console.render import Text as Words
from console.services import Services
from screens.i18n import tr
from screens.widgets.board_view import BoardView


class BoardScreen(Screen[None]):
    BINDINGS = [
        Binding("f2", "command_bar", "command", id="board.command-bar"),
        Binding("f5", "refresh_board", "board", id="board.refresh"),
    ]

    def __init__(self, services: Services, lang: str) -> None:
        super().__init__()
        self.services = services
        self.lang = lang
        cfg = services.config
        self.words = Words(lang, cfg.tz, services.catalog)
        self.status = Static(id="status", markup=False)
        self.board_view = BoardView(self.words, lang, services.ctx.clock.now,
                                    timedelta(minutes=cfg.deadlines.due_soon_minutes))
        self.answer = Static(id="answer", markup=False)
        self.command = Input(placeholder=tr("command.placeholder", lang), id="command")
        self.command.cursor_blink = False

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.board_view
        yield self.answer
        yield self.command
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(1, self.tick)
        self.call_after_refresh(self.command.focus)

    def reload(self) -> None:
        board = self.services.board()
        self._data_version = self._store_version()
        self._waiting = len(board.waiting)
        self.board_view.show(board)
        self._status(len(board.rows), board.overdue, self._waiting)

    def _store_version(self) -> int:
        """Changes when another connection (CLI, sync) committed; our own writes reload anyway."""
        return int(self.services.store.conn.execute("PRAGMA data_version").fetchone()[0])

    def _status(self, open_orders: int, overdue: int, waiting: int) -> None:
        cfg = self.services.config
        now = self.words.time(self.services.ctx.clock.now(), with_date=True)
        name = cfg.center.name_zh if self.lang == "zh" else cfg.center.name_en
        line = (f"{name} · {tr('status.seat', self.lang)} {cfg.center.seat} · "
                f"{tr('status.operator', self.lang)} {self.services.ctx.operator} · {now} · "
                f"{tr('status.open_orders', self.lang)} {open_orders} · "
                f"{tr('status.overdue', self.lang)} {overdue} · {tr('status.waiting', self.lang)} {waiting}"
                f" · {tr('status.sync', self.lang)}")
        self.status.update(Text(line, style="bold red" if overdue else "bold"))

    def tick(self) -> None:
        if self._store_version() != self._data_version:
            self.reload()
            return
        self.board_view.tick()
        self._status(len(self.board_view.rows), self.board_view.overdue_count(), self._waiting)

    def action_command_bar(self) -> None:
        self.command.focus()

    def action_refresh_board(self) -> None:
        self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        if not line:
            return
        try:
            outcome = run(self.services, line, self.lang)
        except LinkageError as exc:
            self.answer.update(Text(exc.message(self.lang), style="bold red"))
            return
        self.command.value = ""
        self.answer.update(Text("\n".join(outcome.lines[-12:])))
        self.reload()
