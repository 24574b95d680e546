"""``make demo``: the call simulator runs as the console's own child and cannot outlive it.

It used to be started by the Makefile's shell beside the console, stopped by a shell ``trap``.
That left it writing rings whenever the console did not end through that shell (a hung-up
terminal, a kill). Now the console starts it (``linkage --demo-rate N``) and ends it on every
way out:

* a normal or signalled exit: ``stop`` terminates it and waits (the console's ``finally``);
* the console killed outright (``kill -9``, OOM): on Linux the child asked the kernel for
  ``PR_SET_PDEATHSIG`` = SIGTERM before it ran a line of its own, so the kernel ends it when
  the console's process dies. It also checks its parent is still the console right after the
  request, closing the window where the console died before the request was made.

``PR_SET_PDEATHSIG`` fires when the *thread* that forked dies; the console starts the
simulator from its main thread, before the UI (and any other thread) starts, which also keeps
``preexec_fn`` safe.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from console.calls.simulator import MAX_RATE
from console.kernel.errors import BadInput

PR_SET_PDEATHSIG = 1
LOG_NAME = "simulate-calls.log"


def parse_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= MAX_RATE:
        raise BadInput("demo.rate", zh="--demo-rate 须为 0 到 {max:g} 之间的数（每分钟来电数）",
                       en="--demo-rate must be a number of calls a minute above 0 and at most {max:g}",
                       max=MAX_RATE)
    return rate


def _die_with_parent() -> Callable[[], None] | None:
    """The ``preexec_fn`` asking for SIGTERM when the console dies (None off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    parent = os.getpid()

    def request() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the console is already gone
            os._exit(0)

    return request


def start_simulator(db_path: str, rate: float, global_args: list[str]) -> subprocess.Popen[bytes]:
    """``linkage simulate-calls`` on the console's database, its output in a log beside it."""
    log_path = Path(db_path).with_name(LOG_NAME)
    argv = [sys.executable, "-m", "console.cli", "--db", db_path, *global_args,
            "simulate-calls", "--rate", f"{rate:g}"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent())  # single-threaded here: see the docstring


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 1.0) -> None:
    """Terminate and reap; a simulator that ignores SIGTERM is killed."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
