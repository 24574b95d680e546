"""What a screen asks of the app: messages up (Textual's "attributes down, messages up").

A screen never calls another screen or reaches into the app for one: it posts one of these,
which bubbles from the screen to ``LinkageApp``, and the app (which owns the screen stack and
the board) does it with ``@on``. What a screen needs to know comes down as attributes
(``ConsoleScreen.tick_seconds``, ``BoardScreen.sync_on``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message


@dataclass
class OpenIncident(Message):
    """Show one incident (Enter on an order, a waiting incident, a busy unit)."""

    incident_ref: str


@dataclass
class OpenPicker(Message):
    """Order units for one incident (the unit picker)."""

    incident_ref: str


@dataclass
class NewCall(Message):
    """Open the intake form for a call answered or called back on the board. ``say``: what a
    training script's caller says, shown on the form (not a toast over it)."""

    phone: str | None = None
    caller_name: str = ""
    drill: bool = False
    say: str = ""


@dataclass
class GoHome(Message):
    """Back to the board, focus home; ``answer`` is what its answer line says about it."""

    answer: Text | None = None


@dataclass
class SyncRequested(Message):
    """``sync`` typed in the command bar: the sync thread is nudged, the UI never waits."""
