"""The city server's SQLite store: one event stream per county, and the seat tokens.

The server keeps every event id forever (the ``events`` primary key), so a re-sent event is
recognised by its id alone and a reused id is a conflict, never a silent overwrite. ``seq``
is bumped inside the same ``BEGIN IMMEDIATE`` that inserts the event, so each county's stream
is gap-free and numbered in commit order. Tokens are stored as their SHA-256 only.

One connection guarded by a lock: the app runs one worker process, and SQLite serialises
writers anyway; the lock keeps one request's transaction from interleaving with another's.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central import chaining
from console.kernel.clock import Clock, iso
from console.kernel.errors import BadInput
from console.store.payloads import payload_problem
from console.store.projections import registry_rank
from console.store.schema import apply_migrations
from console.store.transaction import connect, select_in
from console.sync import protocol

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=5000",
)

CITY = "*"  # the county of a city-level (read-all) token
SEAT_SCOPES = ("push", "pull")
CITY_SCOPES = ("read-all",)
# a city token that may also supervise: record 督办 on a county's order and a note on its
# incident, into that county's stream, and nothing else (central/app.py refuses every other kind)
CITY_SUPERVISE_SCOPES = ("read-all", "supervise")
CITY_WRITE_KINDS = frozenset({"order.supervised", "incident.noted"})

# Append-only: a shipped migration is never edited; a change is a new entry.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "streams, events, tokens",
        """
        CREATE TABLE streams (
            county TEXT PRIMARY KEY,
            last_seq INTEGER NOT NULL DEFAULT 0,
            epoch TEXT NOT NULL
        );
        CREATE TABLE events (
            county TEXT NOT NULL,
            seq INTEGER NOT NULL,
            id TEXT PRIMARY KEY,
            seat TEXT NOT NULL,
            kind TEXT NOT NULL,
            body TEXT NOT NULL,
            hash TEXT NOT NULL,
            received_at TEXT NOT NULL,
            UNIQUE (county, seq)
        );
        CREATE INDEX events_kind ON events(county, kind, id);
        CREATE TABLE tokens (
            hash TEXT PRIMARY KEY,
            county TEXT NOT NULL,
            seat TEXT NOT NULL,
            scopes TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX tokens_seat ON tokens(county, seat);
        """,
    ),
    (
        "index only registry events: every other push skips a fourth B-tree",
        """
        DROP INDEX events_kind;
        CREATE INDEX events_registry ON events(county, id) WHERE kind = 'catalog.loaded'
        """,
    ),
    chaining.MIGRATION,
)
OUR_TABLES = ("streams", "events", "tokens", "schema_migrations")  # what a restorable backup must hold


@dataclass(frozen=True)
class Credential:
    """Who a token speaks for. ``county`` is ``*`` for a city-level reader."""

    county: str
    seat: str
    scopes: tuple[str, ...]

    @property
    def is_city(self) -> bool:
        return self.county == CITY


class AuthError(Exception):
    """A token that does not open the door; ``reason`` is the wire code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_epoch() -> str:
    return secrets.token_hex(8)


def _not_a_store(path: str) -> BadInput:
    return BadInput(
        "central.not_a_store",
        zh="{path} 不是联动服务器的数据库",
        en="{path} is not a Linkage server store",
        path=path,
    )


class CentralStore:
    """The server's one database. Thread-safe through one lock; one instance per process."""

    def __init__(self, path: Path | str, clock: Clock) -> None:
        self.path = str(path)
        self.clock = clock
        self._lock = threading.RLock()
        if self.path != ":memory:":
            private_file(Path(self.path))
        try:
            self.conn = connect(self.path, PRAGMAS)
        except sqlite3.DatabaseError as exc:
            raise _not_a_store(self.path) from exc
        try:
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise _not_a_store(self.path) from exc
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    # -- schema ---------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._tx():
            tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "outbox" in tables or ("events" in tables and "streams" not in tables):
                # A seat's database has an ``events`` table too; never mix the two.
                raise _not_a_store(self.path)
            apply_migrations(self.conn, MIGRATIONS, iso(self.clock.now()), BadInput(
                "store.newer_schema",
                zh="服务器数据库由更新版本的程序创建，请升级后再打开",
                en="the server store was made by a newer version; upgrade first",
            ))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls the whole of it back."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def _stream(self, conn: sqlite3.Connection, county: str) -> sqlite3.Row:
        conn.execute("INSERT OR IGNORE INTO streams (county, last_seq, epoch) VALUES (?, 0, ?)",
                     (county, new_epoch()))
        row: sqlite3.Row = conn.execute("SELECT * FROM streams WHERE county = ?", (county,)).fetchone()
        return row

    # -- the stream -----------------------------------------------------------------------
    def apply_batch(self, county: str, seat: str, events: list[dict[str, Any]],
                    bodies: list[str] | None = None, skipped: list[dict[str, Any]] | None = None, *,
                    check_chain: bool = False) -> list[dict[str, Any]]:
        """Store a checked batch in one transaction; one ack per event, in the pushed order.

        ``seat`` is the pushing seat (each event's own ``seat`` was already checked to be it);
        ``bodies`` the events' canonical texts if the caller made them already. A reused id is
        answered ``conflict`` without the stored event's seq or content, and without saying
        whether it lives in this county or another. With ``check_chain`` (the push handler) a
        new event that breaks the seat's hash chain is answered ``rejected`` with the reason and
        the seat's chain head moves (central/chaining.py); ``skipped`` are the chain links of
        events the seat will never push. Without it the events are stored as given, links and
        all (the checks are the caller's: tools, benches, a test's "older server").
        """
        if bodies is None:
            bodies = [protocol.canonical(wire) for wire in events]
        digests = [hashlib.sha256(body.encode()).hexdigest() for body in bodies]
        acks: list[dict[str, Any]] = []
        rows: list[tuple[Any, ...]] = []
        now = iso(self.clock.now())
        with self._tx() as conn:
            last_seq = int(self._stream(conn, county)["last_seq"])
            gate = chaining.ChainGate(conn, county, seat, skipped or []) if check_chain else None
            known: dict[str, tuple[str, int, str]] = {}  # id → (county, seq, hash)
            for row in select_in(conn, "SELECT id, county, seq, hash FROM events WHERE id IN ({ids})",
                                 [wire["id"] for wire in events]):
                known[row["id"]] = (row["county"], row["seq"], row["hash"])
            for wire, body, digest in zip(events, bodies, digests, strict=True):
                stored = known.get(wire["id"])
                if stored is not None:
                    if stored[0] == county and stored[2] == digest:
                        acks.append({"id": wire["id"], "status": "duplicate", "seq": stored[1]})
                    else:
                        acks.append({"id": wire["id"], "status": "conflict", "code": "id_reused"})
                    continue
                refused = gate.admit(wire, body) if gate is not None else None
                if refused is not None:
                    acks.append({"id": wire["id"], "status": "rejected", "code": refused[0], "detail": refused[1]})
                    continue
                last_seq += 1
                # the same id twice in one batch: the second is a duplicate of the first
                known[wire["id"]] = (county, last_seq, digest)
                link = wire.get(protocol.CHAIN) or {}
                rows.append((county, last_seq, wire["id"], seat, wire["kind"], body, digest, now,
                             link.get("prev"), link.get("hash")))
                acks.append({"id": wire["id"], "status": "accepted", "seq": last_seq})
            conn.executemany(
                "INSERT INTO events (county, seq, id, seat, kind, body, hash, received_at, chain_prev, chain_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute("UPDATE streams SET last_seq = ? WHERE county = ?", (last_seq, county))
            if gate is not None:
                gate.save(conn, now)
        return acks

    def pull(self, county: str, after: int, limit: int) -> tuple[list[dict[str, Any]], int, int]:
        """(events after ``after`` as wire dicts + seq + received_at, next_after, high_watermark)."""
        texts, next_after, high = self.pull_json(county, after, limit)
        return [json.loads(t) for t in texts], next_after, high

    def pull_json(self, county: str, after: int, limit: int) -> tuple[list[str], int, int]:
        """``pull`` as ready JSON texts: the stored canonical body with seq and received_at put
        in front, so serving a page never decodes and re-encodes what was stored verbatim."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT seq, body, received_at, chain_prev, chain_hash FROM events"
                " WHERE county = ? AND seq > ? ORDER BY seq LIMIT ?",
                (county, after, limit),
            ).fetchall()
            top = self.conn.execute("SELECT last_seq FROM streams WHERE county = ?", (county,)).fetchone()
        # received_at is this server's own iso() text and the chain link hex digests (checked on
        # push): nothing in them needs escaping; json_safe: never serve NaN/Infinity, even if an
        # older server stored them
        texts = [f'{{"seq":{r[0]},"received_at":"{r[2]}",{_link_json(r[3], r[4])}{protocol.json_safe(r[1])[1:]}'
                 for r in rows]
        next_after = int(rows[-1]["seq"]) if rows else after
        return texts, next_after, int(top[0]) if top else 0

    def missing(self, county: str, ids: list[str]) -> list[str]:
        """The ids this county's stream lacks, in the asked order (an id kept under another
        county counts as lacking here; pushing it will answer ``conflict``)."""
        if not ids:
            return []
        with self._lock:
            unique = list(dict.fromkeys(ids))
            have = {r[0] for r in select_in(self.conn, "SELECT id FROM events WHERE county = ? AND id IN ({ids})",
                                            unique, before=(county,))}
        return [i for i in unique if i not in have]

    def registry(self, county: str) -> dict[str, Any] | None:
        """The county's winning ``catalog.loaded`` (the rule every seat applies), or None."""
        return self._registry(county, "SELECT id, seq, body FROM events INDEXED BY events_registry"
                                      " WHERE county = ? AND kind = 'catalog.loaded'")

    def _registry(self, county: str, sql: str) -> dict[str, Any] | None:
        """``registry`` over ``sql`` (the registry events of a county: each engine names its index)."""
        with self._lock:
            rows = self.conn.execute(sql, (county,)).fetchall()
        # only registries that load as a catalog (an older server may have stored others)
        usable = [(r, wire) for r in rows
                  if payload_problem("catalog.loaded", (wire := json.loads(r["body"]))["payload"]) is None]
        if not usable:
            return None
        row, wire = max(usable, key=lambda rw: registry_rank(rw[0]["id"], rw[1]["payload"]))
        return {"event_id": row["id"], "seq": row["seq"], "recorded_at": wire["recorded_at"],
                "version": wire["payload"]["version"], "body": wire["payload"]["body"]}

    def epoch(self, county: str) -> str:
        """The county stream's epoch, minting the stream on first use."""
        with self._tx() as conn:
            return str(self._stream(conn, county)["epoch"])

    def has_stream(self, county: str) -> bool:
        with self._lock:
            return self.conn.execute("SELECT 1 FROM streams WHERE county = ?", (county,)).fetchone() is not None

    def streams(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self.conn.execute("SELECT * FROM streams ORDER BY county")]

    def count_events(self, county: str | None = None) -> int:
        with self._lock:
            if county is None:
                return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])
            return int(self.conn.execute("SELECT count(*) FROM events WHERE county = ?", (county,)).fetchone()[0])

    # -- tokens ---------------------------------------------------------------------------
    def add_token(self, county: str, seat: str, scopes: tuple[str, ...] | list[str] = SEAT_SCOPES) -> str:
        """Mint a 256-bit token; only its SHA-256 is kept, so this is the one time it is seen."""
        if not (county == CITY or protocol.valid_name(county)) or not protocol.valid_name(seat):
            raise BadInput("central.bad_name", zh="县名或席位名不合法", en="invalid county or seat name")
        token = secrets.token_urlsafe(32)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO tokens (hash, county, seat, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash(token), county, seat, " ".join(scopes), iso(self.clock.now())),
            )
            if county != CITY:
                self._stream(conn, county)
        return token

    def revoke(self, county: str, seat: str) -> int:
        """Revoke every live token of (county, seat); how many were revoked."""
        with self._tx() as conn:
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE county = ? AND seat = ? AND revoked_at IS NULL",
                (iso(self.clock.now()), county, seat),
            )
            return int(cursor.rowcount)

    def seats(self) -> list[dict[str, Any]]:
        """Every token ever issued (never the token itself), oldest first."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT county, seat, scopes, created_at, revoked_at FROM tokens ORDER BY created_at, county, seat"
            ).fetchall()
        return [dict(r) for r in rows]

    def authenticate(self, token: str) -> Credential:
        with self._lock:
            row = self.conn.execute(
                "SELECT county, seat, scopes, revoked_at FROM tokens WHERE hash = ?", (token_hash(token),)
            ).fetchone()
        if row is None:
            raise AuthError("unauthenticated")
        if row["revoked_at"] is not None:
            raise AuthError("token_revoked")
        return Credential(row["county"], row["seat"], tuple(row["scopes"].split()))

    # -- backup and restore ---------------------------------------------------------------
    def backup(self, to_path: Path | str) -> None:
        """An online, consistent copy (SQLite backup API), written beside and renamed into place."""
        target = Path(to_path)
        if self.path != ":memory:" and _same_file(target, Path(self.path)):
            raise BadInput("central.backup_onto_store", zh="备份文件不能是服务器数据库本身",
                           en="the backup cannot be the server store itself")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        private_file(partial)  # a backup holds what the store holds
        dest = sqlite3.connect(partial)
        try:
            with self._lock:
                self.conn.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
        partial.replace(target)

    @classmethod
    def restore(cls, from_path: Path | str, store_path: Path | str, clock: Clock) -> list[dict[str, Any]]:
        """Put a backup in place of the store, then mint a new epoch for every stream.

        Events received after the backup are gone and their seqs will be handed out again, so
        seats must not take the restored stream for the old one: the new epoch tells them to
        re-push what the server lost. Tokens are configuration, not data: the tokens of the
        store being replaced are carried over, so a seat revoked after the backup stays
        revoked and one enrolled after it keeps working. Stop the server first.
        Returns the streams with their new epochs.
        """
        source = Path(from_path)
        if not source.is_file():
            raise BadInput("central.no_backup", zh="找不到备份文件 {path}", en="no backup file {path}",
                           path=str(source))
        if _same_file(source, Path(store_path)):
            raise BadInput("central.restore_onto_itself", zh="备份文件就是服务器数据库本身",
                           en="the backup is the server store itself")
        _check_backup(source)
        kept: list[tuple[Any, ...]] = []
        if Path(store_path).exists():
            with suppress(sqlite3.DatabaseError):
                current = sqlite3.connect(store_path)
                try:
                    kept = [tuple(r) for r in current.execute(
                        "SELECT hash, county, seat, scopes, created_at, revoked_at FROM tokens")]
                finally:
                    current.close()
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dest = sqlite3.connect(store_path)
        try:
            src.backup(dest)
        finally:
            src.close()
            dest.close()
        store = cls(store_path, clock)
        try:
            with store._tx() as conn:
                conn.executemany(
                    "INSERT INTO tokens (hash, county, seat, scopes, created_at, revoked_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET revoked_at ="
                    " coalesce(tokens.revoked_at, excluded.revoked_at)",
                    kept,
                )
                for row in conn.execute("SELECT county FROM streams").fetchall():
                    conn.execute("UPDATE streams SET epoch = ? WHERE county = ?", (new_epoch(), row[0]))
            return store.streams()
        finally:
            store.close()


def _link_json(prev: str | None, digest: str | None) -> str:
    if digest is None:
        return ""
    prev_json = "null" if prev is None else f'"{prev}"'
    return f'"chain":{{"prev":{prev_json},"hash":"{digest}"}},'


def private_file(path: Path) -> None:
    """Make ``path`` (and its -wal/-shm, if present) readable by this user only (0600).

    The store holds every county's callers and the seat tokens' hashes. The file is created
    here with mode 0600 before SQLite opens it; SQLite then creates -wal and -shm with the
    database file's own mode. A file made by an older version is tightened on open.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with suppress(FileNotFoundError):
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _check_backup(path: Path) -> None:
    """Refuse to restore anything but an intact server store."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise _not_a_store(str(path)) from exc
    if ok != "ok" or not set(OUR_TABLES) <= tables:
        raise _not_a_store(str(path))
