"""The center's profile: ``config.toml`` → frozen dataclasses.

A typo in the profile must stop the console with a message naming the key, not run with a
silent default, so unknown keys and wrong types are refused here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.kernel.clean import one_line
from console.kernel.errors import DataError
from console.kernel.inputs import MAX_OPERATOR, operator_problem

AREAS = ("urban", "suburb", "rural")
LANGUAGES = ("zh", "en")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CenterConfig:
    name_zh: str = "示范县社会应急联动指挥中心"
    name_en: str = "Demo County Social Emergency Linkage Command Center"
    county: str = "demo-county"
    seat: str = "seat-01"
    operator: str = "duty"
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    default_area: str = "urban"


@dataclass(frozen=True)
class IntakeConfig:
    duplicate_window_minutes: int = 30
    history_limit: int = 10
    max_text_chars: int = 4000


@dataclass(frozen=True)
class DeadlineConfig:
    immediate_minutes: int = 5
    due_soon_minutes: int = 5
    future_tolerance_seconds: int = 60
    supervise_minutes: int = 30     # a supervise order's own deadline unless --minutes


@dataclass(frozen=True)
class SyncConfig:
    """The city server (docs/sync-protocol.md); no server = this seat works alone."""

    server: str = ""             # e.g. "https://city-sync.invalid:8765"; empty: no sync
    token_file: str = ""         # empty: <database file>.sync-token beside the database
    deadline_seconds: int = 15   # the whole of one request, however slow the server
    interval_seconds: int = 5    # between passes while all is well
    include_drills: bool = False  # push drill (演练) incidents' events too (console/calls/drills.py)


@dataclass(frozen=True)
class CallFeedConfig:
    """The phone system's call feed (docs/call-feed.md)."""

    path: str = ""                  # empty: callfeed.jsonl beside the database
    ring_timeout_seconds: int = 60  # a ring nobody answers for this long is a missed call


@dataclass(frozen=True)
class DutyConfig:
    """Duty rosters (值班表) and filing (备案): when a unit is flagged as stale."""

    filing_max_age_days: int = 30   # a unit whose latest filing is older than this is stale
    gap_horizon_hours: int = 24     # a Tier 1 roster must cover this far ahead without a gap


@dataclass(frozen=True)
class StoreConfig:
    """The seat's database file (console/store/dbfile.py)."""

    busy_timeout_ms: int = 5000     # wait this long for another program's write lock, then refuse
    check_on_open: bool = True      # PRAGMA quick_check at console start and each CLI command


@dataclass(frozen=True)
class ReportsConfig:
    """The assessment's files (docs/assessment.md)."""

    folder: str = ""   # where scheduled reports go; empty: reports/ beside the database
    font: str = ""     # a CJK TrueType font for the PDF; empty: fonts-wqy-microhei's, if installed


@dataclass(frozen=True)
class ScheduleConfig:
    """Cron entries (minute hour day month weekday) in the center's zone; empty: not run
    (console/schedule/). Missed runs are caught up once."""

    monthly_assessment: str = "0 8 1 * *"     # last month's assessment into the reports folder
    rollcall: str = ""                         # roll-call reminders (点名时间到), e.g. "0 9,21 * * *"
    roster_reminder: str = "0 9 * * 1"         # units whose roster filing is stale
    report_followups: str = ""                 # reports upward (续报) due, e.g. "*/15 * * * *"


