"""Verbs for drills (演练) and the figures they are kept out of: ``drill on|off|status``,
``drill run SCRIPT``, ``stats`` and ``export incidents`` (see console/calls/drills.py, stats.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from console.calls import simulator, stats
from console.calls.drill_script import events, load_script, resolve
from console.calls.drills import parse_switch
from console.commands.grammar import Invocation, Outcome, command
from console.commands.verbs import callfeed
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.kernel.inputs import normalize

MAX_SPEED = 100.0


def _mode_line(inv: Invocation, on: bool) -> str:
    return inv.text.pick("本席位演练模式：开（新警情均记为演练）" if on else "本席位演练模式：关",
                         "this seat's drill mode: ON (every new incident is a drill)" if on
                         else "this seat's drill mode: off")


@command("drill", aliases=("yl",), args=("switch?",),
         zh="演练模式：drill on|off|status（本席位开启后新警情均记为演练，不计入真实统计、导出和同步）",
         en="drill mode: drill on|off|status (while on, every new incident from this seat is a"
            " drill: kept out of real counts, exports and sync)")
def _drill(inv: Invocation) -> Outcome:
    s = inv.services
    wanted = parse_switch(inv.get("switch") or "status")
    mode = s.drill_mode() if wanted is None else s.set_drill_mode(wanted)
    return inv.outcome({"drill": mode.to_json()}, [_mode_line(inv, mode.on)])


def _speed(inv: Invocation) -> float:
    raw = inv.get("speed")
    if raw is None:
        return 1.0
    try:
        value = float(normalize(raw))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0.1 <= value <= MAX_SPEED:
        raise BadInput("drill.speed", zh="--speed 必须是 0.1 到 {hi:g} 之间的数，不能是 {v}",
                       en="--speed must be a number from 0.1 to {hi:g}, not {v}", hi=MAX_SPEED, v=raw[:20])
    return value


@command("drill run", args=("script",), options=("speed", "feed"),
         zh="演练回放：按脚本把来电写入来电数据文件，在接警台振铃供接警员练习（--speed 倍速；"
            "由此接起的警情都记为演练）",
         en="replay a drill script: its calls ring on the console for call-takers to answer"
            " (--speed N times faster; incidents taken from them are drills)")
def _drill_run(inv: Invocation) -> Outcome:
    s = inv.services
    path = resolve(inv.need("script"), s.data_dir)
    script = load_script(path)
    speed = _speed(inv)
    clock = s.ctx.clock
    paced = not isinstance(clock, FakeClock)
    if paced and callfeed.in_event_loop():
        raise BadInput("drill.in_console", zh="演练回放需要等待，请在另一个终端运行 linkage drill run",
                       en="a replay waits between calls: run `linkage drill run` in another terminal")
    feed = callfeed.feed_of(inv)
    planned = events(script, start=clock.now(), speed=speed, lang=inv.lang)
    t = inv.text
    if paced:
        sys.stderr.write(t.pick(f"演练「{script.name_zh}」写入 {feed}，{len(script.calls)} 个来电，Ctrl-C 结束\n",
                                f"drill '{script.name_en}' into {feed}: {len(script.calls)} calls,"
                                f" Ctrl-C stops\n"))

    def progress(e: Any) -> None:
        sys.stderr.write(callfeed.event_line(inv, e) + "\n")
        sys.stderr.flush()

    written = simulator.write_schedule(planned, feed, clock.now, paced=paced, on_write=progress if paced else None)
    rings = sum(1 for e in written if e.type == "ring")
    lines = ([] if paced else [callfeed.event_line(inv, e) for e in written]) + [
        t.pick(f"演练「{script.name_zh}」：已写入 {rings} 个来电（{speed:g} 倍速）到 {feed}",
               f"drill '{script.name_en}': {rings} calls written ({speed:g}x) to {feed}")]
    return inv.outcome({"script": str(path), "name_zh": script.name_zh, "name_en": script.name_en,
                        "feed": str(feed), "speed": speed, "rings": rings,
                        "calls": [c.to_json() for c in script.calls],
                        "events": [e.to_json() for e in written]}, lines)


def _period(inv: Invocation) -> stats.Period:
    s = inv.services
    return stats.period(inv.get("from"), inv.get("to"), s.ctx.clock.now(), s.config.tz)


@command("stats", aliases=("tj",), options=("from", "to"), flags=("drills",),
         zh="统计：某时段（本地日期，默认今天）的警情按类别、处置方式、来源，超时派单，平均签收/到场用时"
            "（不含演练；--drills 只统计演练）",
         en="statistics for local days (default today): incidents by category, disposition and"
            " source, overdue orders, average time to ack/arrive (drills left out; --drills: drills only)")
def _stats(inv: Invocation) -> Outcome:
    found = inv.services.stats(_period(inv), drills=bool(inv.get("drills")))
    return inv.outcome({"stats": found.to_json()}, stats.stats_lines(inv.text, found))


@command("export incidents", options=("from", "to", "out"), flags=("drills",),
         zh="导出警情 CSV（本地日期，默认今天；表头中英双语；不含演练，--drills 只导出演练；--out 文件）",
         en="export incidents as CSV (local days, default today; bilingual header; drills left"
            " out, --drills: drills only; --out FILE)")
def _export(inv: Invocation) -> Outcome:
    s = inv.services
    drills = bool(inv.get("drills"))
    p = _period(inv)
    rows = s.export_rows(p, drills=drills)
    text = stats.export_csv(rows, inv.text)
    out = inv.get("out")
    data: dict[str, Any] = {"period": p.to_json(), "drills": drills, "rows": len(rows),
                            "out": None}
    if out:
        path = Path(out).expanduser()
        stats.write_export(path, text)
        data["out"] = str(path)
        lines = [inv.text.pick(f"已导出 {len(rows)} 起{'演练' if drills else ''}警情到 {path}",
                               f"exported {len(rows)} {'drill ' if drills else ''}incidents to {path}")]
    else:
        data["csv"] = text
        lines = text.rstrip("\r\n").split("\r\n")
    return inv.outcome(data, lines)
