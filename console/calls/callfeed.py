"""The call feed: ringing calls from the phone system, read from a JSON-lines file.

A PBX/CTI adapter (not ours) appends one JSON object per line to a local file
(docs/call-feed.md): ``ring``, ``answered`` and ``hangup`` events keyed by the adapter's
``call_ref``. A file is the simplest durable hand-off: any language can append to it, nothing
has to be running on our side, and the console can restart without the adapter noticing.

``FeedReader`` tails the file from a byte offset and only ever consumes complete lines (the
adapter may be half-way through writing the last one); a line it cannot read is skipped and
counted, never fatal. ``CallTracker`` turns the events into the calls that are ringing now and
the ones recently missed. ``CallFeed`` joins the two. Time comes only from the injected clock;
this module never sleeps and has no UI.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from console.calls.feed_tail import MAX_LINE_BYTES, FeedPosition, FeedTail
from console.calls.phone_state import PhoneCall, PhoneLog
from console.kernel.clock import iso, parse_instant
from console.kernel.errors import BadInput
from console.kernel.inputs import parse_phone

#: Simulated and drill callers use numbers no real subscriber has (…0000…), so a rehearsal
#: can never be mistaken for, or call back, a real person.
FICTIONAL_MOBILE = re.compile(r"1[3-9]\d0000\d{4}")


def to_ms(instant: datetime) -> datetime:
    """Feed lines carry milliseconds: the event in memory equals the one read back."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)

FEED_VERSION = 1
EVENT_TYPES = ("ring", "answered", "hangup")
FEED_FILE_NAME = "callfeed.jsonl"

# On start only the end of the file is read: a ring older than the timeout is stale anyway,
# and no center receives anywhere near this many bytes of events within one timeout.
CATCH_UP_BYTES = 256 * 1024
MAX_REF_CHARS = 128
MAX_TEXT_CHARS = 500             # caller_name, say, line
MISSED_KEPT = 20
# A ring's "at" is trusted when the adapter's clock agrees with ours; a ring stamped in the
# future, or already older than the timeout when it first appears, rings from when we saw it.
_CONTROL = dict.fromkeys([*range(0x00, 0x20), 0x7F], " ")


class FeedLineError(ValueError):
    """One line of the feed that cannot be used; the reader skips and counts it."""


@dataclass(frozen=True)
class FeedEvent:
    type: str             # ring | answered | hangup
    call_ref: str
    phone: str            # canonical digits, "" when withheld, else the adapter's text as-is
    line: str
    at: datetime
    caller_name: str = ""
    say: str = ""         # training and simulation only: what the caller will say
    drill: bool = False   # a drill script's call (演练): the incident made from it is a drill

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"v": FEED_VERSION, "type": self.type, "call_ref": self.call_ref,
                                "phone": self.phone, "line": self.line, "at": iso(self.at)}
        if self.caller_name:
            data["caller_name"] = self.caller_name
        if self.say:
            data["say"] = self.say
        if self.drill:
            data["drill"] = True
        return data

    def to_line(self) -> str:
        """The event as one feed line, newline included (UTF-8 text, not \\u escapes)."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"


def _text(value: Any, name: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise FeedLineError(f"{name} must be a string")
    value = value.translate(_CONTROL).strip()
    if required and not value:
        raise FeedLineError(f"{name} is missing")
    return value[:MAX_TEXT_CHARS]


def clean_phone(raw: str) -> str:
    """Canonical digits when the number parses; otherwise the adapter's text, kept as data.

    A ring is never dropped because its number looks unusual (a short service number, a
    foreign number): the call-taker still has to answer it.
    """
    try:
        return parse_phone(raw) if raw else ""
    except BadInput:
        return raw[:32]


def parse_line(raw: bytes | str) -> FeedEvent:
    """One feed line → a ``FeedEvent``; ``FeedLineError`` says what is wrong with it."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FeedLineError("not UTF-8") from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise FeedLineError(f"not JSON ({exc.args[0] if exc.args else exc})") from exc
    if not isinstance(data, dict):
        raise FeedLineError("not a JSON object")
    if data.get("v") != FEED_VERSION:
        raise FeedLineError(f"unsupported version v={data.get('v')!r}")
    kind = data.get("type")
    if kind not in EVENT_TYPES:
        raise FeedLineError(f"unknown type {kind!r}")
    ref = _text(data.get("call_ref"), "call_ref", required=True)
    if len(ref) > MAX_REF_CHARS:
        raise FeedLineError("call_ref too long")
    at = data.get("at")
    if not isinstance(at, str):
        raise FeedLineError("at must be an ISO-8601 instant")
    try:
        instant = parse_instant(at)
    except ValueError as exc:
        raise FeedLineError(f"bad instant {at[:40]!r} (an offset or Z is required)") from exc
    return FeedEvent(
        type=kind, call_ref=ref, phone=clean_phone(_text(data.get("phone"), "phone")),
        line=_text(data.get("line"), "line"), at=instant,
        caller_name=_text(data.get("caller_name"), "caller_name"), say=_text(data.get("say"), "say"),
        drill=data.get("drill") is True,
    )


