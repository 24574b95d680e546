"""Verbs for calls and incidents (接警 / 警情): triage, a new call, a caller's history, and an
incident's record, merge, transfers, notes and category (see ``console/calls/intake.py``)."""

from __future__ import annotations

from console.commands import shapes
from console.commands.grammar import Invocation, Outcome, command
from console.kernel.clean import one_line
from console.kernel.model import Order, ReturnRecord, services_label
from console.orders import accountability
from console.timeline import timeline


@command("triage", aliases=("tr",), args=("text*",),
         zh="研判：给出类别建议、是否警务、转出目标和推荐单位",
         en="triage: category suggestions, police verdict, transfer target, units")
def _triage(inv: Invocation) -> Outcome:
    result = inv.services.triage(inv.get("text") or "")
    t = inv.text
    lines = []
    for n, s in enumerate(result.suggestions, start=1):
        units = "、".join(t.unit(u.code) for u in s.units[:4])
        words = ",".join(s.matched) or (t.pick(f"像：{s.closest}", f"like: {s.closest}") if s.closest else "")
        target = f" → {s.transfer_to}" if s.transfer_to else ""
        lines.append(f"{n}. {t.category(s.category.code)} ({s.category.code}) {s.verdict}{target}"
                     f" · {t.pick('匹配', 'matched')}: {words} · {units}")
    if not lines:
        lines.append(t.pick("无法判断类别，请人工选择", "no category matched; choose one by hand"))
    if result.abstain:
        lines.insert(0, t.pick("研判：请人工判断（把握不足）", "triage: needs the call-taker's judgement (not sure)"))
    plan = result.plan()
    if plan.several:   # the call needs several services at once (110 + 120, 120 + gas company)
        what = " + ".join([services_label(plan.services, t.lang), *(t.unit(u) for u in plan.units)])
        lines.insert(0, t.pick(f"应同时：{what}", f"all at once: {what}"))
    return inv.outcome(shapes.triage_json(result), lines)


@command("call new", aliases=("new",),
         options=("phone", "text", "address", "area", "category", "name", "at", "merge-into",
                  "transfer", "dispatch"), flags=("drill",),
         zh="接警：登记一个来电（显示来电历史和可能的重复警情；--dispatch 单位[,单位] 同时派单；"
            "--transfer 110,120 同时转多个部门；"
            "--drill 记为演练）",
         en="take a call: record it (shows caller history and possible duplicates;"
            " --dispatch UNIT[,UNIT] orders units in the same transaction; --transfer 110,120 several"
            " services; --drill: a drill)")
def _call_new(inv: Invocation) -> Outcome:
    s = inv.services
    result = s.new_call(
        phone=inv.need("phone"), text=inv.need("text"), address=inv.get("address") or "",
        area=inv.get("area"), category=inv.get("category"), caller_name=inv.get("name") or "",
        at=inv.get("at"), merge_into=inv.get("merge_into"), transfer=inv.get("transfer"),
        dispatch=[u for u in (inv.get("dispatch") or "").replace("，", ",").split(",") if u.strip()],
        drill=bool(inv.get("drill")),
    )
    incident = result.incident
    t = inv.text
    lines = [t.pick("已保存 ", "saved ") + t.incident_line(incident)]
    if result.merged:
        lines.append(t.pick(f"来电已并入警情 #{incident.no}", f"call added to incident #{incident.no}"))
    others = [r for r in result.repeats if r.incident.id != incident.id]
    if others:
        lines.append(t.pick("可能重复（incident merge 合并）：", "possible duplicates (incident merge):"))
        lines += [f"  {t.incident_line(r.incident)} · {r.words(t.lang)}" for r in others]
    for order in result.orders:
        lines.append(t.order_line(order, s.clock_of(order)))
    if result.history:
        lines.append(t.pick("该号码的历史来电：", "earlier calls from this number:"))
        lines += [t.call_line(c) for c in result.history]
    return with_off_duty(inv, inv.outcome(
        {"incident": shapes.incident_json(incident), "call_id": result.call_id,
         "orders": [shapes.order_json(o, s.clock_of(o)) for o in result.orders],
         "merged": result.merged,
         "duplicates": [{**shapes.incident_json(r.incident), "reasons": list(r.reasons),
                         "why": r.words(t.lang)} for r in others],
         "history": [shapes.call_json(c) for c in result.history]},
        lines,
    ), [o.unit for o in result.orders])


@command("call history", aliases=("hist",), args=("phone",),
         zh="来电历史：某号码以前的来电", en="caller history: earlier calls from a number")
def _call_history(inv: Invocation) -> Outcome:
    calls = inv.services.history(inv.need("phone"))
    lines = [inv.text.call_line(c) for c in calls] or [inv.text.pick("无历史来电", "no earlier calls")]
    return inv.outcome({"calls": [shapes.call_json(c) for c in calls]}, lines)


@command("incident show", aliases=("show", "inc"), args=("incident",),
         zh="警情详情：来电、派单、时间线", en="incident detail: calls, orders, timeline")
