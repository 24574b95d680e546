"""The pull half of the seat's sync client: pages of other seats' events, and held pulls.

A page is applied and the cursor moved in one local transaction (docs/sync-protocol.md,
"The seat's side"). A *held* pull (``wait=N``, "Held pulls") is how an idle seat hears of
another seat's work within a fraction of a second while making one request every ~25 s: the
server answers when a push to the county commits, and sends a space every 2 s meanwhile, so
the read timeout still tells a silent server from a quiet county within the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from console.kernel.clock import Clock, iso, parse_instant
from console.store.transaction import Store, select_in
from console.sync.protocol import MAX_PULL_LIMIT, check_event, from_wire
from console.sync.quarantine import refuse
from console.sync.report import PassReport, SyncError
from console.sync.settings import SyncSettings

SYNC_OPERATOR = "sync"
HOLD_S = 25  # the longest this seat asks the server to hold a pull
MIN_DEADLINE_S = 4.0  # below this the 2 s heartbeat would not fit in a read: poll instead
WATCH_POLL_S = 0.1  # how often a held pull looks for a local commit or a nudge


class Puller:
    """The pull side of ``SyncClient`` (console/sync/client.py), which provides the rest."""

    store: Store
    settings: SyncSettings
    clock: Clock
    should_stop: Callable[[], bool]
    #: seconds the server will hold a pull (0: it does not, or the deadline is too short);
    #: set by each hello
    hold_s: int = 0

    if TYPE_CHECKING:
        async def _call(self, client: httpx.AsyncClient, method: str, path: str, report: PassReport,
                        *, deadline: float | None = None, **kwargs: Any) -> dict[str, Any]: ...

        def _state_row(self) -> Any: ...

    def _note_hold(self, hello: dict[str, Any]) -> None:
        """What the server's hello says about held pulls (an older server says nothing)."""
        limits = hello.get("limits")
        wait = limits.get("max_pull_wait_seconds") if isinstance(limits, dict) else None
        if isinstance(wait, int) and not isinstance(wait, bool) and wait >= 1 \
                and self.settings.deadline_s >= MIN_DEADLINE_S and self.settings.held_pulls:
            self.hold_s = min(HOLD_S, wait)
        else:
            self.hold_s = 0

    # -- held pulls --------------------------------------------------------------------------
    async def _watch(self, client: httpx.AsyncClient, report: PassReport,
                     interrupted: Callable[[], bool]) -> None:
        """One held pull, then any further pages. Ends early (``report.interrupted``) when
        ``interrupted()`` turns true: this seat has something to push."""
        path = f"/v1/streams/{self.settings.county}/events"
        limit = max(1, min(self.settings.page_events, MAX_PULL_LIMIT))
        state = self._state_row()
        params = {"after": int(state["after_seq"]), "limit": limit, "wait": self.hold_s}
        started = time.monotonic()
        task = asyncio.ensure_future(self._call(client, "GET", path, report, params=params,
                                                deadline=self.hold_s + self.settings.deadline_s))
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=WATCH_POLL_S)
                if not task.done() and (interrupted() or self.should_stop()):
                    report.interrupted = True
                    return
            page = task.result()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        finished: dict[str, tuple[str, str]] = {}
        try:
            if not self._apply_page(page, state, report, finished):
                await self._pull_pages(client, report, path, limit, finished)
        finally:
            self._close_finished(finished)
        # an empty answer long before the wait was up: this server holds no pulls (now)
        report.unheld = not report.pulled and time.monotonic() - started < self.hold_s / 2

    # -- pages -------------------------------------------------------------------------------
    async def _pull_all(self, client: httpx.AsyncClient, report: PassReport) -> None:
        path = f"/v1/streams/{self.settings.county}/events"
        limit = max(1, min(self.settings.page_events, MAX_PULL_LIMIT))
        finished: dict[str, tuple[str, str]] = {}  # incident id → (id, time) of its latest closing step
        try:
            await self._pull_pages(client, report, path, limit, finished)
        finally:
            self._close_finished(finished)

    def _close_finished(self, finished: dict[str, tuple[str, str]]) -> None:
        """Close the incidents whose last open order was closed by another seat.

        A seat closes an incident when it records the step that closes its last open order; two
        seats closing the last two orders at once each still saw the other's open, so neither
        closed it. Once caught up (so a close that seat made arrives first, in the normal case),
        this seat closes what is now finished and still open, as ``sync``; a second close from
        another seat doing the same only repeats the status (last writer wins). An incident whose
        status was set after that step (a person reopened it) is left as the person left it.
        """
        if not finished:
            return
        from console.orders.dispatch import close_incident_if_done

        with self.store.transaction(self.settings.seat, SYNC_OPERATOR) as tx:
            for incident_id, (step_id, at) in sorted(finished.items()):
                row = tx.one("SELECT status, status_event FROM incidents WHERE id = ?", (incident_id,))
                if row is not None and row[0] == "open" and (row[1] or "") < step_id:
                    close_incident_if_done(tx, incident_id, parse_instant(at))

    async def _pull_pages(self, client: httpx.AsyncClient, report: PassReport, path: str, limit: int,
                          finished: dict[str, tuple[str, str]]) -> None:
        while True:
            state = self._state_row()
            after = int(state["after_seq"])
            page = await self._call(client, "GET", path, report, params={"after": after, "limit": limit})
            if self._apply_page(page, state, report, finished):
                return

    def _apply_page(self, page: dict[str, Any], state: Any, report: PassReport,
                    finished: dict[str, tuple[str, str]]) -> bool:
        """Apply one pulled page and move the cursor, in one local transaction; True when
        it was the last page (nothing more to pull now)."""
        after = int(state["after_seq"])
        events, next_after, high = _check_page(page, after)
        epoch = page.get("epoch")
        if state["epoch"] and isinstance(epoch, str) and epoch != state["epoch"]:
            raise SyncError("server_error", "the server's epoch changed during the pass")
        # an id may run ahead of this seat's clock by the server's clock lead plus the skew
        # the server allows; one further ahead was stamped by a broken clock or an attacker
        id_limit = self.store.id_horizon() + max(0, int(state["skew_ms"]))
        with self.store.transaction(self.settings.seat, SYNC_OPERATOR) as tx:
            have = _known_ids(tx.conn, [w["id"] for w in events])
            for wire in events:
                seq = wire.pop("seq")
                wire.pop("received_at", None)
                if wire["id"] in have:  # an echo of this seat's own push, or a repeat
                    if not have[wire["id"]]:  # its ack was lost: the server has it after all
                        tx.conn.execute("UPDATE events SET server_seq = ? WHERE id = ?", (seq, wire["id"]))
                        tx.conn.execute("DELETE FROM outbox WHERE event_id = ?", (wire["id"],))
                    continue
                # untrusted input: checked with the server's own checks before it touches
                # the log or a projection (the page as a whole was bounded by the response,
                # so no per-event size check). One that fails is set aside and the cursor
                # moves on: one bad event must not stop this seat for good. A chain link's
                # shape is checked here, its hash by ``linkage audit verify`` (re-hashing
                # every pulled event would cost catch-up some 12 %).
                problem = check_event(wire, check_size=False, id_limit_ms=id_limit)
                if problem is not None:
                    refuse(tx.conn, wire, seq, problem, iso(self.clock.now()))
                    report.refused += 1
                    continue
                tx.receive(from_wire(wire), seq)
            tx.apply_pending()
            tx.conn.execute("UPDATE sync_state SET after_seq = ?, high_watermark = ? WHERE id = 1",
                            (next_after, high))
            report.applied_ids += [r.id for r in tx.received]
            _note_closing_steps(tx, finished)
        report.pulled += len(events)
        return not events or next_after >= high


