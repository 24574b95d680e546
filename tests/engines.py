"""Engine-neutral looks into a city server store for tests (SQLite file or PostgreSQL URL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from central.storage import is_postgresql


def store_option(spec: Path | str) -> str:
    """``--store`` for ``linkage serve``/``server``: ``sqlite:PATH`` or the URL itself."""
    return str(spec) if is_postgresql(spec) else f"sqlite:{spec}"


def table_rows(spec: Path | str, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of each table (ordered by its first two columns), through a connection of its own."""
    if is_postgresql(spec):
        import psycopg

        with psycopg.connect(str(spec)) as pg:
            return {t: [tuple(r) for r in pg.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()]
                    for t in tables}
    conn = sqlite3.connect(spec)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        conn.close()


def connect(spec: Path | str) -> Any:
    """A connection of its own to the store, taking SQLite's ``?`` placeholders on either engine
    (``.execute(sql, params).fetchall()``, ``.close()``)."""
    if is_postgresql(spec):
        from central.pgstore import PgConnection

        return PgConnection(str(spec))
    return sqlite3.connect(spec)


def quick_check(conn: Any, pragma: str = "quick_check") -> bool:
    """SQLite's own check of the file (``quick_check`` or ``integrity_check``); PostgreSQL keeps
    its files itself (nothing to ask)."""
    if isinstance(conn, sqlite3.Connection):
        return bool(conn.execute(f"PRAGMA {pragma}").fetchall() == [("ok",)])
    return True
