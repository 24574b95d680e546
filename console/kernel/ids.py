"""UUIDv7 event and record ids.

Ids are made by the seat (no server round trip) and sort by creation time, so a re-sent event
is recognised by id forever and the event log's natural order is its id order.
"""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_clock_high = 0  # the latest clock reading ids were made from (never moved by observe)
_MAX_MS = (1 << 48) - 1  # a UUIDv7 has 48 bits of milliseconds (until the year 10889)
# How far ahead of "now" an id may be: the city server refuses ids beyond it, and a seat never
# lets an id it pulled drag its own id clock further (docs/sync-protocol.md, "Ids and clocks").
DEFAULT_SKEW_MS = 10 * 60 * 1000


def uuid7(unix_ms: int) -> str:
    """A UUIDv7 for ``unix_ms``; monotonic within the process even when the clock stalls."""
    global _last_ms, _counter, _clock_high
    with _lock:
        _clock_high = max(_clock_high, unix_ms)
        if unix_ms > _last_ms:
            _last_ms = unix_ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        else:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & 0x3FFFFFFFFFFFFFFF
    value = (ms & 0xFFFFFFFFFFFF) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    # the canonical 8-4-4-4-12 text, as str(uuid.UUID(int=value)) gives, without the object
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def observe(unix_ms: int, limit: int | None = None) -> bool:
    """Move the id clock past ``unix_ms``: ids made after this sort above one seen with it.

    Like a hybrid logical clock's receive step, so an action taken after seeing another
    seat's event always carries the larger id, whatever the two wall clocks say. An id beyond
    ``limit`` (see ``horizon``) is ignored (False): one event stamped in the far future must
    not carry every later id of this seat there, nor past the 48 bits an id has for its time,
    where they would wrap to 1970 and lose every last-writer-wins comparison.
    """
    global _last_ms, _counter
    if unix_ms > _MAX_MS or (limit is not None and unix_ms > limit):
        return False
    with _lock:
        if unix_ms >= _last_ms:
            _last_ms = unix_ms
            _counter = 0xFFF  # the next id moves to unix_ms + 1 or beyond
    return True


def horizon(now_ms: int, skew_ms: int = DEFAULT_SKEW_MS) -> int:
    """The latest id time this process takes as plausible: ``skew_ms`` past now.

    "Now" is the clock, or the latest clock reading ids were already made from if that is
    later (a clock set back, or a fake clock in tests while other ids use the real one), so
    this process never takes its own ids for future ones.
    """
    with _lock:
        return max(now_ms, _clock_high) + skew_ms
