"""Incoming calls: what is ringing now and what was just missed, from the phone system's feed.

One to three lines under the status line, hidden when there is nothing to show. Each ringing
call shows its number, trunk line, how long it has rung, and what the center already knows
about the caller (earlier calls, the last one's date and category). F6 answers the oldest ring
(``BoardScreen.answer_ringing``). A new ring rings the terminal bell once; when another screen
covers the board it also raises a toast, so a call is never silent behind a form.

The feed is polled on a timer (``poll_seconds``; 0 turns the timer off and tests call
``poll()`` themselves). Reading it is a stat and a small read per second on the UI thread: the
adapter appends a few hundred bytes per call. Caller data is shown as plain text, never markup.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Span, Text
from textual.widgets import Static

from console.calls.callfeed import CallFeed, FeedCall, feed_path
from console.calls.phone_state import PhoneLog
from console.kernel.errors import LinkageError
from console.seat.services import Services
from console.store.queries import get_incident
from console.words import Words
from screens.i18n import tr

MISSED_VISIBLE = timedelta(minutes=10)   # a missed call stays on screen this long
MAX_LINES = 3
_INVISIBLE = dict.fromkeys([0xFE0F, 0x200D, 0x200B], None)  # VS16, ZWJ, ZWSP: widths disagree


def plain(value: str, limit: int = 40) -> str:
    """Caller-supplied text made safe for one aligned line (it is data: never markup)."""
    return value.translate(_INVISIBLE).replace("\n", " ")[:limit]


def span(delta: timedelta) -> str:
    secs = max(0, int(delta.total_seconds()))
    return f"{secs // 60}:{secs % 60:02d}"


@dataclass(frozen=True)
class CallerSummary:
    count: int          # earlier calls found (at most the history limit)
    limited: bool       # the limit was reached: "10+"
    last_at: datetime | None
    last_category: str


class CallsPanel(Static):
    DEFAULT_CSS = """
    CallsPanel { height: auto; max-height: 3; padding: 0 1; background: $boost; }
    """

    def __init__(self, services: Services, lang: str, *, poll_seconds: float = 1.0,
                 feed: CallFeed | None = None, id: str | None = "calls") -> None:
        super().__init__(id=id, markup=False)
        self.services = services
        self.lang = lang
        self.poll_seconds = poll_seconds
        cfg = services.config
        self.words = Words(lang, cfg.tz, services.catalog)
        self.now = services.ctx.clock.now
        if feed is None:
            path = feed_path(cfg.callfeed.path, services.store.path)
            if path is not None:
                # the phone log keeps rings, answers and missed calls over a restart
                feed = CallFeed(path, self.now, timedelta(seconds=cfg.callfeed.ring_timeout_seconds),
                                log=PhoneLog(services.store))
        self.feed = feed
        self.summaries: dict[str, CallerSummary] = {}
        self.answered: list[FeedCall] = []     # answered at this seat, this session (newest last)
        self.bells = 0
        self.error = ""
        self._key: tuple[object, ...] = ()
        self._shown: list[tuple[str, list[Span]]] | None = None

    def on_mount(self) -> None:
        self.display = False
        if self.poll_seconds:
            self.set_interval(self.poll_seconds, self.poll)
            self.call_after_refresh(self.poll)

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.close()            # the feed file is held open between polls

    # -- feed --------------------------------------------------------------------------------
    def poll(self) -> None:
        """Read the feed, ring for new calls, repaint. Never raises: a timer must not kill the app."""
        if self.feed is None or not self.is_attached:
            return
        try:
            new, _late = self.feed.poll()
            self.error = ""
        except Exception as exc:  # an unreadable feed is shown, never fatal
            new, self.error = [], str(exc)[:60]
        for call in new:
            self.summaries[call.call_ref] = self._summary(call.phone)
        if new:
            self.bells += 1
            self.app.bell()
            if self.app.screen is not self.screen:
                call = new[-1]
                self.app.notify(tr("calls.ringing_toast", self.lang, phone=self._phone(call),
                                   line=tr("calls.line", self.lang, line=plain(call.line, 8))),
                                severity="warning", timeout=self.feed.tracker.ring_timeout.total_seconds(),
                                markup=False)
        self.show()

    def _summary(self, phone: str) -> CallerSummary:
        if not phone:
            return CallerSummary(0, False, None, "")
        try:
            calls = self.services.lookup_caller(phone)
            category = get_incident(self.services.store, calls[0].incident_id).category if calls else ""
        except (LinkageError, sqlite3.Error):   # a busy database costs the hint, never the ring
            return CallerSummary(0, False, None, "")
        limit = self.services.config.intake.history_limit
        return CallerSummary(len(calls), len(calls) >= limit, calls[0].received_at if calls else None,
                             category)

    def answer_oldest(self) -> FeedCall | None:
        """Answered at this seat: the call that has rung longest leaves the panel."""
        if self.feed is None:
            return None
        self.poll()                          # a caller who just hung up is not "answered"
        call = self.feed.answer()
        if call is None:
            return None
        self.answered.append(call)
        self.answered[:-20] = []
        self.show()
        return call

    def call_back(self) -> FeedCall | str | None:
        """The missed call waiting longest with a number to dial: recorded as called back and
        returned (the board opens the intake form with it). A withheld one cannot be dialled:
        its number (as text) is returned so the board can say how to clear it."""
        if self.feed is None:
            return None
        owed = self.feed.owed()
        call = next((c for c in owed if c.phone), None)
        if call is None:
            if owed and self.feed.log is not None:
                return str(self.feed.log.get(owed[0].call_ref).no)
            return None
        if self.feed.log is not None:
            try:
                self.feed.log.settle(call.call_ref, "called_back", self.now())
            except LinkageError:
                return None
        else:
            self.feed.tracker.missed.remove(call)
        self.show()
        return call

    def missed_no(self, call: FeedCall) -> int:
        if self.feed is None or self.feed.log is None:
            return 0
        return self.feed.log.get(call.call_ref).no

    # -- drawing -----------------------------------------------------------------------------
    def _phone(self, call: FeedCall) -> str:
        return plain(call.phone, 20) if call.phone else tr("calls.withheld", self.lang)

    def _history(self, call: FeedCall) -> str:
        s = self.summaries.get(call.call_ref)
        if s is None or not s.count or s.last_at is None:
            return tr("calls.first_call", self.lang) if call.phone else ""
        when = s.last_at.astimezone(self.words.tz).strftime("%m-%d %H:%M")
        n = f"{s.count}+" if s.limited else str(s.count)
        return tr("calls.history", self.lang, n=n, when=when, category=self.words.category(s.last_category))

    def ringing_line(self, call: FeedCall, now: datetime) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f" {tr('calls.tag', self.lang)} ", style="bold black on yellow")
        if call.drill:
            line.append(f" {tr('drill.mark', self.lang)}", style="bold magenta")
        line.append(f" {self._phone(call)} ", style="bold")
        if call.caller_name:
            line.append(f"{plain(call.caller_name, 12)} ")
        line.append(f"{tr('calls.line', self.lang, line=plain(call.line, 8))} ")
        line.append(tr("calls.rang", self.lang, span=span(call.ringing_for(now))), style="bold")
        history = self._history(call)
        if history:
            line.append(f" · {history}")
        return line

    def missed_line(self, missed: list[FeedCall]) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis", style="dim")
        line.append(tr("calls.missed", self.lang, n=len(missed)))
        items = []
        for call in missed:
            at = self.words.time(call.since)[:5]
            no = self.missed_no(call)
            items.append(f"{f'#{no} ' if no else ''}{self.words.drill_mark(call.drill)}{self._phone(call)} {at}"
                         f" {tr('calls.missed.' + call.reason, self.lang)}")
        line.append(" · ".join(items))
        if self.feed is not None and self.feed.bad_lines:
            line.append(" " + tr("calls.bad_lines", self.lang, n=self.feed.bad_lines))
        return line

    def lines(self) -> list[Text]:
        """What the panel shows now: ringing calls oldest first, then the recent missed ones."""
        if self.feed is None:
            return []
        now = self.now()
        ringing = self.feed.ringing()
        out: list[Text] = []
        if self.error:
            out.append(Text(tr("calls.feed_error", self.lang, error=self.error), style="bold red",
                            no_wrap=True, overflow="ellipsis"))
        room = MAX_LINES - len(out)
        if len(ringing) > room:
            out += [self.ringing_line(c, now) for c in ringing[: room - 1]]
            out.append(Text(tr("calls.more", self.lang, n=len(ringing) - room + 1), style="bold",
                            no_wrap=True, overflow="ellipsis"))
        else:
            out += [self.ringing_line(c, now) for c in ringing]
        # with a phone log, a missed call stays until it is called back or dismissed;
        # without one (a bare feed), this session's missed calls of the last minutes
        missed = (self.feed.owed() if self.feed.log is not None
                  else self.feed.missed(since=now - MISSED_VISIBLE))
        if missed and len(out) < MAX_LINES:
            out.append(self.missed_line(missed))
        live = {c.call_ref for c in ringing}
        for ref in [r for r in self.summaries if r not in live]:
            del self.summaries[ref]
        return out

    def _shown_key(self) -> tuple[object, ...]:
        """What the panel's lines depend on: the feed read so far, the calls ringing and owed,
        the store (the phone log), and the clock to the second while something rings (its
        "rang 0:12" moves) or to the minute otherwise (missed calls age off the bare feed)."""
        feed = self.feed
        if feed is None:
            return ()
        now = self.now()
        ringing = bool(feed.tracker.ringing)
        return (feed.reader.offset, feed.reader.bad_lines, tuple(feed.tracker.ringing), len(feed.tracker.missed),
                self.error, self.services.store.change_stamp(),
                now.replace(microsecond=0) if ringing else now.replace(second=0, microsecond=0))

    def show(self) -> None:
        """Repaint only when what the panel says changed: an idle panel costs a comparison."""
        key = self._shown_key()
        if key == self._key and key:
            return
        self._key = key
        lines = self.lines()
        shown = [(t.plain, t.spans) for t in lines]
        if shown == self._shown:
            return
        self._shown = shown
        self.display = bool(lines)
        if lines:
            self.update(Text("\n").join(lines))
