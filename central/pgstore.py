"""The city server's PostgreSQL store: the same streams, ids, epochs and tokens as the SQLite
store (central/store.py), for a city that runs several server processes on one database.

It *is* a ``CentralStore``: every method whose SQL both engines speak is inherited unchanged
(``PgConnection`` takes the ``?`` placeholders and gives rows read by index or by name, as
``sqlite3.Row`` does), so the two stores cannot drift apart in what they answer. Only what
differs is here:

* **Gap-free seq across processes.** SQLite's ``BEGIN IMMEDIATE`` serialises writers; here the
  batch's transaction locks its county's ``streams`` row (``SELECT … FOR UPDATE``) before it
  reads ``last_seq``, so pushes to one county from any number of server processes are numbered
  one after another in commit order, while different counties never wait on each other.
* **Ids kept forever.** ``events.id`` is the primary key; two counties pushing one id at the
  same moment are serialised by it: the loser's insert fails, its whole batch is rolled back
  and run again, and then sees the id as stored (``conflict``).
* **Row-level security.** Every county-keyed table has a policy: a county's database role
  (``county_role``), and every login role granted it, reads its own county's rows and nothing
  else, even with hand-written SQL; the city role (``linkage_city``) reads all; token hashes
  are granted to neither. The server's own role owns the
  tables and is not subject to the policies (the application's checks come first; the policies
  are the defence in depth for everyone else who is given a database login).
* **Backup and restore** are ``pg_dump``/``pg_restore`` (custom format), with the same rules as
  the SQLite store: tokens of the replaced store are carried over, every stream gets a new epoch.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from central.store import CentralStore, new_epoch, private_file
from console.kernel.clock import Clock, iso
from console.kernel.errors import BadInput, StorageUnavailable
from console.store.schema import apply_migrations

CITY_ROLE = "linkage_city"
COUNTY_TABLES = ("streams", "events", "chain_heads", "chain_skips")

# Append-only, one entry per SQLite migration of the same meaning plus PostgreSQL's own; a
# shipped migration is never edited. No statement may hold a ';' (they are split on it).
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "streams, events, tokens",
        """
        CREATE TABLE streams (
            county TEXT PRIMARY KEY,
            last_seq BIGINT NOT NULL DEFAULT 0,
            epoch TEXT NOT NULL
        );
        CREATE TABLE events (
            county TEXT NOT NULL,
            seq BIGINT NOT NULL,
            id TEXT PRIMARY KEY,
            seat TEXT NOT NULL,
            kind TEXT NOT NULL,
            body TEXT NOT NULL,
            hash TEXT NOT NULL,
            received_at TEXT NOT NULL,
            UNIQUE (county, seq)
        );
        CREATE TABLE tokens (
            hash TEXT PRIMARY KEY,
            county TEXT NOT NULL,
            seat TEXT NOT NULL,
            scopes TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX tokens_seat ON tokens(county, seat)
        """,
    ),
    (
        "index only registry events: every other push skips a fourth B-tree",
        "CREATE INDEX events_registry ON events(county, id) WHERE kind = 'catalog.loaded'",
    ),
    (
        "tamper evidence: each event's chain link, each seat's chain head, and the links a seat"
        " declared skipped (its quarantined events)",
        """
        ALTER TABLE events ADD COLUMN chain_prev TEXT;
        ALTER TABLE events ADD COLUMN chain_hash TEXT;
        CREATE TABLE chain_heads (
            county TEXT NOT NULL,
            seat TEXT NOT NULL,
            hash TEXT NOT NULL,
            event_id TEXT NOT NULL,
            PRIMARY KEY (county, seat)
        );
        CREATE TABLE chain_skips (
            id TEXT PRIMARY KEY,
            county TEXT NOT NULL,
            seat TEXT NOT NULL,
            prev TEXT,
            hash TEXT NOT NULL,
            received_at TEXT NOT NULL
        )
        """,
    ),
    (
        "row-level security: a county's database role reads only its county's rows",
        """
        CREATE TABLE county_roles (
            role TEXT PRIMARY KEY,
            county TEXT NOT NULL UNIQUE
        );
        ALTER TABLE streams ENABLE ROW LEVEL SECURITY;
        ALTER TABLE events ENABLE ROW LEVEL SECURITY;
        ALTER TABLE chain_heads ENABLE ROW LEVEL SECURITY;
        ALTER TABLE chain_skips ENABLE ROW LEVEL SECURITY;
        CREATE POLICY own_county ON streams FOR SELECT USING (county IN (SELECT r.county FROM county_roles r
            JOIN pg_roles p ON p.rolname = r.role WHERE pg_has_role(p.oid, 'MEMBER')));
        CREATE POLICY own_county ON events FOR SELECT USING (county IN (SELECT r.county FROM county_roles r
            JOIN pg_roles p ON p.rolname = r.role WHERE pg_has_role(p.oid, 'MEMBER')));
        CREATE POLICY own_county ON chain_heads FOR SELECT USING (county IN (SELECT r.county FROM county_roles r
            JOIN pg_roles p ON p.rolname = r.role WHERE pg_has_role(p.oid, 'MEMBER')));
        CREATE POLICY own_county ON chain_skips FOR SELECT USING (county IN (SELECT r.county FROM county_roles r
            JOIN pg_roles p ON p.rolname = r.role WHERE pg_has_role(p.oid, 'MEMBER')));
        CREATE POLICY whole_city ON streams FOR SELECT USING (EXISTS (SELECT 1 FROM pg_roles p
            WHERE p.rolname = 'linkage_city' AND pg_has_role(p.oid, 'MEMBER')));
        CREATE POLICY whole_city ON events FOR SELECT USING (EXISTS (SELECT 1 FROM pg_roles p
            WHERE p.rolname = 'linkage_city' AND pg_has_role(p.oid, 'MEMBER')));
        CREATE POLICY whole_city ON chain_heads FOR SELECT USING (EXISTS (SELECT 1 FROM pg_roles p
            WHERE p.rolname = 'linkage_city' AND pg_has_role(p.oid, 'MEMBER')));
        CREATE POLICY whole_city ON chain_skips FOR SELECT USING (EXISTS (SELECT 1 FROM pg_roles p
            WHERE p.rolname = 'linkage_city' AND pg_has_role(p.oid, 'MEMBER')))
        """,
    ),
)


@functools.lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    """SQLite's ``?`` as psycopg's ``%s`` (no statement of the stores holds a literal ``?`` or ``%``)."""
    return sql.replace("?", "%s")


class Row(tuple):
    """A result row read by index or by column name, and ``dict(row)``-able, like ``sqlite3.Row``."""

    _names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    if cursor.description is None:
        return tuple
    names = {column.name: i for i, column in enumerate(cursor.description)}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._names = names
        return row

    return make


class PgConnection:
    """A psycopg connection that speaks to the store's SQL as ``sqlite3.Connection`` does."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.depth = 0  # open transactions: a connection lost inside one is not replaced
        self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory)

    def reconnect(self) -> None:
        """A restarted database leaves this connection broken: a fresh one (outside transactions)."""
        import psycopg

        with contextlib.suppress(Exception):
            self.raw.close()
        self.raw = psycopg.connect(self.url, autocommit=True, row_factory=_row_factory)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self.depth == 0 and (self.raw.closed or self.raw.broken):
            self.reconnect()
        self.depth += 1
        try:
            with self.raw.transaction():
                yield
        finally:
            self.depth -= 1

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.depth == 0 and (self.raw.closed or self.raw.broken):
            self.reconnect()
        return self.raw.execute(_placeholders(sql), tuple(params) or None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def is_url(spec: str) -> bool:
    return spec.startswith(("postgresql://", "postgres://"))


def county_role_name(county: str) -> str:
    """The county's database role: readable, unique, within PostgreSQL's 63-byte names."""
    return f"lc_{county[:40]}_{hashlib.sha256(county.encode()).hexdigest()[:8]}".lower()


def _cannot_open(url: str, exc: Exception) -> StorageUnavailable:
    return StorageUnavailable("central.pg_unavailable", zh="无法连接 PostgreSQL 数据库：{err}",
                              en="cannot use the PostgreSQL store: {err}", err=str(exc).strip()[:300],
                              url=_redacted(url))


def _redacted(url: str) -> str:
    """The URL without a password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, userinfo = head.partition("://")
    return f"{scheme}://{userinfo.split(':')[0]}@{tail}"


class PgCentralStore(CentralStore):
    """``CentralStore`` on PostgreSQL; ``url`` is a libpq URL (``postgresql://…``)."""

    def __init__(self, url: str, clock: Clock) -> None:
        import psycopg

        self.path = url
        self.clock = clock
        self._lock = threading.RLock()
        try:
            self.conn = PgConnection(url)  # type: ignore[assignment]
        except psycopg.Error as exc:
            raise _cannot_open(url, exc) from None
        try:
            self._migrate()
        except BaseException:
            self.conn.close()
            raise

    def _migrate(self) -> None:
        with self._tx() as conn:
            # one migrator at a time when several server processes start together
            conn.execute("SELECT pg_advisory_xact_lock(7263517)")
            tables = {r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
            if "outbox" in tables or ("events" in tables and "streams" not in tables):
                raise BadInput("central.not_a_store", zh="{path} 不是联动服务器的数据库",
                               en="{path} is not a Linkage server store", path=_redacted(self.path))
            apply_migrations(conn, MIGRATIONS, iso(self.clock.now()), BadInput(
                "store.newer_schema",
                zh="服务器数据库由更新版本的程序创建，请升级后再打开",
                en="the server store was made by a newer version; upgrade first",
            ))

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Any]:
        """One transaction; any exception rolls the whole of it back."""
        with self._lock, self.conn.transaction():  # type: ignore[attr-defined]
            yield self.conn

    def _stream(self, conn: Any, county: str) -> Any:
        """The county's stream row, locked until the transaction ends (writers queue here)."""
        conn.execute("INSERT INTO streams (county, last_seq, epoch) VALUES (?, 0, ?) ON CONFLICT DO NOTHING",
                     (county, new_epoch()))
        return conn.execute("SELECT * FROM streams WHERE county = ? FOR UPDATE", (county,)).fetchone()

    def apply_batch(self, county: str, seat: str, events: list[dict[str, Any]],
                    bodies: list[str] | None = None, skipped: list[dict[str, Any]] | None = None, *,
                    check_chain: bool = False) -> list[dict[str, Any]]:
        """As ``CentralStore.apply_batch``; a batch that lost a race for an id (to another
        county's concurrent push) is rolled back and run again, and then answers ``conflict``."""
        import psycopg

        for attempt in range(5):
            try:
                return super().apply_batch(county, seat, events, bodies, skipped, check_chain=check_chain)
            except psycopg.errors.UniqueViolation:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def epoch(self, county: str) -> str:
        with self._lock:
            row = self.conn.execute("SELECT epoch FROM streams WHERE county = ?", (county,)).fetchone()
        if row is not None:
            return str(row[0])
        return super().epoch(county)

    def registry(self, county: str) -> dict[str, Any] | None:
        return self._registry(county, "SELECT id, seq, body FROM events WHERE county = ? AND kind = 'catalog.loaded'")

    # -- row-level security ---------------------------------------------------------------
    def county_role(self, county: str) -> str:
        """Make (or keep) the county's database role and let it read its county's rows only.

        The role is NOLOGIN: an administrator grants it to a login role of the county's own
        (``GRANT lc_… TO county_reporting``). Needs the CREATEROLE privilege."""
        role = county_role_name(county)
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (role,)).fetchone() is None:
                conn.execute(f'CREATE ROLE "{role}" NOLOGIN')
            conn.execute("INSERT INTO county_roles (role, county) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         (role, county))
            self._grant(conn, role)
        return role

    def city_role(self) -> str:
        """The city's reading role: every county's rows, no token hashes."""
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (CITY_ROLE,)).fetchone() is None:
                conn.execute(f'CREATE ROLE "{CITY_ROLE}" NOLOGIN')
            self._grant(conn, CITY_ROLE)
        return CITY_ROLE

    @staticmethod
    def _grant(conn: Any, role: str) -> None:
        conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.execute(f'GRANT SELECT ON {", ".join(COUNTY_TABLES)}, county_roles TO "{role}"')

    # -- backup and restore ---------------------------------------------------------------
    def backup(self, to_path: Path | str) -> None:
        """``pg_dump`` in its custom format, written beside and renamed into place (0600)."""
        from central.pgcluster import tool

        target = Path(to_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        private_file(partial)
        _run_tool(tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial),
                  "--dbname", self.path)
        partial.replace(target)

    @classmethod
    def restore(cls, from_path: Path | str, store_path: Path | str, clock: Clock) -> list[dict[str, Any]]:
        """As ``CentralStore.restore``, with ``pg_restore``: tokens kept, every epoch new."""
        from central.pgcluster import tool

        url = str(store_path)
        source = Path(from_path)
        if not source.is_file():
            raise BadInput("central.no_backup", zh="找不到备份文件 {path}", en="no backup file {path}",
                           path=str(source))
        listing = subprocess.run([tool("pg_restore"), "--list", str(source)], capture_output=True, text=True,
                                 timeout=120)
        if listing.returncode != 0 or not all(f"TABLE public {t} " in listing.stdout or
                                              f"TABLE public {t} -" in listing.stdout
                                              for t in ("streams", "events", "tokens")):
            raise BadInput("central.not_a_store", zh="{path} 不是联动服务器的数据库",
                           en="{path} is not a Linkage server store", path=str(source))
        current = cls(url, clock)
        try:
            kept = [tuple(r) for r in current.conn.execute(
                "SELECT hash, county, seat, scopes, created_at, revoked_at FROM tokens")]
            with current._tx() as conn:
                for table in ("chain_skips", "chain_heads", "county_roles", "tokens", "events", "streams",
                              "schema_migrations"):
                    conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        finally:
            current.close()
        _run_tool(tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", "--dbname", url, str(source))
        store = cls(url, clock)
        try:
            with store._tx() as conn:
                conn.executemany(
                    "INSERT INTO tokens (hash, county, seat, scopes, created_at, revoked_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET revoked_at ="
                    " coalesce(tokens.revoked_at, excluded.revoked_at)", kept)
                for row in conn.execute("SELECT county FROM streams").fetchall():
                    conn.execute("UPDATE streams SET epoch = ? WHERE county = ?", (new_epoch(), row[0]))
                roles = [r[0] for r in conn.execute("SELECT role FROM county_roles")]
            for role in roles:  # privileges are not in the dump (the roles may not exist there)
                with store._tx() as conn:
                    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (role,)).fetchone():
                        store._grant(conn, role)
            return store.streams()
        finally:
            store.close()


def _run_tool(*cmd: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=env)
    if done.returncode != 0:
        raise StorageUnavailable("central.pg_tool_failed", zh="{tool} 失败：{err}", en="{tool} failed: {err}",
                                 tool=Path(cmd[0]).name, err=done.stderr.strip()[-500:])
