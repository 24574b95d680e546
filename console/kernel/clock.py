"""The one clock.

Nothing else in the project calls ``datetime.now()``: services receive a ``Clock`` so tests
and training runs can move time by hand, and every deadline is computed against it.
All instants are timezone-aware UTC; the center's local zone is applied only when parsing
what a person typed and when formatting for display.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol

FIXED_CLOCK_ENV = "LINKAGE_NOW"


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; used by tests, drills and the simulator."""

    def __init__(self, start: datetime | str) -> None:
        self._now = parse_instant(start) if isinstance(start, str) else to_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime | str) -> None:
        self._now = parse_instant(instant) if isinstance(instant, str) else to_utc(instant)

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0) -> datetime:
        self._now += timedelta(seconds=seconds, minutes=minutes, hours=hours)
        return self._now


def to_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: every instant must carry its zone")
    return instant.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 instant with an offset (``Z`` allowed) into UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return to_utc(value)


def iso(instant: datetime) -> str:
    """The one text form of an instant in the store and in ``--json``: UTC, milliseconds."""
    return to_utc(instant).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stored(instant: datetime) -> datetime:
    """An instant exactly as it reads back from the store (UTC, milliseconds)."""
    return parse_instant(iso(instant))


def clock_from_env() -> Clock:
    """A fixed clock when ``LINKAGE_NOW`` is set (scripted tests, demos), else the system's."""
    fixed = os.environ.get(FIXED_CLOCK_ENV)
    return FakeClock(fixed) if fixed else SystemClock()
