"""Where the CLI reads a PIN: the terminal without echo, or one line of stdin.

A PIN on the command line (``--pin 1234``) lands in the shell history, in ``ps`` output and in
process accounting, so the verbs refuse it. Instead each PIN a command needs is asked for in
turn: with ``getpass`` when stdin is a terminal, else as the next line of stdin, so scripts
and tests pipe them (``printf '1234\\n' | linkage operator signin alice``). The order of the
lines is documented with each verb in docs/cli-json.md.
"""

from __future__ import annotations

import getpass
import sys


def read_pin(prompt: str) -> str:
    """The next PIN: asked for on the terminal, or the next line of stdin ('' at its end)."""
    stream = sys.stdin
    if stream is None:
        return ""
    if stream.isatty():
        return getpass.getpass(f"{prompt}: ")
    return stream.readline().rstrip("\r\n")
