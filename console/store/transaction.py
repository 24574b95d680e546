"""SQLite store: the connection and the one write path (the migrations: ``console/store/schema.py``).

Every change is an event appended to ``events`` with its ``outbox`` row and its projection
update, inside one ``BEGIN IMMEDIATE`` transaction; the caller is told "saved" only after
COMMIT returns. WAL with ``synchronous=FULL`` makes that COMMIT durable across power loss.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from console.kernel.clock import Clock, iso
from console.kernel.errors import BadInput
from console.kernel.ids import horizon, observe, uuid7
from console.kernel.inputs import MAX_OPERATOR, operator_problem
from console.store import dbfile
from console.store.chain import canonical, link
from console.store.projections import apply_event, unmet_reference
from console.store.schema import MIGRATIONS, apply_migrations

UNAPPLIABLE = "error: "  # pending_events.waiting_for of a pulled event that cannot be applied

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
)


def connect(path: str, pragmas: tuple[str, ...]) -> sqlite3.Connection:
    """A connection the house way, for a seat's store and the city server's alike: autocommit
    (transactions are begun explicitly, ``BEGIN IMMEDIATE``), rows by name, the given pragmas."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        for pragma in pragmas:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


def select_in(conn: sqlite3.Connection, sql: str, ids: Sequence[str], before: tuple[Any, ...] = (),
              after: tuple[Any, ...] = (), chunk: int = 500) -> Iterator[Any]:
    """The rows of ``sql`` (as the connection's row factory makes them) for every id in ``ids``,
    asked in chunks SQLite's parameter limit accepts. ``sql`` holds one ``{ids}`` where the IN
    list goes; ``before`` and ``after`` are the query's other parameters, on either side of it."""
    for start in range(0, len(ids), chunk):
        part = list(ids[start:start + chunk])
        yield from conn.execute(sql.format(ids=",".join("?" * len(part))), (*before, *part, *after))



@dataclass(frozen=True)
class EventRecord:
    """One event as stored and as it travels to the server."""

    id: str
    kind: str
    subject: str | None
    happened_at: str
    recorded_at: str
    seat: str
    operator: str
    payload: dict[str, Any]
    # the hash chain (console/store/chain.py); None for events outside it (drills kept home, events
    # made before the chain existed)
    chain_prev: str | None = None
    chain_hash: str | None = None


