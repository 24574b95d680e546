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