@dataclass(frozen=True)
class Config:
    center: CenterConfig = field(default_factory=CenterConfig)
    intake: IntakeConfig = field(default_factory=IntakeConfig)
    deadlines: DeadlineConfig = field(default_factory=DeadlineConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    callfeed: CallFeedConfig = field(default_factory=CallFeedConfig)
    duty: DutyConfig = field(default_factory=DutyConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    keymap: dict[str, str] = field(default_factory=dict)
    source: str = "<defaults>"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.center.timezone)


_SECTIONS: dict[str, type] = {
    "center": CenterConfig,
    "intake": IntakeConfig,
    "deadlines": DeadlineConfig,
    "sync": SyncConfig,
    "callfeed": CallFeedConfig,
    "duty": DutyConfig,
    "store": StoreConfig,
    "reports": ReportsConfig,
    "schedule": ScheduleConfig,
}


def default_config_path() -> Path:
    return PROJECT_ROOT / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """Read and validate a profile; a missing default file means all defaults."""
    explicit = path is not None
    path = path or default_config_path()
    where = path.name
    if not path.exists():
        if explicit:
            raise DataError(where, zh="配置文件不存在", en="config file not found")
        return Config()
    if path.is_dir():
        raise DataError(where, zh="这是一个目录，不是配置文件", en="this is a directory, not a config file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(where, zh="无法读取配置文件：{err}", en="cannot read the config file: {err}",
                        err=exc.strerror or type(exc).__name__) from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(where, zh="TOML 语法错误：{err}", en="invalid TOML: {err}", err=exc) from exc
    except UnicodeDecodeError as exc:
        raise DataError(where, zh="文件不是 UTF-8 编码", en="file is not UTF-8") from exc
    return _build(raw, where)


def _build(raw: dict[str, Any], where: str) -> Config:
    unknown = set(raw) - set(_SECTIONS) - {"keymap"}
    if unknown:
        name = sorted(unknown)[0]
        raise DataError(where, zh="未知的配置节 [{name}]", en="unknown section [{name}]", name=name)
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        sections[name] = _section(cls, raw.get(name, {}), f"{where} [{name}]")
    keymap = raw.get("keymap", {})
    if not isinstance(keymap, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keymap.items()
    ):
        raise DataError(f"{where} [keymap]", zh="键位必须是 \"绑定id\" = \"按键\"",
                        en='entries must be "binding-id" = "key"')
    config = Config(**sections, keymap=dict(keymap), source=str(where))
    _check_values(config, where)
    return config


def _section(cls: type, values: Any, where: str) -> Any:
    if not isinstance(values, dict):
        raise DataError(where, zh="必须是一个配置节", en="must be a table")
    known = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise DataError(f"{where} {key}", zh="未知的配置项", en="unknown key")
        expected = type(getattr(cls(), key))
        if type(value) is not expected:
            raise DataError(f"{where} {key}", zh="类型应为 {t}", en="must be of type {t}",
                            t=expected.__name__)
        if expected is int and value < 0:
            raise DataError(f"{where} {key}", zh="不能为负数", en="must not be negative")
        # a profile is text from outside too: the center's name reaches every screen
        kwargs[key] = one_line(value) if isinstance(value, str) else value
    return cls(**kwargs)


# (section, key, lowest, highest, unit in zh, unit in en): the bounded numbers of the profile
_RANGES = (
    ("sync", "deadline_seconds", 1, 300, "秒", "seconds"),
    ("sync", "interval_seconds", 1, 3600, "秒", "seconds"),
    ("deadlines", "supervise_minutes", 1, 10080, "分钟", "minutes"),
    ("callfeed", "ring_timeout_seconds", 5, 3600, "秒", "seconds"),
    ("duty", "filing_max_age_days", 1, 366, "天", "days"),
    ("duty", "gap_horizon_hours", 1, 168, "小时", "hours"),
    ("store", "busy_timeout_ms", 10, 600_000, "毫秒", "milliseconds"),
)


def _check_values(config: Config, where: str) -> None:
    center = config.center
    if center.language not in LANGUAGES:
        raise DataError(f"{where} [center] language", zh="只能是 zh 或 en", en="must be zh or en")
    if center.default_area not in AREAS:
        raise DataError(f"{where} [center] default_area", zh="只能是 urban、suburb 或 rural",
                        en="must be urban, suburb or rural")
    if not center.seat.strip() or not center.county.strip():
        raise DataError(f"{where} [center]", zh="county 和 seat 不能为空",
                        en="county and seat must not be empty")
    if operator_problem(center.operator) is not None:  # the city server's rule (console/store/payloads.py)
        raise DataError(f"{where} [center] operator", zh="须为 1 到 {n} 个字符，不能全是空白",
                        en="must be 1 to {n} characters, not blank", n=MAX_OPERATOR)
    try:
        ZoneInfo(center.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DataError(f"{where} [center] timezone", zh="未知时区 {tz}", en="unknown time zone {tz}",
                        tz=center.timezone) from exc
    if config.intake.max_text_chars < 1 or config.intake.duplicate_window_minutes < 1:
        raise DataError(f"{where} [intake]", zh="数值必须大于 0", en="values must be positive")
    if config.sync.server and not config.sync.server.startswith(("http://", "https://")):
        raise DataError(f"{where} [sync] server", zh="必须以 http:// 或 https:// 开头",
                        en="must start with http:// or https://")
    for section, key, low, high, unit_zh, unit_en in _RANGES:
        if not low <= getattr(getattr(config, section), key) <= high:
            raise DataError(f"{where} [{section}] {key}", zh="必须在 {low} 到 {high} {unit_zh}之间",
                            en="must be between {low} and {high} {unit_en}",
                            low=low, high=high, unit_zh=unit_zh, unit_en=unit_en)
