"""Drills (演练): the seat-wide drill switch and the rules that keep drills apart.

A drill incident is marked once, in its ``incident.created`` payload (``"drill": true``); its
calls, orders, notes, gradings and reports are drills through their incident (a join, no flag
of their own). Drills are worked like real incidents on the board, but real counts, statistics
and exports leave them out, and their events stay off the sync outbox (``Transaction.append``)
unless the profile says ``[sync] include_drills = true``.

The seat-wide switch is a property of this seat, not county data: it lives in the local
``seat_settings`` table, is never an event and is never synced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.kernel.clock import iso, parse_instant
from console.kernel.errors import BadInput
from console.kernel.model import Incident
from console.store.context import Context
from console.store.transaction import Store

DRILL_KEY = "drill"


@dataclass(frozen=True)
class DrillMode:
    """The seat's switch: on or off, and who set it when (None if never set)."""

    on: bool
    set_at: datetime | None = None
    operator: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"on": self.on, "set_at": iso(self.set_at) if self.set_at else None,
                "operator": self.operator or None}


def seat_mode(store: Store) -> DrillMode:
    row = store.one("SELECT value, set_at, operator FROM seat_settings WHERE key = ?", (DRILL_KEY,))
    if row is None:
        return DrillMode(False)
    return DrillMode(row["value"] == "on", parse_instant(row["set_at"]), row["operator"])


def set_seat_mode(ctx: Context, on: bool) -> DrillMode:
    """Switch this seat's drill mode. Local scratch state like a draft: committed at once,
    neither an event nor synced (another seat is not in a drill because this one is)."""
    now = ctx.clock.now()
    with ctx.transaction() as tx:
        tx.conn.execute(
            "INSERT INTO seat_settings (key, value, set_at, operator) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value, set_at = excluded.set_at,"
            " operator = excluded.operator", (DRILL_KEY, "on" if on else "off", iso(now), ctx.operator))
    return DrillMode(on, now, ctx.operator)


def parse_switch(raw: str) -> bool | None:
    """``on`` / ``off`` (or 开 / 关) → True / False; ``status`` → None."""
    value = raw.strip().lower()
    if value in ("on", "开", "开启", "1", "true"):
        return True
    if value in ("off", "关", "关闭", "0", "false"):
        return False
    if value in ("status", "状态", ""):
        return None
    raise BadInput("drill.switch", zh="只能是 on、off 或 status，不能是 {v}",
                   en="must be on, off or status, not {v}", v=raw[:20])


def require_same_kind(call_drill: bool, target: Incident) -> None:
    """A drill call never joins a real incident, nor a real call a drill one: the record of a
    real emergency must not carry a training call, and a drill must not hide a real caller."""
    if call_drill and not target.drill:
        raise BadInput("drill.into_real", zh="演练来电不能并入真实警情 #{no}",
                       en="a drill call cannot be added to real incident #{no}", no=target.no)
    if target.drill and not call_drill:
        raise BadInput("drill.into_drill", zh="真实来电不能并入演练警情 #{no}",
                       en="a real call cannot be added to drill incident #{no}", no=target.no)


def require_same_drill(a: Incident, b: Incident) -> None:
    """Merging joins two records into one: both drills or both real."""
    if a.drill != b.drill:
        raise BadInput("drill.merge_mixed", zh="演练警情和真实警情不能互相合并（#{a} 与 #{b}）",
                       en="a drill and a real incident cannot be merged (#{a} and #{b})",
                       a=a.no, b=b.no)
