"""The background sync loop: a thread with its own SQLite connection.

The console's UI thread never waits on the network: it only commits locally. This thread
notices new local commits (``PRAGMA data_version`` moves when another connection commits),
pushes them, pulls what other seats did, and backs off with full jitter while the server is
away. It reports each pass through a callback; the UI reads the rest from ``sync_state``.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from console.kernel.clock import Clock
from console.kernel.config import Config
from console.kernel.errors import BadInput
from console.store.transaction import Store
from console.sync.settings import SyncSettings

if TYPE_CHECKING:
    import httpx

    from console.sync.client import PassReport, SyncClient

POLL_S = 1.0  # how often an idle loop looks for new local commits
FULL_PASS_S = 300.0  # while pulls are held, a whole pass (hello: clock skew, epoch) this often


LEGACY_TOKEN = "sync-token"  # the one name every database in a directory used to share


def token_path(config: Config, db_path: str) -> Path:
    """``[sync] token_file``, or ``<database file name>.sync-token`` beside the database: two
    seat databases in one directory each keep their own token."""
    if config.sync.token_file:
        return Path(config.sync.token_file).expanduser()
    db = Path(db_path).resolve()
    return db.with_name(db.name + ".sync-token")


def read_token(config: Config, db_path: str) -> str:
    """This seat's token; '' when none was stored.

    Compatibility: a database without its own token file adopts the old shared ``sync-token``
    beside it once (copied to its own name, 0600); the shared file is left for the others.
    """
    path = token_path(config, db_path)
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if config.sync.token_file:
            return ""
    except OSError:
        return ""
    try:
        token = (path.parent / LEGACY_TOKEN).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    if token:
        with contextlib.suppress(OSError):  # read-only directory: the shared file keeps serving
            _write_private(path, token)
    return token


def _write_private(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    os.chmod(path, 0o600)


def save_token(config: Config, db_path: str, token: str) -> Path:
    """Keep this seat's token beside its database, readable by its user only."""
    token = token.strip()
    if not token or len(token) > 512 or any(c.isspace() for c in token):
        raise BadInput("sync.bad_token", zh="令牌格式不对（一行，无空格）",
                       en="a token is one word on one line")
    path = token_path(config, db_path)
    _write_private(path, token)
    return path


def settings_for(config: Config, db_path: str) -> SyncSettings | None:
    """This seat's sync settings, or None when no server is configured."""
    if not config.sync.server:
        return None
    token = read_token(config, db_path)
    return SyncSettings(
        server=config.sync.server, token=token, county=config.center.county,
        seat=config.center.seat, deadline_s=float(config.sync.deadline_seconds),
        interval_s=float(config.sync.interval_seconds), include_drills=config.sync.include_drills,
    )


class SyncWorker:
    def __init__(self, db_path: str, settings: SyncSettings, clock: Clock, *,
                 on_pass: Callable[[PassReport], None] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 rng: random.Random | None = None) -> None:
        self.db_path = db_path
        self.settings = settings
        self.clock = clock
        self.on_pass = on_pass
        self.transport = transport
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.last: PassReport | None = None

    def start(self) -> None:
        # A daemon: a pass stuck in a request must not keep a closing console alive; the
        # deadline bounds the request and SQLite's WAL makes an abandoned write harmless.
        self._thread = threading.Thread(target=self._run, name="linkage-sync", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """Sync now (a new local commit, or a person asked)."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        # httpx and the client load here, on the sync thread: a seat without sync never pays
        from console.sync.client import SyncClient

        store = Store(self.db_path, self.clock)
        try:
            client = SyncClient(store, self.settings, self.clock, transport=self.transport,
                                should_stop=self._stop.is_set)
            self._loop(store, client)
        finally:
            store.close()

    def _loop(self, store: Store, client: SyncClient) -> None:
        """A pass (hello, push, pull); then, while the server holds pulls, held pulls until a
        local commit or a nudge calls for the next pass (or ``FULL_PASS_S`` has gone by);
        against a server that does not hold them, a pass every ``interval_s`` as before."""
        from console.sync.client import PassReport, next_delay

        need_pass = True
        last_pass = 0.0
        while not self._stop.is_set():
            if need_pass or not client.hold_s or time.monotonic() - last_pass > FULL_PASS_S:
                self._wake.clear()  # this pass is what a nudge asked for
                try:
                    report = client.run_pass()
                    failures = client.failures()
                except Exception as exc:  # e.g. the disk is full: keep the thread, try later
                    report = PassReport(error_code="internal", error_detail=f"{type(exc).__name__}: {exc}")
                    failures = 1
                self._passed(report)
                need_pass, last_pass = not report.ok, time.monotonic()
                if not report.ok or not client.hold_s:
                    self._sleep(store, next_delay(report, failures, self.settings, self.rng),
                                urgent_on_commit=report.ok)
                    need_pass = True
                continue
            report = client.run_watch(_Committed(store, self._wake, self._stop))
            if report.interrupted:
                need_pass = True
                continue
            self._passed(report)
            if not report.ok or report.unheld:
                delay = next_delay(report, client.failures(), self.settings, self.rng)
                self._sleep(store, delay, urgent_on_commit=report.ok)
                need_pass = True

    def _passed(self, report: PassReport) -> None:
        self.passes += 1
        self.last = report
        if self.on_pass is not None and not self._stop.is_set():
            self.on_pass(report)

    def _sleep(self, store: Store, delay: float, *, urgent_on_commit: bool) -> None:
        """Wait ``delay`` s, or less if nudged or (while online) another connection commits."""
        version = _data_version(store)
        left = delay
        while left > 0 and not self._stop.is_set():
            step = min(POLL_S, left)
            if self._wake.wait(step):
                self._wake.clear()
                return
            left -= step
            if urgent_on_commit and _data_version(store) != version and store.outbox_count():
                return


class _Committed:
    """True once a held pull should give way: stopping, nudged, or another connection (the
    console's UI) committed something for the outbox. Asked every ``WATCH_POLL_S`` (0.1 s):
    ``PRAGMA data_version`` is a read of a counter in shared memory, the outbox count only
    follows a change."""

    def __init__(self, store: Store, wake: threading.Event, stop: threading.Event) -> None:
        self.store, self.wake, self.stop = store, wake, stop
        self.version = _data_version(store)
        self.queued = bool(store.outbox_count())  # committed while the last pass ran

    def __call__(self) -> bool:
        if self.queued or self.wake.is_set() or self.stop.is_set():
            return True
        version = _data_version(self.store)
        if version == self.version:
            return False
        self.version = version
        return bool(self.store.outbox_count())


def _data_version(store: Store) -> int:
    return int(store.conn.execute("PRAGMA data_version").fetchone()[0])
