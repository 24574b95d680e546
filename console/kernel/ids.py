"""UUIDv7 event and record ids.

Ids are made by the seat (no server round trip) and sort by creation time, so a re-sent event
is recognised by id forever and the event log's natural order is its id order.
"""

from __future__ import annotations

import os
import threading
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(unix_ms: int) -> str:
    """A UUIDv7 for ``unix_ms``; monotonic within the process even when the clock stalls."""
    global _last_ms, _counter
    with _lock:
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
    return str(uuid.UUID(int=value))


def observe(unix_ms: int) -> None:
    """Move the id clock past ``unix_ms``: ids made after this sort above one seen with it.

    Like a hybrid logical clock's receive step, so an action taken after seeing another
    seat's event always carries the larger id, whatever the two wall clocks say.
    """
    global _last_ms, _counter
    with _lock:
        if unix_ms >= _last_ms:
            _last_ms = unix_ms
            _counter = 0xFFF  # the next id moves to unix_ms + 1 or beyond
