"""Which store a ``--store`` names: ``sqlite:PATH`` (the default engine, one machine) or a
``postgresql://…`` URL (a city's database, several server processes). The one place that
chooses, so the CLI, the tests and the benches open stores the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from central.store import CentralStore
from console.kernel.clock import Clock


def is_postgresql(spec: Path | str) -> bool:
    return str(spec).startswith(("postgresql://", "postgres://"))


def open_store(spec: Path | str, clock: Clock) -> CentralStore:
    """The store at ``spec``: a PostgreSQL URL, else a SQLite file path."""
    if is_postgresql(spec):
        from central.pgstore import PgCentralStore

        return PgCentralStore(str(spec), clock)
    return CentralStore(spec, clock)


def restore_store(source: Path | str, spec: Path | str, clock: Clock) -> list[dict[str, Any]]:
    """Put the backup ``source`` in place of the store at ``spec`` (stop the server first)."""
    if is_postgresql(spec):
        from central.pgstore import PgCentralStore

        return PgCentralStore.restore(source, str(spec), clock)
    return CentralStore.restore(source, spec, clock)


# what ``migrate`` copies, table by table, column by column (the same on both engines)
COPIED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("streams", ("county", "last_seq", "epoch")),
    ("events", ("county", "seq", "id", "seat", "kind", "body", "hash", "received_at", "chain_prev", "chain_hash")),
    ("tokens", ("hash", "county", "seat", "scopes", "created_at", "revoked_at")),
    ("chain_heads", ("county", "seat", "hash", "event_id")),
    ("chain_skips", ("id", "county", "seat", "prev", "hash", "received_at")),
)


def migrate_store(source: Path | str, target: Path | str, clock: Clock, *, chunk: int = 5000) -> dict[str, int]:
    """Copy a whole store into an empty one (say SQLite → PostgreSQL), in one transaction on
    the target: every stream with its seqs and epoch, so seats carry on as if nothing moved
    (same epoch, same seqs), every token hash, the chain heads and skipped links. Stop the
    server first. Refused if the target already holds a stream or a token. Rows copied per table."""
    from console.kernel.errors import BadInput

    src = open_store(source, clock)
    try:
        dst = open_store(target, clock)
        try:
            if dst.streams() or dst.seats():
                raise BadInput("central.migrate_not_empty", zh="目标数据库不是空的",
                               en="the target store is not empty")
            counts: dict[str, int] = {}
            with dst._tx() as out:
                for table, columns in COPIED:
                    names = ", ".join(columns)
                    marks = ", ".join("?" * len(columns))
                    cursor = src.conn.execute(f"SELECT {names} FROM {table}")
                    counts[table] = 0
                    while rows := cursor.fetchmany(chunk):
                        out.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", [tuple(r) for r in rows])
                        counts[table] += len(rows)
            return counts
        finally:
            dst.close()
    finally:
        src.close()
