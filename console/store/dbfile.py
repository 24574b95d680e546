"""The seat's database file: who may read it, whether it is whole, and failures in words.

* **Mode 0600.** The file holds callers' numbers, addresses and operators' PIN hashes. It is
  created 0600 before SQLite opens it; SQLite gives the ``-wal`` and ``-shm`` files the mode of
  the database file, and an existing file (made 0644 by an older version) is tightened on open.
* **Whole.** ``PRAGMA quick_check`` on open (``[store] check_on_open``): a page damaged in the
  middle of the file otherwise opens and takes writes without a word. It reads every page once
  (no index-content cross-check, unlike ``integrity_check``), so it is paid once per process,
  at console start and before a CLI command writes; never per transaction or per repaint
  (bench/store_check.py measures it).
* **Failures in words.** Disk full, read-only, locked for longer than the busy timeout, not a
  database, damaged: each becomes ``StorageUnavailable`` (exit code 3) with one line in Chinese
  and English saying what to do, never a traceback. SQLite rolls the transaction back, so
  nothing was half-written.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
from pathlib import Path

from console.kernel.errors import StorageUnavailable

PRIVATE = 0o600
_LOW_SPACE = 1024 * 1024  # less free space than this beside the database: "full"
_SUFFIXES = ("", "-wal", "-shm", "-journal")

# The way back from a damaged file: a new file, filled again from the city server
# (docs/cli-json.md, "Exit codes").
_REBUILD_ZH = ("请保留该文件交技术人员，改用新的数据库文件从市级服务器重新同步："
               "linkage --db 新文件 sync token，再 linkage --db 新文件 sync")
_REBUILD_EN = ("keep the file for a technician and rebuild from the city server into a new file:"
               " linkage --db NEW sync token, then linkage --db NEW sync")


def prepare(path: str) -> None:
    """Create the database file 0600 if it is missing; tighten it (and its -wal/-shm) if not."""
    if path == ":memory:" or path.startswith("file:"):
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        os.close(fd)
        return
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    for suffix in _SUFFIXES:
        part = Path(path + suffix)
        try:
            if part.exists() and stat.S_IMODE(part.stat().st_mode) & 0o077:
                part.chmod(PRIVATE)
        except PermissionError:
            pass  # not ours to change (another user's file): reading it is still allowed


def quick_check(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a damaged file before anything is written to it."""
    rows = [r[0] for r in conn.execute("PRAGMA quick_check(1)")]
    if rows != ["ok"]:
        raise StorageUnavailable(
            "store.damaged",
            zh="数据库文件已损坏（{detail}）：{db}；未写入任何内容。" + _REBUILD_ZH,
            en="the database file is damaged ({detail}): {db}; nothing was written; " + _REBUILD_EN,
            detail=str(rows[0])[:80], db=path,
        )


def _no_room(path: str) -> bool:
    """SQLite reports a full disk as a plain I/O error when it is the -wal or -shm file that
    cannot grow; the free space beside the database tells the two apart."""
    try:
        return shutil.disk_usage(Path(path).resolve().parent).free < _LOW_SPACE
    except OSError:
        return False


def _read_only(path: str) -> bool:
    """SQLite says only "unable to open" when the -shm file cannot be made on a read-only disk
    or in a directory this user may not write."""
    target = Path(path).resolve()
    try:
        if os.statvfs(target.parent).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(target.parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK))


def refusal(exc: BaseException, path: str) -> StorageUnavailable:
    """A failure of the database file in words (exit code 3)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    err = exc.errno if isinstance(exc, OSError) else None
    if primary == sqlite3.SQLITE_FULL or err in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or (
            primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN) and _no_room(path)):
        return StorageUnavailable(
            "store.full", zh="磁盘已满，无法写入数据库 {db}；未保存任何内容，请释放磁盘空间后重试",
            en="the disk is full: cannot write the database {db}; nothing was saved;"
               " free some space and try again", db=path)
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM) or err in (
            errno.EROFS, errno.EACCES, errno.EPERM) or (
            primary == sqlite3.SQLITE_CANTOPEN and _read_only(path)):
        return StorageUnavailable(
            "store.not_writable", zh="数据库 {db} 只读，无法写入；未保存任何内容，请检查文件和磁盘的写权限",
            en="the database {db} is read-only; nothing was saved; check write permission on the"
               " file, its directory and the disk", db=path)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StorageUnavailable(
            "store.locked", zh="数据库 {db} 被另一个程序占用（等待超时）；未保存任何内容，请稍后重试",
            en="the database {db} is locked by another program (waited in vain); nothing was"
               " saved; try again shortly", db=path)
    if primary == sqlite3.SQLITE_NOTADB or isinstance(exc, IsADirectoryError):
        return StorageUnavailable(
            "store.not_a_database", zh="{db} 不是联动台的数据库文件；未写入任何内容，请检查 --db",
            en="{db} is not a Linkage Console database; nothing was written; check --db", db=path)
    if primary == sqlite3.SQLITE_CORRUPT:
        return StorageUnavailable(
            "store.damaged", zh="数据库文件已损坏：{db}；未写入任何内容。" + _REBUILD_ZH,
            en="the database file is damaged: {db}; nothing was written; " + _REBUILD_EN, db=path)
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return StorageUnavailable(
        "store.unavailable", zh="无法使用数据库 {db}（{detail}）；未保存任何内容",
        en="cannot use the database {db} ({detail}); nothing was saved", db=path, detail=detail[:120])
