"""Statistics and the incident export, over center-local days, with drills kept apart.

Real figures never include a drill (演练): every query here takes ``drills`` and selects
``incidents.drill = ?`` with it, so a call gives either the real figures (the default) or the
drills' alone (``--drills``, a drill debrief), never a mix. Orders, calls and their times count
through their incident, so a drill's orders are drills without a flag of their own.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from console.kernel.clean import csv_cell
from console.kernel.clock import iso
from console.kernel.errors import BadInput
from console.kernel.inputs import day_bounds, parse_day
from console.kernel.model import DISPOSITION_LABELS, acked_at, label
from console.orders.deadlines import order_clock
from console.store.queries import ORDER_SELECT, Reader, incident_from_row, order_from_row

if TYPE_CHECKING:  # the words are the caller's (console/commands/shapes.py)
    from console.words import Words

MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Center-local days ``first``..``last`` (both included) as the UTC span [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime

    def to_json(self) -> dict[str, Any]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(),
                "start": iso(self.start), "end": iso(self.end)}


def period(raw_from: str | None, raw_to: str | None, now: datetime, tz: ZoneInfo) -> Period:
    """``--from`` / ``--to`` (local dates, default today; one given alone is a single day)."""
    today = now.astimezone(tz).date()
    first = parse_day(raw_from) if raw_from else None
    last = parse_day(raw_to) if raw_to else None
    first, last = first or last or today, last or first or today
    if last < first:
        raise BadInput("stats.period", zh="--to 不能早于 --from", en="--to must not be before --from")
    if (last - first).days >= MAX_DAYS:
        raise BadInput("stats.period_long", zh="时间段最长 {n} 天", en="the period is at most {n} days",
                       n=MAX_DAYS)
    return Period(first, last, day_bounds(first, tz)[0], day_bounds(last, tz)[1])


@dataclass(frozen=True)
class Stats:
    period: Period
    drills: bool
    incidents: int
    calls: int
    by_category: dict[str, int]
    by_disposition: dict[str, int]
    by_source: dict[str, int]
    by_status: dict[str, int]
    orders: int
    overdue_orders: int            # missed a deadline, or overdue now
    avg_ack_s: float | None        # issued → taken on (签收 or later)
    avg_arrive_s: float | None     # issued → on scene

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period.to_json(), "drills": self.drills, "incidents": self.incidents,
                "calls": self.calls, "by_category": self.by_category,
                "by_disposition": self.by_disposition, "by_source": self.by_source,
                "by_status": self.by_status, "orders": self.orders,
                "overdue_orders": self.overdue_orders,
                "avg_ack_s": _round(self.avg_ack_s), "avg_arrive_s": _round(self.avg_arrive_s)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# Merged incidents are repeats of another: counted as calls, not as incidents.
_INCIDENTS = ("SELECT * FROM incidents WHERE drill = ? AND created_at >= ? AND created_at < ?"
              " AND status != 'merged' ORDER BY created_at, no")


def compute(db: Reader, p: Period, *, drills: bool, now: datetime, due_soon: timedelta) -> Stats:
    span = (1 if drills else 0, iso(p.start), iso(p.end))
    incidents = [incident_from_row(r) for r in db.all(_INCIDENTS, span)]
    calls = db.one("SELECT count(*) FROM calls c JOIN incidents i ON i.id = c.incident_id"
                   " WHERE i.drill = ? AND c.received_at >= ? AND c.received_at < ?", span)
    orders = [order_from_row(r) for r in db.all(
        ORDER_SELECT + " WHERE i.drill = ? AND o.issued_at >= ? AND o.issued_at < ?"
        " AND o.status != 'reassigned' ORDER BY o.no", span)]
    ack, arrive, overdue = [], [], 0
    for o in orders:
        clock = order_clock(o, now, due_soon)
        overdue += bool(clock.missed) or clock.state == "overdue"
        taken = acked_at(o.steps)
        if taken is not None:
            ack.append((taken - o.issued_at).total_seconds())
        if "on_scene" in o.steps:
            arrive.append((o.steps["on_scene"] - o.issued_at).total_seconds())

    def tally(values: list[str]) -> dict[str, int]:
        return dict(Counter(values).most_common())

    return Stats(p, drills, len(incidents), int(calls[0]) if calls else 0,
                 tally([i.category for i in incidents]),
                 tally([i.disposition.value for i in incidents]),
                 tally([i.source for i in incidents]), tally([i.status.value for i in incidents]),
                 len(orders), overdue, _mean(ack), _mean(arrive))


def stats_lines(t: Words, s: Stats) -> list[str]:
    def span(value: float | None) -> str:
        if value is None:
            return "-"
        secs = round(value)
        return f"{secs // 60:d}:{secs % 60:02d}"

    what = t.pick("演练", "drills") if s.drills else t.pick("真实警情（不含演练）", "real (drills left out)")
    days = s.period.first.isoformat() + ("" if s.period.first == s.period.last
                                         else f" — {s.period.last.isoformat()}")
    lines = [t.pick(f"统计 {days} · {what}", f"Statistics {days} · {what}"),
             t.pick(f"警情 {s.incidents} · 来电 {s.calls} · 派单 {s.orders} · 超时派单 {s.overdue_orders}",
                    f"incidents {s.incidents} · calls {s.calls} · orders {s.orders} · overdue orders"
                    f" {s.overdue_orders}"),
             t.pick(f"平均签收用时 {span(s.avg_ack_s)} · 平均到场用时 {span(s.avg_arrive_s)}",
                    f"average time to ack {span(s.avg_ack_s)} · to arrive {span(s.avg_arrive_s)}")]
    if s.by_category:
        lines.append(t.pick("按类别：", "by category:") + "，".join(
            f"{t.category(k)} {n}" for k, n in s.by_category.items()))
    if s.by_disposition:
        lines.append(t.pick("按处置方式：", "by disposition:") + "，".join(
            f"{_disposition(t, k)} {n}" for k, n in s.by_disposition.items()))
    if s.by_source:
        lines.append(t.pick("按来源：", "by source:") + "，".join(
            f"{_source(t, k)} {n}" for k, n in s.by_source.items()))
    return lines


def _disposition(t: Words, value: str) -> str:
    return label(DISPOSITION_LABELS, value, t.lang)


def _source(t: Words, value: str) -> str:
    return {"center": t.pick("中心接警", "center"), "unit": t.pick("单位上报", "unit report")}.get(value, value)


# -- export ------------------------------------------------------------------------------------
# (key, zh): the header cell is "zh/key", so a spreadsheet user reads Chinese and a script
# splits on "/" (docs/cli-json.md, "linkage export incidents").
EXPORT_COLUMNS = (
    ("no", "编号"), ("id", "全局编号"), ("created_at", "接警时间"), ("category", "类别代码"),
    ("category_name", "类别"), ("area", "区域"), ("address", "地址"), ("phone", "来电号码"),
    ("caller_name", "来电人"), ("text", "报警内容"), ("status", "状态"),
    ("disposition", "处置方式"), ("source", "来源"), ("reporting_unit", "上报单位"),
    ("closed_at", "办结时间"), ("calls", "来电数"), ("orders", "派单数"), ("seat", "席位"),
    ("drill", "演练"),
)
# A cell a spreadsheet would run as a formula is written with a leading apostrophe, and no
# cell carries an escape sequence or a line break (console/kernel/clean.py).
_cell = csv_cell


def export_rows(db: Reader, p: Period, *, drills: bool, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The incidents of the period (merged repeats included, as rows of their own), oldest
    first, with their call and order counts: real ones only, or drills only."""
    rows = db.all(
        "SELECT i.*, (SELECT count(*) FROM calls c WHERE c.incident_id = i.id) AS n_calls,"
        " (SELECT count(*) FROM orders o WHERE o.incident_id = i.id) AS n_orders"
        " FROM incidents i WHERE i.drill = ? AND i.created_at >= ? AND i.created_at < ?"
        " ORDER BY i.created_at, i.no", (1 if drills else 0, iso(p.start), iso(p.end)))
    out = []
    for r in rows:
        i = incident_from_row(r)
        out.append({
            "no": i.no, "id": i.id, "created_at": i.created_at.astimezone(tz).isoformat(timespec="seconds"),
            "category": i.category, "area": i.area, "address": i.address, "phone": i.phone,
            "caller_name": i.caller_name, "text": i.text, "status": i.status.value,
            "disposition": i.disposition.value, "source": i.source,
            "reporting_unit": i.reporting_unit,
            "closed_at": i.closed_at.astimezone(tz).isoformat(timespec="seconds") if i.closed_at else "",
            "calls": r["n_calls"], "orders": r["n_orders"], "seat": i.seat, "drill": int(i.drill)})
    return out


def export_csv(rows: list[dict[str, Any]], t: Words) -> str:
    """CSV text: the bilingual header, then one line per incident (the category also by name,
    in the session's language, next to its code)."""
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow([f"{zh}/{key}" for key, zh in EXPORT_COLUMNS])
    for row in rows:
        named = {**row, "category_name": t.category(row["category"])}
        out.writerow([_cell(named[key]) for key, _ in EXPORT_COLUMNS])
    return buf.getvalue()


def write_export(path: Path, text: str) -> None:
    """UTF-8 with a byte-order mark, so a spreadsheet opens the Chinese correctly; written to a
    temporary file and renamed, so a reader never sees half an export."""
    if path.is_dir():
        raise BadInput("export.is_dir", zh="--out 指向的是目录：{p}", en="--out is a directory: {p}",
                       p=path)
    tmp = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8-sig", newline="")
        tmp.replace(path)
    except OSError as exc:
        raise BadInput("export.write", zh="无法写入 {p}：{e}", en="cannot write {p}: {e}",
                       p=path, e=exc.strerror) from exc
