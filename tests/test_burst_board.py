"""Issue 12 in a real terminal, typed the way a practised call-taker types: each whole call or
dialog sequence goes in as ONE ``send-keys`` (tests/burst.py), so the keys arrive before any
screen they open has drawn. Every test asserts on the store (the right incident or order, each
character in the right field) and, where the issue was about sight, on the screen.

The board is seeded with 15 open orders (1–7 overdue for acknowledgement, 8–15 acknowledged)
and a bus complaint waiting for a unit (incident #16), at 80×24 (where only some rows are
drawn) and at 120×40, in Chinese and English.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from burst import HAVE_TMUX, LARGE, SMALL, Console, Lit, seed_board, start_into

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")



def start(started: list[Console], tmp_path: Path, size: tuple[int, int], *, lang: str = "zh",
          seed: Any = seed_board, **kwargs: Any) -> Console:
    return start_into(started, tmp_path, size, lang=lang, seed=seed, **kwargs)


def _status(console: Console, no: int) -> str:
    return str(console.rows("SELECT status FROM orders WHERE no = ?", (no,))[0][0])


CALL = ("F2", Lit("13800000003"), "Tab", "Tab", Lit("和平路5号"), "Tab", Lit("楼里又停电了，电梯里还关着人"),
        "C-y", "F7", "Enter")
NEW_INCIDENT = ("SELECT i.phone, i.caller_name, i.address, i.text, i.category, o.unit FROM incidents i"
                " JOIN orders o ON o.incident_id = i.id WHERE i.phone = '13800000003'")


@pytest.mark.parametrize(("size", "lang"), [(SMALL, "zh"), (LARGE, "en")])
def test_a_whole_call_in_one_burst_lands_field_by_field(started: list[Console], tmp_path: Path,
                                                        size: tuple[int, int], lang: str) -> None:
    """Item 3: ``F2 number Tab Tab place Tab account ctrl+y F7 Enter`` in one burst: the number,
    the place and the account each in their field (nothing in the command bar, nothing in the
    name), the suggestion accepted and 县供电局 ordered, all in 5 control keys plus Tabs."""
    console = start(started, tmp_path, size, lang=lang)
    console.send(*CALL)
    rows = console.wait_rows(NEW_INCIDENT, bool)
    assert rows == [("13800000003", "", "和平路5号", "楼里又停电了，电梯里还关着人", "power_supply", "power")]


def test_f2_with_a_saved_draft_does_not_lose_the_burst(started: list[Console], tmp_path: Path) -> None:
    """Item 3: a draft is saved (a form typed earlier); the burst after F2 is a new call: it is
    saved as typed, and the earlier draft goes to the stash (F2 brings it back), untouched."""
    def seed(services: Any) -> None:
        seed_board(services)
        services.store.save_draft("intake", {"form_id": "earlier", "phone": "13700000007", "name": "",
                                             "address": "旧地址", "text": "之前没填完的来电", "category": "",
                                             "area": "urban", "accepted": "", "drill": False})

    console = start(started, tmp_path, SMALL, seed=seed)
    console.send(*CALL)
    assert console.wait_rows(NEW_INCIDENT, bool)[0][2:4] == ("和平路5号", "楼里又停电了，电梯里还关着人")
    stash = console.rows("SELECT body FROM drafts WHERE key = 'intake.stash'")
    assert stash and "之前没填完的来电" in stash[0][0], stash


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_ack_then_up_acts_on_the_row_above_not_on_the_order_that_moved(started: list[Console], tmp_path: Path,
                                                                       size: tuple[int, int]) -> None:
    """Item 1: ``Down ctrl+s Enter`` acknowledges order 2, which sorts away; ``Up ctrl+s Enter``
    then acknowledges order 1 (the row above the cursor), not order 14 or any other unit's."""
    console = start(started, tmp_path, size)
    console.send("Down", "C-s", "Enter", "Up", "C-s", "Enter")
    console.wait_rows("SELECT no FROM orders WHERE status = 'acknowledged' AND no < 8 ORDER BY no",
                      lambda rows: len(rows) >= 2)
    assert [n for (n,) in console.rows("SELECT no FROM orders WHERE status = 'acknowledged' ORDER BY no")] == \
        [1, 2, *range(8, 16)]


def test_end_acts_on_the_last_drawn_order(started: list[Console], tmp_path: Path) -> None:
    """Item 1: at 80×24 End selects order 15, drawn on screen and highlighted; ctrl+o records
    its arrival (the dialog is titled with its number and unit)."""
    console = start(started, tmp_path, SMALL)
    console.send("End")
    screen = console.wait_for(r"(?m)^15 +#15 ")
    assert "派单 15 · 县住房" not in screen         # no dialog yet: End only selects
    console.send("C-o")
    console.wait_for(r"派单 15 · 县住房")
    console.send("Enter")
    console.wait_rows("SELECT status FROM orders WHERE no = 15", lambda rows: rows[0][0] == "on_scene")
    assert [n for (n,) in console.rows("SELECT no FROM orders WHERE status = 'on_scene'")] == [15]


