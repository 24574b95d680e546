"""The Textual application and the one factory used by the CLI and the tests."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from console.commands import REGISTRY
from console.services import Services
from screens.board import BoardScreen
from screens.i18n import tr


class HelpScreen(ModalScreen[None]):
    """Every binding and command, generated from the registries, never hand-written."""

    BINDINGS = [Binding("escape,f1,ctrl+h", "dismiss", "close", id="help.close")]

    def __init__(self, lang: str, bindings: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.lang = lang
        self.bindings_list = bindings

    def compose(self):  # type: ignore[no-untyped-def]
        lines = [tr("help.title", self.lang), ""]
        lines += [f"{key:<12} {bid:<24} {desc}" for key, bid, desc in self.bindings_list]
        lines.append("")
        for cmd in REGISTRY:
            lines.append(f"{cmd.usage():<60} {'/'.join(cmd.aliases):<12} {cmd.summary(self.lang)}")
        yield Static(Text("\n".join(lines)), id="help")


class LinkageApp(App[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    BINDINGS = [
        Binding("f1,ctrl+h", "help", "help", id="app.help"),
        Binding("ctrl+q", "quit", "quit", id="app.quit", priority=True),
    ]

    def __init__(self, services: Services, lang: str = "zh") -> None:
        super().__init__()
        self.services = services
        self.lang = lang
        self.title = tr("app.title", lang)
        keymap = services.config.keymap
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        self.push_screen(BoardScreen(self.services, self.lang))

    def action_help(self) -> None:
        rows = []
        for binding in [*self.BINDINGS, *BoardScreen.BINDINGS]:
            if isinstance(binding, Binding):
                rows.append((binding.key, binding.id or "", binding.description))
        self.push_screen(HelpScreen(self.lang, rows))


def run_app(services: Services, lang: str) -> int:
    app = LinkageApp(services, lang)
    app.run()
    return app.return_code or 0
