"""An Input that behaves under a Chinese IME.

Full-width digits and letters an IME commits (１２３) are folded to ASCII, the terminal cursor that
anchors the IME candidate window is re-synced after focus and resize, the first commit never
replaces a selection made by focusing, and the caret does not blink (a blink repaints twice a
second, which costs bytes over SSH and makes snapshots nondeterministic).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

# Full-width digits and Latin letters only (０-９ Ａ-Ｚ ａ-ｚ): an IME in Chinese mode types
# them for numbers and plates. Chinese punctuation (，。：) is part of the caller's words and
# stays as typed.
_FULL_WIDTH = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)) for c in range(*r)}


def fold_full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


class ImeInput(Input):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.cursor_blink = False

    def replace(self, text: str, start: int, end: int) -> None:
        super().replace(fold_full_width(text), start, end)

    def _sync_ime_cursor(self) -> None:
        if self.has_focus:
            self.app.cursor_position = self.cursor_screen_offset

    def on_focus(self, event: events.Focus) -> None:
        self.call_after_refresh(self._sync_ime_cursor)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._sync_ime_cursor)
