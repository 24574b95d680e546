"""``linkage``: the command line. Global options, then one command of the shared grammar.

With no command it opens the console (the Textual UI, imported lazily so headless commands
never pay for it). Exit codes: 0 ok, 2 refused (message on stderr, nothing written),
3 the database cannot be used (disk full, read-only, locked, not a database, damaged; nothing
written), 1 an unexpected failure. Everything printed has been cleaned (console/kernel/clean.py).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from console.kernel.clean import one_line, terminal_json
from console.kernel.errors import BadInput, LinkageError

if TYPE_CHECKING:
    from console.seat.services import Services

GLOBAL_OPTIONS = ("--db", "--config", "--lang", "--operator", "--data", "--demo-rate")
GLOBAL_FLAGS = ("--json", "--read-only")
SIGNALLED = 128  # a console's exit code above this: it ended on a signal (shell convention)
USAGE = (
    "usage: linkage [--db PATH] [--config PATH] [--lang zh|en] [--json] COMMAND …\n"
    "       linkage help        every command\n"
    "       linkage             open the console (one per database; --read-only: a view;\n"
    "                           --demo-rate N: with simulated calls, N a minute)\n"
    "       linkage serve …     run the city sync server; linkage server … administers it\n"
    "       linkage city …      the city console over every county (console/city/cli.py)\n"
)


def split_globals(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Pull the global options out of argv wherever they stand; the rest is the command."""
    found: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        name, eq, value = token.partition("=")
        if token in GLOBAL_FLAGS:
            found[token[2:]] = "1"
        elif name in GLOBAL_OPTIONS:
            if not eq:
                i += 1
                if i >= len(argv):
                    raise SystemExit(f"linkage: {name} needs a value\n{USAGE}")
                value = argv[i]
            found[name[2:]] = value
        else:
            rest.append(token)
        i += 1
    return found, rest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    opts, tokens = split_globals(args)
    as_json = "json" in opts
    lang = opts.get("lang") or os.environ.get("LINKAGE_LANG")
    if lang is not None and lang not in ("zh", "en"):
        sys.stderr.write("linkage: --lang must be zh or en\n")
        return 2
    bad = _not_utf8(args)
    if bad is not None:
        return _refuse(bad, lang or "zh", as_json)
    if tokens and tokens[0] in ("serve", "server"):
        return _run_server(tokens, lang)
    if tokens and tokens[0] == "city":
        from console.city.cli import main as city_main

        return city_main([*tokens[1:], *(["--json"] if as_json else [])], lang)
    # --operator travels in every event this process writes, to every seat: one line, no escapes
    operator = one_line(opts["operator"]).strip() if "operator" in opts else None
    try:
        from console.seat.services import open_services

        services = open_services(
            opts.get("db"),
            config_path=Path(opts["config"]) if "config" in opts else None,
            data_dir=Path(opts["data"]) if "data" in opts else None,
            operator=operator or None,
        )
    except LinkageError as exc:
        return _refuse(exc, lang or "zh", as_json)
    lang = lang or services.config.center.language
    try:
        if "read-only" in opts:
            services.store.make_read_only()
        if not tokens:
            return _open_console(services, lang, opts)
        from console.commands.grammar import run
        from console.duty.pin_input import read_pin

        services.pin_reader = read_pin      # PINs from the terminal or stdin, never argv
        outcome = run(services, tokens, lang)
    except LinkageError as exc:
        return _refuse(exc, lang, as_json)
    except sqlite3.Error as exc:  # disk full or locked in the middle of a command: rolled back
        from console.store.dbfile import refusal

        return _refuse(refusal(exc, services.store.path), lang, as_json)
    finally:
        services.close()
    if as_json:
        sys.stdout.write(terminal_json(outcome.to_json()) + "\n")
    else:
        sys.stdout.write("\n".join(outcome.lines) + "\n")
    return outcome.exit_code


def _not_utf8(args: list[str]) -> BadInput | None:
    """An argument that is not UTF-8 (Python hands it over with surrogate escapes) is refused
    here: it could be neither stored nor printed."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return BadInput("input.not_utf8", zh="参数不是有效的 UTF-8 文本：{arg}",
                            en="an argument is not valid UTF-8 text: {arg}", arg=shown[:40])
    return None


def _refuse(exc: LinkageError, lang: str, as_json: bool) -> int:
    if as_json:
        sys.stdout.write(terminal_json({"ok": False, "error": exc.to_json(lang)}) + "\n")
    sys.stderr.write(f"linkage: {exc.message(lang)}\n")
    return exc.exit_code


def _run_server(tokens: list[str], lang: str | None) -> int:
    """The city server lives in ``central``; imported only here so the console never loads it."""
    import importlib

    server_cli = importlib.import_module("central.cli")
    return int(server_cli.main(tokens, lang))


def _open_console(services: Services, lang: str, opts: dict[str, str]) -> int:
    """Import the UI only here, so headless commands never load Textual.

    One console per seat database (``console/store/seatlock.py``): a second one is refused naming the
    first, unless it opens ``--read-only``. ``--demo-rate N`` (``make demo``) starts the call
    simulator as this process's child, so it ends with the console (``console/calls/demo.py``)."""
    import importlib

    from console.calls import demo
    from console.store.seatlock import ConsoleLock

    read_only = "read-only" in opts
    rate = demo.parse_rate(opts["demo-rate"]) if "demo-rate" in opts and not read_only else None
    lock = None if read_only else ConsoleLock.acquire(services.store.path, services.config.tz)
    simulator = None
    try:
        if not all(f is not None and f.isatty() for f in (sys.stdin, sys.stderr)):
            # Textual reads keys from stdin and draws on stderr; on anything else its input
            # thread would spin on EOF with nobody to see the console.
            raise BadInput("console.no_terminal", zh="控制台需要在终端中打开（标准输入和标准错误须为终端）",
                           en="the console needs a terminal (standard input and standard error)")
        # The terminal's own size is the truth: COLUMNS/LINES left in the environment (exported
        # by a shell profile, or set by a parent such as a test runner) win over it in
        # shutil.get_terminal_size, which Textual asks on every resize, so a resized window would
        # keep the old layout and never say it is too small.
        for stale in ("COLUMNS", "LINES"):
            os.environ.pop(stale, None)
        if rate is not None:
            passed = [f"--{k}={opts[k]}" for k in ("config", "data") if k in opts]
            simulator = demo.start_simulator(services.store.path, rate, [*passed, f"--lang={lang}"])
        app = importlib.import_module("screens.app")
        code = int(app.run_app(services, lang, read_only=read_only, cleanup=lambda: demo.stop(simulator)))
    finally:
        demo.stop(simulator)
        if lock is not None:
            lock.release()
    if code > SIGNALLED:
        # Ended by its terminal going away or by a signal (128 + the signal's number): all is
        # committed and released, so skip the interpreter's teardown of the UI's heap, which
        # alone took 0.5 s of the 2 s a seat may wait (more on a slow PC).
        services.close()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
