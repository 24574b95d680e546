"""The start-up baseline: a bare Textual app (a Static and a Footer) that exits after its first frame.

Run by ``bench.tui`` as ``python -m bench.bare_app`` in a pseudo-terminal, exactly like
``bench.tui_probe`` runs the console, so the two differ only in what the app itself does.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static

from bench.first_frame import ExitOnFirstFrame


class BareApp(ExitOnFirstFrame, App[None]):
    def compose(self) -> ComposeResult:
        yield Static("联动指挥中心 · Linkage Console (bare Textual baseline)")
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
