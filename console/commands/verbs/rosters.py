"""The duty-roster verbs (值班表 / 备案): ``roster import|export|show`` (see ``console/duty/rosters.py``).

Importing this module registers them (``console/commands/__init__.py`` does, in help order).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from console.commands.grammar import Invocation, Outcome, command
from console.commands.shapes import unit_json
from console.duty.roster_csv import parse_local_time, write_roster
from console.duty.rosters import TIER_FIELD, TIER_FIELD_LABELS, Shift, Staleness
from console.kernel.clock import iso
from console.kernel.errors import BadInput
from console.kernel.inputs import normalize, parse_reported_time, within_range
from console.orders.dispatch import resolve_unit
from console.words import Words

_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
#: How far ahead ``--at`` / ``--from`` / ``--to`` may point (a roster is about the future).
_AHEAD = timedelta(days=3660)
#: ``roster export`` with no ``--to`` covers this much from ``--from`` (default: now).
EXPORT_SPAN = timedelta(days=31)


def instant_arg(inv: Invocation, name: str, default: datetime) -> datetime:
    """A time option in the center's zone: ``2026-12-01`` (midnight), ``2026-12-01 08:00``,
    an ISO instant, ``14:00`` (today) or ``-2h``; future times are allowed here."""
    raw = inv.get(name)
    if raw is None or not raw.strip():
        return default
    s = inv.services
    tz = s.config.tz
    text = normalize(raw)
    if m := _DATE.fullmatch(text):
        try:
            return within_range(datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=tz), raw)
        except ValueError:
            pass
    found = parse_local_time(text, tz)
    if found is not None:
        return within_range(found, raw)
    return parse_reported_time(text, s.ctx.clock.now(), tz, _AHEAD)


def _span(t: Words, a: datetime, b: datetime) -> str:
    la, lb = a.astimezone(t.tz), b.astimezone(t.tz)
    end = lb.strftime("%H:%M") if la.date() == lb.date() else lb.strftime("%m-%d %H:%M")
    return f"{la.strftime('%m-%d %H:%M')}–{end}"


def shift_line(t: Words, s: Shift, tier: int | None) -> str:
    extra = ""
    key = TIER_FIELD.get(tier or 0)
    if key and getattr(s, key):
        zh, en = TIER_FIELD_LABELS[key]
        extra = f" · {t.pick(zh, en)} {getattr(s, key)}"
    return f"{_span(t, s.start, s.end)} {s.person} {s.phone}{extra}"


def stale_text(t: Words, st: Staleness) -> str:
    words = []
    for reason in st.reasons:
        if reason == "unfiled":
            words.append(t.pick("从未备案值班表", "no roster ever filed"))
        elif reason == "old_filing":
            words.append(t.pick(f"备案过期（最近 {t.time(st.last_filed_at, True)}）",
                                f"filing out of date (last {t.time(st.last_filed_at, True)})"))
        elif reason == "gap" and st.gap_from and st.gap_to:
            words.append(t.pick(f"值班空档 {_span(t, st.gap_from, st.gap_to)}",
                                f"roster gap {_span(t, st.gap_from, st.gap_to)}"))
    return "；".join(words) if t.zh() else "; ".join(words)


@command("roster import", args=("file",), options=("from", "to", "at"),
         zh="导入值班表 CSV（单位备案；有错误的行全部列出，什么都不写入）",
         en="import a duty-roster CSV (a filing per unit; any bad row: all listed, nothing saved)")
def _roster_import(inv: Invocation) -> Outcome:
    s = inv.services
    now = s.ctx.clock.now()
    period = None
    if inv.get("from") or inv.get("to"):
        if not (inv.get("from") and inv.get("to")):
            raise BadInput("roster.period_half", zh="--from 和 --to 须同时给出",
                           en="give both --from and --to, or neither")
        period = (instant_arg(inv, "from", now), instant_arg(inv, "to", now))
    filed_at = s.ctx.reported_time(inv.get("at")) if inv.get("at") else None
    checked, ids = s.import_roster(Path(inv.need("file")), period=period, filed_at=filed_at)
    t = inv.text
    units = sorted(checked.shifts)
    lines = [t.pick(f"已备案 {len(units)} 个单位的值班表，共 {checked.count} 个班次",
                    f"filed rosters of {len(units)} units, {checked.count} shifts")]
    lines += [f"  {t.unit(u)} ({u}): {len(checked.shifts[u])}" for u in units]
    return inv.outcome({"file": checked.path, "filings": ids, "shifts": checked.count,
                        "units": {u: len(checked.shifts[u]) for u in units}}, lines)


@command("roster export", options=("unit", "from", "to", "out"),
         zh="导出值班表 CSV（默认从现在起 31 天；--out 写入文件，否则输出到屏幕）",
         en="export the duty roster as CSV (default: now + 31 days; --out FILE, else stdout)")
def _roster_export(inv: Invocation) -> Outcome:
    s = inv.services
    now = s.ctx.clock.now()
    start = instant_arg(inv, "from", now)
    end = instant_arg(inv, "to", start + EXPORT_SPAN)
    if end <= start:
        raise BadInput("roster.period", zh="--to 必须晚于 --from", en="--to must be after --from")
    units = [resolve_unit(s.ctx, inv.need("unit")).code] if inv.get("unit") else None
    shifts = s.roster_shifts(start, end, units)
    text = write_roster(shifts, s.config.tz)
    data: dict[str, Any] = {"from": iso(start), "to": iso(end),
                            "shifts": [x.to_json() for x in shifts]}
    out = inv.get("out")
    if out:
        try:
            # With a BOM, so Excel opens the Chinese columns correctly; import accepts both.
            Path(out).write_text(text, encoding="utf-8-sig")
        except OSError as exc:
            raise BadInput("roster.write", zh="写不了文件 {f}：{e}", en="cannot write {f}: {e}",
                           f=out, e=exc.strerror or exc) from exc
        data["out"] = out
        lines = [inv.text.pick(f"已导出 {len(shifts)} 个班次到 {out}",
                               f"exported {len(shifts)} shifts to {out}")]
    else:
        data["csv"] = text
        lines = text.rstrip("\n").split("\n")
    return inv.outcome(data, lines)


@command("roster show", aliases=("duty",), args=("unit",), options=("at",),
         zh="单位值班情况：某时刻谁在岗、电话、备案记录、未来班次",
         en="a unit's duty: who is on at a time, phone, filings, coming shifts")
def _roster_show(inv: Invocation) -> Outcome:
    s = inv.services
    unit = resolve_unit(s.ctx, inv.need("unit"))
    at = instant_arg(inv, "at", s.ctx.clock.now())
    duty = s.duty(unit, at)
    horizon = timedelta(hours=s.config.duty.gap_horizon_hours)
    coming = s.roster_shifts(at, at + horizon, [unit.code])
    filings = s.filings(unit.code, 5)
    stale = next((x for x in s.stale_units(at) if x.unit == unit.code), None)
    t = inv.text
    tier = t.pick("一二三"[unit.tier - 1] + "级", f"tier {unit.tier}")
    state = t.pick("在岗" if duty.on_duty else "不在岗", "on duty" if duty.on_duty else "off duty")
    source = t.pick("值班表" if duty.source == "roster" else "值班时间", duty.source)
    lines = [f"{t.unit(unit.code)} ({unit.code}) · {tier} · {t.time(at, True)} · {state} ({source})"]
    if duty.shift:
        lines.append(t.pick("  当前班次 ", "  on now ") + shift_line(t, duty.shift, unit.tier))
    else:
        lines.append(t.pick(f"  值班电话 {unit.duty_phone}（值班时间 {unit.duty_hours}）",
                            f"  duty phone {unit.duty_phone} (hours {unit.duty_hours})"))
    lines.append(t.pick(f"  未来 {horizon.total_seconds() / 3600:g} 小时的班次：",
                        f"  shifts in the next {horizon.total_seconds() / 3600:g} h:"))
    lines += ["    " + shift_line(t, x, unit.tier) for x in coming] or [t.pick("    （无）", "    (none)")]
    lines.append(t.pick("  备案记录：", "  filings:"))
    lines += [f"    {t.time(f.filed_at, True)} · {_span(t, f.period_from, f.period_to)} · "
              f"{f.shifts} {t.pick('个班次', 'shifts')} · {f.operator}@{f.seat}" for f in filings] or [
        t.pick("    （从未备案）", "    (never filed)")]
    if stale:
        lines.append("  ⚠ " + stale_text(t, stale))
    return inv.outcome({
        "unit": unit_json(unit, duty.on_duty), "at": iso(at), "on_duty": duty.on_duty,
        "source": duty.source, "shift": duty.shift.to_json() if duty.shift else None,
        "coming": [x.to_json() for x in coming], "filings": [f.to_json() for f in filings],
        "stale": stale.to_json() if stale else None,
    }, lines)
