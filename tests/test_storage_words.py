"""Every way the database file or the command line can fail gets words, never a traceback.

Each case runs the real ``linkage`` script in a subprocess, once with ``--lang zh`` and once
with ``--lang en``, and asserts the exit code (3: the database cannot be used; 2: the input is
refused), one line on stderr in that language, no traceback, and the database unchanged.

The mechanisms are real: a full disk is a small tmpfs filled to the last block, a read-only
database sits on a tmpfs remounted read-only (EROFS stops root too); both run in a private
mount namespace (``unshare --mount --map-root-user``) and are skipped where that is not
allowed. The lock is a second connection holding ``BEGIN EXCLUSIVE`` while the console waits
``[store] busy_timeout_ms`` (set to 50 in its config) and gives up.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import START, snapshot

from console.calls import intake
from console.kernel.clock import FakeClock
from console.kernel.config import load_config
from console.seat.services import open_services
from console.sync.worker import read_token, save_token, token_path

LINKAGE = Path(sys.executable).parent / "linkage"
CALL = ("call", "new", "--phone", "13800000001", "--text", "小区停电", "--address", "人民路12号",
        "--category", "power_supply")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env["LINKAGE_NOW"] = START
    return env


def linkage(*args: str | bytes | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINKAGE), *(a if isinstance(a, bytes) else str(a) for a in args)],
                          capture_output=True, text=True, env=_env(), timeout=120,
                          stdin=subprocess.DEVNULL)


def refused(result: subprocess.CompletedProcess[str], exit_code: int, words: str) -> None:
    """Exit code, the words, one line, no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("linkage: "), result.stderr
    assert words in result.stderr, result.stderr
    assert result.stdout == ""


def seeded(path: Path, calls: int = 1) -> Path:
    services = open_services(path, clock=FakeClock(START))
    try:
        for n in range(calls):
            intake.new_call(services.ctx, None, phone=f"1380000{n:04d}", text=f"第{n}起 小区停电",
                            address=f"人民路{n}号", category="power_supply", dispatch=["gdj"])
    finally:
        services.close()
    return path


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return snapshot(conn)
    finally:
        conn.close()


def files(path: Path) -> dict[str, bytes]:
    """The database and its -wal, byte for byte."""
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")
            if not p.name.endswith("-shm")}


# -- the database file cannot be used: exit 3 -----------------------------------------------------
def test_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "random.db"
    db.write_bytes(os.urandom(64 * 1024))
    before = db.read_bytes()
    refused(linkage("--db", db, "--lang", "zh", *CALL), 3, "不是联动台的数据库文件")
    refused(linkage("--db", db, "--lang", "en", "board"), 3, "is not a Linkage Console database")
    assert db.read_bytes() == before


def test_db_naming_a_directory(tmp_path: Path) -> None:
    refused(linkage("--db", tmp_path, "--lang", "zh", "board"), 3, "不是联动台的数据库文件")
    refused(linkage("--db", tmp_path, "--lang", "en", "board"), 3, "is not a Linkage Console database")


