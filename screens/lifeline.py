"""The console ends when its terminal goes away, however it was started.

Why this exists (issue 18): under ``make run`` in tmux, closing the session (what an SSH drop
does) left the console spinning a core for good. The kernel hangs the terminal up and sends
SIGHUP only to the session leader, which was ``make``; make waits for its child and never
passes the signal on. The console got no signal, and on a hung-up tty ``select`` always says
"readable" while ``read`` returns nothing, so Textual's input thread looped on EOF at full
speed. Started directly, the console *was* the signalled process and died (without cleanup).

So the console watches for the end itself, three ways, all leading to one clean exit:

* a thread blocked in ``poll`` on the terminal's descriptors asking for *no* events: only
  POLLHUP/POLLERR/POLLNVAL wake it, so it costs nothing until the terminal is gone, and it
  sees the hang-up whoever got the signal;
* SIGHUP and SIGTERM handlers on the event loop (a supervisor, ``kill``, a direct start);
* a backstop: once an exit is asked for, if the process is still alive ``GRACE`` seconds later
  (a screen stuck on a write to the dead terminal, a worker thread that does not stop) it
  runs ``cleanup`` and ends with ``os._exit``. Every record and draft is already committed
  (drafts on every keystroke), so this loses nothing.

When the terminal is gone, stdout and stderr are pointed at ``/dev/null`` before the app shuts
down: Textual's goodbye sequences would otherwise fail with EIO on the dead tty.

Exit codes follow the shell's convention for a signal: 129 (hang-up), 143 (SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

GRACE = 1.5  # seconds: the issue asks for an exit within 2 s of the terminal going away
HANGUP_EXIT = 128 + signal.SIGHUP
TERM_EXIT = 128 + signal.SIGTERM


class Lifeline:
    """Armed once the app's event loop runs (``arm``), by ``run_app`` only: tests driving the
    app headless keep pytest's own signal handling."""

    def __init__(self, app: Any, cleanup: Callable[[], None] = lambda: None) -> None:
        self.app = app
        self.cleanup = cleanup
        self.ending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._early: int | None = None

    def hold(self) -> None:
        """Before the app runs: a SIGHUP/SIGTERM that comes while it starts (the board can be
        painted before ``arm`` runs on a busy machine) is kept, not left to kill the process
        with the terminal in raw mode and the seat's lock unreleased; ``arm`` acts on it."""
        def keep(signum: int, _frame: object) -> None:
            self._early = self._early or 128 + signum
        signal.signal(signal.SIGHUP, keep)
        signal.signal(signal.SIGTERM, keep)

    def arm(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_signal_handler(signal.SIGHUP, self.end, HANGUP_EXIT)
        self._loop.add_signal_handler(signal.SIGTERM, self.end, TERM_EXIT)
        if self._early is not None:
            self.end(self._early)
        fds = [f.fileno() for f in (sys.__stdin__, sys.__stderr__) if f is not None and f.isatty()]
        if fds:
            threading.Thread(target=self._watch, args=(fds,), name="terminal-watch", daemon=True).start()

    def _watch(self, fds: list[int]) -> None:
        poller = select.poll()
        for fd in fds:
            poller.register(fd, 0)  # no events asked: only hang-up, error or a closed fd wake us
        while not poller.poll():
            pass
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed: we are exiting
                loop.call_soon_threadsafe(self.terminal_gone)

    def terminal_gone(self) -> None:
        silence_output()
        self.end(HANGUP_EXIT)

    def end(self, code: int) -> None:
        """Ask the app to exit (drafts are flushed as screens unmount, sync stops in
        ``on_unmount``), with the backstop armed."""
        if self.ending:
            return
        self.ending = True
        backstop = threading.Timer(GRACE, self._hard_exit, args=(code,))
        backstop.daemon = True
        backstop.start()
        self.app.exit(return_code=code)

    def _hard_exit(self, code: int) -> None:
        with contextlib.suppress(Exception):
            self.cleanup()
        os._exit(code)


def silence_output() -> None:
    """Point fds 1 and 2 at /dev/null: writes to a hung-up tty fail, to /dev/null they succeed."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
    finally:
        os.close(null)
