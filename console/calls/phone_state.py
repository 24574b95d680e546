"""The seat's phone state, kept in the database so a restart forgets nothing.

Which calls rang at this seat, how each ended (answered here, answered elsewhere, missed),
and which missed calls the center still owes a call back. A missed call stays listed until it
is called back (one key opens the intake form with its number) or dismissed.

Why seat-local rows rather than events: this is a mirror of the switch's own log (the feed
file, docs/call-feed.md), not a decision of the center. Every seat reads the switch, so every
seat already sees the same rings and hang-ups; events would only copy them to the city server
a second time. What the center *decides* about a call (the incident, the transfer, the orders)
is still an event, written by intake. So, like ``drafts``, these rows are committed durably on
every change (WAL, synchronous=FULL) and never synced. The table is ``phone_calls``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from console.kernel.clock import iso, parse_instant
from console.kernel.errors import BadInput, NotFound
from console.store.transaction import Store

#: The ``seat_settings`` key holding where the call feed was last read (console/calls/feed_tail.py).
FEED_POSITION_KEY = "callfeed.position"

#: How a missed call was settled.
SETTLED = ("called_back", "dismissed")


@dataclass(frozen=True)
class PhoneCall:
    """One row: a call as this seat knows it."""

    no: int
    call_ref: str
    phone: str
    caller_name: str
    line: str
    rang_at: datetime
    state: str                    # ringing | answered | answered_elsewhere | missed
    reason: str                   # missed: timeout | abandoned
    ended_at: datetime | None
    settled_at: datetime | None
    settled_how: str              # "" | called_back | dismissed
    drill: bool
    say: str

    @property
    def owed(self) -> bool:
        """A missed call nobody has called back or dismissed yet."""
        return self.state == "missed" and not self.settled_how

    def to_json(self) -> dict[str, object]:
        return {"no": self.no, "call_ref": self.call_ref, "phone": self.phone,
                "caller_name": self.caller_name, "line": self.line, "rang_at": iso(self.rang_at),
                "state": self.state, "reason": self.reason,
                "ended_at": iso(self.ended_at) if self.ended_at else None,
                "settled_at": iso(self.settled_at) if self.settled_at else None,
                "settled_how": self.settled_how, "drill": self.drill}


def _row(r: sqlite3.Row) -> PhoneCall:
    return PhoneCall(
        no=r["rowid"], call_ref=r["call_ref"], phone=r["phone"], caller_name=r["caller_name"],
        line=r["line"], rang_at=parse_instant(r["rang_at"]), state=r["state"], reason=r["reason"],
        ended_at=parse_instant(r["ended_at"]) if r["ended_at"] else None,
        settled_at=parse_instant(r["settled_at"]) if r["settled_at"] else None,
        settled_how=r["settled_how"], drill=bool(r["drill"]), say=r["say"])


_SELECT = "SELECT rowid, * FROM phone_calls"


class PhoneLog:
    """Reads and writes ``phone_calls``; each write is its own short durable transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _write(self, sql: str, params: tuple[object, ...]) -> int:
        """A ``--read-only`` view shows the phones but records nothing of them (the seat's own
        console keeps the phone state and the feed position), instead of failing each write."""
        if self.store.read_only:
            return 0
        return self.store.write_local(sql, params)

    def rang(self, call_ref: str, phone: str, caller_name: str, line: str, at: datetime,
             *, drill: bool = False, say: str = "") -> None:
        self._write(
            "INSERT OR IGNORE INTO phone_calls (call_ref, phone, caller_name, line, rang_at, state,"
            " drill, say) VALUES (?, ?, ?, ?, ?, 'ringing', ?, ?)",
            (call_ref, phone, caller_name, line, iso(at), 1 if drill else 0, say))

    def feed_position(self) -> str | None:
        """Where the last session stopped reading the call feed (``FeedPosition.to_text``)."""
        row = self.store.one("SELECT value FROM seat_settings WHERE key = ?", (FEED_POSITION_KEY,))
        return str(row[0]) if row is not None else None

    def save_feed_position(self, text: str) -> None:
        """Seat-local like the rest of the phone state: the switch's file is this seat's."""
        self._write(
            "INSERT INTO seat_settings (key, value, set_at, operator) VALUES (?, ?, '', '')"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (FEED_POSITION_KEY, text))

    def ended(self, call_ref: str, state: str, at: datetime, reason: str = "") -> None:
        """A ringing call stopped ringing: answered here or elsewhere, or missed."""
        self._write("UPDATE phone_calls SET state = ?, reason = ?, ended_at = ?"
                    " WHERE call_ref = ? AND state = 'ringing'", (state, reason, iso(at), call_ref))

    def settle(self, ref: str | int, how: str, at: datetime) -> PhoneCall:
        """Called back or dismissed: the missed call leaves the list (the row stays)."""
        call = self.get(ref)
        if not call.owed:
            raise BadInput("missed.settled", zh="未接来电 {no} 已处理（{how}）",
                           en="missed call {no} was already dealt with ({how})", no=call.no,
                           how=call.settled_how or call.state)
        self._write("UPDATE phone_calls SET settled_at = ?, settled_how = ? WHERE call_ref = ?",
                    (iso(at), how, call.call_ref))
        return self.get(call.call_ref)

    def get(self, ref: str | int) -> PhoneCall:
        key = str(ref).strip().lstrip("#")
        row = self.store.one(_SELECT + " WHERE call_ref = ?", (key,))
        if row is None and key.isdigit():
            row = self.store.one(_SELECT + " WHERE rowid = ?", (int(key),))
        if row is None:
            raise NotFound("missed.not_found", zh="找不到未接来电 {ref}", en="no missed call {ref}",
                           ref=key[:40])
        return _row(row)

    def ringing(self) -> list[PhoneCall]:
        return [_row(r) for r in self.store.all(_SELECT + " WHERE state = 'ringing' ORDER BY rang_at")]

    def owed(self) -> list[PhoneCall]:
        """Missed calls still owed a call back, the one waiting longest first."""
        return [_row(r) for r in self.store.all(
            _SELECT + " WHERE state = 'missed' AND settled_how = '' ORDER BY rang_at")]

    def known(self, limit: int = 2000) -> set[str]:
        """Refs whose ring is over (answered, missed): a feed line about them never rings again."""
        return {r[0] for r in self.store.all(
            "SELECT call_ref FROM phone_calls WHERE state != 'ringing' ORDER BY rang_at DESC"
            " LIMIT ?", (limit,))}