# -- reading the file -------------------------------------------------------------------------
class FeedReader:
    """Tails one feed file (``console/calls/feed_tail.py`` follows the file: growth, rotation,
    a saved position) and parses what it hands out; a bad line is counted, never fatal."""

    def __init__(self, path: Path) -> None:
        self.tail = FeedTail(path)
        self.bad_lines = 0
        self.last_error = ""
        self.lines_read = 0

    @property
    def path(self) -> Path:
        return self.tail.path

    @property
    def offset(self) -> int:
        return self.tail.offset

    def start_at_tail(self, window: int = CATCH_UP_BYTES) -> None:
        """Begin near the end of the file (first poll after start); a cut line is dropped."""
        self.tail.start_at_tail(window)

    def read(self) -> list[FeedEvent]:
        """Every complete line appended since the last read, parsed; bad lines are counted."""
        too_long = self.tail.too_long
        raws = self.tail.read_lines()
        events: list[FeedEvent] = []
        for _ in range(self.tail.too_long - too_long):
            self._bad("line too long")
        for raw in raws:
            self.lines_read += 1
            if len(raw) > MAX_LINE_BYTES:
                self._bad("line too long")
                continue
            try:
                events.append(parse_line(raw))
            except FeedLineError as exc:
                self._bad(str(exc))
        return events

    def _bad(self, reason: str) -> None:
        self.bad_lines += 1
        self.last_error = reason


# -- ringing calls ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedCall:
    """A call from the feed as the console sees it."""

    call_ref: str
    phone: str
    line: str
    since: datetime                 # when it started ringing
    caller_name: str = ""
    say: str = ""
    state: str = "ringing"          # ringing | answered | missed
    reason: str = ""                # missed: "timeout" or "abandoned" (caller hung up first)
    ended_at: datetime | None = None
    drill: bool = False             # from a drill script: answering it makes a drill incident

    def ringing_for(self, now: datetime) -> timedelta:
        return max(timedelta(0), (self.ended_at or now) - self.since)


