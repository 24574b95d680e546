"""Keys act in the order they were typed, on what was on screen when the previous key finished.

Textual reads every key as it arrives and posts it to the widget focused *at that moment*;
bindings run later, when the key has bubbled back up to the App. A practised operator's burst
(``F2 13800000003 Tab Tab 和平路5号``, or ``ctrl+s Enter Down ctrl+s``) therefore reaches the old
screen before F2 has opened the new one, and the digits land in the command bar.

The gate fixes the class of defect, not an instance: a key that may change what has focus
(anything but a plain character: Enter, Esc, Tab, arrows, F-keys, ctrl-combinations) waits
until the keys before it are handled, and the keys after it wait until it is handled and the
screen it opened has focused its first field (the screen's queues drained, no focus pending).
Plain characters between such keys go straight to the focused field, in order, so typing
costs nothing. Held keys are replayed in order through the same gate.

A burst that opened a screen is "typed ahead"; ``typed_ahead()`` lets the intake form start
blank instead of restoring a draft the burst was never meant for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import events, messages
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import App

#: Polls while waiting for the UI to settle; two quiet polls in a row release the gate.
POLL_SECONDS = 0.004
QUIET_POLLS = 2
#: Never hold keys longer than this (a screen that never focuses anything must not eat input).
HOLD_LIMIT_SECONDS = 4.0
#: How long a screen may take to focus its first field after everything else settled.
FOCUS_GRACE_SECONDS = 1.0
#: Messages that cannot move focus or open a screen: painting, sizing, idling, timers.
_IDLE = (messages.Prompt, events.Idle, events.Timer, messages.Update, messages.Layout,
         messages.UpdateScroll, events.Resize, events.Show, events.Hide)


def _queued(node: MessagePump) -> list[Message]:
    """The messages waiting in a node's queue that stand for work (not timers, idle prompts)."""
    queued: list[Message | None] = list(node._message_queue.values)
    return [m for m in queued if m is not None and not isinstance(m, _IDLE)]


def _raw(message: Message) -> bool:
    """A key or paste read from the terminal and not yet routed."""
    return isinstance(message, (events.Key, events.Paste)) and not message.is_forwarded


def is_plain(event: events.Key) -> bool:
    """A character that is typed into the focused field and can never move focus."""
    return event.is_printable


class KeyGate:
    """Owned by the App; ``route`` is called for every key (and paste) it reads."""

    def __init__(self, app: App[Any], deliver: Callable[[events.Event], Awaitable[None]]) -> None:
        self.app = app
        self.deliver = deliver          # the App's own routing (priority bindings, then focus)
        self.held: list[events.Event] = []
        self.holding = False
        self._quiet = 0
        self._since = 0.0
        self._polling = False

    # -- state -------------------------------------------------------------------------------
    def busy(self, focus: bool = True) -> bool:
        """Whether a key handed out earlier may still change focus or the screen: a message
        or callback is pending anywhere on the active screen or in the App (raw keys still to
        be read, timers and idle prompts aside), the screen is still mounting, or (with
        ``focus``) it is about to focus its first field."""
        app = self.app
        if any(not _raw(m) for m in _queued(app)) or app._next_callbacks:
            return True
        try:
            screen = app.screen
        except Exception:  # no screen yet
            return True
        if getattr(screen, "_callbacks", None):   # call_after_refresh work still to run
            return True
        for node in screen.walk_children(with_self=True):
            # the Footer redraws its keys after every focus change; it never takes focus
            if not isinstance(node, (Footer, FooterKey)) and _queued(node):
                return True
        if not screen.is_mounted:
            return True
        auto = screen.AUTO_FOCUS if screen.AUTO_FOCUS is not None else app.AUTO_FOCUS
        # a screen that focuses its first field itself (or on purpose nothing) says so with
        # AUTO_FOCUS = ""; its focus call is then still in a queue checked above
        return focus and bool(auto) and screen.focused is None and bool(screen.focus_chain)

    def typed_ahead(self) -> bool:
        """Keys are waiting behind the one being handled (a burst, not a single press)."""
        return bool(self.held) or any(_raw(m) for m in _queued(self.app))

    # -- routing -----------------------------------------------------------------------------
    async def route(self, event: events.Event) -> None:
        if self.holding or self.held:
            self.held.append(event)
            self._poll_soon()
            return
        await self._process(event)

    async def _process(self, event: events.Event) -> None:
        context = not (isinstance(event, events.Key) and is_plain(event))
        if context and self.busy():
            self.held.insert(0, event)
            self._hold()
            return
        await self.deliver(event)
        if context:
            self._hold()

    def _hold(self) -> None:
        if not self.holding:
            self.holding = True
            self._since = time.monotonic()
        self._quiet = 0
        self._poll_soon()

    def _poll_soon(self) -> None:
        if not self._polling:
            self._polling = True
            # not App.set_timer: a one-shot Textual timer started late (a busy loop) skips its
            # only tick, and its callback would run outside the App's message loop
            asyncio.get_running_loop().call_later(POLL_SECONDS, self.app.call_later, self._poll)

    async def _poll(self) -> None:
        self._polling = False
        if self.holding:
            held_for = time.monotonic() - self._since
            overdue = held_for > HOLD_LIMIT_SECONDS
            # a screen that never focuses anything is not waited for beyond FOCUS_GRACE
            if self.busy(focus=held_for < FOCUS_GRACE_SECONDS) and not overdue:
                self._quiet = 0
                self._poll_soon()
                return
            self._quiet += 1
            if self._quiet < QUIET_POLLS and not overdue:
                self._poll_soon()
                return
            self.holding = False
        while self.held and not self.holding:
            await self._process(self.held.pop(0))
        if self.held:
            self._poll_soon()
