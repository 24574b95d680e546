"""ctrl+q asks before quitting: a stray chord must not close the console mid-call."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.i18n import tr
from screens.keys import localize


class ConfirmQuit(ModalScreen[bool]):
    BINDINGS = [
        Binding("enter", "answer(True)", "binding.confirm", id="quit.confirm"),
        Binding("escape", "answer(False)", "binding.close", id="quit.cancel"),
    ]

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        localize(self, lang)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(tr("quit.question", self.lang)))
            yield Static(Text(f"{tr('quit.yes', self.lang)}    {tr('quit.no', self.lang)}"))

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
