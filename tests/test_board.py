"""The order board: open orders most urgent first, and incidents waiting for a dispatcher."""

from __future__ import annotations

from datetime import timedelta

from conftest import TakeCall

from console.kernel.clock import FakeClock, parse_instant
from console.kernel.model import OrderStatus
from console.orders.board import Board
from console.seat.services import Services

T0 = parse_instant("2026-11-28T06:00:00Z")


def board_units(board: Board) -> list[str]:
    return [r.order.unit for r in board.rows]


def test_empty_board(services: Services) -> None:
    board = services.board()
    assert board.rows == [] and board.waiting == [] and board.overdue == 0
    assert board.at == T0


def test_new_incident_waits_until_ordered(services: Services, call: TakeCall) -> None:
    call()
    assert [i.no for i in services.board().waiting] == [1]
    services.issue_order(1, "power")
    board = services.board()
    assert board.waiting == []
    assert board_units(board) == ["power"]
    row = board.rows[0]
    assert row.category == "power_supply" and row.address == "人民路12号"


def test_overdue_first_then_by_time_left(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call(address="A路1号")
    services.issue_order(1, "power")          # ack due 14:05
    clock.advance(minutes=1)
    services.issue_order(1, "psb")            # ack due 14:04
    clock.advance(minutes=1)
    call(phone="13900000002", address="B路2号", area="rural")
    services.issue_order(2, "water_co")       # ack due 14:07
    services.issue_order(2, "gas")            # ack due 14:07
    services.step(4, "ack")                   # rural: depart due 14:07 (immediate)
    clock.set("2026-11-28T06:04:30Z")         # 14:04:30
    board = services.board()
    assert [(r.order.no, r.clock.state) for r in board.rows] == [
        (2, "overdue"), (1, "due_soon"), (3, "due_soon"), (4, "due_soon")]
    assert board.overdue == 1
    clock.set("2026-11-28T06:06:00Z")
    board = services.board()
    assert [(r.order.no, r.clock.state) for r in board.rows] == [
        (2, "overdue"), (1, "overdue"), (3, "due_soon"), (4, "due_soon")]
    # the most overdue first
    most, next_most = board.rows[0].clock.remaining_s, board.rows[1].clock.remaining_s
    assert most is not None and next_most is not None and most < next_most < 0
    assert board.overdue == 2


def test_normal_before_none_and_ties_by_order_number(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call()
    services.issue_order(1, "power")
    services.issue_order(1, "water_co")
    services.issue_order(1, "gas")
    services.step(3, "arrive")
    services.step(3, "feedback")               # nothing left to race: state none
    services.step(2, "ack")                    # racing arrive (14:30): normal
    board = services.board()
    assert [(r.order.no, r.clock.state) for r in board.rows] == [
        (1, "due_soon"), (2, "normal"), (3, "none")]


def test_board_at_any_instant(services: Services, call: TakeCall) -> None:
    call()
    services.issue_order(1, "psb")
    later = services.board(T0 + timedelta(minutes=20))
    assert later.at == T0 + timedelta(minutes=20)
    assert later.rows[0].clock.state == "overdue"
    assert later.rows[0].clock.missed == ("ack", "arrive")
    assert services.board().rows[0].clock.state == "due_soon"


def test_closed_orders_leave_the_board(services: Services, call: TakeCall) -> None:
    call()
    call(phone="13900000002", address="解放路1号")
    services.issue_order(1, "power")
    services.issue_order(2, "fire")
    services.issue_order(2, "water_co")
    services.step(1, "ack")
    services.step(1, "complete")               # closes incident 1
    services.step(2, "cancel")
    board = services.board()
    assert [r.order.no for r in board.rows] == [3]
    assert board.waiting == []


def test_waiting_list(services: Services, call: TakeCall) -> None:
    call(address="甲")                          # 1: never ordered → waiting
    call(phone="13900000002", address="乙")     # 2: order cancelled → waiting again
    call(phone="13700000003", address="丙")     # 3: order returned → on the board, not waiting
    call(phone="13600000004", address="丁", category="public_order", text="有人打架")  # 4: 110
    call(phone="13500000005", address="戊")     # 5: merged into 1
    call(phone="13400000006", address="己")     # 6: completed → closed
    services.issue_order(2, "power")
    services.step(1, "cancel")
    services.issue_order(3, "power")
    services.step(2, "return", reason="不归我管")
    services.transfer(4, "110")
    services.merge(5, 1)
    services.issue_order(6, "power")
    services.step(3, "ack")
    services.step(3, "complete")
    board = services.board()
    assert [i.no for i in board.waiting] == [1, 2]
    assert [(r.order.no, r.order.status) for r in board.rows] == [(2, OrderStatus.RETURNED)]


def test_a_changed_order_is_never_served_from_the_previous_board(services: Services, call: TakeCall) -> None:
    """The board reuses unchanged orders between computations; a step must show at once."""
    first = call(text="停电了", category="power_supply", dispatch=["power", "housing"])
    before = services.board()
    kept = {r.order.id: r.order for r in before.rows}
    services.step(first.orders[0].no, "ack")
    after = {r.order.id: r.order for r in services.board().rows}
    assert after[first.orders[0].id].status == OrderStatus.ACKNOWLEDGED
    assert after[first.orders[0].id] is not kept[first.orders[0].id]
    assert after[first.orders[1].id] is kept[first.orders[1].id]       # untouched: the same object
