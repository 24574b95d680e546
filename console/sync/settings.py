"""This seat's sync settings, apart from the client so reading them loads no HTTP stack.

The console asks for them on every start; only a configured seat goes on to load httpx.
"""

from __future__ import annotations

from dataclasses import dataclass

# protocol.MAX_BATCH_EVENTS and MAX_PULL_LIMIT, written out: importing the protocol loads the
# event schemas (msgspec), which the console's start does not need (tests/test_start_path.py
# checks the two agree; the client clamps to the protocol's limits anyway)
MAX_BATCH_EVENTS = 500
MAX_PULL_LIMIT = 1000


@dataclass(frozen=True)
class SyncSettings:
    server: str
    token: str
    county: str
    seat: str
    deadline_s: float = 15.0
    batch_events: int = MAX_BATCH_EVENTS
    page_events: int = MAX_PULL_LIMIT
    interval_s: float = 5.0
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    include_drills: bool = False   # re-queue drill (演练) events too after a server restore
    held_pulls: bool = True        # wait on the server between passes when it offers (long-poll)
