"""What the dispatcher sees, pinned as SVG snapshots (pytest-textual-snapshot 1.1.0, syrupy 4.8.0).

Deterministic by construction: a ``FakeClock`` at 2026-11-28T06:00:00Z (14:00 in the center),
``tick_seconds=0`` (no board tick, no call-feed polling), data written through ``Services`` into a
fresh database per test, a fixed terminal size, ``animation_level = "none"`` on the app (what
``TEXTUAL_ANIMATIONS=none`` sets; the variable itself is read once, when Textual is imported),
and no blinking caret (the console's inputs are ``ImeInput``s, which never blink). ``snap_compare`` runs the app with
``asyncio.run``, so these tests are plain ``def``.

Regenerate after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``,
then look at every changed SVG (``snapshot_report.html`` lists the failures side by side). The
help screen lists every binding of every screen, so a new binding anywhere changes its picture.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.widgets.board_view import BoardView

START = "2026-11-28T06:00:00Z"
SnapCompare = Callable[..., bool]


@pytest.fixture
def board_services(tmp_path: Path) -> Iterator[Services]:
    """Three calls: a power cut whose order is overdue for acknowledgement, a water cut whose
    order was acknowledged and is due on scene, and a noise complaint still waiting for a unit."""
    clock = FakeClock(START)
    services = open_services(tmp_path / "snap.db", clock=clock)
    power = services.new_call(phone="13800000001", text="小区停电两个小时了", address="人民路12号",
                              area="urban", category="power_supply")
    services.issue_order(power.incident.no, "power")
    clock.advance(minutes=2)
    water = services.new_call(phone="13900000002", text="家里停水了，一直没来水", address="建设路8号",
                              area="urban", category="water_supply")
    order = services.issue_order(water.incident.no, "water_co")
    clock.advance(minutes=1)
    services.step(order.no, "ack")
    clock.advance(minutes=1)
    services.new_call(phone="13700000003", text="楼下噪音太大睡不着", address="幸福里3号", area="urban",
                      category="noise")
    clock.advance(minutes=2, seconds=30)   # 06:06:30: the power order's 5-minute ack is 1:30 overdue
    yield services
    services.close()


def console(services: Services, lang: str) -> LinkageApp:
    app = LinkageApp(services, lang, tick_seconds=0)
    app.animation_level = "none"
    # A picture of the screen, not of a toast's age: on a loaded machine the picture can be taken
    # more than the 6 s a toast lives after the board raised it (seen: F1 help without its toast).
    app.toast_seconds = 3600
    return app


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    waited = 0.0
    while not predicate():
        if waited >= timeout:
            raise AssertionError("the screen did not reach the expected state in time")
        await pilot.pause(0.05)
        waited += 0.05


async def board_ready(pilot: Pilot[Any]) -> None:
    """The board is up, has its rows and its focus (focus comes from call_after_refresh)."""
    app = pilot.app
    await wait_until(pilot, lambda: bool(app.screen.query(BoardView))
                     and app.screen.query_one(BoardView).has_focus
                     and bool(app.screen.query_one(BoardView).rows))


def _run(*steps: Callable[[Pilot[Any]], Awaitable[None]]) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        for step in steps:
            await step(pilot)
        await pilot.pause()

    return run_before


def test_board_80x24_zh(snap_compare: SnapCompare, board_services: Services) -> None:
    """Board, Chinese, 80×24. Must show: the red status line 超时 1 · 未结派单 2 · 待派 1 · 席位
    seat-01 · 接警员 duty · 同步：未配置 (fitted to 80 columns: the date and the center's name
    are dropped, never the seat, operator or sync state); the red banner 【超时未处理 1 条】1
    县供电局 签收 with F9; the order table
    with order 1 县供电局 已下达 first, its countdown 超时 签收超时 1:30 in red, and order 2
    县自来水公司 已签收 到场剩余 25:30 below it, the first row highlighted; the waiting noise
    incident #3 (幸福里3号); the one-line command bar; the overdue toast at the lower right,
    above the command bar; the Footer with the step keys (^s 签收 … f4 命令栏 …)."""
    assert snap_compare(console(board_services, "zh"), terminal_size=(80, 24), run_before=_run(board_ready))


def test_board_120x40_zh(snap_compare: SnapCompare, board_services: Services) -> None:
    """Board, Chinese, 120×40. Must show the same rows as at 80×24, now with a longer status
    line (… 备案待补 31 · 2026-11-28 14:06:30 · 席位 seat-01 …), wider category, unit and status
    columns, the table area taking the extra height with the waiting
    incident list below it, the command bar with its full placeholder, the toast on one line, and
    the Footer reaching f3 单位; every column aligned around the CJK cells."""
    assert snap_compare(console(board_services, "zh"), terminal_size=(120, 40), run_before=_run(board_ready))


def test_board_80x24_en(snap_compare: SnapCompare, board_services: Services) -> None:
    """Board, English, 80×24. Must show English everywhere but the caller's own words and
    address: the status line fitted to 80 columns (overdue 1 · waiting 1 · seat seat-01 ·
    operator duty · sync: off), the [1 OVERDUE] banner, headers order/incide…/
    category/unit/status/countdown, County Power Sup… issued LATE ack OVERDUE by 1:30 and
    County Water Sup… acknowle… arrive in 25:30 (English names are cut to the fixed column
    widths), the waiting incident as Noise nuisance · urban core · 幸福里3号, and English Footer
    labels."""
    assert snap_compare(console(board_services, "en"), terminal_size=(80, 24), run_before=_run(board_ready))


def test_help_f1_120x40_zh(snap_compare: SnapCompare, board_services: Services) -> None:
    """F1 over the board, Chinese, 120×40. Must show the help dialog over the board: its title
    按键与命令（F1 / F12 打开，Esc 关闭）, then 按键 and one line per binding of every screen (keys as
    mapped now, Chinese description, binding id), starting f1,f12 帮助 app.help, f2 接警, f3 单位,
    f4 命令栏 …, with a scrollbar because the list is longer than the dialog; the board's overdue
    toast stays on top at the right. (The id column is not aligned where a description has
    three or more CJK characters: the dialog pads by characters, not terminal cells.)"""

    async def press_f1(pilot: Pilot[Any]) -> None:
        await pilot.press("f1")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")

    assert snap_compare(console(board_services, "zh"), terminal_size=(120, 40),
                        run_before=_run(board_ready, press_f1))


def test_intake_f2_80x24_zh(snap_compare: SnapCompare, board_services: Services) -> None:
    """F2 (接警), Chinese, 80×24, after the dispatcher typed a number and an account. Must show
    the form titled 接警 · 新来电 with 13800000001 and 小区停电两个小时了 in their fields, the area
    城区（ctrl+g）, the verdict 研判：供电故障 · 联动 · 主办 县供电局, the suggestion list with
    1 供电故障 … 停电 … 县供电局 first, 疑似重复 1 with incident #1 marked [同号码] (the open power
    cut from this number) and 来电记录 1 with that earlier call, no toast over the form (the
    board's overdue toast is hidden while a form is typed), and the intake Footer (^y 采纳  f7
    派单  ^s 保存 …)."""
    intake = pytest.importorskip("screens.intake")

    async def take_call(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, intake.IntakeScreen) and app.screen.is_mounted)
        screen = app.screen
        assert isinstance(screen, intake.IntakeScreen)
        await wait_until(pilot, lambda: screen.inputs["phone"].has_focus)
        await pilot.press(*"13800000001", "enter", "enter", "enter")
        await wait_until(pilot, lambda: screen.inputs["text"].has_focus)
        await pilot.press(*"小区停电两个小时了")
        await wait_until(pilot, lambda: screen.result is not None and bool(screen.history.calls))

    assert snap_compare(console(board_services, "zh"), terminal_size=(80, 24),
                        run_before=_run(board_ready, take_call))


def test_snapshot_data_is_what_the_docstrings_say(board_services: Services) -> None:
    """The pictures above are only meaningful if the data is: one overdue order, one due, one waiting."""
    board = board_services.board()
    assert (board.rows[0].order.unit, board.rows[0].clock.state) == ("power", "overdue")
    assert {r.order.unit for r in board.rows} == {"power", "water_co"}
    assert board.overdue == 1
    assert [i.category for i in board.waiting] == ["noise"]

    async def scenario() -> None:
        app = console(board_services, "zh")
        async with app.run_test(size=(80, 24)) as pilot:
            await board_ready(pilot)
            line = "".join(seg.text for seg in app.screen.query_one(BoardView).render_line(1))
            assert "县供电局" in line and "超时" in line

    asyncio.run(scenario())


# -- issue 12: the board full of orders, toasts, widths, a terminal too small ------------------
@pytest.fixture
def full_board(tmp_path: Path) -> Iterator[Services]:
    """15 open orders (1–7 overdue for acknowledgement, 8–15 acknowledged; tests/burst.py) and a
    bus complaint waiting for a unit (#16), the clock at 14:20."""
    from burst import NOW, seed_board

    services = open_services(tmp_path / "full.db", clock=FakeClock(NOW))
    seed_board(services)
    yield services
    services.close()


def test_full_board_80x24_zh(snap_compare: SnapCompare, full_board: Services) -> None:
    """Board with 15 orders, Chinese, 80×24. Must show: the red status line 超时 7 · 未结派单 15 ·
    待派 1 · then 席位 seat-01 · 接警员 duty · 同步：未配置 (the date and the center's name are
    dropped to fit, never the seat, operator or sync); the banner 【超时未处理 7 条】; the header
    row, then order 1 县公安消防大队 highlighted (reverse video) with 签收超时 17:00 in red and the
    following rows down to the bottom of the table, each drawn whole, no horizontal scrollbar
    line; the waiting incident #16 (车站路1号); the one-line command bar; the overdue toast
    (7 条派单超时…), narrow, at the lower right above the command bar (never over it); the
    Footer."""
    assert snap_compare(console(full_board, "zh"), terminal_size=(80, 24), run_before=_run(board_ready))


def test_full_board_80x24_en(snap_compare: SnapCompare, full_board: Services) -> None:
    """The same board in English at 80×24. Must show: overdue 7 · open orders 15 · waiting 1 ·
    seat seat-01 · operator duty · sync: off on the status line; County Fire Brigade cut to
    "County Fire Brig" (the 80-column unit width) with ack OVERDUE by 17:00; the toast (7 orders
    overdue, …) at the lower right; English Footer labels."""
    assert snap_compare(console(full_board, "en"), terminal_size=(80, 24), run_before=_run(board_ready))


def test_full_board_120x40_zh(snap_compare: SnapCompare, full_board: Services) -> None:
    """The same board in Chinese at 120×40. Must show: the status line with the roster count
    (备案待补 31) and the date-time 2026-11-28 14:20:00 as well (only the center's name left out);
    all 15 orders drawn with wider
    category, unit and status columns (县住房城乡建设局 whole); the waiting list; the toast."""
    assert snap_compare(console(full_board, "zh"), terminal_size=(120, 40), run_before=_run(board_ready))


def test_full_board_120x40_en(snap_compare: SnapCompare, full_board: Services) -> None:
    """The same board in English at 120×40. Must show: unit names whole where they fit the
    wider column (County Fire Brigade, County Power Supply Bureau), the categories in words
    (Gas leak, Power supply fault), all 15 orders, the waiting bus complaint, the toast."""
    assert snap_compare(console(full_board, "en"), terminal_size=(120, 40), run_before=_run(board_ready))


def test_too_small_70x20_zh(snap_compare: SnapCompare, full_board: Services) -> None:
    """A 70×20 terminal. Must show only, centred: 终端太小，至少需要 80×24 and below it terminal
    too small (need 80×24); no board cut to nothing."""

    async def too_small(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "TooSmallScreen")

    assert snap_compare(console(full_board, "zh"), terminal_size=(70, 20), run_before=_run(too_small))
