"""Shown instead of everything else while the terminal is smaller than 80×24.

Below that size the board's columns, the status line and the Footer no longer fit, and a
board cut to nothing looks like a board with nothing on it. This screen says what is wrong in
both languages; it has nothing to focus, so keys typed meanwhile do nothing, and it closes by
itself once the terminal is large enough again (``LinkageApp.check_size``).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from screens.i18n import tr


class TooSmallScreen(Screen[None]):
    AUTO_FOCUS = ""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def compose(self) -> ComposeResult:
        other = "en" if self.lang == "zh" else "zh"
        yield Static(Text(f"{tr('too_small', self.lang)}\n{tr('too_small', other)}", style="bold"),
                     id="too-small")
