"""The roll-call verbs through the real CLI: ``--json`` answers, human lines in both languages,
refusals (exit 2, nothing written)."""

from __future__ import annotations

from pathlib import Path

from conftest import Cli

ROSTER = (
    "单位/unit,开始/start,结束/end,值班人/person,值班电话/phone,车辆/vehicle,联系人/contact,责任人/responsible\n"
    "power,2026-11-28 08:00,2026-11-28 20:00,张伟,0000-1100201,示A·D0001,,\n"
    "power,2026-11-28 20:00,2026-11-29 08:00,李娜,0000-1100202,示A·D0002,,\n"
)


def test_list_record_report_as_json(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    cli.ok("roster", "import", str(path))
    listed = cli.ok("rollcall", "list")
    assert listed["round_id"] is None and listed["day"] == "2026-11-28"
    assert len(listed["units"]) == 31 and listed["summary"]["not_called"] == 31
    power = next(u for u in listed["units"] if u["unit"] == "power")
    assert (power["duty_person"], power["duty_phone"], power["duty_source"], power["result"]) == (
        "张伟", "0000-1100201", "roster", None)
    night = cli.ok("rollcall", "list", "--at", "2026-11-29 01:00")
    assert next(u for u in night["units"] if u["unit"] == "power")["duty_person"] == "李娜"
    assert night["day"] == "2026-11-29"

    first = cli.ok("rollcall", "record", "gdj", "answered", "--note", "张伟接听")
    assert first["call"]["unit"] == "power" and first["call"]["duty_phone"] == "0000-1100201"
    assert first["call"]["note"] == "张伟接听" and first["attempts"] == 1
    assert first["summary"]["answered"] == 1 and first["next"] == "traffic_police"
    rid = first["round_id"]
    cli.now("2026-11-28T06:03:00Z")
    again = cli.ok("dm", "psb", "未接听", "--at", "14:02")      # the alias and a Chinese result
    assert again["round_id"] == rid and again["call"]["result"] == "no_answer"
    assert again["call"]["at"] == "2026-11-28T06:02:00.000Z"
    cli.ok("dm", "psb", "wp")
    rows = cli.rows("SELECT unit, result FROM rollcall_calls ORDER BY event_id")
    assert [tuple(r) for r in rows] == [("power", "answered"), ("psb", "no_answer"), ("psb", "wrong_person")]

    listed = cli.ok("rollcall")                                   # bare `rollcall` is the list
    assert listed["round_id"] == rid
    psb = listed["units"][0]
    assert (psb["unit"], psb["result"], psb["attempts"]) == ("psb", "wrong_person", 2)

    second = cli.ok("rollcall", "record", "fire", "answered", "--round", "new")
    assert second["round_id"] != rid
    report = cli.ok("rollcall", "report")
    assert report["day"] == "2026-11-28" and report["from"] == "2026-11-27T16:00:00.000Z"
    assert [r["id"] for r in report["rounds"]] == [rid, second["round_id"]]
    assert report["summary"] == {"answered": 2, "no_answer": 0, "wrong_person": 1,
                                 "not_called": 28, "total": 31}
    psb = report["units"][0]
    assert (psb["result"], psb["attempts"], psb["operator"]) == ("wrong_person", 2, "duty")
    assert [h["result"] for h in psb["history"]] == ["no_answer", "wrong_person"]
    assert len(report["not_called"]) == 28
    only = cli.ok("dmjl", "--round", rid[:18])
    assert only["round_id"] == rid and only["summary"]["answered"] == 1
    assert cli.ok("rollcall", "report", "--day", "2026-11-27")["summary"]["not_called"] == 31


def test_human_lines_in_both_languages(cli: Cli) -> None:
    zh = cli("rollcall", "record", "psb", "answered", as_json=False)
    assert zh.code == 0
    assert zh.out.startswith("已记录点名 县公安局：已接听")
    assert "已接听 1 · 未接听 0 · 非值班人员 0 · 未点名 30（共 31）" in zh.out
    assert "下一个：县政府新闻办" in zh.out
    en = cli("--lang", "en", "rollcall", "list", as_json=False).out
    assert en.startswith("roll-call list 2026-11-28 14:00:00 · round ")
    assert "County Public Security Bureau" in en and "answered" in en
    assert "(duty person not filed)" in en
    report = cli("--lang", "en", "rollcall", "report", as_json=False).out
    assert "roll-call record 2026-11-28" in report and "not called: County Government" in report
    report_zh = cli("rollcall", "report", as_json=False).out
    assert "2026-11-28 点名记录" in report_zh and "未点名：县政府新闻办" in report_zh


def test_refusals_exit_2_and_write_nothing(cli: Cli) -> None:
    cli.ok("board")                                             # create and seed the database
    before = cli.snapshot()
    for args, code in ((["rollcall", "record", "nosuchunit", "answered"], "unit.not_found"),
                       (["rollcall", "record", "petition", "answered"], "rollcall.not_tier1"),
                       (["rollcall", "record", "psb", "perhaps"], "rollcall.result"),
                       (["rollcall", "record", "psb", "answered", "--note", "x" * 201], "rollcall.note"),
                       (["rollcall", "record", "psb", "answered", "--round", "deadbeef99"], "rollcall.round"),
                       (["rollcall", "record", "psb"], "command.missing"),
                       (["rollcall", "report", "--day", "28/11/2026"], "input.day"),
                       (["rollcall", "list", "--round", "nope"], "rollcall.round")):
        result = cli(*args)
        assert result.code == 2, args
        assert result.json == {"ok": False, "error": {"code": code, "message": result.json["error"]["message"]}}
    assert cli.snapshot() == before
    assert cli.rows("SELECT count(*) FROM rollcall_calls")[0][0] == 0
    zh = cli("rollcall", "record", "petition", "answered", as_json=False)
    assert zh.code == 2 and "点名只针对一级单位" in zh.err
    en = cli("--lang", "en", "rollcall", "record", "psb", "perhaps", as_json=False)
    assert en.code == 2 and "the roll-call result must be answered, no-answer or wrong-person" in en.err
