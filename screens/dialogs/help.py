"""F1 / F12: every binding and every command, generated from the registries."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.commands import grammar  # the package: every verb registered (see screens/board.py)
from screens.i18n import tr
from screens.keys import localize


def pad(text: str, cells: int) -> str:
    """Pad to a width in terminal cells (a Chinese character takes two), never truncating."""
    return text + " " * max(0, cells - cell_len(text))


def binding_rows(current_keys: Callable[[Binding], str], lang: str) -> list[tuple[str, str, str]]:
    """(keys as currently mapped, binding id, description) for every screen's bindings."""
    from screens.keys import all_bindings

    rows = []
    for binding in all_bindings():
        keys = current_keys(binding)
        label = tr(binding.description, lang) if binding.description.startswith("binding.") else binding.description
        rows.append((keys, binding.id or "", label))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,f12", "dismiss", "binding.close", id="help.close")]

    def __init__(self, lang: str, current_keys: Callable[[Binding], str] = lambda b: b.key) -> None:
        """``current_keys``: the keys a binding answers to after ``[keymap]`` (the app's)."""
        super().__init__()
        self.lang = lang
        self.current_keys = current_keys
        localize(self, lang)

    def compose(self) -> ComposeResult:
        lines = [tr("help.title", self.lang), "", tr("help.keys", self.lang)]
        for keys, bid, label in binding_rows(self.current_keys, self.lang):
            lines.append(f"  {pad(keys, 18)} {pad(label, 14)} {bid}")
        lines += ["", tr("help.commands", self.lang)]
        for cmd in grammar.REGISTRY:
            lines.append(f"  {pad(cmd.usage(), 58)} {pad('/'.join(cmd.aliases), 12)} {cmd.summary(self.lang)}")
        with VerticalScroll(id="help-body"):
            yield Static(Text("\n".join(lines)), id="help")
