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
import contextlib
import json
import random
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from console.kernel.clock import Clock, iso, parse_instant
from console.store.transaction import Store
from console.sync.protocol import (
    MAX_BATCH_EVENTS,
    MAX_BODY_BYTES,
    MAX_MISSING_IDS,
    MAX_SKIPPED_LINKS,
    PROTOCOL,
)
from console.sync.pulling import SYNC_OPERATOR, Puller
from console.sync.report import PassReport, SyncError
from console.sync.settings import SyncSettings

__all__ = ["SYNC_OPERATOR", "PassReport", "SyncClient", "SyncError", "next_delay"]
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_PLAIN = re.compile(r"[A-Za-z0-9_.:+-]*")  # needs no JSON escaping


class SyncClient(Puller):
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
        async with self._http() as client:
            await self._hello(client, report)
            await self._push_all(client, report)
            await self._pull_all(client, report)

    def run_watch(self, interrupted: Callable[[], bool]) -> PassReport:
        """One held pull (console/sync/pulling.py) after a pass found the server holding them:
        the idle seat's only request for up to ``hold_s`` seconds. Recorded like a pass,
        unless ``interrupted`` ended it early (a pass follows at once)."""
        report = PassReport()
        try:
            _run_coroutine(self._watch_pass(report, interrupted))
            report.ok = not report.interrupted
        except SyncError as exc:
            report.error_code, report.error_detail = exc.code, exc.detail[:300]
            report.retry_after = exc.retry_after
        except Exception as exc:  # as in run_pass: the sync thread must live on
            report.error_code, report.error_detail = "internal", f"{type(exc).__name__}: {exc}"[:300]
        if not report.interrupted:
            self._record(report)
        return report

    async def _watch_pass(self, report: PassReport, interrupted: Callable[[], bool]) -> None:
        async with self._http() as client:
            await self._watch(client, report, interrupted)

    @contextlib.asynccontextmanager
    async def _http(self) -> AsyncIterator[httpx.AsyncClient]:
        s = self.settings
        timeout = httpx.Timeout(connect=min(3.0, s.deadline_s), read=min(10.0, s.deadline_s),
                                write=min(10.0, s.deadline_s), pool=min(2.0, s.deadline_s))
        async with httpx.AsyncClient(
            base_url=s.server.rstrip("/"), transport=self.transport, timeout=timeout,
            verify=_tls_context() if s.server.startswith("https:") else False,
            headers={"authorization": f"Bearer {s.token}", "user-agent": "linkage-console"},
        ) as client:
            yield client

    # -- requests ----------------------------------------------------------------------------
    async def _call(self, client: httpx.AsyncClient, method: str, path: str, report: PassReport,
                    *, deadline: float | None = None, **kwargs: Any) -> dict[str, Any]:
        """One request under ``deadline`` (the seat's, unless a held pull asks for its wait
        on top; httpx's read timeout, at most the seat's deadline, still bounds each gap)."""
        if self.should_stop():
            raise SyncError("stopped", "the console is closing")
        report.requests += 1
        deadline = deadline or self.settings.deadline_s
        try:
            async with asyncio.timeout(deadline):
                response = await client.request(method, path, **kwargs)
        except TimeoutError as exc:
            raise SyncError("timeout", f"no full answer within {deadline:g} s") from exc
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
        self._note_hold(body)
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


def _outbox_in_write_order(conn: Any) -> None:
    """Renumber the outbox in the order the events were written: pushes go out in outbox
    order, and the server accepts a seat's chained events only in chain (write) order."""
    rows = conn.execute("SELECT o.* FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY e.seq").fetchall()
    if rows:
        conn.execute("DELETE FROM outbox")
        conn.executemany(f"INSERT INTO outbox VALUES ({','.join('?' * len(rows[0]))})", [tuple(r) for r in rows])


