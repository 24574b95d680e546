"""Shared fixtures for the core and CLI tests.

Every test gets its own real SQLite file under ``tmp_path`` and a ``FakeClock`` that starts at
2026-11-28T06:00:00Z (14:00 in the center's Asia/Shanghai zone) and moves only when told to.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from console.duty import pins
from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from console.store.transaction import Store, Transaction

START = "2026-11-28T06:00:00Z"  # 14:00 Asia/Shanghai
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# What the fixtures below hand a test, named so that a test's signature stays one short line.
TakeCall = Callable[..., Any]  # ``call``: returns the IntakeResult
Unchanged = Callable[[Services], AbstractContextManager[None]]  # ``unchanged``
OpenServices = Callable[..., Services]  # ``open_svc``
Scalar = Callable[..., Any]  # ``scalar``

# Tables whose whole content must be untouched by a refusal.
WATCHED_TABLES = ("events", "outbox", "incidents", "calls", "orders", "catalog_snapshot",
                  "schema_migrations")


def snapshot(conn: sqlite3.Connection | Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every watched table, so a refusal can be shown to have written nothing."""
    return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t}").fetchall()]
            for t in WATCHED_TABLES}



def one_row(db: Store | Transaction, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row:
    """``db.one(sql)`` for a query the test knows answers a row (a count, a row it just wrote):
    a missing row fails here, naming the query, instead of as ``None[0]`` further on."""
    row = db.one(sql, params)
    assert row is not None, f"no row for {sql}"
    return row

@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test depends on the developer's environment."""
    for name in ("LINKAGE_NOW", "LINKAGE_DB", "LINKAGE_LANG"):
        monkeypatch.delenv(name, raising=False)


#: scrypt parameters for PINs hashed in tests: 16 KiB instead of the product's 64 MiB, so a test
#: that enrols operators stays fast. The one documented knob is ``console.duty.pins.KDF``; the product
#: default (``pins.PRODUCT_KDF``) is checked by tests/test_pins_security.py and timed in bench/.
TEST_KDF = pins.Scrypt(n=2 ** 4, r=8, p=1)


@pytest.fixture(autouse=True)
def _cheap_pin_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pins, "KDF", TEST_KDF)


@pytest.fixture
def started() -> Iterator[list[Any]]:
    """Consoles a tmux test started (tests/burst.py ``start_into``), closed when the test ends."""
    consoles: list[Any] = []
    yield consoles
    for console in consoles:
        console.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "linkage.db"


@pytest.fixture
def services(db_path: Path, clock: FakeClock) -> Iterator[Services]:
    s = open_services(db_path, clock=clock)
    yield s
    s.close()


@pytest.fixture
def open_svc(db_path: Path, clock: FakeClock) -> Iterator[OpenServices]:
    """Open more sessions (another config, a reopened DB); all are closed at teardown."""
    opened: list[Services] = []

    def _open(db: Path | None = None, **kwargs: Any) -> Services:
        kwargs.setdefault("clock", clock)
        s = open_services(db or db_path, **kwargs)
        opened.append(s)
        return s

    yield _open
    for s in opened:
        s.close()


@pytest.fixture
def unchanged() -> Unchanged:
    """``with unchanged(services): ...`` asserts the block wrote nothing at all."""

    @contextmanager
    def _unchanged(s: Services) -> Iterator[None]:
        before = snapshot(s.store.conn)
        yield
        assert snapshot(s.store.conn) == before, "a refused action wrote to the store"

    return _unchanged


@pytest.fixture
def only_failures_recorded() -> Callable[..., AbstractContextManager[None]]:
    """``with only_failures_recorded(services, "alice"): ...`` asserts the block wrote nothing
    but one ``operator.sign_in_failed`` per login given (and their outbox rows): the trace a
    wrong PIN leaves (console/duty/operators.py), where other refusals leave none."""

    @contextmanager
    def _only(s: Services, *logins: str) -> Iterator[None]:
        before = snapshot(s.store.conn)
        newest = s.store.one("SELECT coalesce(max(seq), 0) FROM events")
        assert newest is not None
        yield
        after = snapshot(s.store.conn)
        for table in before:
            if table not in ("events", "outbox"):
                assert after[table] == before[table], f"a wrong PIN wrote to {table}"
        new = s.store.all("SELECT kind, payload FROM events WHERE seq > ? ORDER BY seq", (newest[0],))
        assert [(r["kind"], json.loads(r["payload"])["login"]) for r in new] == [
            ("operator.sign_in_failed", login) for login in logins]
        assert len(after["outbox"]) == len(before["outbox"]) + len(logins)

    return _only


