"""The call simulator and the call-feed verbs: ``simulate-calls`` and ``callfeed check``.

``generate`` is a pure function of the seed, the start instant and the caller profile
(``data/simulation.toml``): the same arguments give the same events, so tests and training
scripts can rely on it. Only the ``simulate-calls`` verb waits, and only with a real clock: it
sleeps until each event is due and stamps it with the time it was written. With a fixed clock
(``LINKAGE_NOW``, tests) it writes the whole schedule at once, stamped with the scheduled
times, and never sleeps.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from console.calls.callfeed import (
    FICTIONAL_MOBILE,
    FeedEvent,
    FeedLineError,
    append_events,
    feed_path,
    parse_line,
    to_ms,
)
from console.catalog.registry import read_toml
from console.commands.grammar import Invocation, Outcome, command
from console.commands.verbs import incidents as _verbs  # noqa: F401  (the dispatcher's verbs come first in help)
from console.kernel.clock import FakeClock, iso
from console.kernel.errors import BadInput, DataError
from console.kernel.inputs import normalize

PROFILE_FILE = "simulation.toml"
MAX_RATE = 6000.0          # rings per minute (100 a second: a load test, not a county)
MAX_COUNT = 100_000
DEFAULT_RATE = 4.0
# Follow-up delays after the ring, in seconds.
HANGUP_AFTER = (8.0, 45.0)
ANSWERED_AFTER = (4.0, 15.0)

# Replaced in tests; the CLI path is the only caller that really sleeps.
sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class SimCaller:
    phone: str
    name: str
    weight: int
    say_zh: str
    say_en: str


@dataclass(frozen=True)
class SimProfile:
    callers: tuple[SimCaller, ...]
    lines: tuple[str, ...]
    hangup_share: float
    answered_share: float


_CALLER_KEYS = {"phone", "name", "weight", "say_zh", "say_en"}
_SIM_KEYS = {"lines", "hangup_share", "answered_elsewhere_share"}


def load_profile(path: Path) -> SimProfile:
    """Read and check ``simulation.toml``; every error names the file and the entry."""
    where = path.name
    raw = read_toml(path)   # missing, not UTF-8 or not TOML: refused as for every data file
    unknown = set(raw) - {"simulation", "caller"}
    if unknown:
        raise DataError(where, zh="未知的配置节 {k}", en="unknown section {k}", k=sorted(unknown)[0])
    sim = raw.get("simulation", {})
    if not isinstance(sim, dict) or set(sim) - _SIM_KEYS:
        raise DataError(f"{where} [simulation]", zh="未知的配置项 {k}", en="unknown key {k}",
                        k=sorted(set(sim) - _SIM_KEYS)[0] if isinstance(sim, dict) else "?")
    lines = sim.get("lines", ["1"])
    if not isinstance(lines, list) or not lines or not all(isinstance(x, str) and x for x in lines):
        raise DataError(f"{where} [simulation] lines", zh="必须是非空字符串列表",
                        en="must be a non-empty list of strings")
    shares = []
    for key in ("hangup_share", "answered_elsewhere_share"):
        value = sim.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise DataError(f"{where} [simulation] {key}", zh="必须在 0 到 1 之间",
                            en="must be between 0 and 1")
        shares.append(float(value))
    if shares[0] + shares[1] > 1:
        raise DataError(f"{where} [simulation]", zh="两个比例之和不能超过 1",
                        en="the two shares must not add up to more than 1")
    callers = []
    entries = raw.get("caller", [])
    if not isinstance(entries, list) or not entries:
        raise DataError(where, zh="至少需要一个 [[caller]]", en="at least one [[caller]] is needed")
    for n, entry in enumerate(entries, start=1):
        at = f"{where} caller #{n}"
        if not isinstance(entry, dict) or set(entry) - _CALLER_KEYS:
            bad = sorted(set(entry) - _CALLER_KEYS)[0] if isinstance(entry, dict) else "?"
            raise DataError(at, zh="未知的配置项 {k}", en="unknown key {k}", k=bad)
        phone, weight = entry.get("phone", ""), entry.get("weight", 1)
        if not isinstance(phone, str) or (phone and not FICTIONAL_MOBILE.fullmatch(phone)):
            raise DataError(at, zh="号码必须是虚构号码（如 1380000xxxx）或留空（隐藏号码），不能是 {p}",
                            en="phone must be fictional (like 1380000xxxx) or empty (withheld), not {p}",
                            p=str(phone)[:20])
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            raise DataError(at, zh="weight 必须是 1 到 100 的整数", en="weight must be an integer 1–100")
        texts = [entry.get(k, "") for k in ("name", "say_zh", "say_en")]
        if not all(isinstance(t, str) for t in texts) or not texts[1].strip() or not texts[2].strip():
            raise DataError(at, zh="say_zh 和 say_en 都必须填写", en="say_zh and say_en are both required")
        callers.append(SimCaller(phone, texts[0], weight, texts[1], texts[2]))
    return SimProfile(tuple(callers), tuple(lines), shares[0], shares[1])


def generate(profile: SimProfile, *, seed: int, start: datetime, rate: float, count: int | None,
             lang: str = "zh") -> Iterator[FeedEvent]:
    """The feed events of one simulated run, in time order (infinite when ``count`` is None).

    Rings arrive as a Poisson process at ``rate`` per minute (the first at ``start``); some
    callers hang up while it rings, some are answered at another seat.
    """
    rng = random.Random(seed)
    mean = 60.0 / rate
    weights = [c.weight for c in profile.callers]
    run = f"sim-{start.strftime('%Y%m%dT%H%M%S')}-{seed}"
    pending: list[tuple[datetime, int, FeedEvent]] = []   # follow-ups, a heap by time
    at = start
    n = 0
    while count is None or n < count:
        if n:
            at += timedelta(seconds=min(rng.expovariate(1 / mean), 5 * mean))
        while pending and pending[0][0] <= at:
            yield heapq.heappop(pending)[2]
        n += 1
        caller = rng.choices(profile.callers, weights)[0]
        ring = FeedEvent("ring", f"{run}-{n:05d}", caller.phone, rng.choice(profile.lines), to_ms(at),
                         caller.name, caller.say_zh if lang == "zh" else caller.say_en)
        yield ring
        fate = rng.random()
        if fate < profile.hangup_share:
            end = to_ms(at + timedelta(seconds=rng.uniform(*HANGUP_AFTER)))
            heapq.heappush(pending, (end, n, replace(ring, type="hangup", at=end, caller_name="", say="")))
        elif fate < profile.hangup_share + profile.answered_share:
            end = to_ms(at + timedelta(seconds=rng.uniform(*ANSWERED_AFTER)))
            heapq.heappush(pending, (end, n, replace(ring, type="answered", at=end, caller_name="", say="")))
    while pending:
        yield heapq.heappop(pending)[2]


def write_schedule(events: Iterable[FeedEvent], path: Path, now: Callable[[], datetime], *,
                   paced: bool, on_write: Callable[[FeedEvent], None] | None = None) -> list[FeedEvent]:
    """Append the events; when ``paced``, wait until each is due and stamp it with the real time.

    Ctrl-C ends a paced run cleanly: what was written so far is reported.
    """
    written: list[FeedEvent] = []
    try:
        for event in events:
            if paced:
                wait = (event.at - now()).total_seconds()
                if wait > 0:
                    sleep(wait)
                event = replace(event, at=to_ms(now()))
            try:
                append_events(path, [event])
            except OSError as exc:
                if written:
                    raise
                raise BadInput("simulate.write", zh="无法写入来电数据文件 {p}：{e}",
                               en="cannot write the call feed {p}: {e}", p=path, e=exc.strerror) from exc
            written.append(event)
            if on_write is not None:
                on_write(event)
    except KeyboardInterrupt:
        pass
    return written


# -- verbs ------------------------------------------------------------------------------------
def _feed_of(inv: Invocation) -> Path:
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


def _event_line(inv: Invocation, e: FeedEvent) -> str:
    kind = {"ring": inv.text.pick("振铃", "ring"), "hangup": inv.text.pick("挂断", "hangup"),
            "answered": inv.text.pick("他席接听", "answered")}[e.type]
    phone = e.phone or inv.text.pick("隐藏号码", "withheld")
    line = inv.text.pick(f"线路{e.line}", f"line {e.line}")
    return f"{inv.text.time(e.at)} {kind} {phone} {line} {e.caller_name}".rstrip()


def _in_event_loop() -> bool:
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
    if paced and _in_event_loop():
        raise BadInput("simulate.in_console", zh="模拟来电需要等待，请在另一个终端运行 linkage simulate-calls",
                       en="the simulator waits between calls: run `linkage simulate-calls` in another terminal")
    path = _feed_of(inv)
    profile = load_profile(s.data_dir / PROFILE_FILE)
    events = generate(profile, seed=seed, start=start, rate=rate, count=count, lang=inv.lang)

    def progress(e: FeedEvent) -> None:
        sys.stderr.write(_event_line(inv, e) + "\n")
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
    lines = ([] if paced else [_event_line(inv, e) for e in written]) + [summary]
    data: dict[str, Any] = {"feed": str(path), "seed": seed, "rate": rate, "rings": tally["ring"],
                            "hangups": tally["hangup"], "answered": tally["answered"],
                            "events": [e.to_json() for e in written]}
    return inv.outcome(data, lines)


@command("callfeed check", options=("feed",),
         zh="检查来电数据文件：行数、各类事件、坏行及原因（对接话务系统时用）",
         en="check the call feed: lines, events by type, bad lines and why (for PBX adapter wiring)")
def _callfeed_check(inv: Invocation) -> Outcome:
    path = _feed_of(inv)
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
