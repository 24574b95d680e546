"""The call simulator and the call-feed verbs: ``simulate-calls`` and ``callfeed check``.

``generate`` is a pure function of the seed, the start instant and the caller profile
(``data/simulation.toml``): the same arguments give the same events, so tests and training
scripts can rely on it. Only the ``simulate-calls`` verb waits, and only with a real clock: it
sleeps until each event is due and stamps it with the time it was written. With a fixed clock
(``LINKAGE_NOW``, tests) it writes the whole schedule at once, stamped with the scheduled
times, and never sleeps.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from console.calls.callfeed import FICTIONAL_MOBILE, FeedEvent, append_events, to_ms
from console.catalog.datafile import read_toml
from console.kernel.errors import BadInput, DataError

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
