"""Connection hygiene for ``linkage serve``: header and body read timeouts, a connection cap.

Why a protocol subclass: uvicorn 0.54 has no header-read timeout at all (its keep-alive timer
is armed only *after* a response, so a connection that never completes a request head is kept
for ever), no body-read timeout, and ``limit_concurrency`` answers 503 only to a request whose
head has been read, which a slowloris client never finishes. Meanwhile every open connection
holds a file descriptor: 1,100 clients dribbling a header line every 2 s exhaust a 1,024-fd
limit, ``accept()`` fails with EMFILE and real seats time out. So the three guards live here,
at the socket level, around uvicorn's own httptools protocol:

* **Header timeout**: a request head (request line and headers) must be complete within
  ``header_timeout`` seconds of the connection opening or of the request's first byte;
  otherwise the server answers 408 and closes.
* **Body timeout**: once the head is in, the body must keep coming: no gap longer than
  ``body_idle_timeout`` and all of it within ``body_timeout``; otherwise the connection is
  closed (the app sees a disconnect and stores nothing).
* **Connection cap** (below the fd limit): when a new connection would exceed
  ``max_connections``, the oldest connection that is *waiting for a request head* (new, or
  idle on keep-alive) is closed to make room; such a connection has cost the server nothing
  and is what a slowloris holds, while a seat sends its whole head within milliseconds of
  connecting. Only when every connection is busy with a request is the newcomer refused (503).
  With the cap below the fd limit, ``accept()`` never runs out of descriptors.

The accept loop takes at most ``backlog`` connections at a time before any of them is seen
here, so ``max_connections + backlog`` plus the process's own files must stay below the fd
limit: ``default_cap`` leaves that room.
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

BACKLOG = 128  # listen queue and the accept loop's batch (uvicorn's ``backlog``)
RESERVED_FDS = 64  # the store (db, -wal, -shm), stdio, the listening socket, epoll, pipes …

_TIMEOUT_408 = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 16\r\n"
                b"connection: close\r\n\r\nrequest timeout\n")
_FULL_503 = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nretry-after: 1\r\n"
             b"content-length: 12\r\nconnection: close\r\n\r\nserver full\n")


def default_cap() -> int:
    """Connections allowed at once: the fd soft limit less the accept batch and our own files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 65536
    return max(16, int(soft) - BACKLOG - RESERVED_FDS)


@dataclass
class Limits:
    """The guard's settings and its shared bookkeeping (one per server)."""

    max_connections: int
    header_timeout: float = 10.0
    body_idle_timeout: float = 10.0
    body_timeout: float = 60.0
    # connections waiting for a request head, oldest first (a dict keeps insertion order)
    waiting: dict[Any, None] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=lambda: {"header_timeout": 0, "body_timeout": 0,
                                                              "evicted": 0, "refused": 0})


def guarded_protocol(limits: Limits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the guards above, bound to ``limits``."""

    class GuardedProtocol(HttpToolsProtocol):
        _timer: asyncio.TimerHandle | None = None
        _body_started = 0.0

        # -- connection ---------------------------------------------------------------------
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections and not self._evict_one():
                limits.dropped["refused"] += 1
                transport.write(_FULL_503)
                transport.close()
                return
            self._await_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            limits.waiting.pop(self, None)
            super().connection_lost(exc)

        def _evict_one(self) -> bool:
            for victim in limits.waiting:
                if victim is not self:
                    limits.waiting.pop(victim)
                    limits.dropped["evicted"] += 1
                    victim._cancel()
                    victim.transport.abort()  # frees its descriptor now; nothing to flush
                    return True
            return False

        # -- the request head ----------------------------------------------------------------
        def _await_head(self) -> None:
            """Start the head clock (once per request) and make this connection evictable."""
            if self._timer is None:
                self._timer = self.loop.call_later(limits.header_timeout, self._head_timed_out)
            limits.waiting.pop(self, None)  # to the young end: the oldest waiter is evicted first
            limits.waiting[self] = None

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self.transport is not None and not self.transport.is_closing():
                # the first byte of a request on a kept-alive connection starts its head clock
                self._await_head()

        def on_headers_complete(self) -> None:
            self._cancel()
            limits.waiting.pop(self, None)
            self._body_started = time.monotonic()
            self._timer = self.loop.call_later(limits.body_idle_timeout, self._body_timed_out)
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            self._cancel()
            left = limits.body_timeout - (time.monotonic() - self._body_started)
            self._timer = self.loop.call_later(max(0.0, min(limits.body_idle_timeout, left)),
                                               self._body_timed_out)
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._cancel()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                # idle on keep-alive: uvicorn's keep-alive timer closes it; evictable meanwhile
                limits.waiting.pop(self, None)
                limits.waiting[self] = None

        # -- timers --------------------------------------------------------------------------
        def _cancel(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _head_timed_out(self) -> None:
            self._timer = None
            limits.waiting.pop(self, None)
            if not self.transport.is_closing():
                limits.dropped["header_timeout"] += 1
                self.transport.write(_TIMEOUT_408)
                self.transport.close()

        def _body_timed_out(self) -> None:
            self._timer = None
            if not self.transport.is_closing():
                limits.dropped["body_timeout"] += 1
                self.transport.close()  # the app's receive() now reports a disconnect

    return GuardedProtocol
