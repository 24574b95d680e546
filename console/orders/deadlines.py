"""Order deadlines: rules keyed by incident area and unit kind, and the clock of each order.

Deadlines are computed once, when the order is issued, and stored with it: changing the rules
later never moves the deadline of an order already running, and a restart loses no timer.
Remaining time is always ``due - now`` at the instant asked, never a counter.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from console.kernel.config import AREAS, Config
from console.kernel.errors import DataError
from console.kernel.model import MAIN_LINE, Order, OrderStatus

STAGES = ("ack", "depart", "arrive", "feedback")
UNIT_KINDS = (
    "police", "fire", "medical", "utility", "telecom", "government", "enterprise", "volunteer",
    "paid-service", "township",
)
# Which deadline the order is racing, given how far it has got.
_STAGE_FOR_STATUS = {
    OrderStatus.ISSUED: ("ack", "depart", "arrive", "feedback"),
    OrderStatus.DELIVERED: ("ack", "depart", "arrive", "feedback"),
    OrderStatus.ACKNOWLEDGED: ("depart", "arrive", "feedback"),
    OrderStatus.EN_ROUTE: ("arrive", "feedback"),
    OrderStatus.ON_SCENE: ("feedback",),
}
# The status that meets each stage's deadline (a later status meets it too).
STAGE_MET_BY = {
    "ack": OrderStatus.ACKNOWLEDGED,
    "depart": OrderStatus.EN_ROUTE,
    "arrive": OrderStatus.ON_SCENE,
    "feedback": OrderStatus.FEEDBACK,
}
STAGE_LABELS = {
    "ack": ("签收", "ack"),
    "depart": ("出动", "depart"),
    "arrive": ("到场", "arrive"),
    "feedback": ("反馈", "feedback"),
}


@dataclass(frozen=True)
class DeadlineRule:
    name_zh: str
    name_en: str
    areas: tuple[str, ...]      # ("*",) for any
    kinds: tuple[str, ...]      # ("*",) for any
    minutes: dict[str, int]     # stage → minutes after issue ("immediate" already resolved)

    def matches(self, area: str, kind: str) -> bool:
        return ("*" in self.areas or area in self.areas) and ("*" in self.kinds or kind in self.kinds)


def default_rules_path() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "deadlines.toml"


def load_rules(config: Config, path: Path | None = None) -> tuple[DeadlineRule, ...]:
    path = path or default_rules_path()
    where = f"data/{path.name}"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(where, zh="文件不存在", en="file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(where, zh="TOML 语法错误：{err}", en="invalid TOML: {err}", err=exc) from exc
    rules = raw.get("rule")
    if not isinstance(rules, list) or not rules:
        raise DataError(where, zh="至少需要一条 [[rule]]", en="needs at least one [[rule]]")
    return tuple(
        _rule(entry, f"{where}: rule #{n}", config.deadlines.immediate_minutes)
        for n, entry in enumerate(rules, start=1)
    )


def _names(value: Any, allowed: tuple[str, ...], where: str, field: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise DataError(where, zh="{f} 必须是字符串或字符串列表", en="{f} must be a string or list",
                        f=field)
    for item in items:
        if item != "*" and item not in allowed:
            raise DataError(where, zh="{f} 的值 {v} 无效", en="{f}: unknown value {v}", f=field,
                            v=item)
    return tuple(items)


def _rule(entry: Any, where: str, immediate: int) -> DeadlineRule:
    if not isinstance(entry, dict):
        raise DataError(where, zh="必须是一个表", en="must be a table")
    unknown = set(entry) - {"name_zh", "name_en", "area", "kinds", *STAGES}
    if unknown:
        raise DataError(where, zh="未知字段 {k}", en="unknown field {k}", k=sorted(unknown)[0])
    minutes: dict[str, int] = {}
    for stage in STAGES:
        value = entry.get(stage)
        if value is None:
            continue
        if value == "immediate":
            value = immediate
        if type(value) is not int or value <= 0:
            raise DataError(where, zh="{s} 必须是正整数分钟或 \"immediate\"",
                            en='{s} must be a positive number of minutes or "immediate"', s=stage)
        minutes[stage] = value
    return DeadlineRule(
        name_zh=str(entry.get("name_zh", "")),
        name_en=str(entry.get("name_en", "")),
        areas=_names(entry.get("area", "*"), AREAS, where, "area"),
        kinds=_names(entry.get("kinds", "*"), UNIT_KINDS, where, "kinds"),
        minutes=minutes,
    )


def due_times(
    rules: tuple[DeadlineRule, ...], area: str, kind: str, issued_at: datetime
) -> dict[str, datetime]:
    """The deadline of each stage for a new order; a stage without a limit is absent."""
    for rule in rules:
        if rule.matches(area, kind):
            return {s: issued_at + timedelta(minutes=m) for s, m in rule.minutes.items()}
    return {}


@dataclass(frozen=True)
class OrderClock:
    """Where an order stands against its deadlines at one instant."""

    stage: str | None          # the stage it is racing now, None when nothing is due
    due: datetime | None
    remaining_s: float | None  # negative when overdue
    state: str                 # "none" | "normal" | "due_soon" | "overdue"
    missed: tuple[str, ...]    # stages whose deadline passed before they were met


def order_clock(order: Order, now: datetime, due_soon: timedelta) -> OrderClock:
    dues = (("ack", order.ack_due), ("depart", order.depart_due), ("arrive", order.arrive_due),
            ("feedback", order.feedback_due))
    met = _met_times(order)
    missed = []
    for stage, due in dues:
        if due is None:
            continue
        met_at = met.get(stage)
        if (met_at > due) if met_at is not None else (order.is_open and now > due):
            missed.append(stage)
    racing = _STAGE_FOR_STATUS.get(order.status, ())
    for stage, due in dues:
        if due is None or stage not in racing:
            continue
        remaining = (due - now).total_seconds()
        if remaining < 0:
            state = "overdue"
        elif remaining <= due_soon.total_seconds():
            state = "due_soon"
        else:
            state = "normal"
        return OrderClock(stage, due, remaining, state, tuple(missed))
    return OrderClock(None, None, None, "none", tuple(missed))


_MAIN_VALUES = tuple(s.value for s in MAIN_LINE)
_MET_BY_VALUE = {status.value: stage for stage, status in STAGE_MET_BY.items()}


def _met_times(order: Order) -> dict[str, datetime]:
    """When each stage was met: its own step, or the earliest later main-line step.

    One backward walk over the main line, since the board asks this of every open order on
    every repaint.
    """
    met: dict[str, datetime] = {}
    earliest: datetime | None = None
    steps = order.steps
    for value in reversed(_MAIN_VALUES):
        at = steps.get(value)
        if at is not None and (earliest is None or at < earliest):
            earliest = at
        stage = _MET_BY_VALUE.get(value)
        if stage is not None and earliest is not None:
            met[stage] = earliest
    return met
