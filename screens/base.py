"""The base of every screen of the seat: services, language and words, held once.

The app builds each screen with the seat's ``Services`` and the language and sets what the
screen needs of the app on it before it is pushed (``tick_seconds``: attributes down). A
screen asks the app for something by posting a message (screens/messages.py), never by
reaching into it or into another screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.screen import ModalScreen, Screen, ScreenResultType

from console.seat.services import Services
from console.words import Words
from screens.keys import localize
from screens.messages import GoHome, OpenIncident

#: How often a screen repaints its clocks. The app passes its own down (tests run with 0: no
#: timers, every repaint is explicit).
DEFAULT_TICK_SECONDS = 1.0


class Seated:
    """What every screen of the seat holds and the two requests most of them make."""

    services: Services
    lang: str
    words: Words
    tick_seconds: float = DEFAULT_TICK_SECONDS

    def _seat(self, services: Services, lang: str) -> None:
        self.services = services
        self.lang = lang
        self.words = Words(lang, services.config.tz, services.catalog)

    if TYPE_CHECKING:  # provided by the Screen this is mixed into
        def post_message(self, message: Message) -> bool: ...

    def go_home(self, answer: Text | None = None) -> None:
        """Back to the board (the app does it), optionally saying ``answer`` there."""
        self.post_message(GoHome(answer))

    def open_incident(self, incident_ref: str) -> None:
        self.post_message(OpenIncident(incident_ref))


class ConsoleScreen(Seated, Screen[ScreenResultType]):
    """A full screen of the seat."""

    def __init__(self, services: Services, lang: str) -> None:
        super().__init__()
        self._seat(services, lang)
        localize(self, lang)


class ConsoleModal(Seated, ModalScreen[ScreenResultType]):
    """A dialog of the seat (screens/dialogs/): it returns a typed result with ``dismiss``."""

    def __init__(self, services: Services, lang: str) -> None:
        super().__init__()
        self._seat(services, lang)
        localize(self, lang)
