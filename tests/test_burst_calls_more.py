"""Issue 12 in a real terminal, the items tests/test_burst_board.py and test_burst_calls.py leave
open: phone state over a restart in English (5), a repeat written differently (6), several
services in one key (8), everyday unit names (10), the switch's caller name and a withheld
number (11), the words (13) and the small things (14); and an Esc that arrives in one read with
the keys after it, a defect this harness found (Textual read it as a typed ``^`` or an alt-key).

Each call or dialog sequence goes in as ONE ``send-keys`` (tests/burst.py), at 80×24 in Chinese
and at 120×40 in English; every test asserts on the store, read with plain ``sqlite3``. Rings
come from the switch's feed file beside the database (``callfeed.jsonl``, docs/call-feed.md),
which the console polls once a second. The only split bursts are where the call-taker must
see something before the next key (a repeat's reason before ctrl+r, a dialog's labels).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from burst import HAVE_TMUX, LARGE, NOW, SMALL, Console, Lit, seed_board, start_into

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")

BOTH = pytest.mark.parametrize(("size", "lang"), [(SMALL, "zh"), (LARGE, "en")])
#: a board row: order number, then the incident number
BOARD_ROW = re.compile(r"(?m)^\s*(\d+)\s+#(\d+)\s")




def feed(console: Console, *events: dict[str, str], at: str = NOW) -> None:
    """Lines from the phone switch, appended to the feed the console polls."""
    with open(console.db.parent / "callfeed.jsonl", "a", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps({"v": 1, "line": "1", "at": at, **event}, ensure_ascii=False) + "\n")


def ring(console: Console, ref: str, phone: str, at: str = NOW, **extra: str) -> None:
    feed(console, {"type": "ring", "call_ref": ref, "phone": phone, **extra}, at=at)


def control_keys(burst: tuple[str | Lit, ...]) -> int:
    """Keys of a burst that are not typed text."""
    return sum(1 for part in burst if not isinstance(part, Lit))


def words(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def incident_of(console: Console, phone: str) -> str:
    return str(console.rows("SELECT id FROM incidents WHERE phone = ?", (phone,))[0][0])


# -- item 5: phone state over a restart ----------------------------------------------------------
def test_phone_state_survives_a_restart_in_english(started: list[Console], tmp_path: Path) -> None:
    """Item 5 at 120×40 in English (tests/test_burst_calls.py runs it in Chinese): ring →
    F6 answers → restart → not ringing; ring → hang up → restart → still listed as missed;
    ctrl+b calls it back with its number in the form, recorded as called back."""
    console = start_into(started, tmp_path, LARGE, lang="en")
    ring(console, "c1", "13800000123")
    ring(console, "c2", "13900000111")
    console.wait_for("13900000111")
    console.send("F6", "Escape")
    console.wait_rows("SELECT state FROM phone_calls WHERE call_ref = 'c1'", lambda r: r == [("answered",)])
    feed(console, {"type": "hangup", "call_ref": "c2", "phone": "13900000111"})
    console.wait_for(r"missed 1.*13900000111")

    before = console.tmux("display", "-p", "-t", "e2e", "#{pane_pid}").strip()
    console.tmux("respawn-pane", "-k", "-t", "e2e")       # the same command, a new process
    deadline = time.monotonic() + 10
    while console.tmux("display", "-p", "-t", "e2e", "#{pane_pid}").strip() == before:
        assert time.monotonic() < deadline, "the console was not restarted"
        time.sleep(0.05)
    console.wait_for("countdown")
    console.wait_board_focused()
    screen = console.wait_for(r"missed 1.*13900000111")
    assert "13800000123" not in screen, screen            # the answered call never rings again
    console.send("C-b")
    console.wait_for(r"Phone\s+13900000111")
    rows = console.wait_rows("SELECT call_ref, state, settled_how FROM phone_calls ORDER BY call_ref",
                             lambda r: ("c2", "missed", "called_back") in r)
    assert rows == [("c1", "answered", ""), ("c2", "missed", "called_back")]


# -- item 6: a repeat written differently --------------------------------------------------------
SEVEN_MINUTES_ON = "2026-11-28T06:07:00Z"


def _first_call_seven_minutes_ago(services: Any) -> None:
    services.new_call(phone="13800000001", text="小区停电两个小时了", address="人民路12号",
                      category="power_supply")
    services.ctx.clock.advance(minutes=7)


REPEAT_CALL = ("F6", Lit("我们这栋楼也停电了"), "BTab", Lit("人民路12号幸福小区3栋"))


@BOTH
def test_a_repeat_written_differently_is_offered_with_its_reason_and_merged(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Item 6: 人民路12号 at 14:00, then 人民路12号幸福小区3栋 from another number seven minutes
    later, both power cuts: the intake offers #1 as a repeat marked 同地点 (same place), and
    F6, shift+tab, ctrl+r (3 control keys) merge it: one incident holding both calls, the second
    with its own place. In Chinese the reason is read before ctrl+r; in English the whole call
    including ctrl+r is one burst."""
    console = start_into(started, tmp_path, size, lang=lang, seed=_first_call_seven_minutes_ago)
    ring(console, "r1", "13700000002", at=SEVEN_MINUTES_ON)
    console.wait_for("13700000002")
    burst = (*REPEAT_CALL, "C-r")
    assert control_keys(burst) <= 3
    if lang == "zh":
        console.send(*REPEAT_CALL)
        console.wait_for(r"#1 \[同地点\]")
        console.send("C-r")
    else:
        console.send(*burst)
    console.wait_for(words(lang, "来电已并入警情 #1", "call added to incident #1"))
    calls = console.wait_rows("SELECT c.phone, i.no, c.address, c.text FROM calls c"
                              " JOIN incidents i ON i.id = c.incident_id ORDER BY c.no", lambda r: len(r) == 2)
    assert calls == [("13800000001", 1, "人民路12号", "小区停电两个小时了"),
                     ("13700000002", 1, "人民路12号幸福小区3栋", "我们这栋楼也停电了")]
    assert console.rows("SELECT count(*) FROM incidents") == [(1,)]


