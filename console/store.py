"""SQLite store: schema, migrations and the one write path.

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

from console import dbfile
from console.chain import canonical, link
from console.clock import Clock, iso
from console.errors import BadInput
from console.events import apply_event, unmet_reference
from console.ids import horizon, observe, uuid7
from console.sync.schema import MAX_OPERATOR, operator_problem, payload_problem

UNAPPLIABLE = "error: "  # pending_events.waiting_for of a pulled event that cannot be applied

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
)

# Append-only: a shipped migration is never edited; a change is a new entry.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "events, outbox, catalog, incidents, calls, orders",
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            subject TEXT,
            happened_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            seat TEXT NOT NULL,
            operator TEXT NOT NULL,
            payload TEXT NOT NULL,
            origin TEXT NOT NULL DEFAULT 'local'
        );
        CREATE INDEX events_subject ON events(subject, seq);
        CREATE TABLE outbox (
            event_id TEXT PRIMARY KEY REFERENCES events(id),
            queued_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE TABLE catalog_snapshot (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version TEXT NOT NULL,
            body TEXT NOT NULL,
            loaded_at TEXT NOT NULL
        );
        CREATE TABLE incidents (
            no INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            seat TEXT NOT NULL,
            phone TEXT NOT NULL,
            caller_name TEXT NOT NULL,
            address TEXT NOT NULL,
            place_key TEXT NOT NULL,
            area TEXT NOT NULL,
            category TEXT NOT NULL,
            text TEXT NOT NULL,
            status TEXT NOT NULL,
            disposition TEXT NOT NULL,
            merged_into TEXT,
            closed_at TEXT
        );
        CREATE INDEX incidents_place ON incidents(place_key, category, created_at);
        CREATE INDEX incidents_open ON incidents(status) WHERE status = 'open';
        CREATE TABLE calls (
            no INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            phone TEXT NOT NULL,
            caller_name TEXT NOT NULL,
            received_at TEXT NOT NULL,
            text TEXT NOT NULL,
            address TEXT NOT NULL,
            area TEXT NOT NULL
        );
        CREATE INDEX calls_phone ON calls(phone, received_at);
        CREATE INDEX calls_incident ON calls(incident_id);
        CREATE TABLE orders (
            no INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            unit TEXT NOT NULL,
            unit_kind TEXT NOT NULL,
            area TEXT NOT NULL,
            status TEXT NOT NULL,
            first_contact INTEGER NOT NULL,
            handover_from TEXT,
            reassigned_from TEXT,
            issued_at TEXT NOT NULL,
            steps TEXT NOT NULL DEFAULT '{}',
            ack_due TEXT,
            depart_due TEXT,
            arrive_due TEXT,
            feedback_due TEXT,
            return_reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX orders_incident ON orders(incident_id);
        CREATE INDEX orders_open ON orders(status)
            WHERE status NOT IN ('completed', 'reassigned', 'cancelled', 'handed_over');
        """,
    ),
    (
        "drafts: intake forms in progress",
        """
        CREATE TABLE drafts (
            key TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            saved_at TEXT NOT NULL
        );
        """,
    ),
    (
        "sync: server seqs, quarantine, pending remote events, cursor; last-writer-wins marks",
        """
        ALTER TABLE events ADD COLUMN server_seq INTEGER;
        ALTER TABLE outbox ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN status_event TEXT NOT NULL DEFAULT '';
        ALTER TABLE incidents ADD COLUMN category_event TEXT NOT NULL DEFAULT '';
        ALTER TABLE catalog_snapshot ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
        CREATE TABLE pending_events (
            event_id TEXT PRIMARY KEY REFERENCES events(id),
            waiting_for TEXT NOT NULL
        );
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            epoch TEXT NOT NULL DEFAULT '',
            after_seq INTEGER NOT NULL DEFAULT 0,
            high_watermark INTEGER NOT NULL DEFAULT 0,
            last_ok_at TEXT,
            last_attempt_at TEXT,
            offline_since TEXT,
            error_code TEXT NOT NULL DEFAULT '',
            error_detail TEXT NOT NULL DEFAULT '',
            failures INTEGER NOT NULL DEFAULT 0,
            skew_ms INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO sync_state (id) VALUES (1)
        """,
    ),
    (
        "disposition is its own last-writer-wins register (a transfer, then a reopen)",
        """
        ALTER TABLE incidents ADD COLUMN disposition_event TEXT NOT NULL DEFAULT ''
        """,
    ),
    (
        "duty rosters: every filing and its shifts (the effective roster is computed on read;"
        " shifts clustered by filing and start, so 'the shift on at t' is one b-tree seek)",
        """
        CREATE TABLE roster_filings (
            event_id TEXT PRIMARY KEY,
            unit TEXT NOT NULL,
            period_from TEXT NOT NULL,
            period_to TEXT NOT NULL,
            filed_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            seat TEXT NOT NULL,
            operator TEXT NOT NULL,
            shifts INTEGER NOT NULL,
            source TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX roster_filings_filed ON roster_filings(unit, filed_at);
        CREATE INDEX roster_filings_period ON roster_filings(unit, period_to, period_from, event_id);
        CREATE TABLE roster_shifts (
            event_id TEXT NOT NULL REFERENCES roster_filings(event_id),
            start_at TEXT NOT NULL,
            n INTEGER NOT NULL,
            unit TEXT NOT NULL,
            end_at TEXT NOT NULL,
            person TEXT NOT NULL,
            phone TEXT NOT NULL,
            vehicle TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            responsible TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (event_id, start_at, n)
        ) WITHOUT ROWID
        """,
    ),
    (
        "accountability: urges (催办), supervisions (督办) and callbacks (回访), insert only"
        " (the current supervise level and the latest callback are computed on read)",
        """
        CREATE TABLE order_urges (
            event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            urged_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL,
            to_whom TEXT NOT NULL,
            how TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX order_urges_order ON order_urges(order_id, urged_at);
        CREATE TABLE order_supervisions (
            event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            supervised_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL,
            level INTEGER NOT NULL,
            reason TEXT NOT NULL,
            due_at TEXT NOT NULL
        );
        CREATE INDEX order_supervisions_order ON order_supervisions(order_id, level, event_id);
        CREATE TABLE incident_callbacks (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            called_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL,
            result TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            reopen INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX incident_callbacks_incident ON incident_callbacks(incident_id, event_id)
        """,
    ),
    (
        "operators (PIN hashes, last-writer-wins registers), who is signed in at each seat,"
        " shift handovers (交接班, insert only)",
        """
        CREATE TABLE operators (
            login TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            enrolled_at TEXT NOT NULL DEFAULT '',
            name_event TEXT NOT NULL DEFAULT '',
            salt TEXT NOT NULL DEFAULT '',
            pin_hash TEXT NOT NULL DEFAULT '',
            iterations INTEGER NOT NULL DEFAULT 0,
            pin_event TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 0,
            active_event TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE seat_operators (
            seat TEXT PRIMARY KEY,
            login TEXT NOT NULL,
            since TEXT NOT NULL,
            event_id TEXT NOT NULL
        );
        CREATE TABLE shift_handovers (
            event_id TEXT PRIMARY KEY,
            seat TEXT NOT NULL,
            handed_at TEXT NOT NULL,
            from_operator TEXT NOT NULL,
            to_operator TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            open_incidents TEXT NOT NULL DEFAULT '[]',
            overdue_orders TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX shift_handovers_at ON shift_handovers(handed_at)
        """,
    ),
    (
        "returns (退单) and their reviews, insert only (the standing return and the order's status"
        " are recomputed from them); handover initial handling; unit-reported incidents (双轨)",
        """
        CREATE TABLE order_returns (
            event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            returned_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX order_returns_order ON order_returns(order_id, event_id);
        CREATE TABLE order_return_reviews (
            event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            return_event TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            decision TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX order_return_reviews_return ON order_return_reviews(return_event, event_id);
        ALTER TABLE orders ADD COLUMN return_event TEXT NOT NULL DEFAULT '';
        ALTER TABLE orders ADD COLUMN return_decision TEXT NOT NULL DEFAULT '';
        ALTER TABLE orders ADD COLUMN initial_handling TEXT NOT NULL DEFAULT '';
        CREATE INDEX orders_handover_from ON orders(handover_from) WHERE handover_from IS NOT NULL;
        ALTER TABLE incidents ADD COLUMN source TEXT NOT NULL DEFAULT 'center';
        ALTER TABLE incidents ADD COLUMN reporting_unit TEXT NOT NULL DEFAULT '';
        INSERT INTO order_returns (event_id, order_id, returned_at, reason, operator, seat)
            SELECT e.id, json_extract(e.payload, '$.order_id'), e.happened_at,
                   coalesce(json_extract(e.payload, '$.reason'), ''), e.operator, e.seat
            FROM events e
            WHERE e.kind = 'order.stepped' AND json_extract(e.payload, '$.status') = 'returned'
              AND e.id NOT IN (SELECT event_id FROM pending_events)
              AND EXISTS (SELECT 1 FROM orders o WHERE o.id = json_extract(e.payload, '$.order_id'));
        UPDATE orders SET return_event = (SELECT max(r.event_id) FROM order_returns r
                                          WHERE r.order_id = orders.id)
            WHERE id IN (SELECT order_id FROM order_returns);
        UPDATE orders SET return_reason = (SELECT r.reason FROM order_returns r
                                           WHERE r.event_id = orders.return_event)
            WHERE return_event != '';
        UPDATE orders SET steps = json_set(steps, '$.returned', (SELECT r.returned_at
                                           FROM order_returns r WHERE r.event_id = orders.return_event))
            WHERE return_event != '' AND json_extract(steps, '$.returned') IS NOT (
                SELECT r.returned_at FROM order_returns r WHERE r.event_id = orders.return_event);
        UPDATE orders SET initial_handling = coalesce((
            SELECT json_extract(e.payload, '$.note') FROM events e
            WHERE e.kind = 'order.issued' AND e.subject = orders.incident_id
              AND json_extract(e.payload, '$.order_id') = orders.id), '')
            WHERE handover_from IS NOT NULL
        """,
    ),
    (
        "gradings (分级): every incident.graded kept whole, insert only; the grade is the latest"
        " by event id, the raising the earliest at plan level",
        """
        CREATE TABLE incident_grades (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            graded_at TEXT NOT NULL,
            type TEXT NOT NULL,
            level TEXT NOT NULL,
            deaths INTEGER,
            injured INTEGER,
            trapped INTEGER,
            reason TEXT NOT NULL DEFAULT '',
            rule TEXT NOT NULL DEFAULT '',
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX incident_grades_incident ON incident_grades(incident_id, event_id)
        """,
    ),
    (
        "roll-call (点名) of tier 1 units: every call, insert only (rounds, results and the day's"
        " record are decided on read)",
        """
        CREATE TABLE rollcall_calls (
            event_id TEXT PRIMARY KEY,
            round_id TEXT NOT NULL,
            unit TEXT NOT NULL,
            called_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL,
            result TEXT NOT NULL,
            duty_person TEXT NOT NULL DEFAULT '',
            duty_phone TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX rollcall_calls_at ON rollcall_calls(called_at, event_id);
        CREATE INDEX rollcall_calls_round ON rollcall_calls(round_id, event_id)
        """,
    ),
    (
        "contingency plan activations (预案启动) as snapshots and checklist ticks, insert only;"
        " every order's phase (daily / initial 先期处置 / plan) and the activation it came from",
        """
        CREATE TABLE plan_activations (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            plan TEXT NOT NULL,
            activated_at TEXT NOT NULL,
            level TEXT NOT NULL,
            forced INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL DEFAULT '',
            snapshot TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX plan_activations_incident ON plan_activations(incident_id, event_id);
        CREATE TABLE plan_step_checks (
            event_id TEXT PRIMARY KEY,
            activation TEXT NOT NULL,
            incident_id TEXT NOT NULL,
            step INTEGER NOT NULL,
            done INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            checked_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX plan_step_checks_activation ON plan_step_checks(activation, step, event_id);
        ALTER TABLE orders ADD COLUMN phase TEXT NOT NULL DEFAULT '';
        ALTER TABLE orders ADD COLUMN activation TEXT NOT NULL DEFAULT ''
        """,
    ),
    (
        "reports upward (信息报送): every report.filed kept whole, insert only (the report clocks"
        " are computed on read from the raising, the level and these rows)",
        """
        CREATE TABLE upward_reports (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            to_whom TEXT NOT NULL,
            via TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            reported_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX upward_reports_incident ON upward_reports(incident_id, reported_at)
        """,
    ),
    (
        "drills (演练): incidents.drill from incident.created's payload (calls, orders, notes,"
        " gradings and reports are drills by their incident); this seat's own settings, never synced",
        """
        ALTER TABLE incidents ADD COLUMN drill INTEGER NOT NULL DEFAULT 0;
        UPDATE incidents SET drill = 1 WHERE id IN (
            SELECT subject FROM events WHERE kind = 'incident.created'
              AND json_extract(payload, '$.drill') = 1);
        CREATE INDEX incidents_drill_created ON incidents(drill, created_at);
        CREATE TABLE seat_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            set_at TEXT NOT NULL,
            operator TEXT NOT NULL DEFAULT ''
        )
        """,
    ),
    (
        "operator roles (administrator), the KDF parameters beside each PIN hash (scrypt), and"
        " sign-in attempts (failures and what resets them, insert only) for the lockout",
        """
        ALTER TABLE operators ADD COLUMN role TEXT NOT NULL DEFAULT 'operator';
        ALTER TABLE operators ADD COLUMN role_event TEXT NOT NULL DEFAULT '';
        ALTER TABLE operators ADD COLUMN kdf TEXT NOT NULL DEFAULT '';
        ALTER TABLE operators ADD COLUMN scrypt_n INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE operators ADD COLUMN scrypt_r INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE operators ADD COLUMN scrypt_p INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE operator_attempts (
            event_id TEXT NOT NULL,
            login TEXT NOT NULL,
            ok INTEGER NOT NULL,
            at TEXT NOT NULL,
            seat TEXT NOT NULL,
            PRIMARY KEY (event_id, login)
        );
        CREATE INDEX operator_attempts_login ON operator_attempts(login, ok, event_id)
        """,
    ),
    (
        "several services on one incident: every transfer to 110/119/120/12345 kept in"
        " incident_transfers (insert only), backfilled from the log",
        """
        CREATE TABLE incident_transfers (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            service TEXT NOT NULL,
            transferred_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX incident_transfers_incident ON incident_transfers(incident_id, transferred_at);
        INSERT INTO incident_transfers (event_id, incident_id, service, transferred_at, note,
                                        operator, seat)
            SELECT e.id, json_extract(e.payload, '$.incident_id'),
                   substr(json_extract(e.payload, '$.disposition'), 10), e.happened_at,
                   coalesce(json_extract(e.payload, '$.note'), ''), e.operator, e.seat
            FROM events e
            WHERE e.kind = 'incident.transferred'
              AND json_extract(e.payload, '$.disposition') != 'answered'
              AND e.id NOT IN (SELECT event_id FROM pending_events)
              AND EXISTS (SELECT 1 FROM incidents i
                          WHERE i.id = json_extract(e.payload, '$.incident_id'))
        """,
    ),
    (
        "phone state (seat-local, never synced): calls from the switch that rang at this seat,"
        " how each ended, and the missed ones owed a call back until called back or dismissed",
        """
        CREATE TABLE phone_calls (
            call_ref TEXT PRIMARY KEY,
            phone TEXT NOT NULL,
            caller_name TEXT NOT NULL DEFAULT '',
            line TEXT NOT NULL DEFAULT '',
            rang_at TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            ended_at TEXT,
            settled_at TEXT,
            settled_how TEXT NOT NULL DEFAULT '',
            drill INTEGER NOT NULL DEFAULT 0,
            say TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX phone_calls_state ON phone_calls(state, rang_at)
        """,
    ),
    (
        "repeats by meaning: the incidents of one category in a time window, read on every"
        " keystroke of the intake form",
        """
        CREATE INDEX incidents_category_created ON incidents(category, created_at)
        """,
    ),
    (
        "pulled events this seat refused (schema, far-future id): kept aside as sent, never in"
        " the log nor applied, so they stop neither the cursor nor a projection",
        """
        CREATE TABLE sync_refused (
            event_id TEXT PRIMARY KEY,
            server_seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            seat TEXT NOT NULL,
            code TEXT NOT NULL,
            detail TEXT NOT NULL,
            wire TEXT NOT NULL,
            refused_at TEXT NOT NULL
        )
        """,
    ),
    (
        "tamper evidence: each shared event's hash chain link (console/chain.py); events from"
        " before keep NULL, the chain starts at a seat's first event made after this migration",
        """
        ALTER TABLE events ADD COLUMN chain_prev TEXT;
        ALTER TABLE events ADD COLUMN chain_hash TEXT
        """,
    ),
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


def apply_migrations(conn: sqlite3.Connection, migrations: tuple[tuple[str, str], ...], applied_at: str,
                     newer: Exception) -> None:
    """Run the migrations not yet recorded in ``schema_migrations``, inside the caller's
    transaction; ``newer`` is raised if the file was made by a later version of the program."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    if max(done, default=0) > len(migrations):
        raise newer
    for version, (name, sql) in enumerate(migrations, start=1):
        if version in done:
            continue
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, applied_at))


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
    # the hash chain (console/chain.py); None for events outside it (drills kept home, events
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
        try:  # a file that cannot be used is refused in words (console/dbfile.py), never a traceback
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
        """The latest id time this seat takes in (``console.ids.horizon``)."""
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
        """One seat-local write outside the event log (the phone state, console/phone_state.py):
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
        """Hold a local write to the rules the city server applies (console/sync/schema.py):
        an event this seat saved but the server refused would never reach the other seats."""
        if operator_problem(self.operator) is not None:
            raise BadInput("store.operator", zh="值班员名称须为 1 到 {n} 个字符，不能全是空白，未保存",
                           en="the operator name must be 1 to {n} characters, not blank; nothing was saved",
                           n=MAX_OPERATOR)
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
            return payload.get("drill") is not True
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
