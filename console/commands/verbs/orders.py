"""Verbs for orders (派单): issue, step through the lifecycle, hand over, reassign, show, and the
board (see ``console/orders/dispatch.py``). The review of a return is in ``returns.py``."""

from __future__ import annotations

from console.commands import shapes
from console.commands.grammar import Invocation, Outcome, command
from console.commands.verbs.incidents import chain_lines, return_line, with_off_duty
from console.kernel.clock import iso
from console.kernel.errors import BadInput
from console.kernel.inputs import looks_like_time
from console.orders import accountability


def _order_outcome(inv: Invocation, order_ref: object) -> Outcome:
    order, clock = inv.services.order(str(order_ref))
    return inv.outcome({"order": shapes.order_json(order, clock)},
                       [inv.text.pick("已保存", "saved") + inv.text.order_line(order, clock)])


@command("order new", aliases=("dp", "dispatch"), args=("incident", "unit"),
         options=("at", "note"),
         zh="派单：命令联动单位处置（单位可用代码、名称、拼音或首字母）",
         en="issue an order to a unit (code, name, pinyin or initials)")
def _order_new(inv: Invocation) -> Outcome:
    order = inv.services.issue_order(inv.need("incident"), inv.need("unit"), inv.get("at"),
                                     inv.get("note") or "")
    out = _order_outcome(inv, order.no)
    return with_off_duty(inv, out, [order.unit])




def _orders_and_time(inv: Invocation) -> tuple[list[str], str | None]:
    """``ack 5 6 7 14:05``: the orders named, then at most one reported time (a clock time or
    ``-5m``; ``--at`` works too)."""
    refs = [inv.need("order")]
    rest = (inv.get("_rest") or "").split()
    at = inv.get("at") if inv.get("_at_option") or not rest else None
    for word in rest:
        if looks_like_time(word):
            if at is not None:
                raise BadInput("command.twice", zh="{a} 给了两次", en="{a} given twice", a="AT")
            at = word
        else:
            refs.append(word)
    return refs, at


def _step_command(verb: str, aliases: tuple[str, ...], zh: str, en: str) -> None:
    def handler(inv: Invocation) -> Outcome:
        refs, at = _orders_and_time(inv)
        orders = inv.services.step_many(refs, verb, at, inv.get("note") or "",
                                        inv.get("reason") or "")
        if len(orders) == 1:
            return _order_outcome(inv, orders[0].no)
        s, t = inv.services, inv.text
        pairs = [s.order(str(o.no)) for o in orders]
        return inv.outcome({"orders": [shapes.order_json(o, c) for o, c in pairs]},
                           [t.pick("已保存", "saved") + t.order_line(o, c) for o, c in pairs])

    command(f"order {verb}", aliases=aliases, args=("order", "at*"),
            options=("at", "note", "reason"), zh=f"{zh}（可一次写多个派单号）",
            en=f"{en} (several orders at once: ack 5 6 7)")(handler)


_step_command("deliver", ("dl",), "送达：派单已送达单位", "delivered: the order reached the unit")
_step_command("ack", ("ack", "qs"), "签收：单位已签收", "acknowledged by the unit")
_step_command("depart", ("go", "cd"), "出动：单位已出发", "en route: the unit set out")
_step_command("arrive", ("ar", "dc"), "到场：单位已到达现场", "on scene: the unit arrived")
_step_command("feedback", ("fb",), "反馈：单位反馈处置情况", "feedback from the unit")
_step_command("complete", ("done", "bj"), "办结：派单处置完毕", "completed: the order is closed")
_step_command("return", ("ret", "td"), "退单：单位退回派单（须 --reason）",
              "returned by the unit (needs --reason)")
_step_command("cancel", ("cx",), "取消派单", "cancel the order")


@command("order handover", aliases=("ho", "yj"), args=("order", "unit"), options=("at", "note"),
         zh="移交：首接单位先期处置后移交给责任单位（须 --note 先期处置情况；接收单位签收前仍由首接单位负责）",
         en="hand over: first-contact unit passes the job to the responsible unit (--note the"
            " initial handling, required; the first unit answers for it until the receiver acks)")
def _order_handover(inv: Invocation) -> Outcome:
    order = inv.services.handover(inv.need("order"), inv.need("unit"), inv.get("at"),
                                  inv.get("note") or "")
    return _order_outcome(inv, order.no)


@command("order reassign", aliases=("ra", "gp"), args=("order", "unit"), options=("at", "note"),
         zh="改派：把派单改派给另一单位", en="reassign the order to another unit")
def _order_reassign(inv: Invocation) -> Outcome:
    order = inv.services.reassign(inv.need("order"), inv.need("unit"), inv.get("at"),
                                  inv.get("note") or "")
    return _order_outcome(inv, order.no)


@command("order show", aliases=("os",), args=("order",),
         zh="派单详情与倒计时", en="order detail and countdown")
def _order_show(inv: Invocation) -> Outcome:
    s = inv.services
    order, clock = s.order(inv.need("order"))
    t = inv.text
    urges = s.urges(order.id)
    sup = s.supervision(order.id)
    now = s.ctx.clock.now()
    returns = s.returns(order.id)
    lines = [t.order_line(order, clock), *chain_lines(inv, order)]
    for r in returns:
        lines.append(return_line(inv, r))
    if sup is not None:
        lines.append("  " + accountability.supervise_text(t, sup, now) + f" · {sup.reason}")
    for u in urges:
        how = accountability.pick(accountability.URGE_METHODS.get(u.how, (u.how, u.how)), inv.lang)
        lines.append(t.pick(f"  催办 {t.time(u.at, True)} {how} {u.to} [{u.operator}]",
                            f"  urged {t.time(u.at, True)} by {how} via {u.to} [{u.operator}]"))
    return inv.outcome({"order": shapes.order_json(order, clock),
                        "returns": [shapes.return_json(r) for r in returns],
                        "urges": [u.to_json() for u in urges],
                        "supervise": sup.to_json(now) if sup else None}, lines)






@command("board", aliases=("b",), zh="看板：未结派单及倒计时、待派警情",
         en="board: open orders with countdowns, incidents waiting")
def _board(inv: Invocation) -> Outcome:
    s = inv.services
    board = s.board()
    ids = [r.order.id for r in board.rows]
    sups = s.supervisions(ids)
    urged = s.urge_counts(ids)
    marks = {oid: accountability.supervise_text(inv.text, sup, board.at) for oid, sup in sups.items()}
    return inv.outcome(
        {"at": iso(board.at), "overdue": board.overdue, "drill": board.drills(),
         "supervise_overdue": sum(1 for r in board.rows if not r.order.drill and r.order.id in sups
                                  and sups[r.order.id].overdue(board.at)),
         "reports_overdue": s.reports_overdue(board.at),
         "orders": [{**shapes.order_json(r.order, r.clock), "category": r.category,
                     "transfers": list(r.transfers),
                     "address": r.address,
                     "supervise": sups[r.order.id].to_json(board.at) if r.order.id in sups else None,
                     "urges": urged.get(r.order.id, (0, None))[0]} for r in board.rows],
         "waiting": [shapes.incident_json(i) for i in board.waiting]},
        inv.text.board_lines(board, marks),
    )
