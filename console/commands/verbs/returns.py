"""Verbs for who answers for a job: the review of a unit's return (退单审核) and a Tier 1 unit's
own report of a call it took (双轨上报). Handover and reassign live with the other order verbs."""

from __future__ import annotations

from console.commands import shapes
from console.commands.grammar import Invocation, Outcome, command


@command("order review", aliases=("review", "sh"), args=("order", "decision"),
         options=("note", "at"),
         zh="退单审核：accept 同意（再改派或取消）/ reject 驳回（须 --note，派单退回单位原状态）",
         en="review a return: accept (then reassign or cancel) / reject (needs --note; the order"
            " goes back to the unit where it stood)")
def _order_review(inv: Invocation) -> Outcome:
    s = inv.services
    order = s.review_return(inv.need("order"), inv.need("decision"), inv.get("note") or "",
                            inv.get("at"))
    order, clock = s.order(order.id)
    t = inv.text
    returns = s.returns(order.id)
    verdict = returns[-1].decision if returns else ""
    head = (t.pick("已同意退单", "return accepted") if verdict == "accept"
            else t.pick("已驳回退单，派单退回单位", "return rejected; the order is back with the unit"))
    return inv.outcome({"order": shapes.order_json(order, clock),
                        "returns": [shapes.return_json(r) for r in returns]},
                       [head, t.order_line(order, clock)])


@command("unit report", aliases=("sb",), args=("unit",),
         options=("phone", "text", "address", "area", "category", "status", "name", "at"),
         zh="双轨上报：一级联动单位自行接警后报中心（建警情和该单位派单，--status 默认 on_scene）",
         en="dual-track report: a Tier 1 unit reports a call it took itself (creates the incident"
            " and that unit's order; --status default on_scene)")
def _unit_report(inv: Invocation) -> Outcome:
    s = inv.services
    result = s.report(inv.need("unit"), phone=inv.need("phone"), text=inv.need("text"),
                      address=inv.get("address") or "", area=inv.get("area"),
                      category=inv.get("category"), status=inv.get("status"),
                      caller_name=inv.get("name") or "", at=inv.get("at"))
    t = inv.text
    clock = s.clock_of(result.order)
    lines = [t.pick("已保存 ", "saved ") + t.incident_line(result.incident),
             t.order_line(result.order, clock)]
    if result.duplicates:
        lines.append(t.pick("可能重复（incident merge 合并）：", "possible duplicates (incident merge):"))
        lines += ["  " + t.incident_line(d) for d in result.duplicates]
    return inv.outcome({"incident": shapes.incident_json(result.incident),
                        "order": shapes.order_json(result.order, clock),
                        "duplicates": [shapes.incident_json(d) for d in result.duplicates]},
                       lines)
