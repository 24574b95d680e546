"""``linkage``: the command line. Global options, then one command of the shared grammar.

With no command it opens the console (the Textual UI, imported lazily so headless commands
never pay for it). Exit codes: 0 ok, 2 refused (message on stderr, nothing written),
1 an unexpected failure.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from console.errors import LinkageError

GLOBAL_OPTIONS = ("--db", "--config", "--lang", "--operator", "--data")
GLOBAL_FLAGS = ("--json",)
USAGE = (
    "usage: linkage [--db PATH] [--config PATH] [--lang zh|en] [--json] COMMAND …\n"
    "       linkage help        every command\n"
    "       linkage             open the console\n"
    "       linkage serve …     run the city sync server; linkage server … administers it\n"
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
    if tokens and tokens[0] in ("serve", "server"):
        return _run_server(tokens, lang)
    try:
        from console.services import open_services

        services = open_services(
            opts.get("db"),
            config_path=Path(opts["config"]) if "config" in opts else None,
            data_dir=Path(opts["data"]) if "data" in opts else None,
            operator=opts.get("operator"),
        )
    except LinkageError as exc:
        return _refuse(exc, lang or "zh", as_json)
    lang = lang or services.config.center.language
    try:
        if not tokens:
            return _open_console(services, lang)
        from console.commands import run

        outcome = run(services, tokens, lang)
    except LinkageError as exc:
        return _refuse(exc, lang, as_json)
    finally:
        services.close()
    if as_json:
        sys.stdout.write(json.dumps(outcome.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(outcome.lines) + "\n")
    return outcome.exit_code


def _refuse(exc: LinkageError, lang: str, as_json: bool) -> int:
    if as_json:
        sys.stdout.write(json.dumps({"ok": False, "error": exc.to_json(lang)},
                                    ensure_ascii=False) + "\n")
    sys.stderr.write(f"linkage: {exc.message(lang)}\n")
    return exc.exit_code


def _run_server(tokens: list[str], lang: str | None) -> int:
    """The city server lives in ``central``; imported only here so the console never loads it."""
    import importlib

    server_cli = importlib.import_module("central.cli")
    return int(server_cli.main(tokens, lang))


def _open_console(services: object, lang: str) -> int:
    """Import the UI only here, so headless commands never load Textual."""
    import importlib

    app = importlib.import_module("screens.app")
    return int(app.run_app(services, lang))


if __name__ == "__main__":
    raise SystemExit(main())
