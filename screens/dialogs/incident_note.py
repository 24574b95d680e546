"""A one-line note on an incident (ctrl+n on the incident screen)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from console.kernel.errors import LinkageError
from screens.i18n import tr
from screens.keys import localize
from screens.widgets.ime_input import ImeInput


class NoteDialog(ModalScreen[bool]):
    """One line of note; a refusal (an empty note) is shown in place. ``True`` once saved."""

    BINDINGS = [Binding("escape", "cancel", "binding.close", id="incident.note-cancel")]

    def __init__(self, lang: str, title: str, save: Callable[[str], object]) -> None:
        super().__init__()
        self.lang = lang
        localize(self, lang)
        self.title_text = title
        self.save = save
        self.field = ImeInput(placeholder=tr("incident.note.placeholder", lang), id="note-text")
        self.error = Static(id="note-error", markup=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield self.field
            yield self.error
            yield Static(Text(tr("incident.note.hint", self.lang), style="dim"))

    def on_mount(self) -> None:
        self.call_after_refresh(self.field.focus)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.save(self.field.value)
        except LinkageError as exc:
            self.error.update(Text(exc.message(self.lang), style="bold red"))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
