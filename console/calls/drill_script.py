"""Drill scripts (演练脚本): a scripted run of calls, replayed into the call feed for training.

A script (``data/drills/*.toml``, format in data/README.md) lists calls at offsets from the
start: the caller's number and name, what they say in both languages, and the answer key
(address, area) for the debrief. ``events`` turns it into call-feed events marked ``drill``,
so the calls ring on the console like any other and the incidents made from them are drills
whatever the seat's switch says. Writing and pacing are the simulator's
(``console/simulate.write_schedule``): there is one feed and one writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from console.calls.callfeed import FICTIONAL_MOBILE, FeedEvent, to_ms
from console.catalog.datafile import read_toml
from console.kernel.errors import BadInput, DataError
from console.kernel.model import AREA_ALIASES

SCRIPT_DIR = "drills"
MAX_CALLS = 200
MAX_OFFSET_S = 6 * 3600
MAX_TEXT = 500
_HEAD_KEYS = {"name_zh", "name_en", "summary_zh", "summary_en", "lines"}
_CALL_KEYS = {"offset_s", "phone", "caller_name", "text_zh", "text_en", "address", "area", "line",
              "hangup_after_s"}


@dataclass(frozen=True)
class DrillCall:
    offset_s: float
    phone: str                 # fictional, or "" (withheld)
    caller_name: str
    text_zh: str
    text_en: str
    address: str               # the answer key: where it really is
    area: str                  # the answer key: urban / suburb / rural
    line: str
    hangup_after_s: float | None   # the caller gives up if nobody answers by then

    def to_json(self) -> dict[str, Any]:
        return {"offset_s": self.offset_s, "phone": self.phone, "caller_name": self.caller_name,
                "text_zh": self.text_zh, "text_en": self.text_en, "address": self.address,
                "area": self.area, "line": self.line, "hangup_after_s": self.hangup_after_s}


@dataclass(frozen=True)
class DrillScript:
    name_zh: str
    name_en: str
    summary_zh: str
    summary_en: str
    calls: tuple[DrillCall, ...]   # by offset

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def resolve(raw: str, data_dir: Path) -> Path:
    """A script by path, else by name from ``data/drills/`` (``gas_leak_drill``)."""
    given = Path(raw).expanduser()
    if given.is_file():
        return given
    for candidate in (data_dir / SCRIPT_DIR / raw, data_dir / SCRIPT_DIR / f"{raw}.toml"):
        if candidate.is_file():
            return candidate
    raise BadInput("drill.no_script", zh="找不到演练脚本：{s}", en="no drill script: {s}", s=raw[:80])


def _text(entry: dict[str, Any], key: str, at: str, *, required: bool = False) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise DataError(f"{at} {key}", zh="必须是字符串", en="must be a string")
    value = " ".join(value.split())
    if required and not value:
        raise DataError(f"{at} {key}", zh="不能为空", en="must not be empty")
    if len(value) > MAX_TEXT:
        raise DataError(f"{at} {key}", zh="过长（上限 {n} 字）", en="too long (limit {n})", n=MAX_TEXT)
    return value


def _seconds(entry: dict[str, Any], key: str, at: str, low: float) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= MAX_OFFSET_S:
        raise DataError(f"{at} {key}", zh="必须是 {lo:g} 到 {hi} 之间的秒数",
                        en="must be a number of seconds from {lo:g} to {hi}", lo=low, hi=MAX_OFFSET_S)
    return float(value)


def load_script(path: Path) -> DrillScript:
    """Read and check a script; every refusal names the file and the entry (call #n)."""
    where = path.name
    raw = read_toml(path)   # missing, not UTF-8 or not TOML: refused as for every data file
    unknown = set(raw) - {"drill", "call"}
    if unknown:
        raise DataError(where, zh="未知的配置节 {k}", en="unknown section {k}", k=sorted(unknown)[0])
    head = raw.get("drill")
    if not isinstance(head, dict):
        raise DataError(where, zh="缺少 [drill] 节", en="the [drill] section is missing")
    if set(head) - _HEAD_KEYS:
        raise DataError(f"{where} [drill]", zh="未知的配置项 {k}", en="unknown key {k}",
                        k=sorted(set(head) - _HEAD_KEYS)[0])
    names = [_text(head, k, f"{where} [drill]", required=True)
             for k in ("name_zh", "name_en", "summary_zh", "summary_en")]
    lines = head.get("lines", ["1"])
    if not isinstance(lines, list) or not lines or not all(isinstance(x, str) and x for x in lines):
        raise DataError(f"{where} [drill] lines", zh="必须是非空字符串列表",
                        en="must be a non-empty list of strings")
    entries = raw.get("call")
    if not isinstance(entries, list) or not entries:
        raise DataError(where, zh="至少需要一个 [[call]]", en="at least one [[call]] is needed")
    if len(entries) > MAX_CALLS:
        raise DataError(where, zh="最多 {n} 个来电", en="at most {n} calls", n=MAX_CALLS)
    calls = [_call(entry, f"{where} call #{n}", lines, n) for n, entry in enumerate(entries, start=1)]
    calls.sort(key=lambda c: c.offset_s)
    return DrillScript(names[0], names[1], names[2], names[3], tuple(calls))


def _call(entry: Any, at: str, lines: list[str], n: int) -> DrillCall:

    if not isinstance(entry, dict):
        raise DataError(at, zh="必须是一个配置节", en="must be a table")
    if set(entry) - _CALL_KEYS:
        raise DataError(at, zh="未知的配置项 {k}", en="unknown key {k}", k=sorted(set(entry) - _CALL_KEYS)[0])
    if "offset_s" not in entry:
        raise DataError(at, zh="缺少 offset_s（开始后第几秒振铃）",
                        en="offset_s (seconds after the start it rings) is missing")
    offset = _seconds(entry, "offset_s", at, 0) or 0.0
    hangup = _seconds(entry, "hangup_after_s", at, 1)
    phone = entry.get("phone", "")
    if not isinstance(phone, str) or (phone and not FICTIONAL_MOBILE.fullmatch(phone)):
        raise DataError(f"{at} phone", zh="号码必须是虚构号码（如 1380000xxxx）或留空（隐藏号码），不能是 {p}",
                        en="phone must be fictional (like 1380000xxxx) or empty (withheld), not {p}",
                        p=str(phone)[:20])
    area = _text(entry, "area", at) or "urban"
    if area not in AREA_ALIASES:
        raise DataError(f"{at} area", zh="区域只能是 urban、suburb 或 rural，不能是 {a}",
                        en="area must be urban, suburb or rural, not {a}", a=area[:20])
    line = _text(entry, "line", at) or lines[(n - 1) % len(lines)]
    return DrillCall(offset, phone, _text(entry, "caller_name", at),
                     _text(entry, "text_zh", at, required=True), _text(entry, "text_en", at, required=True),
                     _text(entry, "address", at), AREA_ALIASES[area].value, line, hangup)


def events(script: DrillScript, *, start: datetime, speed: float, lang: str) -> list[FeedEvent]:
    """The feed events of one run, in time order: a ring per call at ``start + offset/speed``
    (and a hangup for a caller who gives up), every one marked ``drill``."""

    run = f"drill-{start.strftime('%Y%m%dT%H%M%S')}"
    out: list[FeedEvent] = []
    for n, call in enumerate(script.calls, start=1):
        at = to_ms(start + timedelta(seconds=call.offset_s / speed))
        ring = FeedEvent("ring", f"{run}-{n:03d}", call.phone, call.line, at, call.caller_name,
                         call.text_zh if lang == "zh" else call.text_en, drill=True)
        out.append(ring)
        if call.hangup_after_s is not None:
            end = to_ms(at + timedelta(seconds=call.hangup_after_s / speed))
            out.append(FeedEvent("hangup", ring.call_ref, call.phone, call.line, end, drill=True))
    out.sort(key=lambda e: e.at)
    return out
