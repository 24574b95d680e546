"""The seat's sync client: push the outbox, pull other seats' events, converge.

One pass = hello (probe, epoch, clock skew) → push every queued event → pull every page.
It runs headless (``linkage sync``) or in the console's background thread
(``console/sync/worker.py``), always on its own SQLite connection, never on the UI thread.

What makes it safe (docs/sync-protocol.md): an outbox row is removed only after the server
acked that event id; a pulled page and the cursor move in one local transaction; a request
whose outcome is unknown is simply repeated (event ids make that harmless); and every request
runs under an overall deadline that cancels it however slowly the server drips bytes.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from console.kernel.clock import Clock, iso, parse_instant
from console.store.transaction import Store, select_in
from console.sync.protocol import (
    MAX_BATCH_EVENTS,
    MAX_BODY_BYTES,
    MAX_MISSING_IDS,
    MAX_PULL_LIMIT,
    MAX_SKIPPED_LINKS,
    PROTOCOL,
    check_event,
    from_wire,
)
from console.sync.quarantine import refuse
from console.sync.settings import SyncSettings
from console.sync.status import TRANSIENT

SYNC_OPERATOR = "sync"
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_PLAIN = re.compile(r"[A-Za-z0-9_.:+-]*")  # needs no JSON escaping


class SyncError(Exception):
    """A pass stopped: ``code`` says why (``console/sync/status.TRANSIENT`` = try later)."""

    def __init__(self, code: str, detail: str, *, retry_after: float | None = None,
                 body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.body = body or {}

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT


@dataclass
class PassReport:
    ok: bool = False
    pushed: int = 0
    pulled: int = 0
    quarantined: int = 0
    refused: int = 0  # pulled events set aside by this seat's checks (console/sync/quarantine.py)
    repushed: int = 0
    requests: int = 0
    error_code: str = ""
    error_detail: str = ""
    retry_after: float | None = None
    epoch_changed: bool = False
    applied_ids: list[str] = field(default_factory=list)

    @property
    def transient(self) -> bool:
        return self.error_code in TRANSIENT


class SyncClient:
    def __init__(self, store: Store, settings: SyncSettings, clock: Clock, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.transport = transport
        self.should_stop = should_stop

    # -- one pass ----------------------------------------------------------------------------
    def run_pass(self) -> PassReport:
        report = PassReport()
        try:
            _run_coroutine(self._pass(report))
            report.ok = True
        except SyncError as exc:
            report.error_code, report.error_detail = exc.code, exc.detail[:300]
            report.retry_after = exc.retry_after
        except Exception as exc:  # a bug or a locked disk must not end the sync thread
            report.error_code, report.error_detail = "internal", f"{type(exc).__name__}: {exc}"[:300]
        self._record(report)
        return report

    async def _pass(self, report: PassReport) -> None:
        s = self.settings
        timeout = httpx.Timeout(connect=min(3.0, s.deadline_s), read=min(10.0, s.deadline_s),
                                write=min(10.0, s.deadline_s), pool=min(2.0, s.deadline_s))
        async with httpx.AsyncClient(
            base_url=s.server.rstrip("/"), transport=self.transport, timeout=timeout,
            verify=_tls_context() if s.server.startswith("https:") else False,
            headers={"authorization": f"Bearer {s.token}", "user-agent": "linkage-console"},
        ) as client:
            await self._hello(client, report)
            await self._push_all(client, report)
            await self._pull_all(client, report)

    # -- requests ----------------------------------------------------------------------------
    async def _call(self, client: httpx.AsyncClient, method: str, path: str, report: PassReport,
                    **kwargs: Any) -> dict[str, Any]:
        if self.should_stop():
            raise SyncError("stopped", "the console is closing")
        report.requests += 1
        try:
            async with asyncio.timeout(self.settings.deadline_s):
                response = await client.request(method, path, **kwargs)
        except TimeoutError as exc:
            raise SyncError("timeout", f"no full answer within {self.settings.deadline_s:g} s") from exc
        except httpx.TimeoutException as exc:
            raise SyncError("timeout", type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise SyncError("unreachable", f"{type(exc).__name__}: {exc}"[:200]) from exc
        body = _json_object(response)
        if response.status_code == 200:
            if body is None:
                raise SyncError("bad_response", f"{method} {path}: the answer is not a JSON object")
            return body
        retry_after = _retry_after(response.headers.get("retry-after"))
        detail = str((body or {}).get("detail") or response.reason_phrase)[:200]
        if response.status_code == 429:
            raise SyncError("rate_limited", detail, retry_after=retry_after)
        if response.status_code >= 500:
            raise SyncError("server_error", f"HTTP {response.status_code}: {detail}",
                            retry_after=retry_after)
        code = str((body or {}).get("code") or f"http_{response.status_code}")
        raise SyncError(code, detail, body=body)

    async def _hello(self, client: httpx.AsyncClient, report: PassReport) -> None:
        body = await self._call(client, "GET", "/v1/hello", report)
        protocols = body.get("supported") or []
        if isinstance(protocols, list) and protocols and PROTOCOL not in protocols:
            raise SyncError("unsupported_protocol", f"the server speaks {protocols}, this seat {PROTOCOL}")
        try:
            skew = parse_instant(str(body["server_time"])) - self.clock.now()
            self._state("skew_ms = ?", int(skew.total_seconds() * 1000))
        except (KeyError, ValueError):
            pass
        epoch = body.get("epoch")
        if isinstance(epoch, str) and epoch:
            stored = self._state_row()["epoch"]
            if not stored:
                self._state("epoch = ?", epoch)
            elif stored != epoch:
                await self._reconcile(client, epoch, report)

    async def _reconcile(self, client: httpx.AsyncClient, epoch: str, report: PassReport) -> None:
        """The server was restored from a backup: re-queue what it lost, pull again from 0."""
        # a drill's events were never queued (Transaction.append); a restore does not send them,
        # unless they were pushed once (then they are in the chain the server checks)
        ids = [r[0] for r in self.store.all(
            "SELECT e.id FROM events e WHERE e.origin = 'local' AND (e.chain_hash IS NOT NULL OR ?"
            " OR NOT EXISTS (SELECT 1 FROM"
            " incidents i WHERE i.id = coalesce(json_extract(e.payload, '$.incident_id'), e.subject)"
            " AND i.drill = 1)) ORDER BY e.seq", (int(self.settings.include_drills),))]
        missing: list[str] = []
        for start in range(0, len(ids), MAX_MISSING_IDS):
            chunk = ids[start:start + MAX_MISSING_IDS]
            body = await self._call(client, "POST", f"/v1/streams/{self.settings.county}/events:missing",
                                    report, json={"ids": chunk})
            got = body.get("missing")
            if not isinstance(got, list):
                raise SyncError("bad_response", "events:missing answered without a list")
            known = set(chunk)
            missing += [i for i in got if i in known]
        now = iso(self.clock.now())
        with self.store.transaction(self.settings.seat, SYNC_OPERATOR) as tx:
            for event_id in missing:
                tx.conn.execute("INSERT OR IGNORE INTO outbox (event_id, queued_at) VALUES (?, ?)",
                                (event_id, now))
                tx.conn.execute("UPDATE events SET server_seq = NULL WHERE id = ?", (event_id,))
            _outbox_in_write_order(tx.conn)
            tx.conn.execute("UPDATE sync_state SET epoch = ?, after_seq = 0, high_watermark = 0"
                            " WHERE id = 1", (epoch,))
        report.epoch_changed = True
        report.repushed = len(missing)

    # -- push --------------------------------------------------------------------------------
    async def _push_all(self, client: httpx.AsyncClient, report: PassReport) -> None:
        limit = max(1, min(self.settings.batch_events, MAX_BATCH_EVENTS))
        path = f"/v1/streams/{self.settings.county}/events:push"
        skipped: list[dict[str, Any]] = []
        seen_quarantined = -1
        while True:
            batch = self._next_batch(limit)
            if not batch:
                return
            if report.quarantined != seen_quarantined:  # asked again only when it can have changed
                skipped, seen_quarantined = self._skipped_links(), report.quarantined
            body = self._push_body(batch, skipped)
            while len(body) > MAX_BODY_BYTES and len(batch) > 1:
                batch = batch[: len(batch) // 2]
                body = self._push_body(batch, skipped)
            ids = [event_id for event_id, _ in batch]
            try:
                answer = await self._call(client, "POST", path, report, content=body,
                                          headers={"content-type": "application/json"})
            except SyncError as exc:
                if exc.code == "too_large" and len(batch) > 1:
                    limit = max(1, len(batch) // 2)
                    continue
                if exc.code == "too_large":
                    self._quarantine({ids[0]: "too_large"}, report)
                    continue
                if exc.code == "invalid_events":
                    bad = _invalid_ids(exc.body, ids)
                    if not bad:
                        raise
                    self._quarantine(bad, report)
                    continue
                raise
            if not self._take_acks(ids, answer, report):
                raise SyncError("bad_response", "the push was answered without usable acks")

    def _next_batch(self, limit: int) -> list[tuple[str, str]]:
        """The oldest queued events as (id, wire JSON); the stored payload text goes out as is.

        Outbox rows are in the order their events were made (re-queued ones, after a server
        restore, are appended in that order too), so the rowid order needs no sort.
        """
        rows = self.store.conn.execute(
            "SELECT e.id, e.kind, e.subject, e.happened_at, e.recorded_at, e.seat, e.operator, e.payload,"
            " e.chain_prev, e.chain_hash"
            " FROM outbox o JOIN events e ON e.id = o.event_id WHERE o.quarantined = 0 ORDER BY o.rowid LIMIT ?",
            (limit,)).fetchall()
        batch = []
        text = _COMPACT.encode
        for r in rows:
            # id, subject (an id), kind and the two instants are this seat's own fixed forms and
            # go out as they are; anything else is escaped properly
            fixed = (r[0], r[1], r[3], r[4]) if r[2] is None else (r[0], r[1], r[2], r[3], r[4])
            if _PLAIN.fullmatch("".join(fixed)):
                subject = "null" if r[2] is None else f'"{r[2]}"'
                head = (f'{{"id":"{r[0]}","kind":"{r[1]}","subject":{subject},"happened_at":"{r[3]}",'
                        f'"recorded_at":"{r[4]}","seat":{text(r[5])},"operator":{text(r[6])},')
            else:
                head = text({"id": r[0], "kind": r[1], "subject": r[2], "happened_at": r[3],
                             "recorded_at": r[4], "seat": r[5], "operator": r[6]})[:-1] + ","
            if r[9] is not None:  # the chain link: hex digests, nothing to escape
                prev = "null" if r[8] is None else f'"{r[8]}"'
                head += f'"chain":{{"prev":{prev},"hash":"{r[9]}"}},'
            batch.append((r[0], f'{head}"payload":{r[7]}}}'))
        return batch

    def _push_body(self, batch: list[tuple[str, str]], skipped: list[dict[str, Any]]) -> bytes:
        head: dict[str, Any] = {"protocol": PROTOCOL, "seat": self.settings.seat}
        if skipped:
            head["skipped"] = skipped
        text = json.dumps(head, separators=(",", ":"))
        return f'{text[:-1]},"events":[{",".join(wire for _, wire in batch)}]}}'.encode()

    def _skipped_links(self) -> list[dict[str, Any]]:
        """The chain links of this seat's quarantined events, which will never be pushed: the
        server bridges its chain over them (docs/sync-protocol.md, "Hash chain"). Usually none."""
        rows = self.store.conn.execute(
            "SELECT e.id, e.chain_prev, e.chain_hash FROM outbox o JOIN events e ON e.id = o.event_id"
            " WHERE o.quarantined = 1 AND e.chain_hash IS NOT NULL ORDER BY e.seq LIMIT ?",
            (MAX_SKIPPED_LINKS,)).fetchall()
        return [{"id": r[0], "prev": r[1], "hash": r[2]} for r in rows]

    def _take_acks(self, ids: list[str], answer: dict[str, Any], report: PassReport) -> bool:
        acks = answer.get("acks")
        if not isinstance(acks, list):
            return False
        sent = set(ids)
        done: list[tuple[int, str]] = []
        refused: dict[str, str] = {}
        broken: list[str] = []
        for ack in acks:
            if not isinstance(ack, dict) or ack.get("id") not in sent:
                continue
            if ack.get("status") in ("accepted", "duplicate") and isinstance(ack.get("seq"), int):
                done.append((ack["seq"], ack["id"]))
            elif ack.get("status") == "rejected" and ack.get("code") == "chain_break":
                # not this event's fault but its place in the chain: it stays queued; the next
                # push bridges a quarantined predecessor (``skipped``), or the pass stops
                broken.append(ack["id"])
            elif ack.get("status") in ("conflict", "rejected"):
                refused[ack["id"]] = str(ack.get("code") or ack.get("status"))
        if not done and not refused and not broken:
            return False
        with self.store.transaction(self.settings.seat, SYNC_OPERATOR) as tx:
            tx.conn.executemany("DELETE FROM outbox WHERE event_id = ?", [(i,) for _, i in done])
            tx.conn.executemany("UPDATE events SET server_seq = ? WHERE id = ?", done)
            self._mark_quarantined(tx.conn, refused)
        report.pushed += len(done)
        report.quarantined += len(refused)
        if broken and not done and not refused:
            raise SyncError("chain_break", f"the server refuses event {broken[0]}: it does not follow this"
                            " seat's last event on the server (another copy of this seat's database?)")
        return True

    def _quarantine(self, refused: dict[str, str], report: PassReport) -> None:
        with self.store.transaction(self.settings.seat, SYNC_OPERATOR) as tx:
            self._mark_quarantined(tx.conn, refused)
        report.quarantined += len(refused)

    @staticmethod
    def _mark_quarantined(conn: Any, refused: dict[str, str]) -> None:
        for event_id, code in refused.items():
            conn.execute("UPDATE outbox SET quarantined = 1, last_error = ?, attempts = attempts + 1"
                         " WHERE event_id = ?", (code, event_id))

    # -- pull --------------------------------------------------------------------------------
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
            if not events or next_after >= high:
                return

    # -- sync_state --------------------------------------------------------------------------
    def _state_row(self) -> Any:
        return self.store.one("SELECT * FROM sync_state WHERE id = 1")

    def _state(self, assignment: str, *values: Any) -> None:
        with self.store.transaction(self.settings.seat, SYNC_OPERATOR) as tx:
            tx.conn.execute(f"UPDATE sync_state SET {assignment} WHERE id = 1", values)

    def _record(self, report: PassReport) -> None:
        now = iso(self.clock.now())
        if report.ok:
            self._state("last_ok_at = ?, last_attempt_at = ?, offline_since = NULL, error_code = '',"
                        " error_detail = '', failures = 0", now, now)
        elif report.error_code == "stopped":
            return
        else:
            self._state("last_attempt_at = ?, error_code = ?, error_detail = ?, failures = failures + 1,"
                        " offline_since = coalesce(offline_since, ?)",
                        now, report.error_code, report.error_detail, now)

    def failures(self) -> int:
        return int(self._state_row()["failures"])


def next_delay(report: PassReport, failures: int, settings: SyncSettings, rng: random.Random) -> float:
    """Seconds until the next pass: the interval when fine, full-jitter backoff when not.

    ``uniform(0, min(cap, base·2^n))`` spreads a county's seats over the window so a server
    back from an outage is not hit by all of them at once; never sooner than Retry-After, and
    never more often than twice a second.
    """
    if report.ok:
        return settings.interval_s
    if not report.transient:
        return settings.backoff_cap_s  # a person must fix it; look again now and then
    window = min(settings.backoff_cap_s, settings.backoff_base_s * 2 ** max(0, failures - 1))
    delay = max(0.5, rng.uniform(0, window))
    if report.retry_after is not None:
        delay = max(delay, report.retry_after)
    return delay


# -- helpers --------------------------------------------------------------------------------
_TLS: list[Any] = []


def _tls_context() -> Any:
    """One verified TLS context per process: loading the CA store costs ~50 ms of CPU, too much
    to pay on every pass of a low-spec seat."""
    if not _TLS:
        _TLS.append(httpx.create_ssl_context())
    return _TLS[0]


def _run_coroutine(coro: Any) -> None:
    """``asyncio.run``, or on a thread of its own if this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    import threading

    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="linkage-sync-once")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, min(3600.0, float(value)))
    except ValueError:
        return None


def _invalid_ids(body: dict[str, Any], ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in body.get("errors") or []:
        if not isinstance(entry, dict):
            continue
        index = entry.get("index")
        if isinstance(index, int) and 0 <= index < len(ids):
            out[ids[index]] = str(entry.get("code") or "invalid")
    return out


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


def _outbox_in_write_order(conn: Any) -> None:
    """Renumber the outbox in the order the events were written: pushes go out in outbox
    order, and the server accepts a seat's chained events only in chain (write) order."""
    rows = conn.execute("SELECT o.* FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY e.seq").fetchall()
    if rows:
        conn.execute("DELETE FROM outbox")
        conn.executemany(f"INSERT INTO outbox VALUES ({','.join('?' * len(rows[0]))})", [tuple(r) for r in rows])


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
