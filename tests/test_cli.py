"""The ``linkage`` command line: the grammar, --json answers, exit codes and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, Unchanged

from console.commands import VERB_MODULES
from console.commands.grammar import REGISTRY
from console.seat.services import Services

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LINKAGE = Path(sys.executable).parent / "linkage"
START = "2026-11-28T06:00:00Z"



# -- success paths ------------------------------------------------------------------------------
def test_call_new_json(cli: Cli) -> None:
    result = cli("call", "new", "--phone", "+86 138 0000 0001", "--text", "小区停电两个小时了",
                 "--address", "人民路12号", "--area", "城区", "--name", "张先生")
    assert result.code == 0, result.err
    answer = result.json
    assert answer["ok"] is True and answer["command"] == "call new"
    data = answer["data"]
    assert data["merged"] is False and data["duplicates"] == [] and data["history"] == []
    incident = data["incident"]
    assert incident["no"] == 1
    assert incident["phone"] == "13800000001"
    assert incident["category"] == "power_supply"           # from triage
    assert incident["created_at"] == "2026-11-28T06:00:00.000Z"
    assert incident["status"] == "open" and incident["disposition"] == "linkage"
    assert set(incident) >= {"no", "id", "created_at", "phone", "caller_name", "address", "area",
                             "category", "text", "status", "disposition", "merged_into",
                             "closed_at", "seat"}
    assert cli.rows("SELECT count(*) FROM incidents")[0][0] == 1
    assert result.err == ""


def test_human_output_is_chinese_by_default_and_english_on_request(cli: Cli) -> None:
    zh = cli("call", "new", "--phone", "13800000001", "--text", "停电了", "--category",
             "power_supply", as_json=False)
    assert zh.code == 0 and zh.out.startswith("已保存 #1") and "供电故障" in zh.out
    en = cli("--lang", "en", "board", as_json=False)
    assert en.code == 0 and en.out.startswith("Board 2026-11-28 14:00:00")
    assert "incidents waiting 1" in en.out


def test_full_order_lifecycle_through_the_cli(seeded: Cli) -> None:
    cli = seeded
    cli.now("2026-11-28T07:30:00Z")                         # 15:30: catching up the paperwork
    assert cli.ok("order", "deliver", "1", "--at", "14:01")["order"]["status"] == "delivered"
    assert cli.ok("ack", "1", "14:03")["order"]["status"] == "acknowledged"   # alias, positional
    assert cli.ok("order", "depart", "1", "--at=14:06")["order"]["status"] == "en_route"
    assert cli.ok("order", "arrive", "1", "--at", "１４：２１")["order"]["status"] == "on_scene"
    cli.ok("order", "feedback", "1", "--at", "14:50", "--note", "线路已修复")
    order = cli.ok("order", "complete", "1", "--at", "15:10")["order"]
    assert order["status"] == "completed"
    assert order["steps"] == {
        "issued": "2026-11-28T06:00:00.000Z", "delivered": "2026-11-28T06:01:00.000Z",
        "acknowledged": "2026-11-28T06:03:00.000Z", "en_route": "2026-11-28T06:06:00.000Z",
        "on_scene": "2026-11-28T06:21:00.000Z", "feedback": "2026-11-28T06:50:00.000Z",
        "completed": "2026-11-28T07:10:00.000Z",
    }
    assert order["clock"] == {"stage": None, "due": None, "remaining_s": None, "state": "none",
                              "missed": []}
    shown = cli.ok("incident", "show", "1")
    assert shown["incident"]["status"] == "closed"
    assert shown["incident"]["closed_at"] == "2026-11-28T07:10:00.000Z"
    stepped = [e for e in shown["timeline"] if e["kind"] == "order.stepped"]
    assert [e["happened_at"][11:16] for e in stepped] == ["06:01", "06:03", "06:06", "06:21",
                                                         "06:50", "07:10"]
    assert {e["recorded_at"] for e in stepped} == {"2026-11-28T07:30:00.000Z"}
    assert all(e["seat"] == "seat-01" and e["operator"] == "duty" for e in shown["timeline"])
    feedback = next(e for e in stepped if e["payload"]["status"] == "feedback")
    assert feedback["payload"]["note"] == "线路已修复"
    # the database agrees with the answers
    rows = cli.rows("SELECT status FROM orders")
    assert [r[0] for r in rows] == ["completed"]
    assert cli.rows("SELECT count(*) FROM events")[0][0] == cli.rows("SELECT count(*) FROM outbox")[0][0]


def test_order_json_shape(seeded: Cli) -> None:
    order = seeded.ok("order", "show", "1")["order"]
    assert order["unit"] == "power" and order["unit_kind"] == "utility"
    assert order["first_contact"] is True
    assert order["due"] == {"ack": "2026-11-28T06:05:00.000Z", "depart": None,
                            "arrive": "2026-11-28T06:30:00.000Z",
                            "feedback": "2026-11-28T08:00:00.000Z"}
    assert order["clock"] == {"stage": "ack", "due": "2026-11-28T06:05:00.000Z",
                              "remaining_s": 300, "state": "due_soon", "missed": []}


def test_board_json_with_countdowns(seeded: Cli) -> None:
    cli = seeded
    cli.ok("call", "new", "--phone", "13900000002", "--text", "路灯不亮", "--category",
           "streetlight", "--address", "解放路1号")
    cli.now("2026-11-28T06:07:00Z")
    board = cli.ok("board")
    assert board["at"] == "2026-11-28T06:07:00.000Z"
    assert board["overdue"] == 1
    assert [o["no"] for o in board["orders"]] == [1]
    first = board["orders"][0]
    assert first["clock"]["state"] == "overdue" and first["clock"]["remaining_s"] == -120
    assert first["clock"]["missed"] == ["ack"]
    assert first["category"] == "power_supply" and first["address"] == "人民路12号"
    assert [i["no"] for i in board["waiting"]] == [2]
    human = cli("board", as_json=False)
    assert "【超时】派单 1" in human.out and "签收超时 2:00" in human.out
    assert "待派 #2" in human.out


def test_transfer_at_intake_and_later(cli: Cli) -> None:
    data = cli.ok("call", "new", "--phone", "13800000001", "--text", "有人在小区里打架",
                  "--category", "public_order", "--transfer", "110")
    assert data["incident"]["status"] == "transferred"
    assert data["incident"]["disposition"] == "transfer_110"
    cli.ok("call", "new", "--phone", "13900000002", "--text", "想咨询一下社保怎么交",
           "--category", "consultation")
    later = cli.ok("incident", "transfer", "2", "12345", "--note", "已告知拨打12345")
    assert later["incident"]["disposition"] == "transfer_12345"
    kinds = [r[0] for r in cli.rows("SELECT kind FROM events WHERE kind = 'incident.transferred'")]
    assert len(kinds) == 2


def test_several_services_from_the_cli(cli: Cli) -> None:
    """`--transfer 110,120` at intake; `incident transfer N 119` adds a third service later."""
    data = cli.ok("call", "new", "--phone", "13800000001", "--text", "打架，有人流血",
                  "--category", "public_order", "--transfer", "110,120")
    assert data["incident"]["transfers"] == ["110", "120"]
    later = cli.ok("incident", "transfer", "1", "119")
    assert later["incident"]["transfers"] == ["110", "120", "119"]
    assert "转110+120+119" in cli("incident", "show", "1", as_json=False).out
    cli.refused("incident", "transfer", "1", "120", code="transfer.again", zh="已转120",
                en="already went to 120")


def test_duplicates_history_and_merges(cli: Cli) -> None:
    cli.ok("call", "new", "--phone", "13800000001", "--text", "停电了", "--category",
           "power_supply", "--address", "人民路12号")
    cli.now("2026-11-28T06:10:00Z")
    second = cli.ok("call", "new", "--phone", "13900000002", "--text", "我们这也停电了",
                    "--category", "power_supply", "--address", "人民路 12号")
    assert [d["no"] for d in second["duplicates"]] == [1]
    repeat = cli.ok("call", "new", "--phone", "13800000001", "--text", "还没人来",
                    "--merge-into", "1")
    assert repeat["merged"] is True and repeat["incident"]["no"] == 1
    assert [c["text"] for c in repeat["history"]] == ["停电了"]
    merged = cli.ok("incident", "merge", "2", "1")
    assert merged["incident"]["no"] == 1
    shown = cli.ok("incident", "show", "#1")
    assert sorted(c["text"] for c in shown["calls"]) == ["停电了", "我们这也停电了", "还没人来"]
    history = cli.ok("call", "history", "13800000001")
    assert [c["text"] for c in history["calls"]] == ["还没人来", "停电了"]


def test_handover_and_reassign_through_the_cli(seeded: Cli) -> None:
    cli = seeded
    cli.ok("ack", "1")
    handed = cli.ok("order", "handover", "1", "water_co", "--note", "移交")["order"]
    assert handed["no"] == 2 and handed["handover_from"] is not None
    cli.ok("order", "return", "2", "--reason", "不属我单位职责")
    new = cli.ok("order", "reassign", "2", "gas")["order"]
    assert new["no"] == 3 and new["reassigned_from"] == handed["id"]
    statuses = [tuple(r) for r in cli.rows("SELECT no, status FROM orders ORDER BY no")]
    assert statuses == [(1, "handed_over"), (2, "reassigned"), (3, "issued")]


def test_units_and_categories_and_help(cli: Cli) -> None:
    units = cli.ok("units", "gdj")["units"]
    assert units[0]["code"] == "power"
    assert {"code", "name_zh", "name_en", "kind", "tier", "regime", "duty_phone", "on_duty"} <= set(units[0])
    assert all(u["tier"] == 3 for u in cli.ok("units", "--tier", "3")["units"])
    cats = cli.ok("categories", "供水")["categories"]
    assert cats[0]["code"] == "water_supply"
    commands = cli.ok("help")["commands"]
    assert [c["name"] for c in commands] == [c.name for c in REGISTRY]
    assert {"call new", "order ack", "order handover", "incident transfer", "board"} <= \
        {c["name"] for c in commands}


def test_help_lists_the_verbs_in_the_order_of_the_one_tuple(cli: Cli) -> None:
    """The grammar imports no verb; console/commands/__init__.py loads the verb modules from one
    tuple, so help (and F1, and docs/keys.md) lists them in that tuple's order, whatever imports
    what."""
    by_name = {c.name: c.handler.__module__.rsplit(".", 1)[1] for c in REGISTRY}
    modules: list[str] = []
    for c in cli.ok("help")["commands"]:
        if not modules or modules[-1] != by_name[c["name"]]:
            modules.append(by_name[c["name"]])
    assert modules == list(VERB_MODULES)


def test_triage_json(cli: Cli) -> None:
    data = cli.ok("triage", "我家楼下水管爆了，水冒得老高")
    assert isinstance(data, dict)
    assert data["suggestions"][0]["category"] == "water_supply"
    assert "verdict" in data


def test_global_options_anywhere(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main

    argv = ["call", "--json", "new", "--phone", "13800000001", "--db", str(cli.db), "--text",
            "停电了", "--lang", "en", "--category", "power_supply", "--operator", "王丽"]
    assert main(argv) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["data"]["incident"]["no"] == 1
    assert cli.rows("SELECT DISTINCT operator FROM events WHERE kind != 'catalog.loaded'")[0][0] == "王丽"


def test_dash_h_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main

    assert main(["-h"]) == 0
    assert capsys.readouterr().out.startswith("usage: linkage")


# -- refusals -------------------------------------------------------------------------------------
# (argv, error code, Chinese fragment, English fragment); run against the seeded database.
REFUSALS = [
    (["order", "new", "1", "xyzzy"], "unit.not_found", "找不到联动单位：xyzzy",
     "no linkage unit matches: xyzzy"),
    (["order", "new", "1", "局"], "unit.ambiguous", "对应多个单位", "matches several units"),
    (["order", "new", "1", "gdj"], "order.duplicate", "县供电局 已有该警情的未结派单",
     "County Power Supply Bureau already has an open order"),
    (["order", "new", "9", "fire"], "incident.not_found", "找不到警情 9", "no incident 9"),
    (["incident", "show", "9"], "incident.not_found", "找不到警情 9", "no incident 9"),
    (["order", "ack", "9"], "order.not_found", "找不到派单 9", "no order 9"),
    (["order", "ack", "abc"], "input.ref", "派单编号无效：abc", "invalid order reference: abc"),
    (["order", "complete", "1"], "order.complete_unacked", "派单 1 尚未签收，不能办结",
     "order 1 was never acknowledged; it cannot be completed"),
    (["order", "return", "1"], "order.return_reason", "退单必须填写原因",
     "a return needs a reason"),
    (["order", "handover", "1", "fire"], "order.handover_state", "签收并先期处置后才能移交",
     "handed over only after acknowledgement"),
    (["order", "ack", "1", "--at", "23:59"], "input.future_time", "不能记录未来的时间",
     "time 23:59 is in the future"),
    (["order", "ack", "1", "--at", "soon"], "input.time", "时间格式无法识别：soon",
     "unrecognised time: soon"),
    (["order", "ack", "1", "--at", "13:59"], "order.time_before_previous", "早于该派单上一步骤的时间",
     "is before the order's previous step"),
    (["order", "ack", "1", "14:00", "--at", "14:00"], "command.twice", "AT 给了两次", "AT given twice"),
    (["order", "show", "1", "2"], "command.extra", "多余的参数：2", "unexpected argument: 2"),
    (["order", "finish", "1"], "command.unknown", "未知命令", "unknown command"),
    (["frobnicate"], "command.unknown", "未知命令：frobnicate", "unknown command: frobnicate"),
    (["order", "ack", "1", "--frob", "2"], "command.unknown_option", "order ack 没有选项 --frob",
     "order ack has no option --frob"),
    (["order", "ack", "1", "--at"], "command.option_value", "选项 --at 需要一个值",
     "option --at needs a value"),
    (["order", "ack"], "command.missing", "缺少参数 ORDER", "missing ORDER"),
    (["order", "new", "1"], "command.missing", "缺少参数 UNIT", "missing UNIT"),
    (["call", "new", "--text", "停电了"], "command.missing", "缺少参数 PHONE", "missing PHONE"),
    (["call", "new", "--phone", "1380000000a", "--text", "停电"], "input.phone",
     "号码格式不正确：1380000000a", "malformed phone number: 1380000000a"),
    (["call", "new", "--phone", "1380000", "--text", "停电"], "input.phone", "号码格式不正确",
     "malformed phone number"),
    (["call", "new", "--phone", "138000000012", "--text", "停电"], "input.phone", "号码格式不正确",
     "malformed phone number"),
    (["call", "new", "--phone", "13800000001", "--text", ""], "command.missing", "缺少参数 TEXT",
     "missing TEXT"),
    (["call", "new", "--phone", "13800000001", "--text", "   "], "command.missing", "缺少参数 TEXT",
     "missing TEXT"),
    (["call", "new", "--phone", "13800000001", "--text", "水" * 4001], "intake.text_too_long",
     "报警内容过长（4001 字，上限 4000 字）", "too long (4001 characters, limit 4000)"),
    (["call", "new", "--phone", "13800000001", "--text", "嗯"], "intake.no_category",
     "请用 --category 指定", "give --category"),
    (["call", "new", "--phone", "13800000001", "--text", "停电", "--area", "downtown"],
     "input.area", "区域只能是", "area must be urban, suburb or rural"),
    (["call", "new", "--phone", "13800000001", "--text", "停电", "--at", "23:59"],
     "input.future_time", "不能记录未来的时间", "is in the future"),
    (["incident", "transfer", "1", "12345"], "transfer.open_orders", "警情 1 还有未结派单",
     "incident 1 still has open orders"),
    (["incident", "transfer", "1", "911"], "transfer.target", "转出目标只能是",
     "transfer target must be"),
    (["call", "new", "--phone", "13900000002", "--text", "有人打架", "--category", "public_order",
      "--transfer", "911"], "transfer.target", "转出目标只能是", "transfer target must be"),
    (["call", "new", "--phone", "13900000002", "--text", "有人打架", "--category", "public_order",
      "--transfer", "12345", "--dispatch", "psb"], "intake.transfer_and_dispatch",
     "转12345或当场答复的来电不能同时派单", "a call handed to 12345 or answered on the spot cannot"),
    (["incident", "merge", "1", "1"], "merge.self", "不能把警情合并到它自己",
     "cannot merge an incident into itself"),
    (["units", "--tier", "4"], "units.tier", "层级只能是 1、2 或 3", "tier must be 1, 2 or 3"),
]


@pytest.mark.parametrize(("argv", "code", "zh", "en"), REFUSALS,
                         ids=[f"{r[1]}-{n}" for n, r in enumerate(REFUSALS)])
def test_refusal_exit_2_message_and_nothing_written(seeded: Cli, argv: list[str], code: str, zh: str, en: str) -> None:
    cli = seeded
    before = cli.snapshot()
    result = cli(*argv)                                  # Chinese is the center's default
    assert result.code == 2
    assert result.json == {"ok": False, "error": {"code": code, "message": result.json["error"]["message"]}}
    assert zh in result.json["error"]["message"]
    assert result.err.startswith("linkage: ") and zh in result.err
    english = cli(*argv, "--lang", "en", as_json=False)
    assert english.code == 2
    assert english.out == ""
    assert en in english.err
    assert cli.snapshot() == before


def test_illegal_transition_messages_follow_the_chosen_language(seeded: Cli) -> None:
    cli = seeded
    cli.ok("order", "arrive", "1")
    before = cli.snapshot()
    zh = cli("order", "ack", "1", as_json=False)
    assert (zh.code, zh.err) == (2, "linkage: 派单 1 已“已到场”，不能再记录“已签收”\n")
    en = cli("--lang", "en", "order", "ack", "1", as_json=False)
    assert (en.code, en.err) == (2, "linkage: order 1 is already on scene; it cannot go back to acknowledged\n")
    cli.ok("order", "complete", "1")
    done = cli("--lang", "en", "order", "feedback", "1")
    assert done.json["error"] == {"code": "order.closed",
                                  "message": "order 1 is already completed; it cannot change"}
    assert cli.snapshot()["orders"] != before["orders"]     # only the successful steps changed it


@pytest.mark.parametrize(
    ("before", "argv", "code"),
    [
        (["arrive"], ["ack", "1"], "order.backwards"),
        (["ack", "complete"], ["order", "arrive", "1"], "order.closed"),
        (["feedback"], ["order", "return", "1", "--reason", "不归我管"], "order.not_returnable"),
        (["return"], ["order", "ack", "1"], "order.returned"),
        (["return"], ["order", "complete", "1"], "order.returned"),
    ],
)
def test_wrong_transition_through_the_cli(seeded: Cli, before: list[str], argv: list[str], code: str) -> None:
    cli = seeded
    cli.ok("order", "new", "1", "fire")                     # keeps the incident open
    for verb in before:
        cli.ok("order", verb, "1", *(["--reason", "不属我单位职责"] if verb == "return" else []))
    snap = cli.snapshot()
    result = cli(*argv)
    assert result.code == 2 and result.json["error"]["code"] == code
    assert cli.snapshot() == snap


def test_sql_and_markup_in_text_stored_verbatim(cli: Cli) -> None:
    evil = "'; DROP TABLE incidents;--"
    data = cli.ok("call", "new", "--phone", "13800000001", "--text", evil, "--address", evil,
                  "--category", "power_supply")
    assert data["incident"]["text"] == evil and data["incident"]["address"] == evil
    markup = cli.ok("call", "new", "--phone", "13900000002", "--text", "停电 [/b] [bold]x[/]",
                    "--address", "[/b]", "--category", "power_supply")
    assert markup["incident"]["text"] == "停电 [/b] [bold]x[/]"
    rows = cli.rows("SELECT text, address FROM incidents ORDER BY no")
    assert [tuple(r) for r in rows] == [(evil, evil), ("停电 [/b] [bold]x[/]", "[/b]")]
    tables = {r[0] for r in cli.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"incidents", "calls", "orders", "events", "outbox"} <= tables
    human = cli("incident", "show", "2", as_json=False)
    assert human.code == 0 and "[/b]" in human.out
    evil_order = cli("order", "new", "1", evil)
    assert evil_order.code == 2 and evil_order.json["error"]["code"] == "unit.not_found"


# -- configuration and global options ----------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "zh", "en"),
    [
        ("[center\nseat = ", "TOML 语法错误", "invalid TOML"),
        ('[center]\nseet = "x"\n', "[center] seet: 未知的配置项", "[center] seet: unknown key"),
        ('[intake]\nmax_text_chars = "many"\n', "类型应为 int", "must be of type int"),
    ],
)
def test_bad_config_refused(cli: Cli, tmp_path: Path, body: str, zh: str, en: str) -> None:
    config = tmp_path / "broken.toml"
    config.write_text(body, encoding="utf-8")
    result = cli("--config", str(config), "board")
    assert result.code == 2
    assert result.json["ok"] is False and result.json["error"]["code"] == "data.invalid"
    assert zh in result.err and "broken.toml" in result.err
    english = cli("--config", str(config), "--lang", "en", "board", as_json=False)
    assert english.code == 2 and en in english.err
    assert not cli.db.exists()                            # refused before the database opened


def test_missing_config_file_refused(cli: Cli, tmp_path: Path) -> None:
    result = cli("--config", str(tmp_path / "nope.toml"), "board")
    assert result.code == 2 and "配置文件不存在" in result.err


def test_config_refusal_leaves_an_existing_database_alone(seeded: Cli, tmp_path: Path) -> None:
    cli = seeded
    before = cli.snapshot()
    config = tmp_path / "broken.toml"
    config.write_text("[[[", encoding="utf-8")
    assert cli("--config", str(config), "order", "ack", "1").code == 2
    assert cli.snapshot() == before


def test_bad_language_refused(cli: Cli) -> None:
    result = cli("--lang", "fr", "board")
    assert result.code == 2 and "--lang must be zh or en" in result.err
    assert not cli.db.exists()


def test_global_option_without_value(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main

    with pytest.raises(SystemExit) as info:
        main(["board", "--db"])
    assert "--db needs a value" in str(info.value.code)


# -- the real console script ---------------------------------------------------------------------
def run_linkage(db: Path, *args: str, now: str = START) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env["LINKAGE_NOW"] = now
    return subprocess.run([str(LINKAGE), "--db", str(db), *args], capture_output=True, text=True,
                          env=env, cwd=PROJECT_ROOT, timeout=120, stdin=subprocess.DEVNULL)


def test_console_script_success_and_refusal(tmp_path: Path) -> None:
    db = tmp_path / "script.db"
    made = run_linkage(db, "call", "new", "--phone", "13800000001", "--text", "小区停电两个小时了",
                       "--address", "人民路12号", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["data"]["incident"]["category"] == "power_supply"
    ordered = run_linkage(db, "--json", "order", "new", "1", "gdj")
    assert ordered.returncode == 0, ordered.stderr
    late = run_linkage(db, "order", "ack", "1", "--at", "14:04", "--json",
                       now="2026-11-28T06:10:00Z")
    assert late.returncode == 0
    assert json.loads(late.stdout)["data"]["order"]["steps"]["acknowledged"] == "2026-11-28T06:04:00.000Z"
    refused = run_linkage(db, "order", "ack", "1", "--lang", "en")
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr == "linkage: order 1 is already acknowledged; it cannot go back to acknowledged\n"
    unknown = run_linkage(db, "frobnicate", "--json")
    assert unknown.returncode == 2
    assert json.loads(unknown.stdout)["error"]["code"] == "command.unknown"
    assert "未知命令：frobnicate" in unknown.stderr


def test_console_script_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[intake]\nmax_text_chars = true\n", encoding="utf-8")
    result = run_linkage(tmp_path / "x.db", "--config", str(config), "board")
    assert result.returncode == 2
    assert "c.toml [intake] max_text_chars" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_console_script_help(tmp_path: Path) -> None:
    result = run_linkage(tmp_path / "h.db", "help", "--lang", "en")
    assert result.returncode == 0
    assert "order ack ORDER [AT]" in result.stdout
    assert "acknowledged by the unit" in result.stdout


# -- the shared grammar, as the console's command bar uses it ----------------------------------
def test_command_bar_line_with_ime_punctuation(services: Services) -> None:
    from console.commands.grammar import run

    run(services, "：call new --phone 13800000001 --text '小区 停电' --category power_supply")
    run(services, "dp 1 gdj")
    outcome = run(services, "／ack 1 １４：００", lang="en")
    assert outcome.command == "order ack"
    assert outcome.data["order"]["status"] == "acknowledged"
    assert outcome.lines[0].startswith("saved")
    assert outcome.to_json()["ok"] is True


@pytest.mark.parametrize(
    ("line", "code"),
    [("", "command.empty"), ("ack 1 '14:05", "command.quote"), ("order", "command.unknown"),
     ("order show 1 --at", "command.unknown_option")],
)
def test_command_bar_refusals(services: Services, unchanged: Unchanged, line: str, code: str) -> None:
    from console.commands.grammar import run
    from console.kernel.errors import BadInput

    with unchanged(services), pytest.raises(BadInput) as info:
        run(services, line)
    assert info.value.code == code
