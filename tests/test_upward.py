"""Reporting upward (信息报送) on the fake clock: every clock (due soon, overdue, done, rolling
follow-ups, the final after closure), deadlines per level and per province, raising further and
lowering, refusals that change nothing, the draft, the CLI, and convergence in any order."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from conftest import Cli, OpenServices, Unchanged

from console.kernel.clock import FakeClock
from console.kernel.errors import LinkageError
from console.seat.services import Services
from console.store.projections import apply_event
from console.store.transaction import record_from_row

PROJECT = Path(__file__).resolve().parent.parent


def _gas(services: Services) -> int:
    no = services.new_call(phone="13800000001", text="阳光小区燃气泄漏，味道很大",
                           address="人民路12号阳光小区", area="urban", category="gas_leak").incident.no
    services.issue_order(no, "gas")
    return no


def _clocks(services: Services, no: int) -> dict[str, tuple[str, str | None]]:
    _, track = services.report_track(no)
    assert track is not None
    tz = services.config.tz
    return {c.kind: (c.state, c.due.astimezone(tz).strftime("%H:%M") if c.due else None)
            for c in track.clocks}


def test_raising_opens_the_track_and_the_initial_clocks_run_from_the_raising(
        services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    assert services.report_track(no)[1] is None          # daily: no track
    clock.advance(minutes=5)
    services.grade(no, "III")                            # raised 14:05
    assert _clocks(services, no) == {"initial_phone": ("normal", "14:35"),
                                     "initial_written": ("normal", "15:05"),
                                     "follow_up": ("none", None), "final": ("none", None)}
    clock.advance(minutes=26)                            # 14:31: 4 min left (due soon at 5)
    assert _clocks(services, no)["initial_phone"] == ("due_soon", "14:35")
    clock.advance(minutes=5)                             # 14:36
    assert _clocks(services, no)["initial_phone"] == ("overdue", "14:35")
    assert services.reports_overdue() == 1
    services.file_report(no, "initial_phone", "县应急办值班室", "phone")
    _, track = services.report_track(no)
    assert track is not None and track.clock("initial_phone").late
    assert _clocks(services, no)["initial_phone"] == ("done", "14:35")
    assert services.reports_overdue() == 0


def test_follow_ups_roll_from_the_latest_report_and_the_final_follows_closure(
        services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    services.grade(no, "III")                            # III: follow-ups every 360 min
    clock.advance(minutes=10)
    services.file_report(no, "initial_phone", "县应急办", "phone")
    assert _clocks(services, no)["follow_up"] == ("normal", "20:10")
    clock.advance(minutes=30)
    services.file_report(no, "written", "县应急办", "fax", body="书面首报正文")
    assert _clocks(services, no)["follow_up"] == ("normal", "20:40")
    clock.advance(minutes=361)
    assert _clocks(services, no)["follow_up"] == ("overdue", "20:40")
    services.file_report(no, "续报", "县应急办", "system", body="续报一")
    assert _clocks(services, no)["follow_up"] == ("normal", "02:41")
    # closing ends the follow-ups and starts the final (7 days)
    order = services.incident(no).orders[0][0]
    for verb in ("ack", "arrive", "complete"):
        services.step(order.no, verb)
    clocks = _clocks(services, no)
    assert clocks["follow_up"] == ("none", None) and clocks["final"][0] == "normal"
    _, track = services.report_track(no)
    assert track is not None and track.next_kind() == "final"
    final = track.clock("final")
    assert final.due is not None and (final.due - clock.now()).days == 7
    services.file_report(no, "final", "县应急办", "fax", body="终报")
    assert _clocks(services, no)["final"][0] == "done"


def _data_with(tmp_path: Path, province: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(PROJECT / "data", data)
    path = data / "report_deadlines.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('use_province = ""',
                                                             f'use_province = "{province}"'),
                    encoding="utf-8")
    return data


def test_deadlines_per_level_and_per_province(tmp_path: Path, open_svc: OpenServices,
                                              clock: FakeClock) -> None:
    s = open_svc(data_dir=_data_with(tmp_path, "henan"))
    no = _gas(s)
    s.grade(no, "IV")                                    # Henan IV: written within 6 h
    assert _clocks(s, no)["initial_written"] == ("normal", "20:00")
    clock.advance(minutes=2)
    s.grade(no, "II", reason="")                         # raising further tightens: 15 / 35 min
    assert _clocks(s, no)["initial_phone"] == ("normal", "14:15")
    assert _clocks(s, no)["initial_written"] == ("normal", "14:35")
    clock.advance(minutes=10)
    s.file_report(no, "initial_phone", "省应急厅", "phone")
    assert _clocks(s, no)["follow_up"] == ("normal", "17:00")   # Henan: fixed 08:00 and 17:00
    clock.set("2026-11-28T09:30:00Z")                    # 17:30
    s.file_report(no, "follow_up", "省应急厅", "system", body="续报")
    assert _clocks(s, no)["follow_up"] == ("normal", "08:00")


def test_lowering_keeps_the_history_and_stops_the_clocks(services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    services.grade(no, "III")
    services.file_report(no, "initial_phone", "县应急办", "phone")
    clock.advance(minutes=20)
    services.grade(no, "daily", reason="核实为误报")
    assert _clocks(services, no) == {"initial_phone": ("done", None), "initial_written": ("none", None),
                                     "follow_up": ("none", None), "final": ("none", None)}
    _, track = services.report_track(no)
    assert track is not None and [r.kind for r in track.reports] == ["initial_phone"]
    with pytest.raises(LinkageError) as refused:
        services.file_report(no, "follow_up", "县应急办", "fax", body="x")
    assert refused.value.code == "grade.not_raised"
    services.grade(no, "IV", reason="复燃")                # the clocks start at the first raising
    assert _clocks(services, no)["initial_written"] == ("normal", "15:00")


@pytest.mark.parametrize(("kind", "via", "body", "code", "zh", "en"), [
    ("initial_written", "fax", "", "upward.body_needed", "书面内容", "written text"),
    ("final", "fax", "终报", "upward.final_open", "尚未办结", "not closed yet"),
    ("initial_phone", "phone", "", "upward.twice", "请续报", "follow-up"),
    ("interim", "phone", "", "upward.bad_kind", "报送类型", "unknown report kind"),
    ("follow_up", "pigeon", "x", "upward.bad_via", "报送方式", "unknown way"),
])
def test_refusals_in_both_languages_write_nothing(services: Services, unchanged: Unchanged, kind: str, via: str,

                                                  body: str, code: str, zh: str, en: str) -> None:
    no = _gas(services)
    services.grade(no, "III")
    services.file_report(no, "initial_phone", "县应急办", "phone")
    with unchanged(services), pytest.raises(LinkageError) as refused:
        services.file_report(no, kind, "县应急办", via, body=body)
    assert refused.value.code == code
    assert zh in refused.value.message("zh") and en in refused.value.message("en")


def test_filing_for_a_daily_incident_is_refused(services: Services,
                                                unchanged: Unchanged) -> None:
    no = _gas(services)
    with unchanged(services), pytest.raises(LinkageError) as refused:
        services.file_report(no, "initial_phone", "县应急办", "phone")
    assert refused.value.code == "grade.not_raised"


def test_the_draft_is_composed_from_the_record(services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    services.grade(no, "III", trapped="2", injured="1")
    order = services.incident(no).orders[0][0]
    clock.advance(minutes=3)
    services.step(order.no, "ack")
    clock.advance(minutes=9)
    services.step(order.no, "arrive")
    services.note(no, "已关闭总阀，疏散3栋居民")
    services.file_report(no, "initial_phone", "县应急办值班室", "phone")
    kind, text = services.report_draft(no)
    assert kind == "initial_written"
    for part in ("关于人民路12号阳光小区燃气泄漏事件的书面首报", "接报时间：2026-11-28 14:00:00",
                 "事发地点：人民路12号阳光小区（城区）", "事故灾难 · 较大（Ⅲ级）",
                 "死亡待核实，受伤 1 人，被困 2 人", "阳光小区燃气泄漏，味道很大",
                 "县燃气公司：已下达 14:00，已签收 14:03，已到场 14:12",
                 "14:12 已关闭总阀，疏散3栋居民", "电话首报（电话） -> 县应急办值班室"):
        assert part in text, (part, text)
    _, en = services.report_draft(no, "follow_up", lang="en")
    assert en.startswith("follow-up report (no. 1): Gas leak at 人民路12号阳光小区")
    assert "2 trapped" in en and "County Gas Company" in en


def test_replay_in_any_order_gives_the_same_track(services: Services, clock: FakeClock) -> None:
    no = _gas(services)
    services.grade(no, "III")
    for n, kind in enumerate(("initial_phone", "initial_written", "follow_up", "follow_up")):
        clock.advance(minutes=7)
        services.file_report(no, kind, "县应急办", "phone" if n == 0 else "fax", body=f"报告{n}")
    clock.advance(minutes=3)
    before = services.report_track(no)[1]
    conn = services.store.conn
    rows = conn.execute("SELECT * FROM events WHERE kind IN ('report.filed', 'incident.graded')").fetchall()
    events = [record_from_row(r) for r in rows]
    for seed in range(3):
        random.Random(seed).shuffle(events)
        conn.execute("DELETE FROM upward_reports")
        conn.execute("DELETE FROM incident_grades")
        for e in events:
            apply_event(conn, e)
        assert services.report_track(no)[1] == before


def test_cli_report_verbs(cli: Cli) -> None:
    cli.ok("call", "new", "--phone", "13800000001", "--text", "燃气泄漏", "--address", "阳光小区",
           "--area", "urban", "--category", "gas_leak")
    refused = cli("report", "file", "1", "initial_phone", "--to", "县应急办", "--via", "phone")
    assert refused.code == 2 and refused.json["error"]["code"] == "grade.not_raised"
    assert cli.ok("report", "show", "1")["track"] is None
    cli.ok("incident", "grade", "1", "III")
    cli.now("2026-11-28T06:40:00Z")
    due = cli.ok("report", "due")
    assert [(d["kind"], d["state"]) for d in due["due"]] == [("initial_phone", "overdue"),
                                                            ("initial_written", "normal")]
    assert due["overdue"] == 1 and cli.ok("board")["reports_overdue"] == 1
    filed = cli.ok("report", "file", "1", "initial_phone", "--to", "县应急办值班室", "--via", "phone",
                   "--at", "14:32")
    assert filed["report"]["at"] == "2026-11-28T06:32:00.000Z"
    assert filed["track"]["clocks"][0]["state"] == "done" and filed["track"]["clocks"][0]["late"]
    draft = cli.ok("report", "draft", "1")
    assert draft["kind"] == "initial_written" and "书面首报" in draft["body"]
    body = cli.db.parent / "r.txt"
    body.write_text(draft["body"] + "\n补充：已疏散", encoding="utf-8")
    cli.ok("report", "file", "1", "书面首报", "--to", "县应急办", "--via", "fax", "--body-file", str(body))
    rows = cli.rows("SELECT kind, via, body FROM upward_reports ORDER BY reported_at")
    assert [r["kind"] for r in rows] == ["initial_phone", "initial_written"]
    assert rows[1]["body"].endswith("补充：已疏散")
    shown = cli.ok("report", "show", "1")["track"]
    assert [c["state"] for c in shown["clocks"]] == ["done", "done", "normal", "none"]
    text = cli("--lang", "en", "report", "due", as_json=False)
    assert text.code == 0 and "follow-up report by" in text.out
    missing = cli("report", "file", "1", "follow_up", "--to", "x", "--via", "fax", "--body-file",
                  str(cli.db.parent / "nope.txt"))
    assert missing.code == 2 and missing.json["error"]["code"] == "upward.body_file"
