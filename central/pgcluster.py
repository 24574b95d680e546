"""A throwaway PostgreSQL cluster for tests and benches: initdb in a temporary directory,
``postgres`` listening only on a Unix socket in that directory, stopped and removed at the end.

Why a socket and no TCP port: nothing can reach it from outside the machine, there is no port
to race for between parallel test workers, and its directory's mode is the access control.

Running as root (CI, this project's machines): ``initdb`` and ``postgres`` refuse to run as
root, so when the caller is root the cluster's files belong to the unprivileged ``nobody``
user and both programs are started as that user (``setuid`` in the child before ``exec``);
the clients (tests, ``linkage serve``) stay root and connect through the socket, which root may
open whatever its mode. Trust authentication for the cluster's one superuser ``linkage``: the
socket directory (0700, the cluster's owner) is what keeps other local users out.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "linkage"
# Debian installs the server programs outside PATH; a PATH entry wins over these
SEARCH = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin",
          "/usr/lib/postgresql/14/bin")
# a throwaway cluster trades durability for speed (nothing in it outlives the run)
SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200",
            "shared_buffers=64MB", "listen_addresses=", "unix_socket_permissions=0700")


def binaries() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None if there is none."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for folder in SEARCH:
        if (Path(folder) / "initdb").is_file():
            return Path(folder)
    return None


def tool(name: str) -> str:
    """Path of a PostgreSQL client program (pg_dump, pg_restore) beside the server's."""
    folder = binaries()
    if folder is not None and (folder / name).is_file():
        return str(folder / name)
    return shutil.which(name) or name


def _as_owner(uid: int, gid: int) -> None:  # pragma: no cover - runs in the child
    os.setgid(gid)
    os.setuid(uid)


class Cluster:
    """A running throwaway cluster; ``url(db)`` is a libpq URL of one of its databases."""

    def __init__(self, root: Path) -> None:
        folder = binaries()
        if folder is None:
            raise RuntimeError("no PostgreSQL server programs (initdb, pg_ctl) on this machine")
        self.bin = folder
        self.root = root
        self.data = root / "data"
        self.socket_dir = root / "run"
        self._owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self._owner = (nobody.pw_uid, nobody.pw_gid)
        self._databases = 0

    def _run(self, *cmd: str) -> None:
        owner = self._owner
        subprocess.run(cmd, check=True, capture_output=True, timeout=120,
                       preexec_fn=(lambda: _as_owner(*owner)) if owner else None)

    def start(self) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if self._owner:
            for path in (self.root, self.socket_dir):
                os.chown(path, *self._owner)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        options = " ".join(f"-c {s}" for s in SETTINGS) + f" -k {self.socket_dir}"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@/{database}?host={quote(str(self.socket_dir), safe='')}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}_{time.monotonic_ns() % 10**9}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


    def drop_database(self, url: Path | str) -> None:
        """Drop a database made by ``new_database`` (its connections must be closed)."""
        import psycopg

        name = str(url).split("@/", 1)[1].split("?", 1)[0]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def throwaway(prefix: str = "linkage-pg-") -> Iterator[Cluster]:
    """A started cluster in a new temporary directory; stopped and removed on exit."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    cluster = Cluster(root)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
