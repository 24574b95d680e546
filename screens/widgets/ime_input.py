"""An Input that behaves under a Chinese IME.

Full-width characters an IME commits (１２３, ：) are folded to ASCII, the terminal cursor that
anchors the IME candidate window is re-synced after focus and resize, the first commit never
replaces a selection made by focusing, and the caret does not blink (a blink repaints twice a
second, which costs bytes over SSH and makes snapshots nondeterministic).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space


def fold_full_width(text: str) -> str:
    """Fold only U+FF01–FF5E and the ideographic space; other characters are the caller's words."""
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
