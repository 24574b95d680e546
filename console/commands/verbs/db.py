"""``db tables`` and ``db query``: read-only administrator commands for a center's IT person,
through sqlite-utils (its table introspection, counts and row dictionaries).

``db query`` runs on a connection of its own opened read-only (``mode=ro`` and ``query_only``),
so no statement typed here can change the seat's records; every value goes through the same
one-line cleaning as any outside text before it reaches a terminal."""

from __future__ import annotations

import sqlite3
from typing import Any

from console.commands.grammar import Invocation, Outcome, command
from console.kernel.clean import one_line
from console.kernel.errors import BadInput

MAX_ROWS = 10_000


def _read_only(path: str) -> Any:
    import sqlite_utils

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.execute("PRAGMA query_only = ON")
    return sqlite_utils.Database(conn)


@command("db tables", flags=("counts",),
         zh="数据库表清单（--counts 附行数；只读，供信息管理员使用）",
         en="the database's tables (--counts with row counts; read-only, for the IT person)")
def _tables(inv: Invocation) -> Outcome:
    db = inv.services.store.db
    counts = bool(inv.get("counts"))
    rows = [{"table": name, **({"count": db[name].count} if counts else {})}
            for name in db.table_names()]
    lines = [f"{r['table']}\t{r['count']}" if counts else r["table"] for r in rows]
    return inv.outcome({"tables": rows}, lines)


@command("db query", args=("sql",), options=("limit",),
         zh="只读 SQL 查询（SELECT；默认最多 1000 行，--limit N 至多 10000；写入语句被拒绝）",
         en="a read-only SQL query (SELECT; 1000 rows unless --limit N, at most 10000; statements"
            " that write are refused)")
def _query(inv: Invocation) -> Outcome:
    sql = inv.need("sql")
    raw = inv.get("limit") or "1000"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ROWS:
        raise BadInput("db.limit", zh="--limit 必须是 1 到 {n} 之间的整数", en="--limit must be 1 to {n}",
                       n=MAX_ROWS)
    limit = int(raw)
    db = _read_only(str(inv.services.store.path))
    try:
        rows = []
        for n, row in enumerate(db.query(sql)):
            if n >= limit:
                break
            rows.append(dict(row))
    except sqlite3.Error as exc:
        raise BadInput("db.query", zh="查询失败：{e}", en="the query failed: {e}", e=one_line(str(exc))[:300]) from exc
    finally:
        db.conn.close()
    columns = list(rows[0]) if rows else []
    lines = ["\t".join(columns)] + ["\t".join(one_line("" if v is None else str(v)) for v in r.values())
                                    for r in rows]
    lines.append(inv.text.pick(f"（{len(rows)} 行）", f"({len(rows)} rows)"))
    return inv.outcome({"columns": columns, "rows": rows, "truncated": len(rows) >= limit}, lines)
