"""``linkage serve`` and ``linkage server …``: run the city server and administer its store.

Reached from ``console.cli`` through importlib, so the seat's console never imports the server
(or Starlette and uvicorn) unless one of these commands is asked for. Messages to people are
Chinese by default and English with ``--lang en``; a refusal exits 2 with nothing changed.
``serve`` prints one JSON line on stdout once it is listening (with the real port, so
``--port 0`` works for tests and scripts); request logs are JSON lines on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from console.kernel.clock import SystemClock
from console.kernel.errors import BadInput, LinkageError
from console.sync import protocol

STORE_ENV = "LINKAGE_CENTRAL_DB"


class Usage(BadInput):
    """The command line itself is wrong."""


class _Parser(argparse.ArgumentParser):
    """argparse that refuses through ``LinkageError`` instead of exiting on its own."""

    def error(self, message: str) -> NoReturn:
        raise Usage("central.usage", zh="命令用法有误：{msg}\n{usage}", en="{msg}\n{usage}",
                    msg=message, usage=self.format_usage().strip())


def _parser() -> argparse.ArgumentParser:
    top = _Parser(prog="linkage", add_help=False)
    top.add_argument("--lang", choices=("zh", "en"))
    commands = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the city server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--store")
    serve.add_argument("--rate", type=float, default=20.0)
    serve.add_argument("--burst", type=int, default=60)
    serve.add_argument("--max-connections", type=int)
    serve.add_argument("--header-timeout", type=float, default=10.0)
    serve.add_argument("--body-timeout", type=float, default=60.0)
    serve.add_argument("--fail-rate", type=float, default=1.0)
    serve.add_argument("--fail-burst", type=int, default=30)
    serve.add_argument("--id-skew", type=float, default=float(protocol.MAX_ID_SKEW_S),
                       help="seconds an event id may run ahead of this server's clock")
    server = commands.add_parser("server", help="administer the city server's store")
    admin = server.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = admin.add_parser("add-seat")
    add.add_argument("--county")
    add.add_argument("--seat", required=True)
    add.add_argument("--city", action="store_true")
    add.add_argument("--supervise", action="store_true", help="a city token that may also record 督办 and notes")
    revoke = admin.add_parser("revoke")
    revoke.add_argument("--county")
    revoke.add_argument("--seat", required=True)
    revoke.add_argument("--city", action="store_true")
    admin.add_parser("seats")
    backup = admin.add_parser("backup")
    backup.add_argument("--to", required=True)
    restore = admin.add_parser("restore")
    restore.add_argument("--from", dest="source", required=True)
    role = admin.add_parser("db-role", help="PostgreSQL: a county's (or the city's) read-only database role")
    role.add_argument("--county")
    role.add_argument("--city", action="store_true")
    migrate = admin.add_parser("migrate", help="copy a whole store into an empty one (SQLite → PostgreSQL)")
    migrate.add_argument("--from", dest="source", required=True)
    migrate.add_argument("--to", dest="target", required=True)
    audit = admin.add_parser("audit")
    audit.add_argument("--json", action="store_true")
    for sub in (add, revoke, admin.choices["seats"], backup, restore, audit, role):
        sub.add_argument("--store")
    return top


def main(argv: list[str] | None = None, lang: str | None = None) -> int:
    """Run one ``serve``/``server`` command; 0 done, 2 refused (message on stderr)."""
    args_list = sys.argv[1:] if argv is None else list(argv)
    lang = lang or os.environ.get("LINKAGE_LANG") or "zh"
    try:
        args = _parser().parse_args(args_list)
        lang = args.lang or lang
        if args.command == "serve":
            return _serve(args, lang)
        return _admin(args, lang)
    except LinkageError as exc:
        sys.stderr.write(f"linkage: {exc.message(lang)}\n")
        return exc.exit_code


def store_path(spec: str | None) -> Path | str:
    """``sqlite:PATH`` or a ``postgresql://…`` URL (central/storage.py), else $LINKAGE_CENTRAL_DB,
    else ``central.db`` in the user data dir."""
    if spec is None:
        env = os.environ.get(STORE_ENV)
        if env:
            return env if env.startswith(("postgresql://", "postgres://")) else Path(env)
        import platformdirs

        return Path(platformdirs.user_data_dir("linkage-console")) / "central.db"
    if spec.startswith(("postgresql://", "postgres://")):
        return spec
    kind, colon, path = spec.partition(":")
    if kind != "sqlite" or not colon or not path:
        raise Usage("central.bad_store", zh="--store 应写作 sqlite:路径 或 postgresql://…",
                    en="--store must be sqlite:PATH or postgresql://…")
    return Path(path)


def _names(args: argparse.Namespace) -> tuple[str, str]:
    """(county, seat) of add-seat/revoke; the county of a city-level token is ``*``."""
    from central.store import CITY

    if not protocol.valid_name(args.seat):
        raise Usage("central.bad_seat", zh="席位名不合法：{v}", en="invalid seat name: {v}", v=args.seat)
    if args.city:
        return CITY, args.seat
    if args.county is None:
        raise Usage("central.no_county", zh="请用 --county 指定县（城市级只读令牌用 --city）",
                    en="give --county (or --city for a city-level reader)")
    if not protocol.valid_name(args.county):
        raise Usage("central.bad_county", zh="县名不合法：{v}", en="invalid county name: {v}", v=args.county)
    return args.county, args.seat


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _admin(args: argparse.Namespace, lang: str) -> int:
    from central.storage import is_postgresql, open_store, restore_store
    from central.store import CITY_SCOPES, CITY_SUPERVISE_SCOPES, SEAT_SCOPES

    zh = lang == "zh"
    if args.action == "migrate":
        from central.storage import migrate_store

        counts = migrate_store(store_path(args.source), store_path(args.target), SystemClock())
        _say(("已复制：" if zh else "copied: ") + ", ".join(f"{t} {n}" for t, n in counts.items()))
        return 0
    path = store_path(args.store)
    if args.action == "restore":
        streams = restore_store(args.source, path, SystemClock())
        _say(f"已从备份恢复，共 {len(streams)} 个县的事件流，均已换新纪元（epoch）"
             if zh else f"restored from the backup; {len(streams)} streams, each with a new epoch")
        for s in streams:
            _say(f"  {s['county']}  seq {s['last_seq']}  epoch {s['epoch']}")
        return 0
    if args.action == "audit" and not is_postgresql(path) and not Path(path).is_file():
        raise BadInput("central.no_store", zh="找不到服务器数据库 {path}", en="no server store at {path}",
                       path=str(path))
    store = open_store(path, SystemClock())
    try:
        if args.action == "audit":
            return _audit(store, zh, args.json)
        if args.action == "db-role":
            return _db_role(store, args, zh)
        if args.action == "add-seat":
            county, seat = _names(args)
            scopes = (CITY_SUPERVISE_SCOPES if args.supervise else CITY_SCOPES) if args.city else SEAT_SCOPES
            token = store.add_token(county, seat, scopes)
            _say(token)
            _say("请妥善保管此令牌：它只显示这一次，服务器只保存其摘要。"
                 if zh else "Keep this token safe: it is shown only this once; the server keeps only its hash.")
            return 0
        if args.action == "revoke":
            county, seat = _names(args)
            count = store.revoke(county, seat)
            if count == 0:
                raise BadInput("central.no_token", zh="{county}/{seat} 没有可吊销的令牌",
                               en="{county}/{seat} has no live token to revoke", county=county, seat=seat)
            _say(f"已吊销 {county}/{seat} 的 {count} 个令牌，下一次请求起生效"
                 if zh else f"revoked {count} token(s) of {county}/{seat}; effective from the next request")
            return 0
        if args.action == "seats":
            rows = store.seats()
            if not rows:
                _say("尚无席位令牌" if zh else "no seat tokens yet")
            for row in rows:
                state = (("已吊销 " if zh else "revoked ") + row["revoked_at"]) if row["revoked_at"] else (
                    "有效" if zh else "active")
                _say(f"{row['county']}\t{row['seat']}\t{row['scopes']}\t{row['created_at']}\t{state}")
            return 0
        target = Path(args.to)
        store.backup(target)
        _say(f"已备份到 {target}" if zh else f"backed up to {target}")
        return 0
    finally:
        store.close()


def _db_role(store: Any, args: argparse.Namespace, zh: bool) -> int:
    """``server db-role``: the row-level-security role to grant a county's (or the city's) own
    database login (central/pgstore.py); PostgreSQL stores only."""
    from central.pgstore import PgCentralStore

    if not isinstance(store, PgCentralStore):
        raise Usage("central.db_role_sqlite", zh="数据库角色只用于 PostgreSQL 存储",
                    en="database roles exist only for a PostgreSQL store")
    if args.city:
        role = store.city_role()
    elif args.county and protocol.valid_name(args.county):
        role = store.county_role(args.county)
    else:
        raise Usage("central.no_county", zh="请用 --county 指定县（或 --city）", en="give --county (or --city)")
    _say(role)
    _say(f"授权某个登录角色：GRANT \"{role}\" TO 登录名;" if zh else f"grant it to a login: GRANT \"{role}\" TO login;")
    return 0


def _audit(store: Any, zh: bool, as_json: bool) -> int:
    """``server audit``: every stored event and chain checked; exit 4 if anything is wrong."""
    from central.audit import verify_server

    report = verify_server(store)
    if as_json:
        _say(json.dumps({"ok": True, "command": "server audit", "data": report}, ensure_ascii=False))
        return 0 if report["ok"] else 4
    _say(f"共 {report['events']} 条事件" if zh else f"{report['events']} events")
    for seat in report["seats"]:
        _say(f"  {seat['county']}/{seat['seat']}: " + (
            f"{seat['links']} 环（跳过 {seat['skipped']}），问题 {seat['problems']}" if zh
            else f"{seat['links']} links ({seat['skipped']} skipped), {seat['problems']} problems"))
    for p in report["problems"]:
        _say(f"  ✗ {p['county']}/{p['seat']} {p['event']} {p['code']}: {p['detail']}")
    if report["ok"]:
        _say("核验通过：没有发现改动" if zh else "verified: no changes found")
        return 0
    count = len(report["problems"])
    _say(f"核验失败：发现 {count} 处问题" if zh else f"verification failed: {count} problems")
    return 4


def _serve(args: argparse.Namespace, lang: str) -> int:
    import uvicorn

    from central.app import create_app
    from central.guard import BACKLOG, guarded_protocol
    from central.longpoll import TOTAL, Holds
    from central.storage import open_store

    if args.rate <= 0 or args.burst < 1:
        raise Usage("central.bad_rate", zh="--rate 须大于 0，--burst 至少为 1",
                    en="--rate must be above 0 and --burst at least 1")
    if not 1 <= args.id_skew <= 86_400:
        raise Usage("central.bad_skew", zh="--id-skew 须在 1 到 86400 秒之间",
                    en="--id-skew must be 1 to 86400 seconds")
    if not 0 <= args.port <= 65535:
        raise Usage("central.bad_port", zh="端口须在 0–65535 之间", en="the port must be 0–65535")
    limits = _limits(args)
    path = store_path(args.store)
    clock = SystemClock()
    store = open_store(path, clock)
    try:
        sock = listen(args.host, args.port)
        log = logging.getLogger("linkage.central")
        if not log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
            log.propagate = False
        # held pulls stay well below the connection cap, so they never crowd out a push
        holds = Holds(total=max(1, min(TOTAL, limits.max_connections // 2)))
        app = create_app(store, clock=clock, rate=args.rate, burst=args.burst, log=log,
                         id_skew_s=args.id_skew, fail_rate=args.fail_rate, fail_burst=args.fail_burst,
                         holds=holds)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                http=guarded_protocol(limits), backlog=BACKLOG)
        server = _server_class()(config)
        port = sock.getsockname()[1]
        ready = {"listening": True, "url": f"http://{_url_host(args.host)}:{port}", "host": args.host,
                 "port": port, "pid": os.getpid(), "protocol": protocol.PROTOCOL}
        asyncio.run(_run(server, sock, ready))
        return 0
    finally:
        store.close()


def _limits(args: argparse.Namespace) -> Any:
    """The connection guard's settings from the command line (central/guard.py says why)."""
    from central.guard import Limits, default_cap

    cap = default_cap()
    wanted = cap if args.max_connections is None else args.max_connections
    if not 1 <= wanted <= cap:
        raise Usage("central.bad_max_connections", zh="--max-connections 须在 1–{cap} 之间（低于文件描述符上限）",
                    en="--max-connections must be 1–{cap} (below the open-file limit)", cap=cap)
    if not (0 < args.header_timeout <= 300 and 0 < args.body_timeout <= 3600):
        raise Usage("central.bad_timeout", zh="--header-timeout 须在 0–300 秒、--body-timeout 须在 0–3600 秒之间",
                    en="--header-timeout must be within 0–300 s and --body-timeout within 0–3600 s")
    if args.fail_rate <= 0 or args.fail_burst < 1:
        raise Usage("central.bad_fail_rate", zh="--fail-rate 须大于 0，--fail-burst 至少为 1",
                    en="--fail-rate must be above 0 and --fail-burst at least 1")
    return Limits(max_connections=wanted, header_timeout=args.header_timeout,
                  body_idle_timeout=min(args.header_timeout, args.body_timeout), body_timeout=args.body_timeout)


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which would kill the
        process before the store is closed; here a signal ends the command cleanly (exit 0)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            originals = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in originals.items():
                    signal.signal(sig, handler)

        async def shutdown(self, sockets: Any = None) -> None:
            """Held pulls (central/longpoll.py) answer at once, so stopping waits for none."""
            holds = getattr(getattr(self.config.app, "state", None), "holds", None)
            if holds is not None:
                holds.close()
            await super().shutdown(sockets)

    return Server


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def listen(host: str, port: int) -> socket.socket:
    """The listening socket ``linkage serve`` hands to uvicorn.

    TCP_NODELAY is set here, on the listening socket, so every accepted connection inherits
    it: uvicorn writes a response's headers and body separately, and with Nagle's algorithm on
    the body waited for the seat's delayed ACK, ~40 ms on every request (measured: a 1 ms
    request took 44 ms on loopback; a 500-event push 77 ms instead of 32 ms).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise BadInput("central.cannot_listen", zh="无法在 {host}:{port} 监听：{err}",
                       en="cannot listen on {host}:{port}: {err}", host=host, port=port,
                       err=exc.strerror or str(exc)) from None
    return sock


async def _run(server: Any, sock: socket.socket, ready: dict[str, Any]) -> None:
    """Serve until SIGINT/SIGTERM; announce readiness only once uvicorn has started."""
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if server.started:
        _say(json.dumps(ready))
    await task


if __name__ == "__main__":
    raise SystemExit(main())