@pytest.fixture
def scalar(services: Services) -> Scalar:
    """``scalar("SELECT count(*) FROM events")`` → the single value of a query."""

    def _scalar(sql: str, params: tuple[Any, ...] = ()) -> Any:
        row = services.store.one(sql, params)
        assert row is not None
        return row[0]

    return _scalar


@pytest.fixture
def call(services: Services) -> TakeCall:
    """Take a call with sensible defaults: ``call(text=..., phone=...)`` → IntakeResult."""

    def _call(**kwargs: Any) -> Any:
        kwargs.setdefault("phone", "13800000001")
        kwargs.setdefault("text", "小区停电两个小时了")
        kwargs.setdefault("address", "人民路12号")
        kwargs.setdefault("area", "urban")
        kwargs.setdefault("category", "power_supply")
        return services.new_call(**kwargs)

    return _call


# -- CLI ------------------------------------------------------------------------------------
@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def data(self) -> Any:
        answer = self.json
        assert answer["ok"] is True, answer
        return answer["data"]


class Cli:
    """Runs ``console.cli.main`` in-process against one database with a fixed clock."""

    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.now(START)

    def now(self, instant: str) -> None:
        self.monkeypatch.setenv("LINKAGE_NOW", instant)

    def __call__(self, *args: str, as_json: bool = True, stdin: str = "") -> CliResult:
        """Run one command; ``stdin`` is what it reads (PINs, one per line)."""
        import io

        from console.cli import main

        argv = ["--db", str(self.db), *args, *(["--json"] if as_json else [])]
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        code = main(argv)
        captured = self.capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def ok(self, *args: str, stdin: str = "") -> Any:
        result = self(*args, stdin=stdin)
        assert result.code == 0, result.err
        return result.data

    def refused(self, *args: str, code: str, zh: str, en: str, stdin: str = "") -> CliResult:
        """Exit 2 with ``code``, ``zh`` in the Chinese message, ``en`` in the English one, and
        nothing in the database changed."""
        before = self.snapshot()
        result = self(*args, stdin=stdin)
        assert result.code == 2 and result.json["error"]["code"] == code, result.out
        assert zh in result.json["error"]["message"]
        assert en in self("--lang", "en", *args, as_json=False, stdin=stdin).err
        assert self.snapshot() == before
        return result

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        conn = sqlite3.connect(self.db)
        try:
            return snapshot(conn)
        finally:
            conn.close()


@pytest.fixture
def cli(db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(db_path, capsys, monkeypatch)


@pytest.fixture
def seeded(cli: Cli) -> Cli:
    """A database with one urban power-cut incident (#1) and an order to the power bureau (1)."""
    cli.ok("call", "new", "--phone", "13800000001", "--text", "小区停电两个小时了",
           "--address", "人民路12号", "--area", "urban", "--category", "power_supply")
    cli.ok("order", "new", "1", "gdj")
    return cli


# -- the city server's two engines ------------------------------------------------------------
# Every server test that takes ``central_spec`` runs twice: on a SQLite file in tmp_path and on a
# fresh database of a throwaway PostgreSQL cluster (one per test worker, started on first use;
# central/pgcluster.py says how it runs as root). .ci/run installs PostgreSQL when missing, so
# the skip below happens only on a developer's machine without it.
ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    from central.pgcluster import binaries, throwaway

    if binaries() is None:
        pytest.skip("no PostgreSQL server programs (initdb, pg_ctl) here; .ci/run installs them")
    with throwaway() as cluster:
        yield cluster


@pytest.fixture(params=ENGINES)
def central_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's city server store lives: a SQLite path or a PostgreSQL URL (central/storage.py)."""
    if request.param == "sqlite":
        return tmp_path / "central.db"
    return str(request.getfixturevalue("pg_cluster").new_database())
