"""The call-feed verbs: ``simulate-calls`` (the call simulator, ``console/calls/simulator.py``)
and ``callfeed check`` (``console/calls/callfeed.py``)."""

from __future__ import annotations

import asyncio
import math
import re
import sys
from pathlib import Path
from typing import Any

from console.calls.callfeed import FeedEvent, FeedLineError, feed_path, parse_line
from console.calls.simulator import (
    DEFAULT_RATE,
    MAX_COUNT,
    MAX_RATE,
    PROFILE_FILE,
    generate,
    load_profile,
    write_schedule,
)
from console.commands.grammar import Invocation, Outcome, command
from console.kernel.clock import FakeClock, iso
from console.kernel.errors import BadInput
from console.kernel.inputs import normalize


def feed_of(inv: Invocation) -> Path:
    given = inv.get("feed")
    s = inv.services
    path = Path(given).expanduser() if given else feed_path(s.config.callfeed.path, s.store.path)
    if path is None:
        raise BadInput("callfeed.no_path", zh="内存数据库没有来电数据文件，请用 --feed 指定",
                       en="an in-memory database has no call feed; give --feed PATH")
    if path.is_dir():
        raise BadInput("callfeed.is_dir", zh="--feed 指向的是目录：{p}", en="--feed is a directory: {p}",
                       p=path)
    return path


def _number(inv: Invocation, name: str, default: float, low: float, high: float) -> float:
    raw = inv.get(name)
    if raw is None:
        return default
    try:
        value = float(normalize(raw))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise BadInput(f"simulate.{name}", zh="--{o} 必须是 {lo:g} 到 {hi:g} 之间的数，不能是 {v}",
                       en="--{o} must be a number from {lo:g} to {hi:g}, not {v}",
                       o=name, lo=low, hi=high, v=raw[:20])
    return value


def event_line(inv: Invocation, e: FeedEvent) -> str:
    kind = {"ring": inv.text.pick("振铃", "ring"), "hangup": inv.text.pick("挂断", "hangup"),
            "answered": inv.text.pick("他席接听", "answered")}[e.type]
    phone = e.phone or inv.text.pick("隐藏号码", "withheld")
    line = inv.text.pick(f"线路{e.line}", f"line {e.line}")
    return f"{inv.text.time(e.at)} {kind} {phone} {line} {e.caller_name}".rstrip()


def in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@command("simulate-calls", options=("rate", "count", "feed", "seed"),
         zh="模拟来电：按速率向来电数据文件写入振铃（演示、培训、压力测试）",
         en="simulate calls: append rings to the call feed at a rate (demos, training, load tests)")
def _simulate_calls(inv: Invocation) -> Outcome:
    s = inv.services
    rate = _number(inv, "rate", DEFAULT_RATE, 0.01, MAX_RATE)
    count_raw = _number(inv, "count", 0, 1, MAX_COUNT) if inv.get("count") is not None else None
    if count_raw is not None and count_raw != int(count_raw):
        raise BadInput("simulate.count", zh="--count 必须是整数", en="--count must be a whole number")
    count = None if count_raw is None else int(count_raw)
    seed_raw = inv.get("seed")
    if seed_raw is not None and not re.fullmatch(r"-?\d{1,18}", normalize(seed_raw)):
        raise BadInput("simulate.seed", zh="--seed 必须是整数", en="--seed must be an integer")
    clock = s.ctx.clock
    start = clock.now()
    seed = int(normalize(seed_raw)) if seed_raw is not None else int(start.timestamp() * 1000) % 2**31
    paced = not isinstance(clock, FakeClock)
    if not paced and count is None:
        raise BadInput("simulate.unbounded", zh="固定时钟（LINKAGE_NOW）下必须给出 --count",
                       en="with a fixed clock (LINKAGE_NOW) --count is required")
    if paced and in_event_loop():
        raise BadInput("simulate.in_console", zh="模拟来电需要等待，请在另一个终端运行 linkage simulate-calls",
                       en="the simulator waits between calls: run `linkage simulate-calls` in another terminal")
    path = feed_of(inv)
    profile = load_profile(s.data_dir / PROFILE_FILE)
    events = generate(profile, seed=seed, start=start, rate=rate, count=count, lang=inv.lang)

    def progress(e: FeedEvent) -> None:
        sys.stderr.write(event_line(inv, e) + "\n")
        sys.stderr.flush()

    if paced:
        sys.stderr.write(inv.text.pick(f"写入 {path}，每分钟约 {rate:g} 个来电，Ctrl-C 结束\n",
                                       f"writing to {path}, about {rate:g} calls a minute, Ctrl-C stops\n"))
    written = write_schedule(events, path, clock.now, paced=paced, on_write=progress if paced else None)
    tally = {k: sum(1 for e in written if e.type == k) for k in ("ring", "hangup", "answered")}
    summary = inv.text.pick(
        f"已写入 {path}：振铃 {tally['ring']}，挂断 {tally['hangup']}，他席接听 {tally['answered']}（种子 {seed}）",
        f"wrote {path}: {tally['ring']} rings, {tally['hangup']} hangups, {tally['answered']} answered"
        f" elsewhere (seed {seed})")
    lines = ([] if paced else [event_line(inv, e) for e in written]) + [summary]
    data: dict[str, Any] = {"feed": str(path), "seed": seed, "rate": rate, "rings": tally["ring"],
                            "hangups": tally["hangup"], "answered": tally["answered"],
                            "events": [e.to_json() for e in written]}
    return inv.outcome(data, lines)


@command("callfeed check", options=("feed",),
         zh="检查来电数据文件：行数、各类事件、坏行及原因（对接话务系统时用）",
         en="check the call feed: lines, events by type, bad lines and why (for PBX adapter wiring)")
def _callfeed_check(inv: Invocation) -> Outcome:
    path = feed_of(inv)
    counts = {"ring": 0, "answered": 0, "hangup": 0}
    bad: list[dict[str, Any]] = []
    total = bad_total = 0
    partial = False
    last: str | None = None
    try:
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                if not raw.endswith(b"\n"):
                    partial = True          # still being written, or the adapter died mid-line
                    break
                total += 1
                try:
                    event = parse_line(raw)
                except FeedLineError as exc:
                    bad_total += 1
                    if len(bad) < 20:
                        bad.append({"line": number, "reason": str(exc)})
                    continue
                counts[event.type] += 1
                last = iso(event.at)
    except FileNotFoundError:
        raise BadInput("callfeed.missing", zh="来电数据文件不存在：{p}（话务系统接口尚未写入）",
                       en="no call feed at {p} (the phone-system adapter has not written yet)", p=path) from None
    t = inv.text
    lines = [t.pick(f"{path}：{total} 行，振铃 {counts['ring']}，接听 {counts['answered']}，"
                    f"挂断 {counts['hangup']}，坏行 {bad_total}",
                    f"{path}: {total} lines, {counts['ring']} rings, {counts['answered']} answered,"
                    f" {counts['hangup']} hangups, {bad_total} bad")]
    lines += [t.pick(f"  第 {b['line']} 行：{b['reason']}", f"  line {b['line']}: {b['reason']}") for b in bad]
    if partial:
        lines.append(t.pick("  最后一行没有换行符（正在写入，或写入程序中断）",
                            "  the last line has no newline yet (being written, or the writer stopped)"))
    return inv.outcome({"feed": str(path), "lines": total, "events": counts, "bad": bad_total,
                        "bad_lines": bad, "partial_last_line": partial, "last_at": last}, lines)
