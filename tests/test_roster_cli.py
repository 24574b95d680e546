"""The roster verbs through the real CLI: ``--json`` answers, human lines, refusals (exit 2)."""

from __future__ import annotations

from pathlib import Path

from conftest import Cli

ROSTER = (
    "单位/unit,开始/start,结束/end,值班人/person,值班电话/phone,车辆/vehicle,联系人/contact,责任人/responsible\n"
    "power,2026-11-28 08:00,2026-11-28 20:00,张伟,0000-1100201,示A·D0001,,\n"
    "power,2026-11-28 20:00,2026-11-29 08:00,李娜,0000-1100202,示A·D0002,,\n"
    "petition,2026-11-30 08:30,2026-11-30 17:30,王芳,0000-2200301,,办公室 0000-2200300,\n"
)


def test_import_show_export_and_stale_as_json(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    imported = cli.ok("roster", "import", str(path))
    assert imported["shifts"] == 3 and imported["units"] == {"petition": 1, "power": 2}
    assert len(imported["filings"]) == 2

    shown = cli.ok("roster", "show", "gdj")                  # pinyin initials, like every unit argument
    assert shown["on_duty"] is True and shown["source"] == "roster"
    assert shown["shift"]["person"] == "张伟" and shown["shift"]["vehicle"] == "示A·D0001"
    assert [c["person"] for c in shown["coming"]] == ["张伟", "李娜"]
    assert shown["filings"][0]["source"] == "import:roster.csv"
    assert shown["stale"]["reasons"] == ["gap"]
    assert shown["stale"]["gap"] == {"from": "2026-11-29T00:00:00.000Z", "to": "2026-11-29T06:00:00.000Z"}
    night = cli.ok("roster", "show", "power", "--at", "2026-11-29 02:00")
    assert night["shift"]["person"] == "李娜" and night["at"] == "2026-11-28T18:00:00.000Z"

    exported = cli.ok("roster", "export", "--from", "2026-11-28", "--to", "2026-12-01")
    assert exported["csv"].splitlines() == ROSTER.splitlines()
    only = cli.ok("roster", "export", "--unit", "power")
    assert [s["unit"] for s in only["shifts"]] == ["power", "power"]
    out = tmp_path / "out.csv"
    assert cli.ok("roster", "export", "--from", "2026-11-28", "--out", str(out))["out"] == str(out)
    assert out.read_text(encoding="utf-8-sig").splitlines() == ROSTER.splitlines()

    stale = {u["code"]: u["stale"] for u in cli.ok("units", "--stale")["units"]}
    assert stale["power"]["reasons"] == ["gap"] and stale["psb"]["reasons"] == ["unfiled"]
    assert "petition" not in stale
    unit = cli.ok("units", "power")["units"][0]
    assert (unit["on_duty"], unit["duty_source"], unit["duty_person"], unit["current_phone"]) == (
        True, "roster", "张伟", "0000-1100201")


def test_human_lines(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    assert cli("roster", "import", str(path), as_json=False).out.startswith("已备案 2 个单位的值班表，共 3 个班次")
    zh = cli("roster", "show", "power", as_json=False).out
    assert "在岗 (值班表)" in zh and "当前班次 11-28 08:00–20:00 张伟 0000-1100201 · 车辆 示A·D0001" in zh
    assert "⚠ 值班空档 11-29 08:00–14:00" in zh
    en = cli("--lang", "en", "units", "--stale", as_json=False).out
    assert "power" in en and "roster gap" in en and "no roster ever filed" in en
    assert cli("roster", "export", "--unit", "power", as_json=False).out.startswith("单位/unit,开始/start")


def test_refusals_exit_2_and_write_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.ok("board")                                          # create and seed the database
    bad = tmp_path / "bad.csv"
    bad.write_text(ROSTER + "power,2026-11-28 19:00,2026-11-28 21:00,赵,0000-1100203,示A·D0003\n"
                   "nobody,2026-11-28 08:00,2026-11-28 20:00,钱,0000-1100204,\n", encoding="utf-8")
    before = cli.snapshot()
    result = cli("--lang", "en", "roster", "import", str(bad))
    assert result.code == 2
    error = result.json["error"]
    assert error["code"] == "roster.file"
    assert [(p["line"], p["message"]) for p in error["problems"]] == [
        (5, "overlaps the shift on line 2 (power)"), (5, "overlaps the shift on line 3 (power)"),
        (6, "no such linkage unit: 'nobody'")]
    assert "bad.csv:5: overlaps the shift on line 2" in result.err
    assert cli.snapshot() == before
    assert cli.rows("SELECT count(*) FROM roster_filings")[0][0] == 0
    for args, code in ((["roster", "import", str(tmp_path / "none.csv")], "roster.unreadable"),
                       (["roster", "import", str(bad), "--from", "2026-11-28"], "roster.period_half"),
                       (["roster", "export", "--from", "2026-12-01", "--to", "2026-11-01"], "roster.period"),
                       (["roster", "show", "nosuchunit"], "unit.not_found"),
                       (["roster", "show", "power", "--at", "yesterday-ish"], "input.time")):
        result = cli(*args)
        assert result.code == 2 and result.json["error"]["code"] == code, (args, result.out)
    assert cli.snapshot() == before