# -- item 8: several services in one key ---------------------------------------------------------
FIGHT = ("F6", Lit("两个人打架，一个男的头上流血了"), "BTab", Lit("人民路12号烧烤店门口"), "C-t")
GAS = ("F6", Lit("燃气泄漏，家里老人头晕"), "C-t")


@BOTH
def test_a_fight_with_bleeding_and_a_gas_leak_with_dizzy_residents(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Item 8: two rings; a fight with a man bleeding (F6 … ctrl+t, 3 control keys, ≤ 4) and a
    gas leak with an old man dizzy (F6 … ctrl+t), both calls in ONE burst: the fight's incident
    has 110 and 120 in incident_transfers, the gas leak's has 120 and an order for the gas
    company, open while it runs; each account and place in its own incident."""
    assert control_keys(FIGHT) <= 4
    console = start_into(started, tmp_path, size, lang=lang)
    ring(console, "f1", "13800000001")
    ring(console, "g1", "13800000002")
    console.wait_for("13800000002")
    console.send(*FIGHT, *GAS)
    rows = console.wait_rows("SELECT i.phone, t.service FROM incident_transfers t JOIN incidents i"
                             " ON i.id = t.incident_id ORDER BY i.no, t.service", lambda r: len(r) == 3)
    assert rows == [("13800000001", "110"), ("13800000001", "120"), ("13800000002", "120")]
    orders = console.wait_rows("SELECT i.phone, o.unit FROM orders o JOIN incidents i ON i.id = o.incident_id",
                               bool)
    assert orders == [("13800000002", "gas")]
    assert console.rows("SELECT phone, status, address, text FROM incidents ORDER BY no") == [
        ("13800000001", "transferred", "人民路12号烧烤店门口", "两个人打架，一个男的头上流血了"),
        ("13800000002", "open", "", "燃气泄漏，家里老人头晕")]
    console.wait_for(words(lang, r"县燃气公司", r"County Gas"))   # its order is on the board


# -- item 10: everyday short names ---------------------------------------------------------------
#: (incident, typed name, unit): each incident gets a unit it does not have yet
ALIASES = ((1, "住建", "housing"), (2, "zjj", "housing"), (3, "城管", "urban_mgmt"), (4, "cgj", "urban_mgmt"),
           (5, "人社", "hrss"), (6, "hbj", "env"), (16, "labour", "hrss"))


@BOTH
def test_short_names_in_the_command_bar_order_the_right_units(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Item 10: ``dp N 住建`` … ``dp N labour``, seven commands in one burst after F4: each
    incident gets an order for the unit its short name stands for."""
    console = start_into(started, tmp_path, size, lang=lang, seed=seed_board)
    burst: list[str | Lit] = ["F4"]
    for no, alias, _ in ALIASES:
        burst += [Lit(f"dp {no} {alias}"), "Enter"]
    console.send(*burst)
    sql = ("SELECT i.no, o.unit FROM orders o JOIN incidents i ON i.id = o.incident_id"
           " WHERE o.no > 15 ORDER BY o.no")
    rows = console.wait_rows(sql, lambda r: len(r) == len(ALIASES))
    assert rows == [(no, unit) for no, _, unit in ALIASES]


@BOTH
def test_short_names_in_the_reassign_dialog_pick_the_right_units(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Item 10: on the board, ``Home ctrl+t 城管`` shows the suggestion 县城市管理综合执法局 under
    the unit field and Enter takes it; then ``Home ctrl+t NAME Enter`` for 住建 zjj cgj 人社
    hbj labour in one burst: the seven overdue orders at the top (1–7, most urgent first) are
    each reassigned to the unit named (up/down stay in the list, they never leave the field)."""
    console = start_into(started, tmp_path, size, lang=lang, seed=seed_board)
    console.send("Home", "C-t", Lit("cg"), "Down", "Up", "BSpace", "BSpace", Lit("城管"))
    console.wait_for(words(lang, r"urban_mgmt +县城市管理综合执法局", r"urban_mgmt +County Urban Management"))
    console.send("Enter")
    reassigned = ("SELECT f.no, o.unit FROM orders o JOIN orders f ON f.id = o.reassigned_from"
                  " ORDER BY o.no")
    assert console.wait_rows(reassigned, bool) == [(1, "urban_mgmt")]
    rest = (("住建", "housing"), ("zjj", "housing"), ("cgj", "urban_mgmt"), ("人社", "hrss"),
            ("hbj", "env"), ("labour", "hrss"))
    burst: list[str | Lit] = []
    for alias, _ in rest:
        burst += ["Home", "C-t", Lit(alias), "Enter"]
    console.send(*burst)
    rows = console.wait_rows(reassigned, lambda r: len(r) == 7)
    assert rows == [(1, "urban_mgmt"), *((no, unit) for no, (_, unit) in zip(range(2, 8), rest, strict=True))]


# -- item 11: the switch's caller name, a withheld number ----------------------------------------
@BOTH
def test_the_switchs_name_is_kept_and_a_withheld_number_is_said_in_words(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Item 11: a ring with the switch's name 王女士 → F6 → account, ctrl+y, ctrl+s in one burst:
    the incident and the call both hold 王女士; a withheld number rings as 未显示号码 (number
    withheld), opens in the form in words, is stored as no number, and ``hidden`` is never shown."""
    withheld = words(lang, "未显示号码", "number withheld")
    console = start_into(started, tmp_path, size, lang=lang)
    ring(console, "n1", "13800000123", caller_name="王女士")
    ring(console, "w1", "")
    screen = console.wait_for(withheld)
    assert "王女士" in screen and "hidden" not in screen.lower(), screen
    console.send("F6", Lit("小区停电两个小时了"), "C-y", "C-s")
    rows = console.wait_rows("SELECT i.caller_name, c.caller_name FROM incidents i JOIN calls c"
                             " ON c.incident_id = i.id WHERE i.phone = '13800000123'", bool)
    assert rows == [("王女士", "王女士")]

    console.send("F6")
    screen = console.wait_for(words(lang, r"号码\s+未显示号码", r"Phone\s+number withheld"))
    assert "hidden" not in screen.lower(), screen
    console.send(Lit("楼下水管爆了"), "C-y", "C-s")
    rows = console.wait_rows("SELECT phone, caller_name, text FROM incidents WHERE text = '楼下水管爆了'", bool)
    assert rows == [("", "", "楼下水管爆了")]
    assert "hidden" not in console.settle().lower()


# -- item 13: the words --------------------------------------------------------------------------
@BOTH
def test_dialogs_say_their_fields_and_levels_in_words(started: list[Console], tmp_path: Path,
                                                      size: tuple[int, int], lang: str) -> None:
    """Item 13: ctrl+u shows 催办对象 / 方式 电话 (to whom / how phone), each label on its
    field's row (``urged whom`` wrapped under the label column), and Enter records a phone urge
    of order 1; ctrl+e shows 督办级别 一级督办 (level 1) and ``Tab reason Enter``
    records level 1; ctrl+r Enter without a reason says 退单必须填写原因（“原因”一栏） (the
    “reason” field), never ``--reason``, and writes nothing."""
    console = start_into(started, tmp_path, size, lang=lang, seed=seed_board)
    console.send("C-u")
    screen = console.wait_for(words(lang, r"方式\W+电话", r"how\W+phone"))   # the label, the value in words
    assert re.search(words(lang, r"催办对象\W+0000-", r"to whom\W+0000-"), screen), screen
    assert lang == "en" or "phone" not in screen, screen
    console.send("Enter")
    assert console.wait_rows("SELECT o.no, u.how FROM order_urges u JOIN orders o ON o.id = u.order_id",
                             bool) == [(1, "phone")]
    console.wait_board_focused()
    console.send("C-e")
    console.wait_for(words(lang, r"督办级别\W+一级督办", r"level\W+level 1"))
    console.send("Tab", Lit("超时未签收"), "Enter")
    assert console.wait_rows("SELECT o.no, s.level FROM order_supervisions s JOIN orders o ON o.id = s.order_id",
                             bool) == [(1, 1)]
    console.wait_board_focused()
    events = console.rows("SELECT count(*) FROM events")
    console.send("C-r", "Enter")
    screen = console.wait_for(words(lang, "“原因”一栏", "the “reason” field"))
    assert "--reason" not in screen and "--" not in screen, screen
    console.send("Escape")
    console.wait_board_focused()
    assert console.rows("SELECT count(*) FROM events") == events
    assert console.rows("SELECT status FROM orders WHERE no = 1") == [("issued",)]


@BOTH
def test_command_bar_keeps_full_width_commas_and_a_long_answer_leaves_the_board(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Item 13: ``note 1 已关阀，正在疏散`` typed in the command bar stores the note with its
    ``，``; ``show 1`` (a long answer: calls, orders, timeline) scrolls in its box of at most
    three lines under the board: the seven overdue orders stay drawn at the top, and the board
    loses no more than those three lines."""
    console = start_into(started, tmp_path, size, lang=lang, seed=seed_board)
    before = BOARD_ROW.findall(console.settle())
    assert before[0] == ("1", "1"), before
    console.send("F4", Lit("note 1 已关阀，正在疏散"), "Enter", Lit("show 1"), "Enter")
    notes = console.wait_rows("SELECT json_extract(payload, '$.note') FROM events WHERE kind = 'incident.noted'",
                              bool)
    assert notes == [("已关阀，正在疏散",)]
    console.wait_for(words(lang, r"(?m)^ +来电：", r"(?m)^ +calls:"))   # the show answer's third line
    screen = console.settle()
    after = BOARD_ROW.findall(screen)
    # the answer takes at most 3 lines: the board keeps its rows, the 7 overdue ones first
    assert after[:7] == [(str(n), str(n)) for n in range(1, 8)], screen
    assert len(after) >= len(before) - 3, (before, screen)
    overdue = words(lang, "签收超时", "ack OVERDUE")
    assert sum(1 for line in screen.splitlines() if BOARD_ROW.match(line) and overdue in line) == 7, screen


# -- item 14: the small things -------------------------------------------------------------------
@BOTH
def test_several_orders_ime_dashes_and_an_off_duty_unit_in_the_command_bar(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Item 14: ``ack 5 6 7`` acknowledges all three; ``ack 1 ——note 电话签收`` (the IME's
    dashes) reads as ``--note``; ``dp 16 信访`` on Saturday afternoon orders the petitions bureau
    (Tier 2, office hours) and says it is off duty, without refusing."""
    console = start_into(started, tmp_path, size, lang=lang, seed=seed_board)
    console.send("F4", Lit("ack 5 6 7"), "Enter", Lit("ack 1 ——note 电话签收"), "Enter", Lit("dp 16 信访"), "Enter")
    console.wait_for(words(lang, "非值班时段", "off duty"))
    acked = console.wait_rows("SELECT no FROM orders WHERE status = 'acknowledged' AND no < 8 ORDER BY no",
                              lambda r: len(r) == 4)
    assert acked == [(1,), (5,), (6,), (7,)]
    notes = console.rows("SELECT json_extract(e.payload, '$.note') FROM events e WHERE e.kind = 'order.stepped'"
                         " AND json_extract(e.payload, '$.note') != ''")
    assert notes == [("电话签收",)]
    assert console.rows("SELECT o.unit FROM orders o JOIN incidents i ON i.id = o.incident_id"
                        " WHERE i.no = 16") == [("petition",)]


VILLAGE_CALL = ("F2", Lit("13800000005"), "Tab", "Tab", Lit("李家村3组"), "Tab",
                Lit("变压器响了一声就没电了"), "C-y", "C-s")
PICKER_ESC = ("F2", Lit("13800000006"), "Tab", "Tab", Lit("和平路5号"), "Tab", Lit("楼里又停电了"),
              "C-y", "F7", "Escape")


@BOTH
def test_a_village_is_rural_and_esc_in_the_picker_leaves_the_incident_waiting(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Item 14, two whole calls in ONE burst: a place in 李家村 saves the call as rural (农村)
    without ctrl+g; the next call, saved by F7 and its picker closed by Esc, stays an open
    incident with no order, listed as waiting (#18, 待派 3 with the bus complaint and #17)."""
    console = start_into(started, tmp_path, size, lang=lang, seed=seed_board)
    console.send(*VILLAGE_CALL, *PICKER_ESC)
    rows = console.wait_rows("SELECT no, phone, address, text, area, status FROM incidents WHERE no > 16"
                             " ORDER BY no", lambda r: len(r) == 2)
    assert rows == [(17, "13800000005", "李家村3组", "变压器响了一声就没电了", "rural", "open"),
                    (18, "13800000006", "和平路5号", "楼里又停电了", "urban", "open")]
    console.wait_for(words(lang, r"待派 3", r"waiting 3"))
    screen = console.wait_for(r"#18 ")
    assert "和平路5号" in screen, screen
    assert console.rows("SELECT count(*) FROM orders WHERE no > 15") == [(0,)]


# -- Esc in a burst ------------------------------------------------------------------------------
@BOTH
def test_esc_followed_by_keys_in_the_same_read_is_the_esc_key(
        started: list[Console], tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    """Items 2 and 14 (Esc brings focus home), found by this harness: Esc and the keys after it
    arrive in one read. ``ctrl+u Esc ack 2 Enter`` closes the urge dialog and acknowledges order
    2 from the command bar (no urge with ``ck 2`` in its fields: Esc then a letter was alt+a;
    and the space typed while the bar was taking focus is kept: it was dropped, ``ack2``);
    ``F4 ack 5 6 7 Enter Esc ctrl+s Enter`` acknowledges 5–7 and then, from the board, the
    selected order 1 (Esc then ctrl+s was a typed ``^`` and ctrl+s in the command bar)."""
    console = start_into(started, tmp_path, size, lang=lang, seed=seed_board)
    console.send("C-u", "Escape", Lit("ack 2"), "Enter")
    console.wait_rows("SELECT status FROM orders WHERE no = 2", lambda r: r == [("acknowledged",)])
    assert console.rows("SELECT count(*) FROM order_urges") == [(0,)]
    console.send("Escape", "F4", Lit("ack 5 6 7"), "Enter", "Escape", "C-s", "Enter")
    acked = console.wait_rows("SELECT no FROM orders WHERE status = 'acknowledged' AND no < 8 ORDER BY no",
                              lambda r: len(r) == 5)
    assert acked == [(1,), (2,), (5,), (6,), (7,)]
    screen = console.settle()
    assert "^" not in screen.splitlines()[-2], screen          # nothing typed into the command bar
