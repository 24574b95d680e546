"""The baselines: a bare Textual app (a Static and a Footer).

``python -m bench.bare_app`` exits after its first frame: the start-up baseline, run by
``bench.tui`` in a pseudo-terminal exactly like ``bench.tui_probe`` runs the console, so the two
differ only in what the app itself does. ``python -m bench.bare_app --idle`` stays up with no
timers of its own: the idle-CPU baseline of ``bench.soak`` (what Textual itself costs doing
nothing in a terminal).
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static

from bench.first_frame import ExitOnFirstFrame


class IdleBareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("联动指挥中心 · Linkage Console (bare Textual baseline)")
        yield Footer()


class BareApp(ExitOnFirstFrame, IdleBareApp):
    pass


if __name__ == "__main__":
    (IdleBareApp if "--idle" in sys.argv[1:] else BareApp)().run()
