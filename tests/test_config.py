"""The center's profile (config.toml): defaults, validation, and its effect on behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import OpenServices, Unchanged

from console.kernel.clock import FakeClock
from console.kernel.config import Config, default_config_path, load_config
from console.kernel.errors import BadInput, DataError
from console.seat.services import open_services


def write(tmp_path: Path, body: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_shipped_config_is_valid() -> None:
    config = load_config(default_config_path())
    assert config.center.timezone == "Asia/Shanghai"
    assert config.center.language == "zh"
    assert config.center.default_area == "urban"
    assert config.intake.duplicate_window_minutes == 30
    assert config.intake.max_text_chars == 4000
    assert config.deadlines.immediate_minutes == 5
    assert config.deadlines.future_tolerance_seconds == 60
    assert str(config.tz) == "Asia/Shanghai"


def test_empty_file_means_all_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.center == Config().center
    assert config.intake == Config().intake
    assert config.source == "config.toml"


def test_partial_file_keeps_other_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[center]\nseat = "seat-07"\nlanguage = "en"\n'
                                         '[keymap]\n"board.new-incident" = "f2"\n'))
    assert config.center.seat == "seat-07"
    assert config.center.language == "en"
    assert config.center.timezone == "Asia/Shanghai"
    assert config.keymap == {"board.new-incident": "f2"}


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ("[center\nseat = 1", ["config.toml", "TOML"]),
        ("seat = ", ["config.toml", "TOML"]),
        ('[center]\nseet = "x"\n', ["config.toml", "[center] seet", "unknown key"]),
        ("[centre]\n", ["[centre]", "unknown section"]),
        ('[intake]\nmax_text_chars = "4000"\n', ["[intake] max_text_chars", "int"]),
        ("[intake]\nmax_text_chars = 40.5\n", ["max_text_chars", "int"]),
        ("[intake]\nhistory_limit = true\n", ["history_limit", "int"]),
        ("[center]\nseat = 7\n", ["[center] seat", "str"]),
        ("[deadlines]\nimmediate_minutes = -1\n", ["immediate_minutes", "negative"]),
        ("[intake]\nmax_text_chars = 0\n", ["[intake]", "positive"]),
        ("[intake]\nduplicate_window_minutes = 0\n", ["[intake]", "positive"]),
        ('[center]\nlanguage = "fr"\n', ["language", "zh or en"]),
        ('[center]\ndefault_area = "downtown"\n', ["default_area"]),
        ('[center]\ntimezone = "Mars/Olympus"\n', ["timezone", "Mars/Olympus"]),
        ('[center]\nseat = "  "\n', ["[center]", "seat"]),
        ("center = 5\n", ["[center]", "table"]),
        ("[keymap]\nquit = 5\n", ["[keymap]"]),
        ('[sync]\nserver = "ftp://city"\n', ["[sync] server", "http://"]),
        ("[sync]\ndeadline_seconds = 0\n", ["[sync] deadline_seconds", "between 1 and 300 seconds"]),
        ("[sync]\ninterval_seconds = 4000\n", ["[sync] interval_seconds", "between 1 and 3600 seconds"]),
        ("[callfeed]\nring_timeout_seconds = 4\n", ["[callfeed] ring_timeout_seconds", "between 5 and 3600"]),
    ],
)
def test_invalid_config_is_refused_naming_the_key(tmp_path: Path, body: str, fragments: list[str]) -> None:
    with pytest.raises(DataError) as info:
        load_config(write(tmp_path, body))
    message = info.value.message("en")
    for fragment in fragments:
        assert fragment in message, message
    assert info.value.code == "data.invalid"
    assert info.value.exit_code == 2
    assert info.value.message("zh").startswith("config.toml")


def test_chinese_messages(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_config(write(tmp_path, '[center]\nseet = "x"\n'))
    assert info.value.message("zh") == "config.toml [center] seet: 未知的配置项"
    with pytest.raises(DataError) as info:
        load_config(write(tmp_path, "[center\n"))
    assert "TOML 语法错误" in info.value.message("zh")
    with pytest.raises(DataError) as info:
        load_config(write(tmp_path, "[sync]\ndeadline_seconds = 301\n"))
    assert info.value.message("zh") == "config.toml [sync] deadline_seconds: 必须在 1 到 300 秒之间"


def test_missing_explicit_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('[center]\nname_zh = "示范县"\n'.encode("gbk"))
    with pytest.raises(DataError, match="UTF-8"):
        load_config(path)


def test_bad_config_stops_before_the_database_is_touched(tmp_path: Path, clock: FakeClock) -> None:
    db = tmp_path / "never.db"
    with pytest.raises(DataError):
        open_services(db, config_path=write(tmp_path, "[center\n"), clock=clock)
    assert not db.exists()


# -- the profile changes behaviour --------------------------------------------------------------
def test_max_text_chars(tmp_path: Path, open_svc: OpenServices, unchanged: Unchanged) -> None:
    s = open_svc(config_path=write(tmp_path, "[intake]\nmax_text_chars = 10\n"))
    s.new_call(phone="13800000001", text="停" * 10, category="power_supply")
    with unchanged(s), pytest.raises(BadInput) as info:
        s.new_call(phone="13800000001", text="停" * 11, category="power_supply")
    assert info.value.code == "intake.text_too_long"
    assert "上限 10 字" in info.value.message("zh")


def test_seat_and_operator_are_stamped_on_events(tmp_path: Path, open_svc: OpenServices) -> None:
    s = open_svc(config_path=write(tmp_path, '[center]\nseat = "seat-09"\noperator = "李明"\n'))
    s.new_call(phone="13800000001", text="停电", category="power_supply")
    rows = s.store.all("SELECT DISTINCT seat, operator FROM events")
    assert [tuple(r) for r in rows] == [("seat-09", "李明")]
    assert s.incident(1).incident.seat == "seat-09"


def test_default_area(tmp_path: Path, open_svc: OpenServices) -> None:
    s = open_svc(config_path=write(tmp_path, '[center]\ndefault_area = "rural"\n'))
    result = s.new_call(phone="13800000001", text="停电", category="power_supply")
    assert result.incident.area == "rural"


def test_future_tolerance(tmp_path: Path, open_svc: OpenServices, unchanged: Unchanged) -> None:
    s = open_svc(config_path=write(tmp_path, "[deadlines]\nfuture_tolerance_seconds = 0\n"))
    with unchanged(s), pytest.raises(BadInput) as info:
        s.new_call(phone="13800000001", text="停电", category="power_supply", at="14:00:30")
    assert info.value.code == "input.future_time"


def test_center_time_zone_reads_clock_times(tmp_path: Path, open_svc: OpenServices) -> None:
    s = open_svc(config_path=write(tmp_path, '[center]\ntimezone = "UTC"\n'))
    result = s.new_call(phone="13800000001", text="停电", category="power_supply", at="05:30")
    assert result.incident.created_at.isoformat() == "2026-11-28T05:30:00+00:00"