def _damage(db: Path) -> None:
    """Overwrite the header of a b-tree page in the middle of the file (page 1 intact, so the
    file still opens): a leaf page of the ``events`` table."""
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf' ORDER BY pageno")]
    conn.close()
    assert len(pages) > 2
    page = pages[len(pages) // 2]
    with db.open("r+b") as fh:
        fh.seek((page - 1) * page_size)
        fh.write(b"\x0d\xff\xff\xff\xff\x00\x00\x00")


def test_damaged_page_is_refused_before_any_write(tmp_path: Path) -> None:
    db = seeded(tmp_path / "seat.db", calls=40)
    _damage(db)
    before = files(db)
    result = linkage("--db", db, "--lang", "zh", *CALL)
    refused(result, 3, "数据库文件已损坏")
    assert "sync token" in result.stderr and "sync" in result.stderr   # the way out is named
    refused(linkage("--db", db, "--lang", "en", *CALL), 3, "the database file is damaged")
    assert files(db) == before


def test_lock_held_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    db = seeded(tmp_path / "seat.db")
    config = tmp_path / "config.toml"
    config.write_text("[store]\nbusy_timeout_ms = 50\n", encoding="utf-8")
    before = rows(db)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        refused(linkage("--db", db, "--config", config, "--lang", "zh", *CALL), 3, "被另一个程序占用")
        refused(linkage("--db", db, "--config", config, "--lang", "en", *CALL), 3,
                "is locked by another program")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert rows(db) == before


# A private mount namespace: a tmpfs of our own, without being root outside it.
NAMESPACE = ["unshare", "--mount", "--map-root-user"]


def _namespaces() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run([*NAMESPACE, "sh", "-c", "mount -t tmpfs tmpfs /mnt 2>/dev/null || "
                            "mount -t tmpfs tmpfs \"$0\"", "/tmp"], capture_output=True)
    return probe.returncode == 0


needs_namespace = pytest.mark.skipif(not _namespaces(), reason="no private mount namespace here")


def _on_tmpfs(tmp_path: Path, db: Path, how: str, lang: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run ``call new`` against a copy of ``db`` on a fresh tmpfs, made full or read-only;
    the database files are copied back out afterwards so the test can read what is left."""
    mnt = tmp_path / f"mnt-{how}-{lang}"
    out = tmp_path / f"after-{how}-{lang}"
    mnt.mkdir()
    out.mkdir()
    prepare = {
        # a 2 MiB tmpfs; the filler takes every block the database did not
        "full": 'dd if=/dev/zero of="$MNT/filler" bs=4096 2>/dev/null || true',
        # room for the -shm index (32 KiB) and a little more, not for the call's WAL frames:
        # the command opens, then fails inside its write transaction
        "nearly": 'dd if=/dev/zero of="$MNT/filler" bs=4096 2>/dev/null || true; '
                  'truncate -s -48K "$MNT/filler"',
        "ro": 'mount -o remount,ro "$MNT"',
    }[how]
    script = (f'set -e; mount -t tmpfs -o size=2m tmpfs "$MNT"; cp "$DB" "$MNT/seat.db"; {prepare}; '
              'set +e; "$LINKAGE" --db "$MNT/seat.db" --lang "$LANGUAGE" "$@"; rc=$?; '
              'cp "$MNT"/seat.db* "$OUT"/ 2>/dev/null; exit $rc')
    env = {**_env(), "MNT": str(mnt), "OUT": str(out), "DB": str(db), "LINKAGE": str(LINKAGE),
           "LANGUAGE": lang}
    result = subprocess.run([*NAMESPACE, "sh", "-c", script, "sh", *CALL], capture_output=True,
                            text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    return result, out / "seat.db"


@needs_namespace
@pytest.mark.parametrize("how", ["full", "nearly"])
def test_disk_full(tmp_path: Path, how: str) -> None:
    db = seeded(tmp_path / "seat.db")
    assert db.stat().st_size < 1024 * 1024
    before = rows(db)
    for lang, words in (("zh", "磁盘已满"), ("en", "the disk is full")):
        result, after = _on_tmpfs(tmp_path, db, how, lang)
        refused(result, 3, words)
        assert rows(after) == before


@needs_namespace
def test_read_only_filesystem(tmp_path: Path) -> None:
    db = seeded(tmp_path / "seat.db")
    before = rows(db)
    for lang, words in (("zh", "只读"), ("en", "is read-only")):
        result, after = _on_tmpfs(tmp_path, db, "ro", lang)
        refused(result, 3, words)
        assert rows(after) == before


# -- the input is refused: exit 2 -------------------------------------------------------------
def test_argument_that_is_not_utf8(tmp_path: Path) -> None:
    db = seeded(tmp_path / "seat.db")
    before = rows(db)
    bad = (b"call", b"new", b"--phone", b"13800000001", b"--text", b"\xff\xfe\xc3(")
    refused(linkage("--db", db, "--lang", "zh", *bad), 2, "参数不是有效的 UTF-8 文本")
    refused(linkage("--db", db, "--lang", "en", *bad), 2, "an argument is not valid UTF-8 text")
    assert rows(db) == before


@pytest.mark.parametrize(("at", "zh", "en"), [
    ("-99999999999m", "超出可记录的范围", "is out of range (from 2000-01-01 to now)"),
    ("0001-01-01 00:00", "超出可记录的范围", "is out of range"),
    ("0001-01-01T00:00:00+14:00", "超出可记录的范围", "is out of range"),
    ("1900-01-01", "超出可记录的范围", "is out of range"),
    ("9999-12-31 23:59", "晚于当前时间", "is in the future"),
    ("9999-12-31T23:59:59-14:00", "超出可记录的范围", "is out of range"),  # beyond a datetime in UTC
])
def test_call_time_out_of_range(tmp_path: Path, at: str, zh: str, en: str) -> None:
    db = seeded(tmp_path / "seat.db")
    before = rows(db)
    refused(linkage("--db", db, "--lang", "zh", *CALL, "--at", at), 2, zh)
    refused(linkage("--db", db, "--lang", "en", *CALL, "--at", at), 2, en)
    assert rows(db) == before


def test_config_naming_a_directory(tmp_path: Path) -> None:
    db = seeded(tmp_path / "seat.db")
    before = rows(db)
    refused(linkage("--db", db, "--config", tmp_path, "--lang", "zh", *CALL), 2, "这是一个目录，不是配置文件")
    refused(linkage("--db", db, "--config", tmp_path, "--lang", "en", *CALL), 2,
            "this is a directory, not a config file")
    assert rows(db) == before


# -- the file itself: private, and one token per database -------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_seat_database_files_are_private(tmp_path: Path) -> None:
    db = tmp_path / "seat.db"
    old = os.umask(0o022)
    try:
        services = open_services(db, clock=FakeClock(START))
        intake.new_call(services.ctx, None, phone="13800000001", text="小区停电", address="人民路12号",
                        category="power_supply")
        modes = {p.name: _mode(p) for p in tmp_path.glob("seat.db*")}
        services.close()
        assert set(modes) == {"seat.db", "seat.db-wal", "seat.db-shm"}
        assert set(modes.values()) == {0o600}, modes
        db.chmod(0o644)                                 # made by an older version
        open_services(db, clock=FakeClock(START)).close()
        assert _mode(db) == 0o600
    finally:
        os.umask(old)


def test_two_databases_in_one_directory_keep_their_own_tokens(tmp_path: Path) -> None:
    config = load_config(None)
    a, b = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    save_token(config, a, "token-of-a")
    save_token(config, b, "token-of-b")
    assert (read_token(config, a), read_token(config, b)) == ("token-of-a", "token-of-b")
    assert token_path(config, a).name == "a.db.sync-token" and _mode(token_path(config, a)) == 0o600
    assert not (tmp_path / "sync-token").exists()


def test_the_old_shared_token_is_adopted_once(tmp_path: Path) -> None:
    config = load_config(None)
    (tmp_path / "sync-token").write_text("old-token\n", encoding="utf-8")
    db = str(tmp_path / "linkage.db")
    assert read_token(config, db) == "old-token"
    assert token_path(config, db).read_text(encoding="utf-8").strip() == "old-token"
    assert _mode(token_path(config, db)) == 0o600
    (tmp_path / "sync-token").write_text("another seat's token\n", encoding="utf-8")
    assert read_token(config, db) == "old-token"          # its own file now, not the shared one


@pytest.mark.parametrize("args", [
    ("roster", "export", "--from", "0001-01-01"),
    ("roster", "show", "gdj", "--at", "0001-01-01 00:00"),
    ("stats", "--from", "0001-01-01"),
    ("export", "incidents", "--from", "9999-12-31"),
])
def test_period_out_of_range(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Days and instants of a period (rosters, statistics, exports) are bounded too."""
    db = seeded(tmp_path / "seat.db")
    before = rows(db)
    refused(linkage("--db", db, "--lang", "zh", *args), 2, "超出")
    refused(linkage("--db", db, "--lang", "en", *args), 2, "is out of range")
    assert rows(db) == before