class Store:
    """One connection per ``Store``; use one ``Store`` per thread."""

    def __init__(self, path: Path | str, clock: Clock, *, push_drills: bool = False,
                 busy_timeout_ms: int = 5000, check: bool = False) -> None:
        self.path = str(path)
        self.clock = clock
        # Events of drill (演练) incidents stay off the outbox, so they never reach the city
        # server or other seats, unless the profile says ``[sync] include_drills = true``.
        self.push_drills = push_drills
        self._lock = threading.RLock()
        # each seat's newest chain hash, valid while PRAGMA data_version stays at
        # ``_heads_version`` (no other connection has committed since it was read)
        self._heads: dict[str, str | None] = {}
        self._heads_version: int | None = None
        pragmas = tuple(f"PRAGMA busy_timeout={int(busy_timeout_ms)}"
                        if p.startswith("PRAGMA busy_timeout") else p for p in PRAGMAS)
        conn: sqlite3.Connection | None = None
        try:  # a file that cannot be used is refused in words (console/store/dbfile.py), never a traceback
            dbfile.prepare(self.path)
            self.conn = conn = connect(self.path, pragmas)
            if check:
                dbfile.quick_check(conn, self.path)
            self._migrate()
            # Never mint an id below one already in the log (clock set back, restart, pulled
            # events from a seat whose clock runs ahead): ids double as last-writer-wins stamps.
            newest = conn.execute("SELECT max(id) FROM events").fetchone()[0]
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.Error | OSError):
                raise dbfile.refusal(exc, self.path) from exc
            raise
        if newest:
            observe(_id_millis(newest), self.id_horizon())

    def close(self) -> None:
        self.conn.close()

    def data_version(self) -> int:
        """Changes when another connection (the CLI, the sync thread) commits; this connection's
        own commits leave it alone (SQLite ``PRAGMA data_version``). What a screen polls to
        know the store changed under it."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def change_stamp(self) -> tuple[int, int]:
        """Changes on every commit, this connection's included: (``data_version``, rows changed)."""
        return self.data_version(), self.conn.total_changes

    def id_horizon(self) -> int:
        """The latest id time this seat takes in (``console.kernel.ids.horizon``)."""
        return horizon(int(self.clock.now().timestamp() * 1000))

    # -- read-only views (``linkage --read-only``) -----------------------------------------
    read_only = False

    def make_read_only(self) -> None:
        """From now on every write is refused with words; SQLite's ``query_only`` backs that up
        for any write that does not pass through here."""
        self.read_only = True
        self.conn.execute("PRAGMA query_only = ON")

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise BadInput("store.read_only", zh="只读打开（--read-only）：不能修改任何记录",
                           en="opened read-only (--read-only): nothing can be changed")

    @cached_property
    def db(self) -> Any:
        """sqlite-utils over the same connection, for introspection and exports.

        Imported on first use: it pulls in click and friends, which the console's start-up
        does not need.
        """
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # -- schema ---------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                apply_migrations(self.conn, MIGRATIONS, iso(self.clock.now()), BadInput(
                    "store.newer_schema",
                    zh="数据库由更新版本的程序创建，请升级后再打开",
                    en="the database was made by a newer version; upgrade first",
                ))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    # -- the one write path -------------------------------------------------------------------
    @contextmanager
    def transaction(self, seat: str, operator: str) -> Iterator[Transaction]:
        """Read, validate and append inside one ``BEGIN IMMEDIATE``; a refusal rolls back."""
        self._refuse_if_read_only()
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(self, seat, operator)
            try:
                yield tx
                self.conn.execute("COMMIT")
                self._heads.update(tx.heads)  # only once committed: a rollback leaves no head
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    # -- reads ----------------------------------------------------------------------------
    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return list(self.conn.execute(sql, params).fetchall())

    def events_for(self, subjects: list[str]) -> list[EventRecord]:
        marks = ",".join("?" * len(subjects))
        rows = self.all(f"SELECT * FROM events WHERE subject IN ({marks}) ORDER BY seq", tuple(subjects))
        return [record_from_row(r) for r in rows]

    # -- drafts ---------------------------------------------------------------------------
    # A form being typed is scratch state, not a record: it is neither an event nor synced.
    # It is still committed durably, so a crash or kill loses at most the last keystroke.
    def save_draft(self, key: str, body: dict[str, Any]) -> None:
        self._refuse_if_read_only()
        with self._lock:
            self.conn.execute(
                "INSERT INTO drafts (key, body, saved_at) VALUES (?, ?, ?) ON CONFLICT(key)"
                " DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at",
                (key, json.dumps(body, ensure_ascii=False), iso(self.clock.now())),
            )

    def load_draft(self, key: str) -> dict[str, Any] | None:
        row = self.one("SELECT body FROM drafts WHERE key = ?", (key,))
        return json.loads(row[0]) if row else None

    def clear_draft(self, key: str) -> None:
        self._refuse_if_read_only()
        with self._lock:
            self.conn.execute("DELETE FROM drafts WHERE key = ?", (key,))

    def write_local(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One seat-local write outside the event log (the phone state, console/calls/phone_state.py):
        like a draft, scratch this seat keeps for itself, committed at once (autocommit) and
        never synced. Returns the rows changed."""
        with self._lock:
            return int(self.conn.execute(sql, params).rowcount)

    def outbox_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM outbox WHERE quarantined = 0").fetchone()[0])


class Transaction:
    """The only object that can append events; handed out by ``Store.transaction``."""

    def __init__(self, store: Store, seat: str, operator: str) -> None:
        self.store = store
        self.conn = store.conn
        self.seat = seat
        self.operator = operator
        self.appended: list[EventRecord] = []
        self.received: list[EventRecord] = []
        self.heads: dict[str, str | None] = {}
        # drill (演练) marks of the incidents created in this transaction, so the events that
        # follow them here (an intake's orders) need not read the mark back
        self.drill_of: dict[str, bool] = {}

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self.store.one(sql, params)

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.store.all(sql, params)

    def new_id(self) -> str:
        return uuid7(int(self.store.clock.now().timestamp() * 1000))

    def append(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        subject: str | None = None,
        happened_at: datetime | None = None,
    ) -> EventRecord:
        self.check(kind, payload)
        now = self.store.clock.now()
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        fields: dict[str, Any] = {
            "id": self.new_id(), "kind": kind, "subject": subject,
            "happened_at": iso(happened_at or now), "recorded_at": iso(now),
            "seat": self.seat, "operator": self.operator,
        }
        prev = digest = None
        shared = self._shared(kind, subject, payload)
        if shared:
            # payloads are JSON objects with text keys, so the canonical text of the dict is
            # that of the stored payload read back (what audit verify and the server hash)
            prev = self._chain_head()
            digest = link(prev, canonical({**fields, "payload": payload}))
            self.heads[self.seat] = digest
        record = EventRecord(**fields, payload=payload, chain_prev=prev, chain_hash=digest)
        self.conn.execute(
            "INSERT INTO events (id, kind, subject, happened_at, recorded_at, seat, operator, payload,"
            " chain_prev, chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.id, kind, subject, record.happened_at, record.recorded_at, self.seat,
             self.operator, text, record.chain_prev, record.chain_hash),
        )
        apply_event(self.conn, record)
        if shared:
            self.conn.execute(
                "INSERT INTO outbox (event_id, queued_at) VALUES (?, ?)", (record.id, record.recorded_at)
            )
        self.appended.append(record)
        return record

    def check(self, kind: str, payload: dict[str, Any]) -> None:
        """Hold a local write to the rules the city server applies (console/store/payloads.py):
        an event this seat saved but the server refused would never reach the other seats."""
        if operator_problem(self.operator) is not None:
            raise BadInput("store.operator", zh="值班员名称须为 1 到 {n} 个字符，不能全是空白，未保存",
                           en="the operator name must be 1 to {n} characters, not blank; nothing was saved",
                           n=MAX_OPERATOR)
        from console.store.payloads import payload_problem  # msgspec: loaded by the first write

        problem = payload_problem(kind, payload)
        if problem is not None:
            raise BadInput("store.schema", zh="记录不符合事件格式，未保存：{d}",
                           en="the record does not fit its event schema; nothing was saved: {d}",
                           d=problem[1])

    def _shared(self, kind: str, subject: str | None, payload: dict[str, Any]) -> bool:
        """Whether the event goes to the outbox (and so into the seat's hash chain): all but
        a drill's (演练) events, unless the profile pushes drills. Asked before the event is
        applied, so an ``incident.created`` answers from its own payload."""
        if self.store.push_drills:
            return True
        if kind == "incident.created":
            drill = payload.get("drill") is True
            if isinstance(subject, str):
                self.drill_of[subject] = drill
            return not drill
        return not self.is_drill(subject, payload)

    def _chain_head(self) -> str | None:
        """This seat's newest chain hash, read inside the ``BEGIN IMMEDIATE`` so writers on
        other connections to the same file extend one chain; cached while no other
        connection has committed (``PRAGMA data_version`` unchanged).

        No index serves the lookup: one more B-tree page in every commit cost the write path
        more than the rare miss costs, a scan back from the newest event to this seat's last
        own one (short unless many pulled events came in since; then once per miss)."""
        if self.seat in self.heads:
            return self.heads[self.seat]
        store = self.store
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != store._heads_version:
            store._heads.clear()
            store._heads_version = version
        if self.seat in store._heads:
            head = store._heads[self.seat]
        else:
            row = self.conn.execute(
                "SELECT chain_hash FROM events WHERE seat = ? AND origin = 'local' AND chain_hash IS NOT NULL"
                " ORDER BY seq DESC LIMIT 1", (self.seat,)).fetchone()
            head = row[0] if row else None
        self.heads[self.seat] = head
        return head

    def is_drill(self, subject: str | None, payload: dict[str, Any]) -> bool:
        """Whether an event belongs to a drill (演练) incident: its incident (the payload's, else
        the subject) is marked so (``_shared`` asks ``incident.created`` its own payload)."""
        incident_id = payload.get("incident_id", subject)
        if not isinstance(incident_id, str):
            return False
        if incident_id in self.drill_of:
            return self.drill_of[incident_id]
        row = self.conn.execute("SELECT drill FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return bool(row and row[0])

    def receive(self, record: EventRecord, server_seq: int) -> bool:
        """Take in an event pulled from the server; False if this seat already had it.

        Same transaction discipline as ``append`` but no outbox row: the event came from the
        server. One that refers to what has not arrived yet waits in ``pending_events``; one
        that cannot be applied at all is parked there with its error (``_apply_remote``).
        """
        self.conn.execute("SAVEPOINT remote_insert")
        try:
            return self._receive(record, server_seq)
        except Exception as exc:
            # whatever went wrong (a lookup on a value no schema foresaw, a full disk), the
            # event is kept, parked with its error, and the cursor moves on
            self.conn.execute("ROLLBACK TO remote_insert")
            self._park(record, server_seq, exc)
            return True
        finally:
            self.conn.execute("RELEASE remote_insert")

    def _park(self, record: EventRecord, server_seq: int, exc: Exception) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO events (id, kind, subject, happened_at, recorded_at, seat, operator,"
            " payload, origin, server_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'remote', ?)",
            (str(record.id), str(record.kind), None if record.subject is None else str(record.subject),
             str(record.happened_at), str(record.recorded_at), str(record.seat), str(record.operator),
             json.dumps(record.payload, ensure_ascii=False, separators=(",", ":"), default=str),
             server_seq))
        self.conn.execute("INSERT OR REPLACE INTO pending_events VALUES (?, ?)",
                          (str(record.id), f"{UNAPPLIABLE}{type(exc).__name__}: {exc}"[:300]))

    def _receive(self, record: EventRecord, server_seq: int) -> bool:
        inserted = self.conn.execute(
            "INSERT OR IGNORE INTO events (id, kind, subject, happened_at, recorded_at, seat, operator,"
            " payload, origin, server_seq, chain_prev, chain_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'remote', ?, ?, ?)",
            (record.id, record.kind, record.subject, record.happened_at, record.recorded_at,
             record.seat, record.operator,
             json.dumps(record.payload, ensure_ascii=False, separators=(",", ":")), server_seq,
             record.chain_prev, record.chain_hash),
        ).rowcount
        if not inserted:
            self.conn.execute("UPDATE events SET server_seq = ? WHERE id = ? AND server_seq IS NULL",
                              (server_seq, record.id))
            return False
        observe(_id_millis(record.id), self.store.id_horizon())
        waiting = unmet_reference(self.conn, record)
        if waiting is not None:
            self.conn.execute("INSERT INTO pending_events VALUES (?, ?)", (record.id, waiting))
            return True
        self._apply_remote(record)
        return True

    def _apply_remote(self, record: EventRecord) -> None:
        """Apply one pulled event; one that cannot be applied is parked, not fatal.

        Another seat's bug (say, a call id used twice) must not stop this seat's cursor for
        ever: the event stays in the log and is listed as pending with the error.
        """
        self.conn.execute("SAVEPOINT remote_event")
        try:
            apply_event(self.conn, record)
        except Exception as exc:  # OverflowError, RecursionError …: parked, never fatal
            self.conn.execute("ROLLBACK TO remote_event")
            self.conn.execute("RELEASE remote_event")
            self.conn.execute("INSERT OR REPLACE INTO pending_events VALUES (?, ?)",
                              (record.id, f"{UNAPPLIABLE}{type(exc).__name__}: {exc}"[:300]))
            return
        self.conn.execute("RELEASE remote_event")
        self.received.append(record)

    def apply_pending(self) -> int:
        """Apply waiting events whose references have now arrived; how many were applied."""
        applied = 0
        progress = True
        while progress:
            progress = False
            rows = self.conn.execute(
                "SELECT e.* FROM pending_events p JOIN events e ON e.id = p.event_id"
                " WHERE p.waiting_for NOT LIKE ? ORDER BY e.seq", (UNAPPLIABLE + "%",)
            ).fetchall()
            for row in rows:
                record = record_from_row(row)
                try:
                    waiting = unmet_reference(self.conn, record)
                except Exception as exc:  # parked with its error; never stops the pass
                    self._park(record, row["server_seq"] or 0, exc)
                    continue
                if waiting is None:
                    self.conn.execute("DELETE FROM pending_events WHERE event_id = ?", (record.id,))
                    self._apply_remote(record)
                    applied += 1
                    progress = True
        return applied


def _id_millis(event_id: str) -> int:
    return int(event_id.replace("-", "")[:12], 16)


def record_from_row(row: sqlite3.Row) -> EventRecord:
    chained = "chain_hash" in row.keys()  # noqa: SIM118 (``in`` on a Row looks at its values)
    return EventRecord(
        id=row["id"], kind=row["kind"], subject=row["subject"], happened_at=row["happened_at"],
        recorded_at=row["recorded_at"], seat=row["seat"], operator=row["operator"],
        payload=json.loads(row["payload"]),
        chain_prev=row["chain_prev"] if chained else None, chain_hash=row["chain_hash"] if chained else None,
    )
