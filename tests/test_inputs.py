"""What a person types: reported times, phone numbers, areas, references, addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.kernel.errors import BadInput
from console.kernel.inputs import normalize, parse_area, parse_phone, parse_ref, parse_reported_time, place_key
from console.kernel.model import Area

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 14:00 local
TOLERANCE = timedelta(seconds=60)


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def parse(raw: str | None, now: datetime = NOW) -> datetime:
    return parse_reported_time(raw, now, TZ, TOLERANCE)


# -- parse_reported_time ---------------------------------------------------------------------
@pytest.mark.parametrize("raw", [None, "", "   ", "now", "NOW"])
def test_missing_time_means_now(raw: str | None) -> None:
    assert parse(raw) == NOW


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("14:00", local(2026, 11, 28, 14, 0)),
        ("13:55", local(2026, 11, 28, 13, 55)),
        ("9:05", local(2026, 11, 28, 9, 5)),
        ("13:55:30", local(2026, 11, 28, 13, 55, 30)),
        ("１３：５５", local(2026, 11, 28, 13, 55)),           # full-width from a Chinese IME
        ("１４：００", local(2026, 11, 28, 14, 0)),
        ("14:00:45", local(2026, 11, 28, 14, 0, 45)),         # within the future tolerance
    ],
)
def test_clock_time_is_today_in_the_center_zone(raw: str, expected: datetime) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "ago"),
    [
        ("-5m", timedelta(minutes=5)),
        ("5m", timedelta(minutes=5)),
        ("-5 min", timedelta(minutes=5)),
        ("5分钟前", timedelta(minutes=5)),
        ("-90s", timedelta(seconds=90)),
        ("30秒", timedelta(seconds=30)),
        ("-2h", timedelta(hours=2)),
        ("1小时前", timedelta(hours=1)),
        ("10 min ago", timedelta(minutes=10)),
        ("－５ｍ", timedelta(minutes=5)),                     # full-width minus and digits
    ],
)
def test_relative_time_counts_back_from_now(raw: str, ago: timedelta) -> None:
    assert parse(raw) == NOW - ago


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-28 13:05", local(2026, 11, 28, 13, 5)),
        ("2026-11-28T13:05:10", local(2026, 11, 28, 13, 5, 10)),
        ("2026-11-27 23:59", local(2026, 11, 27, 23, 59)),
        ("11-28 13:05", local(2026, 11, 28, 13, 5)),           # the year defaults to this one
        ("２０２６－１１－２８ １３：０５", local(2026, 11, 28, 13, 5)),
    ],
)
def test_full_local_date(raw: str, expected: datetime) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-28T05:30:00Z", datetime(2026, 11, 28, 5, 30, tzinfo=UTC)),
        ("2026-11-28T05:30:00+00:00", datetime(2026, 11, 28, 5, 30, tzinfo=UTC)),
        ("2026-11-28T13:30:00+08:00", datetime(2026, 11, 28, 5, 30, tzinfo=UTC)),
        ("2026-11-28T00:30:00-05:00", datetime(2026, 11, 28, 5, 30, tzinfo=UTC)),
    ],
)
def test_iso_with_offset_is_an_exact_instant(raw: str, expected: datetime) -> None:
    assert parse(raw) == expected


def test_clock_time_rolls_back_to_yesterday_just_after_midnight() -> None:
    just_after_midnight = local(2026, 11, 29, 0, 5).astimezone(UTC)
    assert parse("23:58", just_after_midnight) == local(2026, 11, 28, 23, 58)


def test_clock_time_does_not_roll_back_more_than_six_hours() -> None:
    # at 14:00, "23:59" is not last night (14 h ago) but later today: refused as the future
    with pytest.raises(BadInput) as info:
        parse("23:59")
    assert info.value.code == "input.future_time"
    assert "未来" in info.value.message("zh")
    assert "future" in info.value.message("en")


def test_rollover_window_edge() -> None:
    at_0400 = local(2026, 11, 29, 4, 0).astimezone(UTC)
    assert parse("22:00", at_0400) == local(2026, 11, 28, 22, 0)    # 6 h ago: yesterday
    with pytest.raises(BadInput):
        parse("21:59", at_0400)                                      # 6 h 1 min: refused


@pytest.mark.parametrize(
    "raw", ["14:05", "2026-11-28 14:05", "2026-11-29 09:00", "2026-11-28T06:05:00Z", "14:01:01"]
)
def test_future_time_is_refused(raw: str) -> None:
    with pytest.raises(BadInput) as info:
        parse(raw)
    assert info.value.code == "input.future_time"


@pytest.mark.parametrize(
    "raw", ["yesterday", "25:00", "14:60", "14", "2026-13-01 10:00", "2026-02-30 10:00",
            "abc", "14h05", "--5m", "1e3m", "'; DROP TABLE events;--"]
)
def test_unparseable_time_is_refused(raw: str) -> None:
    with pytest.raises(BadInput) as info:
        parse(raw)
    assert info.value.code == "input.time"
    assert "14:05" in info.value.message("zh")  # the message shows what a good value looks like
    assert "unrecognised time" in info.value.message("en")


def test_naive_clock_times_follow_the_center_zone_not_the_machine() -> None:
    # 06:00Z is 01:00 in New York: "00:30" there is 05:30Z, not 00:30 in Shanghai or UTC
    new_york = ZoneInfo("America/New_York")
    assert parse_reported_time("00:30", NOW, new_york, TOLERANCE) == datetime(
        2026, 11, 28, 5, 30, tzinfo=UTC)
    assert parse_reported_time("00:30", NOW, TZ, TOLERANCE) == datetime(
        2026, 11, 27, 16, 30, tzinfo=UTC)


# -- parse_phone -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800000001", "13800000001"),
        ("+8613800000001", "13800000001"),
        ("+86 138 0000 0001", "13800000001"),
        ("0086 138-0000-0001", "13800000001"),
        ("00861380000 0001", "13800000001"),
        ("138-0000-0001", "13800000001"),
        ("(0571) 8765 4321", "057187654321"),
        ("0571-87654321", "057187654321"),
        ("010-12345678", "01012345678"),
        ("（0731）8123456", "07318123456"),
        ("87654321", "87654321"),                   # local landline without area code
        ("１３８００００００01", "13800000001"),        # full-width digits
        ("hidden", ""),
        ("HIDDEN", ""),
        ("unknown", ""),
        ("未知", ""),
        ("隐藏", ""),
        ("  无号码 ", ""),
    ],
)
def test_parse_phone_canonical(raw: str, expected: str) -> None:
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "1380000000a", "abcdefghijk", "12345", "1380000", "138000000011",
     "1380000000012345", "12800000001", "+1 650 253 0000", "13800000001; DROP TABLE calls",
     "0086", "+86", "1-3-8"],
)
def test_malformed_phone_is_refused(raw: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_phone(raw)
    assert info.value.code == "input.phone"
    assert "号码格式不正确" in info.value.message("zh")
    assert "malformed phone number" in info.value.message("en")


def test_phone_message_echo_is_bounded() -> None:
    with pytest.raises(BadInput) as info:
        parse_phone("9" * 5000)
    assert len(info.value.message("en")) < 300


# -- areas, references, normalisation --------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, Area.URBAN), ("", Area.URBAN), ("urban", Area.URBAN), ("城区", Area.URBAN),
     ("市区", Area.URBAN), ("Suburb", Area.SUBURB), ("郊区", Area.SUBURB), ("jq", Area.SUBURB),
     ("rural", Area.RURAL), ("农村", Area.RURAL), ("乡村", Area.RURAL), (" nc ", Area.RURAL)],
)
def test_parse_area(raw: str | None, expected: Area) -> None:
    assert parse_area(raw, "urban") == expected


def test_parse_area_default_comes_from_config() -> None:
    assert parse_area(None, "rural") == Area.RURAL


@pytest.mark.parametrize("raw", ["downtown", "城里", "1"])
def test_unknown_area_is_refused(raw: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_area(raw, "urban")
    assert info.value.code == "input.area"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("#12", 12), ("＃１２", 12), ("01a220bd", "01a220bd"),
     ("01A220BD-3300", "01a220bd-3300")],
)
def test_parse_ref(raw: str, expected: int | str) -> None:
    assert parse_ref(raw, "警情", "incident") == expected


@pytest.mark.parametrize("raw", ["abc", "", "#", "12x", "1; DROP", "0123-zz"])
def test_bad_ref_is_refused(raw: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_ref(raw, "警情", "incident")
    assert info.value.code == "input.ref"
    assert "警情编号无效" in info.value.message("zh")
    assert "invalid incident reference" in info.value.message("en")


def test_normalize_folds_full_width_and_strips() -> None:
    assert normalize("  ＡＢＣ１２３：  ") == "ABC123:"


def test_place_key_ignores_spacing_and_punctuation() -> None:
    assert place_key("人民路 12 号") == place_key("人民路12号") == place_key("人民路１２号。")
    assert place_key("People's Rd, 12") == place_key("peoples rd 12")
    assert place_key("人民路12号") != place_key("人民路13号")
