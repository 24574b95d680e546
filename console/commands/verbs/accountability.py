"""Verbs for urge (催办), supervise (督办) and callback (回访) (see ``console/orders/accountability.py``)."""

from __future__ import annotations

from console.commands import shapes
from console.commands.grammar import Invocation, Outcome, command
from console.orders.accountability import CALLBACK_RESULTS, URGE_METHODS, pick, supervise_text


@command("order urge", aliases=("urge", "cb"), args=("order",), options=("to", "how", "note", "at"),
         zh="催办：记录向单位催办（--to 对方联系人或电话，--how phone|sms|radio|in_person，默认电话）",
         en="urge: record chasing the unit about an open order (--to person or number,"
            " --how phone|sms|radio|in_person, default phone)")
def _order_urge(inv: Invocation) -> Outcome:
    s = inv.services
    u = s.urge(inv.need("order"), inv.get("to") or "", inv.get("how") or "phone",
               inv.get("note") or "", inv.get("at"))
    order, clock = s.order(u.order_id)
    t = inv.text
    how = pick(URGE_METHODS[u.how], inv.lang)
    count = len(s.urges(order.id))
    line = t.pick(f"已催办 派单 {order.no} → {t.unit(order.unit)}：{how} {u.to}（第 {count} 次）",
                  f"urged order {order.no} → {t.unit(order.unit)}: {how} via {u.to} (urge {count})")
    return inv.outcome({"urge": u.to_json(), "urges": count,
                        "order": shapes.order_json(order, clock)},
                       [line, t.order_line(order, clock)])


@command("order supervise", aliases=("supervise", "db"), args=("order",),
         options=("level", "reason", "minutes", "at"),
         zh="督办：升级督办派单（--level 1 中心主任 / 2 县应急办 / 3 县政府，--reason 原因，"
            "--minutes 督办时限，默认见配置）",
         en="supervise: escalate an open order (--level 1 center director / 2 county emergency"
            " office / 3 county government, --reason, --minutes its own deadline)")
def _order_supervise(inv: Invocation) -> Outcome:
    s = inv.services
    sup = s.supervise(inv.need("order"), inv.need("level"), inv.get("reason") or "",
                      inv.get("minutes"), inv.get("at"))
    order, clock = s.order(sup.order_id)
    t = inv.text
    now = s.ctx.clock.now()
    line = t.pick(f"已督办 派单 {order.no} → {t.unit(order.unit)}：{supervise_text(t, sup, now)}"
                  f"（时限 {t.time(sup.due, True)}）",
                  f"supervised order {order.no} → {t.unit(order.unit)}: {supervise_text(t, sup, now)}"
                  f" (due {t.time(sup.due, True)})")
    return inv.outcome({"supervise": sup.to_json(now), "order": shapes.order_json(order, clock)},
                       [line, t.order_line(order, clock)])


@command("incident callback", aliases=("callback", "hf"), args=("incident", "result"),
         options=("note", "at"), flags=("reopen",),
         zh="回访：办结后记录回访结果 satisfied 满意 / basic 基本满意 / dissatisfied 不满意"
            "（不满意可 --reopen 重新打开警情）",
         en="callback after closure: satisfied / basic (basically satisfied) / dissatisfied"
            " (dissatisfied --reopen reopens the incident)")
def _incident_callback(inv: Invocation) -> Outcome:
    s = inv.services
    cb = s.callback(inv.need("incident"), inv.need("result"), inv.get("note") or "",
                    bool(inv.get("reopen")), inv.get("at"))
    detail = s.incident(cb.incident_id)
    t = inv.text
    result = pick(CALLBACK_RESULTS[cb.result], inv.lang)
    lines = [t.pick(f"已回访 #{detail.incident.no}：{result}", f"callback #{detail.incident.no}: {result}")]
    if cb.reopen:
        lines.append(t.pick("警情已重新打开 ", "incident reopened ") + t.incident_line(detail.incident))
    return inv.outcome({"callback": cb.to_json(),
                        "incident": shapes.incident_json(detail.incident)}, lines)