# -- helpers --------------------------------------------------------------------------------
def _check_page(page: dict[str, Any], after: int) -> tuple[list[dict[str, Any]], int, int]:
    """The page's shape and order; the cursor never moves past a page that fails them."""
    events, next_after, high = page.get("events"), page.get("next_after"), page.get("high_watermark")
    if not isinstance(events, list) or not isinstance(next_after, int) or not isinstance(high, int):
        raise SyncError("bad_response", "a pull page lacks events, next_after or high_watermark")
    last = after
    for wire in events:
        if not isinstance(wire, dict) or not isinstance(wire.get("seq"), int) or wire["seq"] <= last \
                or not isinstance(wire.get("id"), str):
            raise SyncError("bad_response", "a pull page is out of order")
        last = wire["seq"]
    if (events and next_after < last) or next_after < after:
        raise SyncError("bad_response", "a pull page moves the cursor backwards")
    return events, next_after, high


def _known_ids(conn: Any, ids: list[str]) -> dict[str, bool]:
    """Which of ``ids`` this seat holds → whether it knows their server seq."""
    return {r[0]: r[1] is not None
            for r in select_in(conn, "SELECT id, server_seq FROM events WHERE id IN ({ids})", ids)}


_CLOSING = frozenset({"completed", "cancelled", "reassigned", "handed_over"})


def _note_closing_steps(tx: Any, finished: dict[str, tuple[str, str]]) -> None:
    """Remember the incidents of orders another seat closed in this page (see _close_finished)."""
    closing = [r for r in tx.received
               if r.kind == "order.stepped" and r.payload.get("status") in _CLOSING]
    if not closing:
        return
    owners = {row[0]: row[1] for row in select_in(
        tx.conn, "SELECT id, incident_id FROM orders WHERE id IN ({ids})",
        [str(r.payload["order_id"]) for r in closing])}
    for r in closing:
        incident_id = owners.get(str(r.payload["order_id"]))
        if incident_id is not None and r.id > finished.get(incident_id, ("", ""))[0]:
            finished[incident_id] = (r.id, r.happened_at)