def _incident_show(inv: Invocation) -> Outcome:
    d = inv.services.incident(inv.need("incident"))
    t = inv.text
    lines = [t.incident_line(d.incident), f"  {one_line(d.incident.text)}",
             t.pick("来电：", "calls:")]
    lines += [t.call_line(c) for c in d.calls]
    lines.append(t.pick("派单：", "orders:"))
    for o, c in d.orders:
        lines += [t.order_line(o, c), *chain_lines(inv, o)]
    if not d.orders:
        lines.append(t.pick("  （无）", "  (none)"))
    lines.append(t.pick("时间线（发生 / 记录）：", "timeline (happened / recorded):"))
    for line in timeline(d, t):
        words = f"{line.kind} {line.detail}" if line.detail else line.kind
        lines.append(f"  {t.time(line.happened, True)} / {t.time(line.recorded)} {words}"
                     f" [{line.operator}@{line.seat}]")
    latest = accountability.latest_callback(inv.services.store, d.incident.id)
    if latest is not None:
        result = accountability.pick(accountability.CALLBACK_RESULTS[latest.result], inv.lang)
        lines.append(t.pick(f"回访结果：{result}", f"callback: {result}"))
    activations = inv.services.activations(d.incident.id)
    now = inv.services.ctx.clock.now()
    for a in activations:
        lines += shapes.activation_lines(t, a, now)
    return inv.outcome(
        {"incident": shapes.incident_json(d.incident),
         "activations": [a.to_json(now) for a in activations],
         "callback": latest.to_json() if latest else None,
         "calls": [shapes.call_json(c) for c in d.calls],
         "orders": [shapes.order_json(o, c) for o, c in d.orders],
         "timeline": [shapes.event_json(e) for e in d.timeline],
         "history": [shapes.call_json(c) for c in d.history]},
        lines,
    )


@command("incident merge", aliases=("merge",), args=("duplicate", "into"), options=("at",),
         zh="合并重复警情（两次来电都保留）", en="merge a repeated incident (both calls kept)")
def _incident_merge(inv: Invocation) -> Outcome:
    master = inv.services.merge(inv.need("duplicate"), inv.need("into"), inv.get("at"))
    return inv.outcome({"incident": shapes.incident_json(master)},
                       [inv.text.pick("已合并到 ", "merged into ") + inv.text.incident_line(master)])


@command("incident transfer", aliases=("transfer", "tf"), args=("incident", "target"),
         options=("note", "at"),
         zh="转出：转110/119/120/12345，或 answered 当场答复",
         en="transfer to 110/119/120/12345, or 'answered' on the spot")
def _incident_transfer(inv: Invocation) -> Outcome:
    i = inv.services.transfer(inv.need("incident"), inv.need("target"), inv.get("note") or "",
                              inv.get("at"))
    return inv.outcome({"incident": shapes.incident_json(i)}, [inv.text.incident_line(i)])


@command("incident note", aliases=("note",), args=("incident", "text*"), options=("at",),
         zh="给警情加备注", en="add a note to an incident")
def _incident_note(inv: Invocation) -> Outcome:
    i = inv.services.note(inv.need("incident"), inv.need("text"), inv.get("at"))
    return inv.outcome({"incident": shapes.incident_json(i)},
                       [inv.text.pick("已记录备注 ", "note saved ") + f"#{i.no}"])


@command("incident category", aliases=("cat",), args=("incident", "category"),
         zh="更改警情类别", en="change an incident's category")
def _incident_category(inv: Invocation) -> Outcome:
    i = inv.services.recategorize(inv.need("incident"), inv.need("category"))
    return inv.outcome({"incident": shapes.incident_json(i)}, [inv.text.incident_line(i)])


def with_off_duty(inv: Invocation, out: Outcome, units: list[str]) -> Outcome:
    """An off-duty Tier 2/3 unit was ordered: the answer warns (``warnings`` in --json)."""
    off = inv.services.off_duty(units)
    if not off:
        return out
    warning = inv.text.off_duty_warning(off)
    return inv.outcome({**out.data, "warnings": [{"code": "order.off_duty",
                                                  "units": [u.code for u in off],
                                                  "message": warning}]},
                       [*out.lines, warning])


def chain_lines(inv: Invocation, order: Order) -> list[str]:
    """The handover (移交) chain under an order line: the initial handling and the ack."""
    t = inv.text
    lines = []
    if order.initial_handling:
        lines.append(t.pick(f"    先期处置：{order.initial_handling}",
                            f"    initial handling: {order.initial_handling}"))
    if order.in_handover:
        acked = order.handover_acked_at
        lines.append(t.pick(f"    接收单位签收：{t.time(acked, True)}" if acked else "    接收单位尚未签收",
                            f"    receiving unit acked {t.time(acked, True)}" if acked
                            else "    receiving unit has not acknowledged yet"))
    return lines


def return_line(inv: Invocation, r: ReturnRecord) -> str:
    t = inv.text
    review = {"accept": t.pick("已同意", "accepted"), "reject": t.pick("已驳回", "rejected")}.get(
        r.decision, t.pick("待审核", "awaiting review"))
    note = t.pick(f"：{r.note}", f": {r.note}") if r.note else ""
    what = t.pick("退单", "returned")
    return f"  {what} {t.time(r.returned_at, True)} {r.reason} [{r.operator}] · {review}{note}"
