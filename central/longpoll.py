"""Held pulls (long-poll): a pull with ``wait=N`` that finds nothing new waits for a push.

Why: a seat that polls every 5 s makes 24 requests a minute while idle and still shows
another seat's incident seconds late. A held pull costs one request per ``wait`` seconds and
answers as soon as a push to its county commits (docs/sync-protocol.md, "Held pulls").

How, and what bounds it:

* The push endpoint calls ``wake(county)`` after its transaction commits; each held pull
  waits on its county's ``asyncio.Event``. The server runs one event loop, so this
  in-process notification needs no lock. A held pull also looks at the store again every
  ``RECHECK_S``, so a write that did not come through this process's push (another server
  process over a shared store, a CLI import) is still seen, only later.
* While it holds, the server sends one space every ``BEAT_S`` (leading whitespace is valid
  JSON): the seat's read timeout then tells a silent or vanished server from a quiet county
  within its deadline, and a pull whose seat went away is noticed by the next write at the
  latest.
* Held pulls are counted per client address and in all (``Holds``); beyond either limit the
  pull is answered at once, as an ordinary pull, so a held request can never crowd out the
  connection cap of ``central/guard.py``. A held request has sent its whole head, so the
  guard's header and body timers are already done with it.

Kept apart from the store: it only needs ``pull_json`` and knows nothing of SQL.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

MAX_WAIT_S = 25  # the longest a pull is held (``wait`` above this is refused as a bad query)
BEAT_S = 2.0  # a space this often while holding
RECHECK_S = 5.0  # look at the store anyway this often (writes that bypassed ``wake``)
PER_ADDRESS = 32  # held pulls per client address (a county's seats behind one NAT)
TOTAL = 256  # held pulls in all; ``linkage serve`` lowers it below its connection cap


@dataclass
class Holds:
    """The county wake-ups and the held-pull counts of one server."""

    per_address: int = PER_ADDRESS
    total: int = TOTAL
    beat_s: float = BEAT_S
    recheck_s: float = RECHECK_S
    waiters: dict[str, set[asyncio.Future[None]]] = field(default_factory=dict)
    by_address: dict[str, int] = field(default_factory=dict)
    held: int = 0
    closing: bool = False

    def close(self) -> None:
        """The server is stopping: every held pull answers now (uvicorn's graceful shutdown
        waits for open requests, and would otherwise wait out each one's ``wait``)."""
        self.closing = True
        for county in list(self.waiters):
            self.wake(county)

    def wake(self, county: str) -> None:
        """A push to ``county`` committed: every pull held for it looks again. One future per
        held pull, each resolved on its own loop (in-process test servers may run several)."""
        for waiter in self.waiters.pop(county, set()):
            with contextlib.suppress(RuntimeError):  # its loop is gone: nobody waits on it
                waiter.get_loop().call_soon_threadsafe(_resolve, waiter)

    def take(self, address: str) -> bool:
        """A place for one more held pull from ``address``, or False (answer at once)."""
        if self.held >= self.total or self.by_address.get(address, 0) >= self.per_address:
            return False
        self.held += 1
        self.by_address[address] = self.by_address.get(address, 0) + 1
        return True

    def give_back(self, address: str) -> None:
        self.held -= 1
        left = self.by_address.get(address, 1) - 1
        if left > 0:
            self.by_address[address] = left
        else:
            self.by_address.pop(address, None)

    async def hold(self, county: str, address: str, wait_s: float,
                   look: Callable[[], bytes | None], answer: Callable[[], bytes]) -> AsyncIterator[bytes]:
        """The body of a held pull: spaces while nothing is new, then the page.

        ``look`` returns the page if it has events, else None; ``answer`` the (empty) page
        when the wait is over. The place taken with ``take`` is given back however this ends
        (the page sent, the seat gone, the server stopping); it is taken here, when the body
        starts, so a body never started holds no place. Beyond a limit, the empty page at once.
        """
        if self.closing or not self.take(address):
            yield answer()
            return
        loop = asyncio.get_running_loop()
        end = loop.time() + wait_s
        next_look = loop.time() + self.recheck_s
        waiter = self._waiter(county, loop)  # before any look: a push after it resolves this
        try:
            while True:
                left = end - loop.time()
                if left <= 0 or self.closing:
                    yield answer()
                    return
                try:
                    await asyncio.wait_for(asyncio.shield(waiter), min(self.beat_s, left))
                    woken = True
                except TimeoutError:
                    woken = False
                if woken or loop.time() >= next_look:
                    if woken:
                        waiter = self._waiter(county, loop)
                    next_look = loop.time() + self.recheck_s
                    page = look()
                    if page is not None:
                        yield page
                        return
                if end - loop.time() > 0:
                    yield b" "  # the heartbeat; the waiter stays registered meanwhile
        finally:
            self._forget(county, waiter)
            self.give_back(address)

    def _waiter(self, county: str, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        waiter: asyncio.Future[None] = loop.create_future()
        self.waiters.setdefault(county, set()).add(waiter)
        return waiter

    def _forget(self, county: str, waiter: asyncio.Future[None]) -> None:
        held = self.waiters.get(county)
        if held is not None:
            held.discard(waiter)
            if not held:
                del self.waiters[county]


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