def test_order_keys_from_the_command_bar_never_act(started: list[Console], tmp_path: Path) -> None:
    """Item 2: after F4, ctrl+r (return) does not return the fire brigade's overdue order 1
    (it brings focus home instead) and Esc returns to the board; then ``Down ctrl+r Tab reason
    Enter`` returns order 2 with the reason in the reason field (not in the time field)."""
    console = start(started, tmp_path, SMALL)
    console.send("F4", "C-r", Lit("x"))
    console.wait_for("派单操作请在看板上选中派单后再按")
    console.send("Escape", "Down", "C-r", "Tab", Lit("不属本单位职责"), "Enter")
    console.wait_rows("SELECT no FROM orders WHERE status = 'returned'", bool)
    returns = console.rows("SELECT o.no, r.reason FROM order_returns r JOIN orders o ON o.id = r.order_id")
    assert returns == [(2, "不属本单位职责")]
    assert _status(console, 1) == "issued"              # the overdue fire order keeps its deadline


def test_sign_in_burst_puts_login_and_pin_in_their_fields(started: list[Console], tmp_path: Path) -> None:
    """Item 3: ``bob Tab 0815 Enter`` in one burst at the sign-in screen signs bob in."""
    def seed(services: Any) -> None:
        seed_board(services, orders=2, waiting=False)
        services.enrol_operator("bob", "张三", "0815")

    console = start(started, tmp_path, SMALL, seed=seed, ready="值班员签到", board=False)
    console.send(Lit("bob"), "Tab", Lit("0815"), "Enter")
    rows = console.wait_rows("SELECT payload FROM events WHERE kind = 'operator.signed_in'", bool)
    assert '"bob"' in rows[-1][0]


@pytest.mark.parametrize("bracketed", [True, False])
def test_a_paste_with_escape_sequences_is_text_not_keys(started: list[Console], tmp_path: Path,
                                                        bracketed: bool) -> None:
    """Item 4: pasting ``楼里停电\\e[0m了\\x14`` into the account (bracketed: tmux paste-buffer -p;
    unbracketed: the same bytes as plain input) stores 楼里停电了: no ctrl+t transfer to 110, no
    escape, nothing typed as keys."""
    console = start(started, tmp_path, SMALL)
    console.send("F2", Lit("13800000004"), "Tab", "Tab", "Tab")
    console.tmux.wait_for_caret("内容")
    payload = "楼里停电\x1b[0m了\x14"
    if bracketed:
        console.paste(payload)
    else:
        console.tmux.text(payload)
    console.wait_for(r"内容\s+楼里停电了")
    console.send("C-y", "C-s")
    rows = console.wait_rows("SELECT text, disposition, status FROM incidents WHERE phone = '13800000004'", bool)
    assert rows[0][0] == "楼里停电了"
    assert console.rows("SELECT count(*) FROM events WHERE kind = 'incident.transferred'") == [(0,)]


def test_f8_in_the_waiting_list_dispatches_the_highlighted_incident(started: list[Console], tmp_path: Path) -> None:
    """Item 9: ``Tab F8 Enter``: focus goes to the waiting list (marked, not only coloured), F8
    opens the picker for the waiting bus complaint #16, Enter orders its recommended unit; the
    selected order's incident (#1) gets nothing new."""
    console = start(started, tmp_path, SMALL)
    console.send("Tab")
    console.wait_for("▶ 待派")
    console.send("F8", "Enter")
    rows = console.wait_rows("SELECT i.no FROM orders o JOIN incidents i ON i.id = o.incident_id"
                             " WHERE i.no = 16", bool)
    assert rows
    assert console.rows("SELECT count(*) FROM orders o JOIN incidents i ON i.id = o.incident_id"
                        " WHERE i.no = 1") == [(1,)]


def test_toasts_are_short_and_one_key_clears_them(started: list[Console], tmp_path: Path) -> None:
    """Item 7: the overdue alarm toast appears over the board at start; ctrl+z clears it at
    once (the red banner above the board stays until F9)."""
    console = start(started, tmp_path, SMALL)
    console.wait_for("条派单超时")                 # the toast (the banner reads 【超时未处理 7 条】)
    console.send("C-z")
    screen = console.settle()
    assert "条派单超时" not in screen, screen
    assert "超时未处理" in screen


@pytest.mark.parametrize(("size", "lang"), [(SMALL, "zh"), (LARGE, "zh"), (SMALL, "en")])
def test_status_line_keeps_seat_operator_and_sync(started: list[Console], tmp_path: Path,
                                                  size: tuple[int, int], lang: str) -> None:
    """Item 12: at 80 columns the status line still ends with the seat, the operator and the
    sync state (the center name and the date go first)."""
    console = start(started, tmp_path, size, lang=lang)
    first = console.settle().splitlines()[0]
    words = ("席位 seat-01", "接警员", "同步") if lang == "zh" else ("seat seat-01", "operator", "sync")
    assert all(w in first for w in words), first


def test_120_columns_widen_the_board_and_small_terminals_say_so(started: list[Console],
                                                                 tmp_path: Path) -> None:
    """Item 12: at 120×40 the unit column shows whole names (County Fire Brigade, cut to
    "County Fire Brig" at the 80-column width); shrunk to 70×20 the console says the terminal is too small; back at
    120×40 the board returns."""
    console = start(started, tmp_path, LARGE, lang="en")
    screen = console.settle()
    assert "County Fire Brigade" in screen, screen
    console.tmux("resize-window", "-t", "e2e", "-x", "70", "-y", "20")
    console.wait_for("terminal too small")
    console.tmux("resize-window", "-t", "e2e", "-x", "120", "-y", "40")
    console.wait_for("countdown")
