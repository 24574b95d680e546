"""``linkage city …``: the city console and its headless commands.

    linkage city [--server URL] [--token-file F] [--dir D] [--interval S]   the console (Textual)
    linkage city board [--json]      pull once, print per-county counts
    linkage city overdue [--json]    pull once, print every overdue order, most overdue first

The token comes from ``--token-file`` or $LINKAGE_CITY_TOKEN (never the command line, where
``ps`` shows it). The replica lives in ``--dir`` (default: the user data dir's ``city``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from console.city.replica import CityReplica
from console.city.summary import city_board
from console.kernel.clock import clock_from_env
from console.kernel.errors import BadInput, LinkageError

TOKEN_ENV = "LINKAGE_CITY_TOKEN"


def _token(path: str | None) -> str:
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise BadInput("city.no_token", zh="请用 --token-file 或环境变量 {env} 提供市级令牌",
                       en="give the city token with --token-file or ${env}", env=TOKEN_ENV)
    return token


def main(tokens: list[str], lang: str | None) -> int:
    lang = lang or "zh"
    parser = argparse.ArgumentParser(prog="linkage city")
    parser.add_argument("what", nargs="?", choices=("board", "overdue"))
    parser.add_argument("--server", default=os.environ.get("LINKAGE_CITY_SERVER", "http://127.0.0.1:8765"))
    parser.add_argument("--token-file")
    parser.add_argument("--dir")
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--lang", choices=("zh", "en"))
    try:
        args = parser.parse_args(tokens)
    except SystemExit as exc:
        return int(exc.code or 0) and 2
    lang = args.lang or lang
    clock = clock_from_env()
    if args.dir:
        root = Path(args.dir)
    else:
        import platformdirs

        root = Path(platformdirs.user_data_dir("linkage-console")) / "city"
    try:
        token = _token(args.token_file)
        replica = CityReplica(root, clock)
    except LinkageError as exc:
        sys.stderr.write(f"linkage: {exc.message(lang)}\n")
        return exc.exit_code
    try:
        if args.what is None:
            import importlib

            screens = importlib.import_module("screens.city")
            app = screens.CityApp(replica, lambda: replica.pull(args.server, token), clock, lang=lang,
                                  interval=max(1.0, args.interval))
            return int(app.run() or 0)
        report = replica.pull(args.server, token)
        counties, overdue = city_board(replica, clock.now())
        if args.json:
            data = [r.to_json() for r in counties] if args.what == "board" else [r.to_json() for r in overdue]
            sys.stdout.write(json.dumps({"ok": report.ok, "command": f"city {args.what}", "data": data,
                                         "error": report.error or None}, ensure_ascii=False) + "\n")
        elif args.what == "board":
            for r in counties:
                sys.stdout.write(f"{r.county}\t{r.open_orders}\t{r.overdue}\t{r.waiting}\t{r.last_event_at or '-'}\n")
        else:
            for o in overdue:
                sys.stdout.write(f"{o.county}\t{o.order_no}\t{o.unit}\t{o.stage}\t{round(o.overdue_s / 60)}\n")
        if not report.ok:
            sys.stderr.write(("linkage: 服务器不可达，显示最后数据：" if lang == "zh"
                              else "linkage: server unreachable, showing the last data: ") + report.error + "\n")
        return 0 if report.ok else 3
    finally:
        replica.close()