@dataclass
class CallTracker:
    """Which calls ring now; what was missed. Fed events, asked with an explicit ``now``."""

    ring_timeout: timedelta
    missed_kept: int = MISSED_KEPT
    ringing: dict[str, FeedCall] = field(default_factory=dict)
    missed: deque[FeedCall] = field(init=False)
    stale_skipped: int = 0
    _done: deque[str] = field(default_factory=lambda: deque(maxlen=500), repr=False)
    #: (call, state, at, reason) for every ring that stopped ringing since the last drain:
    #: what ``CallFeed`` writes to the seat's phone log.
    ended: list[tuple[FeedCall, str, datetime, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.missed = deque(maxlen=self.missed_kept)

    def apply(self, event: FeedEvent, now: datetime, *, catching_up: bool = False) -> FeedCall | None:
        """Apply one event; returns the call when it is a new ring (the UI rings the bell)."""
        ref = event.call_ref
        if event.type == "ring":
            if ref in self.ringing or ref in self._done:
                return None                              # a repeated ring line
            age = now - event.at
            if catching_up and age > self.ring_timeout:
                self.stale_skipped += 1                  # rang before we started: not ours to ring
                return None
            plausible = timedelta(0) <= age <= self.ring_timeout or catching_up
            since = min(event.at, now) if plausible else now
            call = FeedCall(ref, event.phone, event.line, since, event.caller_name, event.say,
                            drill=event.drill)
            self.ringing[ref] = call
            return call
        ended = self.ringing.pop(ref, None)
        self._done.append(ref)
        if ended is not None and event.type == "hangup":
            # The caller gave up before anyone answered: a call-back is owed.
            missed = replace(ended, state="missed", reason="abandoned",
                             ended_at=max(event.at, ended.since))
            self.missed.appendleft(missed)
            self.ended.append((missed, "missed", missed.ended_at or now, "abandoned"))
        elif ended is not None:
            self.ended.append((ended, "answered_elsewhere", max(event.at, ended.since), ""))
        return None

    def expire(self, now: datetime) -> list[FeedCall]:
        """Rings past the timeout become missed calls; returns them."""
        late = [c for c in self.ringing.values() if now - c.since >= self.ring_timeout]
        for call in late:
            del self.ringing[call.call_ref]
            self._done.append(call.call_ref)
            missed = replace(call, state="missed", reason="timeout",
                             ended_at=call.since + self.ring_timeout)
            self.missed.appendleft(missed)
            self.ended.append((missed, "missed", call.since + self.ring_timeout, "timeout"))
        return late

    def oldest(self) -> FeedCall | None:
        return min(self.ringing.values(), key=lambda c: c.since, default=None)

    def answer(self, call_ref: str | None = None, now: datetime | None = None) -> FeedCall | None:
        """Answered at this seat (F6): the oldest ringing call unless one is named."""
        call = self.ringing.get(call_ref) if call_ref else self.oldest()
        if call is None:
            return None
        del self.ringing[call.call_ref]
        self._done.append(call.call_ref)
        answered = replace(call, state="answered")
        self.ended.append((answered, "answered", now or call.since, ""))
        return answered

    def restore(self, ringing: Iterable[FeedCall], missed: Iterable[FeedCall], done: Iterable[str]) -> None:
        """Start from what the seat's phone log kept over a restart: calls still ringing,
        missed calls still owed a call back, and refs whose ring is over (never ring again)."""
        for call in ringing:
            self.ringing.setdefault(call.call_ref, call)
        for call in sorted(missed, key=lambda c: c.since):
            self.missed.appendleft(call)
        self._done.extend(done)

    def ringing_calls(self) -> list[FeedCall]:
        """Oldest first: the one waiting longest is answered first."""
        return sorted(self.ringing.values(), key=lambda c: c.since)


class CallFeed:
    """A reader and a tracker for one seat session; call ``poll()`` about once a second.

    With a ``log`` (console/calls/phone_state.py) the phone state outlives the session: every ring,
    answer and missed call is written as it happens, and the next session starts from it, so
    a call answered here does not ring again after a restart and a missed call stays listed
    until it is called back or dismissed."""

    def __init__(self, path: Path, now: Callable[[], datetime], ring_timeout: timedelta,
                 *, missed_kept: int = MISSED_KEPT, log: PhoneLog | None = None) -> None:
        self.reader = FeedReader(path)
        self.tracker = CallTracker(ring_timeout, missed_kept)
        self.now = now
        self.log = log
        self._started = False
        self._behind = False
        self._saved: FeedPosition | None = None

    @property
    def path(self) -> Path:
        return self.reader.path

    @property
    def bad_lines(self) -> int:
        return self.reader.bad_lines

    def poll(self) -> tuple[list[FeedCall], list[FeedCall]]:
        """Read what was appended, expire old rings; returns (new rings, newly missed).

        The first poll catches up: from the position the last session saved in the phone log
        (nothing read twice, nothing appended meanwhile lost), else from the file's last
        ``CATCH_UP_BYTES``; it goes on catching up (old rings do not ring) while a backlog
        larger than one read is being worked through."""
        catching_up = not self._started or self._behind
        if not self._started:
            self._restore()
            saved = self.log.feed_position() if self.log is not None else None
            position = FeedPosition.from_text(saved) if saved else None
            if position is None or not self.reader.tail.resume(position):
                self.reader.start_at_tail()
            self._started = True
        now = self.now()
        new = [c for e in self.reader.read()
               if (c := self.tracker.apply(e, now, catching_up=catching_up)) is not None]
        self._behind = catching_up and self.reader.tail.more
        self._save_position()
        late = self.tracker.expire(now)
        fresh = [c for c in new if c.call_ref in self.tracker.ringing]
        if self.log is not None:
            for call in new:
                self.log.rang(call.call_ref, call.phone, call.caller_name, call.line, call.since,
                              drill=call.drill, say=call.say)
        self._write_ended()
        return fresh, late

    def _save_position(self) -> None:
        """Where reading stopped, kept in the phone log when it moved (a write per read that
        consumed something, never per idle poll)."""
        position = self.reader.tail.position()
        if self.log is None or position is None or position == self._saved:
            return
        self.log.save_feed_position(position.to_text())
        self._saved = position

    def close(self) -> None:
        self.reader.tail.close()

    def _restore(self) -> None:
        if self.log is None:
            return
        self.tracker.restore([_feed_call(c) for c in self.log.ringing()],
                             [_feed_call(c) for c in self.log.owed()], self.log.known())

    def _write_ended(self) -> None:
        ended, self.tracker.ended = self.tracker.ended, []
        if self.log is None:
            return
        for call, state, at, reason in ended:
            self.log.rang(call.call_ref, call.phone, call.caller_name, call.line, call.since,
                          drill=call.drill, say=call.say)
            self.log.ended(call.call_ref, state, at, reason)

    def owed(self) -> list[FeedCall]:
        """Missed calls still owed a call back, the one waiting longest first: from the
        phone log when there is one (they survive restarts), else this session's."""
        if self.log is None:
            return sorted(self.tracker.missed, key=lambda c: c.since)
        return [_feed_call(c) for c in self.log.owed()]

    def ringing(self) -> list[FeedCall]:
        return self.tracker.ringing_calls()

    def missed(self, since: datetime | None = None) -> list[FeedCall]:
        """Missed calls, newest first; only those that ended after ``since`` if given."""
        return [c for c in self.tracker.missed
                if since is None or (c.ended_at is not None and c.ended_at >= since)]

    def answer(self, call_ref: str | None = None) -> FeedCall | None:
        call = self.tracker.answer(call_ref, self.now())
        self._write_ended()
        return call


def _feed_call(c: PhoneCall) -> FeedCall:
    return FeedCall(c.call_ref, c.phone, c.line, c.rang_at, c.caller_name, c.say,
                    state=c.state if c.state != "answered_elsewhere" else "answered",
                    reason=c.reason, ended_at=c.ended_at, drill=c.drill)


def feed_path(configured: str, db_path: str | Path) -> Path | None:
    """Where the feed is: ``[callfeed] path``, else ``callfeed.jsonl`` beside the database.

    A relative configured path is taken relative to the database's directory; an in-memory
    database without a configured path has no feed.
    """
    if configured.strip():
        path = Path(configured).expanduser()
        if path.is_absolute():
            return path
        if str(db_path) == ":memory:":
            return path
        return Path(db_path).parent / path
    if str(db_path) == ":memory:":
        return None
    return Path(db_path).parent / FEED_FILE_NAME


def append_events(path: Path, events: Iterable[FeedEvent]) -> int:
    """Append complete lines (one ``write`` each, O_APPEND), as an adapter must; returns bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        for event in events:
            written += fh.write(event.to_line())
            fh.flush()
    return written
