"""Duty rosters (值班表), filing (备案) and stale detection, on a fake clock.

The center is in Asia/Shanghai (UTC+8) unless a test says otherwise; the conftest clock starts
at 2026-11-28T06:00:00Z = Saturday 14:00 local. 2026-11-29 is a Sunday, 11-30 a Monday.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import OpenServices, TakeCall, Unchanged, one_row

from console.duty.roster_csv import RosterFileError, write_roster
from console.duty.rosters import effective_shifts
from console.kernel.clock import FakeClock, parse_instant
from console.kernel.config import load_config
from console.kernel.errors import DataError
from console.seat.services import Services
from console.store.projections import apply_event
from console.store.transaction import Store, record_from_row

HEADER = "单位/unit,开始/start,结束/end,值班人/person,值班电话/phone,车辆/vehicle,联系人/contact,责任人/responsible\n"


def csv_file(tmp_path: Path, body: str, name: str = "roster.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def day_night(unit: str, first_day: int, days: int, month: int = 11) -> str:
    """A Tier 1 two-shift roster: 08:00–20:00 and 20:00–08:00 from 2026-MM-DD for ``days``."""
    rows = []
    for n in range(days):
        day = date(2026, month, first_day) + timedelta(days=n)
        d, next_day = day.day, day + timedelta(days=1)
        rows.append(f"{unit},{day} 08:00,{day} 20:00,白班{d},0000-1100{d:03d},示A{d}")
        rows.append(f"{unit},{day} 20:00,{next_day} 08:00,夜班{d},0000-2200{d:03d},示B{d}")
    return "\n".join(rows) + "\n"


def at(services: Services, unit: str, instant: str) -> tuple[bool, str, str]:
    d = services.duty(services.catalog.unit(unit), parse_instant(instant))
    return d.on_duty, d.source, d.shift.person if d.shift else ""


@pytest.fixture
def machine_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone is far from the center's: nothing may depend on it."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# -- on duty at an instant ------------------------------------------------------------------------
def test_night_shift_across_midnight_and_the_week_boundary(services: Services, tmp_path: Path,
                                                          machine_tz: None) -> None:
    # Sat 28 → Mon 30: the Sunday night shift runs into Monday, the week's first day.
    services.import_roster(csv_file(tmp_path, day_night("power", 28, 3)))
    assert time.strftime("%Z") in ("PST", "PDT")                        # the machine is elsewhere
    assert at(services, "power", "2026-11-28T06:00:00Z") == (True, "roster", "白班28")   # Sat 14:00
    assert at(services, "power", "2026-11-28T15:59:00Z") == (True, "roster", "夜班28")   # Sat 23:59
    assert at(services, "power", "2026-11-28T16:30:00Z") == (True, "roster", "夜班28")   # Sun 00:30
    assert at(services, "power", "2026-11-29T16:00:00Z") == (True, "roster", "夜班29")   # Mon 00:00
    assert at(services, "power", "2026-11-29T23:59:00Z") == (True, "roster", "夜班29")   # Mon 07:59
    assert at(services, "power", "2026-11-30T00:00:00Z") == (True, "roster", "白班30")   # Mon 08:00
    # the shift that ends is not on at its end instant; after the filed period: duty hours
    assert at(services, "power", "2026-12-01T00:00:00Z") == (True, "hours", "")          # 24h unit


def test_inside_a_filed_period_a_gap_means_nobody_on_duty(services: Services, tmp_path: Path) -> None:
    services.import_roster(csv_file(
        tmp_path, "power,2026-11-28 08:00,2026-11-28 12:00,甲,0000-1100001,示A1\n"
                  "power,2026-11-28 16:00,2026-11-28 20:00,乙,0000-1100002,示A2\n"))
    assert at(services, "power", "2026-11-28T06:00:00Z") == (False, "roster", "")         # 14:00
    entry = next(e for e in services.roster() if e.unit.code == "power")
    assert (entry.on_duty, entry.source, entry.state) == (False, "roster", "off_duty")
    assert entry.duty_phone == entry.unit.duty_phone                      # no shift: registry phone


def test_roster_entry_uses_the_shift_and_counts_open_orders(services: Services, tmp_path: Path,
                                                            call: TakeCall) -> None:
    services.import_roster(csv_file(tmp_path, day_night("power", 28, 1)))
    entry = next(e for e in services.roster() if e.unit.code == "power")
    assert (entry.on_duty, entry.source, entry.state) == (True, "roster", "on_duty")
    assert (entry.duty_person, entry.duty_phone) == ("白班28", "0000-1100028")
    call(dispatch=["power"])
    entry = next(e for e in services.roster() if e.unit.code == "power")
    assert (entry.state, entry.open_orders) == ("busy", 1)
    assert services.on_duty(services.catalog.unit("power")) is True


def test_units_without_a_filing_keep_their_duty_hours(services: Services, tmp_path: Path) -> None:
    # petition (tier 2) keeps mon-fri office hours; its roster covers Monday 30th only
    services.import_roster(csv_file(tmp_path, "petition,2026-11-30 09:00,2026-11-30 12:00,王,0000-2200001,,办公室,\n"))
    assert at(services, "petition", "2026-11-28T06:00:00Z") == (False, "hours", "")   # Saturday
    assert at(services, "petition", "2026-11-30T02:00:00Z") == (True, "roster", "王")  # Mon 10:00
    assert at(services, "petition", "2026-11-30T03:30:00Z") == (True, "roster", "王")  # Mon 11:30
    assert at(services, "petition", "2026-11-30T04:00:00Z") == (False, "hours", "")    # 12:00: lunch
    assert at(services, "petition", "2026-12-01T02:00:00Z") == (True, "hours", "")     # Tue 10:00


def test_local_times_are_the_centers_zone_not_the_machines(open_svc: OpenServices, tmp_path: Path,
                                                           machine_tz: None) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[center]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    berlin = open_svc(tmp_path / "berlin.db", config_path=config)
    berlin.import_roster(csv_file(tmp_path, "power,2026-11-28 20:00,2026-11-29 08:00,夜,0000-1100001,示A1\n"))
    shift = berlin.roster_shifts(parse_instant("2026-11-28T00:00:00Z"), parse_instant("2026-11-30T00:00:00Z"))[0]
    assert (shift.start, shift.end) == (parse_instant("2026-11-28T19:00:00Z"), parse_instant("2026-11-29T07:00:00Z"))
    assert at(berlin, "power", "2026-11-28T18:59:00Z") == (True, "hours", "")
    assert at(berlin, "power", "2026-11-28T19:00:00Z") == (True, "roster", "夜")
    assert at(berlin, "power", "2026-11-29T06:59:00Z") == (True, "roster", "夜")
    # and the export writes Berlin time back, whatever TZ says
    assert "power,2026-11-28 20:00,2026-11-29 08:00" in write_roster([shift], berlin.config.tz)


def test_a_shift_across_a_daylight_saving_change_keeps_its_real_length(open_svc: OpenServices, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[center]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    berlin = open_svc(tmp_path / "berlin.db", config_path=config)
    # 2026-10-25 03:00 CEST → 02:00 CET: the night shift lasts 13 real hours
    berlin.import_roster(csv_file(tmp_path, "power,2026-10-24 20:00,2026-10-25 08:00,夜,0000-1100001,示A1\n"))
    shift = berlin.roster_shifts(parse_instant("2026-10-24T00:00:00Z"), parse_instant("2026-10-26T00:00:00Z"))[0]
    assert shift.end - shift.start == timedelta(hours=13)


# -- supersession: newest filing covering the instant wins ----------------------------------------------
def test_a_corrected_week_replaces_only_that_week_and_old_filings_stay(services: Services, clock: FakeClock,
                                                                      tmp_path: Path) -> None:
    services.import_roster(csv_file(tmp_path, day_night("power", 1, 20, month=12), "month.csv"))
    clock.advance(hours=1)
    services.import_roster(csv_file(tmp_path, "power,2026-12-07 08:00,2026-12-08 08:00,改,0000-3300001,示C1\n",
                                    "fix.csv"))
    assert at(services, "power", "2026-12-07T10:00:00Z") == (True, "roster", "改")
    assert at(services, "power", "2026-12-05T14:00:00Z") == (True, "roster", "夜班5")
    assert at(services, "power", "2026-12-08T10:00:00Z") == (True, "roster", "白班8")
    week = services.roster_shifts(parse_instant("2026-12-06T16:00:00Z"), parse_instant("2026-12-08T16:00:00Z"))
    assert [(s.person, s.start.isoformat()) for s in week] == [
        ("夜班6", "2026-12-06T12:00:00+00:00"), ("改", "2026-12-07T00:00:00+00:00"),
        ("白班8", "2026-12-08T00:00:00+00:00"), ("夜班8", "2026-12-08T12:00:00+00:00")]
    assert one_row(services.store, "SELECT count(*) FROM roster_filings")[0] == 2
    assert one_row(services.store, "SELECT count(*) FROM events WHERE kind = 'roster.filed'")[0] == 2
    assert [f.source for f in services.filings("power")] == ["import:fix.csv", "import:month.csv"]


def test_projection_is_the_same_whatever_order_filings_arrive_in(services: Services, clock: FakeClock,
                                                                 tmp_path: Path) -> None:
    services.import_roster(csv_file(tmp_path, day_night("power", 1, 10, month=12), "a.csv"))
    for n, body in enumerate(["power,2026-12-03 08:00,2026-12-05 08:00,改一,0000-3300001,示C1\n",
                              "power,2026-12-04 12:00,2026-12-06 12:00,改二,0000-3300002,示C2\n",
                              "power,2026-12-02 00:00,2026-12-04 00:00,改三,0000-3300003,示C3\n"]):
        clock.advance(minutes=5)
        services.import_roster(csv_file(tmp_path, body, f"fix{n}.csv"))
    window = (parse_instant("2026-11-30T00:00:00Z"), parse_instant("2026-12-12T00:00:00Z"))
    want = effective_shifts(services.store, *window)
    rows = services.store.all("SELECT * FROM events WHERE kind = 'roster.filed'")
    tables = ("roster_filings", "roster_shifts")
    expected = {t: sorted(map(tuple, services.store.all(f"SELECT * FROM {t}"))) for t in tables}
    for seed in range(6):
        shuffled = list(rows)
        random.Random(seed).shuffle(shuffled)
        fresh = Store(":memory:", FakeClock("2026-01-01T00:00:00Z"))
        fresh.conn.execute("BEGIN")
        for row in shuffled:
            apply_event(fresh.conn, record_from_row(row))
        fresh.conn.execute("COMMIT")
        assert effective_shifts(fresh, *window) == want
        assert {t: sorted(map(tuple, fresh.all(f"SELECT * FROM {t}"))) for t in tables} == expected
        fresh.close()
    persons = [s.person for s in want["power"]]
    assert "改三" in persons and "改二" in persons and "改一" in persons


# -- stale: out-of-date filing, Tier 1 gap in the next 24 h -------------------------------------------
def test_stale_units(services: Services, clock: FakeClock, tmp_path: Path) -> None:
    stale = {s.unit: s for s in services.stale_units()}
    tier1 = {u.code for u in services.catalog.units.values() if u.tier == 1}
    assert set(stale) == tier1 and all(s.reasons == ("unfiled",) for s in stale.values())
    services.import_roster(csv_file(
        tmp_path, day_night("power", 28, 1)                                     # ends Sun 08:00
        + day_night("water", 27, 3)                                             # covers 24 h
        + "petition,2026-11-30 09:00,2026-11-30 12:00,王,0000-2200001,,办公室,\n"))
    stale = {s.unit: s for s in services.stale_units()}
    assert "water" not in stale and "petition" not in stale
    assert stale["power"].reasons == ("gap",)
    assert (stale["power"].gap_from, stale["power"].gap_to) == (
        parse_instant("2026-11-29T00:00:00Z"), parse_instant("2026-11-29T06:00:00Z"))
    clock.advance(hours=24 * 31)                                                # filings now 31 days old
    stale = {s.unit: s for s in services.stale_units()}
    assert stale["petition"].reasons == ("old_filing",)
    assert stale["water"].reasons == ("old_filing", "gap")
    assert stale["water"].last_filed_at == parse_instant("2026-11-28T06:00:00Z")


def test_filing_age_comes_from_config(open_svc: OpenServices, clock: FakeClock, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[duty]\nfiling_max_age_days = 7\ngap_horizon_hours = 12\n", encoding="utf-8")
    s = open_svc(tmp_path / "seven.db", config_path=config)
    s.import_roster(csv_file(tmp_path, "power,2026-11-28 08:00,2026-11-29 02:00,甲,0000-1100001,示A1\n"
                                       "petition,2026-11-30 09:00,2026-11-30 12:00,王,0000-2200001,,办公室,\n"))
    assert "power" not in {x.unit for x in s.stale_units()}                     # 12 h horizon is covered
    clock.advance(hours=24 * 8)
    assert {x.unit: x.reasons for x in s.stale_units()}["petition"] == ("old_filing",)


@pytest.mark.parametrize("body", ["[duty]\nfiling_max_age_days = 0\n", "[duty]\ngap_horizon_hours = 500\n",
                                  "[duty]\nfiling_max_age = 3\n", '[duty]\nfiling_max_age_days = "30"\n'])
def test_duty_config_is_validated(tmp_path: Path, body: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match=r"\[duty\]"):
        load_config(path)


# -- CSV import refusals write nothing ------------------------------------------------------------------
REFUSALS = [
    ("bad time", "power,2026-11-28 25:00,2026-11-29 08:00,甲,0000-1100001,示A1\n", 2,
     "开始时间无法识别", "unrecognised start time"),
    ("unknown unit", "powr,2026-11-28 08:00,2026-11-28 20:00,甲,0000-1100001,示A1\n", 2,
     "没有这个联动单位", "no such linkage unit"),
    ("end before start", "power,2026-11-28 20:00,2026-11-28 08:00,甲,0000-1100001,示A1\n", 2,
     "结束时间不晚于开始时间", "the end is not after the start"),
    ("overlap", "power,2026-11-28 08:00,2026-11-28 20:00,甲,0000-1100001,示A1\n"
                "water,2026-11-28 08:00,2026-11-28 20:00,丙,0000-1100003,示A3\n"
                "power,2026-11-28 19:00,2026-11-29 08:00,乙,0000-1100002,示A2\n", 4,
     "与第 3 行的班次重叠", "overlaps the shift on line 3"),
    ("tier 1 without vehicle", "power,2026-11-28 08:00,2026-11-28 20:00,甲,0000-1100001,\n", 2,
     "一级单位“四定”须填车辆", "a tier 1 unit (four fixed) needs a vehicle"),
    ("tier 3 without responsible", "finance,2026-11-30 08:30,2026-11-30 17:30,甲,0000-1100001,,,\n", 2,
     "须填责任人", "needs a responsible person"),
    ("bad phone", "power,2026-11-28 08:00,2026-11-28 20:00,甲,12ab,示A1\n", 2,
     "值班电话格式不正确", "malformed duty phone"),
    ("longer than a week", "power,2026-11-01 08:00,2026-11-28 20:00,甲,0000-1100001,示A1\n", 2,
     "班次超过 7 天", "longer than 7 days"),
]


@pytest.mark.parametrize(("case", "body", "line", "zh", "en"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_rows_are_refused_with_file_line_and_reason_and_nothing_is_written(
        services: Services, unchanged: Unchanged, tmp_path: Path,
        case: str, body: str, line: int, zh: str, en: str) -> None:
    good = "water,2026-12-01 08:00,2026-12-01 20:00,丁,0000-1100009,示A9\n"      # a good row too
    path = csv_file(tmp_path, good + body)
    with unchanged(services), pytest.raises(RosterFileError) as caught:
        services.import_roster(path)
    err = caught.value
    assert [p.line for p in err.problems] == [line + 1]
    assert zh in err.message("zh") and en in err.message("en")
    assert f"roster.csv:{line + 1}:" in err.message("zh")
    assert one_row(services.store, "SELECT count(*) FROM roster_filings")[0] == 0
    assert one_row(services.store, "SELECT count(*) FROM roster_shifts")[0] == 0


def test_file_level_refusals(services: Services, unchanged: Unchanged, tmp_path: Path) -> None:
    # neither UTF-8 nor GB18030 (a GBK file is read: test_gbk_csv_and_xlsx_rosters_are_read)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "power,2026-11-28 08:00,2026-11-28 20:00,张三,0000-1100001,示A1\n").encode("gbk")
                    + b"\xff\xff\n")
    missing = csv_file(tmp_path, "power,2026-11-28 08:00\n", "missing.csv", header="unit,start\n")
    unknown = csv_file(tmp_path, "", "unknown.csv", header="unit,start,end,person,phone,颜色\n")
    empty = csv_file(tmp_path, "", "empty.csv", header="")
    with unchanged(services):
        for path, text in ((gbk, "gbk.csv:1: 文件不是 UTF-8 或 GBK"), (missing, "missing.csv:1: 缺少列“结束/end”"),
                           (unknown, "未知的列名“颜色”"), (empty, "文件是空的")):
            with pytest.raises(RosterFileError) as caught:
                services.import_roster(path)
            assert text in caught.value.message("zh")


def test_period_options_bound_the_shifts(services: Services, unchanged: Unchanged, tmp_path: Path) -> None:
    path = csv_file(tmp_path, day_night("power", 28, 1))
    period = (parse_instant("2026-11-28T00:00:00Z"), parse_instant("2026-11-28T12:00:00Z"))
    with unchanged(services), pytest.raises(RosterFileError, match="--from/--to"):
        services.import_roster(path, period=period)
    period = (parse_instant("2026-11-27T16:00:00Z"), parse_instant("2026-11-29T16:00:00Z"))
    services.import_roster(path, period=period)
    # the declared period runs to Mon 00:00 local: Sunday 08:00 on is filed as nobody on duty
    assert at(services, "power", "2026-11-29T04:00:00Z") == (False, "roster", "")
    assert at(services, "power", "2026-11-29T17:00:00Z") == (True, "hours", "")


def test_headers_in_either_language_and_bom(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("单位,开始时间,结束时间,值班人,值班电话,车辆\n"
                    "县供电局,2026/11/28 08:00,2026/11/28 20:00,甲,0000-1100001,示A1\n", encoding="utf-8-sig")
    services.import_roster(path)
    path.write_text("Unit,Start,End,Person,Phone,Vehicle\n"
                    "water,2026-11-28T20:00+08:00,2026-11-29 08:00,乙,13800000001,示A2\n", encoding="utf-8")
    services.import_roster(path)
    assert at(services, "power", "2026-11-28T06:00:00Z")[2] == "甲"
    assert at(services, "water", "2026-11-28T13:00:00Z")[2] == "乙"


# -- export → import round trip -------------------------------------------------------------------------
def test_export_then_import_round_trip(services: Services, clock: FakeClock, open_svc: OpenServices,
                                       tmp_path: Path) -> None:
    services.import_roster(csv_file(
        tmp_path, day_night("power", 28, 7) + day_night("water", 28, 3)
        + "petition,2026-11-30 09:00,2026-11-30 12:00,王\"小\",0000-2200001,,\"办公室, 二楼\",\n"
        + "finance,2026-11-30 08:30,2026-12-04 17:30,赵,0000-3300401,,,局办公室主任\n"))
    clock.advance(minutes=1)
    services.import_roster(csv_file(tmp_path, "power,2026-12-01 08:00,2026-12-02 08:00,改,0000-3300001,示C1\n",
                                    "fix.csv"))
    window = (parse_instant("2026-11-27T16:00:00Z"), parse_instant("2026-12-06T16:00:00Z"))
    before = services.roster_shifts(*window)
    text = write_roster(before, services.config.tz)
    exported = tmp_path / "export.csv"
    exported.write_text(text, encoding="utf-8-sig")
    other = open_svc(tmp_path / "other.db")
    other.import_roster(exported)
    after = other.roster_shifts(*window)
    strip = [(s.unit, s.start, s.end, s.person, s.phone, s.vehicle, s.contact, s.responsible) for s in before]
    assert [(s.unit, s.start, s.end, s.person, s.phone, s.vehicle, s.contact, s.responsible)
            for s in after] == strip
    assert write_roster(after, other.config.tz) == text
    services.import_roster(exported)                           # re-filing the same roster changes nothing
    assert [(s.unit, s.start, s.end, s.person) for s in services.roster_shifts(*window)] == [x[:4] for x in strip]


def test_a_long_roster_is_split_into_filings_that_do_not_supersede_each_other(services: Services,
                                                                             tmp_path: Path) -> None:
    rows = []
    start = parse_instant("2026-12-01T00:00:00Z")
    for n in range(900):                                         # 900 hour-long shifts, ~37 days
        a, b = start + timedelta(hours=n), start + timedelta(hours=n + 1)
        rows.append(f"power,{a.isoformat()},{b.isoformat()},P{n},0000-1100001,示A1")
    _, ids = services.import_roster(csv_file(tmp_path, "\n".join(rows) + "\n"))
    assert len(ids) == 3
    sizes = [len(json.dumps(json.loads(r[0]))) for r in services.store.all(
        "SELECT payload FROM events WHERE kind = 'roster.filed'")]
    assert max(sizes) < 200_000
    shifts = services.roster_shifts(start, start + timedelta(hours=900))
    assert [s.person for s in shifts] == [f"P{n}" for n in range(900)]


def test_gbk_csv_and_xlsx_rosters_are_read(services: Services, tmp_path: Path) -> None:
    """Excel's "CSV" on a Chinese Windows machine (GBK) and an XLSX workbook import like a
    UTF-8 CSV: the same shifts, phone numbers typed as numbers kept as digits."""
    from datetime import datetime as naive

    from openpyxl import Workbook

    body = "power,2026-11-28 08:00,2026-11-28 20:00,张三,0000-1100001,示A1\n"
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + body).encode("gbk"))
    shifts = services.import_roster(gbk)[0].shifts
    assert [(s.unit, s.person, s.vehicle) for s in shifts["power"]] == [("power", "张三", "示A1")]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER.strip().split(","))
    ws.append(["power", naive(2026, 11, 28, 20, 0), naive(2026, 11, 29, 8, 0), "李四", 13800000002, "示A2"])
    wb.save(tmp_path / "roster.xlsx")
    got = services.import_roster(tmp_path / "roster.xlsx")[0].shifts["power"]
    assert [(s.person, s.phone) for s in got] == [("李四", "13800000002")]
    assert got[0].start == parse_instant("2026-11-28T12:00:00Z")
