"""Orders (派单): issue, step through the lifecycle, review returns, hand over, reassign.

One order per unit per incident. The first unit ordered for an incident carries first-contact
responsibility (首接负责); a handover (移交) records the first unit's initial handling, closes
its order and opens the receiving unit's, linked both ways, so the chain of responsibility is
read straight off the orders (until the receiving unit acknowledges, the first unit still
answers for it). A unit's return (退单) waits for the dispatcher's review (退单审核): accepted,
the order is reassigned or cancelled; rejected, it goes back to the unit where it stood.
"""

from __future__ import annotations

from datetime import datetime

from console.catalog.registry import Unit
from console.kernel.clock import iso, stored
from console.kernel.errors import BadInput, IllegalTransition
from console.kernel.inputs import bounded, clean_text, normalize
from console.kernel.model import (
    CLOSED_STATUSES,
    EMERGENCY_DISPOSITIONS,
    INCIDENT_STATUS_LABELS,
    MAIN_LINE,
    STATUS_LABELS,
    Incident,
    IncidentStatus,
    Order,
    OrderStatus,
)
from console.kernel.vocab import is_plan_level
from console.orders.deadlines import due_times
from console.store.context import Context
from console.store.queries import current_level, get_incident, get_order, orders_of, returns_of
from console.store.transaction import Transaction

# step verb → the status it records
STEPS: dict[str, OrderStatus] = {
    "deliver": OrderStatus.DELIVERED,
    "ack": OrderStatus.ACKNOWLEDGED,
    "depart": OrderStatus.EN_ROUTE,
    "arrive": OrderStatus.ON_SCENE,
    "feedback": OrderStatus.FEEDBACK,
    "complete": OrderStatus.COMPLETED,
    "return": OrderStatus.RETURNED,
    "cancel": OrderStatus.CANCELLED,
}
# 退单审核 decisions as people type them
REVIEW_DECISIONS = {
    "accept": "accept", "a": "accept", "同意": "accept", "接受": "accept", "ty": "accept",
    "reject": "reject", "r": "reject", "驳回": "reject", "不同意": "reject", "bh": "reject",
}
_RETURNABLE = frozenset(MAIN_LINE[:5])   # a unit may return the order until it has fed back
_HANDOVER_FROM = frozenset(MAIN_LINE[2:6])  # after its initial handling has begun


def resolve_unit(ctx: Context, query: str) -> Unit:
    """A unit by code, name, pinyin or initials; refuses when the answer is not one unit."""
    text = normalize(query)
    if text in ctx.catalog.units:
        return ctx.catalog.units[text]
    matches = ctx.catalog.find_units(text)
    if not matches:
        raise BadInput("unit.not_found", zh="找不到联动单位：{q}", en="no linkage unit matches: {q}",
                       q=query[:40])
    q = text.lower().replace(" ", "")
    exact = [u for u in matches
             if q in (u.name_zh, u.name_en.lower().replace(" ", "")) or q in u.initials or q in u.pinyin
             or q in u.aliases]
    if len(matches) == 1 or len(exact) == 1:
        return exact[0] if len(exact) == 1 else matches[0]
    names = "、".join(f"{u.code} {u.name_zh}" for u in matches[:5])
    raise BadInput("unit.ambiguous", zh="“{q}”对应多个单位：{names}，请输入单位代码",
                   en="'{q}' matches several units: {names}; use the unit code", q=query[:40],
                   names=names)


def _labels(**statuses: OrderStatus) -> dict[str, str]:
    """Status names for a message in both languages: ``cur`` (English) and ``cur_zh``."""
    names: dict[str, str] = {}
    for key, status in statuses.items():
        names[f"{key}_zh"], names[key] = STATUS_LABELS[status]
    return names


def _check_time(ctx: Context, order: Order, when: datetime) -> None:
    latest = max(order.steps.values(), default=order.issued_at)
    if when < latest:
        fmt = "%Y-%m-%d %H:%M:%S"
        raise BadInput(
            "order.time_before_previous",
            zh="时间 {at} 早于该派单上一步骤的时间 {prev}",
            en="time {at} is before the order's previous step at {prev}",
            at=when.astimezone(ctx.config.tz).strftime(fmt),
            prev=latest.astimezone(ctx.config.tz).strftime(fmt),
        )


def issue(ctx: Context, incident_ref: str | int, unit_query: str, *, at: str | None = None,
          note: str = "") -> Order:
    unit = resolve_unit(ctx, unit_query)
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        return _issue(ctx, tx, incident_ref, unit, when, note=note)


def issue_many(ctx: Context, incident_ref: str | int, unit_queries: list[str], *,
               at: str | None = None, note: str = "") -> list[Order]:
    if not unit_queries:
        raise BadInput("order.no_units", zh="请至少选择一个单位", en="choose at least one unit")
    units = [resolve_unit(ctx, q) for q in unit_queries]
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        return [_issue(ctx, tx, incident_ref, unit, when, note=note) for unit in units]


def issue_in(ctx: Context, tx: Transaction, incident: Incident, unit: Unit, when: datetime,
             existing: list[Order], *, note: str = "", phase: str | None = None,
             activation: str = "") -> Order:
    """Issue an order inside a transaction someone else opened (intake with dispatch, a plan
    activation), for an incident it holds already: no need to read back what it has just
    written. ``phase`` defaults to what the incident's grade and activations make it."""
    return _issue(ctx, tx, incident.id, unit, when, note=note, known=(incident, existing),
                  phase=phase, activation=activation)


def order_phase(tx: Transaction, incident_id: str) -> str:
    """The phase of an order issued now: ``daily`` below plan level, ``initial`` (先期处置) on
    an incident raised to plan level with no plan activated yet, ``plan`` once one is."""
    level = current_level(tx, incident_id)
    if level is None or not is_plan_level(level):
        return "daily"
    active = tx.one("SELECT 1 FROM plan_activations WHERE incident_id = ? LIMIT 1", (incident_id,))
    return "plan" if active is not None else "initial"


def _issue(ctx: Context, tx: Transaction, incident_ref: str | int, unit: Unit, when: datetime,
           *, note: str = "", handover_from: str | None = None,
           reassigned_from: str | None = None,
           known: tuple[Incident, list[Order]] | None = None,
           phase: str | None = None, activation: str = "") -> Order:
    incident, existing = known if known is not None else (get_incident(tx, incident_ref), None)
    if incident.status == IncidentStatus.TRANSFERRED and incident.disposition in EMERGENCY_DISPOSITIONS:
        # Went to 110/119/120 and now needs a linkage unit too (120 first, then the gas
        # company): the incident is open again while the order runs; its transfers stay.
        tx.append("incident.reopened", {"incident_id": incident.id, "for_order": unit.code},
                  subject=incident.id, happened_at=max(when, incident.created_at))
        incident = get_incident(tx, incident.id)
    if incident.status != IncidentStatus.OPEN:
        raise BadInput("order.incident_not_open", zh="警情 {no} 不在处置中（{s_zh}），不能派单",
                       en="incident {no} is not open ({s}); cannot issue orders",
                       no=incident.no, s=incident.status.value,
                       s_zh=INCIDENT_STATUS_LABELS[incident.status][0])
    if when < incident.created_at:
        raise BadInput("order.before_incident", zh="派单时间早于接警时间",
                       en="the order time is before the call was received")
    if existing is None:
        existing = orders_of(tx, [incident.id])
    if any(o.unit == unit.code and o.is_open for o in existing):
        raise BadInput("order.duplicate", zh="{u} 已有该警情的未结派单",
                       en="{u_en} already has an open order for this incident", u=unit.name_zh,
                       u_en=unit.name_en)
    dues = due_times(ctx.rules, incident.area, unit.kind, when)
    phase = phase or order_phase(tx, incident.id)
    order_id = tx.new_id()
    tx.append(
        "order.issued",
        {"order_id": order_id, "incident_id": incident.id, "unit": unit.code,
         "unit_kind": unit.kind, "area": incident.area, "first_contact": not existing,
         "handover_from": handover_from, "reassigned_from": reassigned_from,
         "note": bounded(note, 1000, "备注", "note"), "phase": phase,
         **({"activation": activation} if activation else {}),
         **{f"{stage}_due": iso(due) for stage, due in dues.items()}},
        subject=incident.id, happened_at=when,
    )
    # the order as it now reads back, built from what was just written
    no = tx.one("SELECT no FROM orders WHERE id = ?", (order_id,))
    assert no is not None
    issued, due = stored(when), {stage: stored(at) for stage, at in dues.items()}
    return Order(
        no=no[0], id=order_id, incident_id=incident.id, incident_no=incident.no, unit=unit.code,
        unit_kind=unit.kind, area=incident.area, status=OrderStatus.ISSUED, first_contact=not existing,
        handover_from=handover_from, reassigned_from=reassigned_from, issued_at=issued,
        steps={OrderStatus.ISSUED.value: issued}, ack_due=due.get("ack"), depart_due=due.get("depart"),
        arrive_due=due.get("arrive"), feedback_due=due.get("feedback"), return_reason="",
        initial_handling=clean_text(note) if handover_from else "",
        phase=phase, activation=activation,
    )


def step(ctx: Context, order_ref: str | int, verb: str, *, at: str | None = None,
         note: str = "", reason: str = "") -> Order:
    return step_many(ctx, [order_ref], verb, at=at, note=note, reason=reason)[0]


def step_many(ctx: Context, order_refs: list[str | int], verb: str, *, at: str | None = None,
              note: str = "", reason: str = "") -> list[Order]:
    """One step for several orders (``ack 5 6 7``: three units acknowledged on one call), in
    one transaction: all are recorded, or, when one is refused, none is."""
    target = STEPS.get(verb)
    if target is None:
        raise BadInput("order.unknown_step", zh="未知的派单步骤：{v}", en="unknown order step: {v}",
                       v=verb[:20])
    when = ctx.reported_time(at)
    why = clean_text(reason)
    if target == OrderStatus.RETURNED and not why:
        raise BadInput("order.return_reason", zh="退单必须填写原因（--reason）",
                       en="a return needs a reason (--reason)")
    with ctx.transaction() as tx:
        orders = [get_order(tx, ref) for ref in order_refs]
        if len({o.id for o in orders}) != len(orders):
            raise BadInput("order.named_twice", zh="同一派单不能写两次", en="an order is named twice")
        done = []
        for order in orders:
            order = get_order(tx, order.id)     # as it reads now, after the ones before it
            _check_transition(order, target)
            _check_time(ctx, order, when)
            if target == OrderStatus.CANCELLED:
                _accept_standing_return(tx, order, when)
            record_step(tx, order, target, when, note=note, reason=why)
            close_incident_if_done(tx, order.incident_id, when)
            done.append(order.id)
        return [get_order(tx, order_id) for order_id in done]


def review_return(ctx: Context, order_ref: str | int, decision: str, *, note: str = "",
                  at: str | None = None) -> Order:
    """退单审核: accept (the order stays returned, to be reassigned or cancelled) or reject (it
    goes back to the unit at the status it had before the return; a reject needs a note)."""
    verdict = REVIEW_DECISIONS.get(normalize(decision).lower())
    if verdict is None:
        raise BadInput("order.review_decision", zh="审核结果只能是 accept（同意）或 reject（驳回）",
                       en="the decision must be accept or reject")
    text = bounded(note, 1000, "审核意见", "review note")
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        order = get_order(tx, order_ref)
        _check_reviewable(tx, order)
        if verdict == "reject" and not text:
            raise BadInput("order.reject_note", zh="驳回退单必须说明理由（--note）",
                           en="rejecting a return needs a note saying why (--note)")
        _check_time(ctx, order, when)
        _record_review(tx, order, verdict, text, when)
        return get_order(tx, order.id)


def _check_reviewable(tx: Transaction, order: Order) -> None:
    """Only a standing, unreviewed return can be reviewed."""
    if order.status == OrderStatus.RETURNED and not order.return_decision:
        return
    latest = returns_of(tx, order.id)[-1:]
    if order.status == OrderStatus.RETURNED or (latest and latest[0].decision):
        raise IllegalTransition("order.return_reviewed", zh="派单 {no} 的退单已审核过",
                                en="the return of order {no} was already reviewed", no=order.no)
    raise IllegalTransition("order.not_returned", zh="派单 {no} 处于“{cur_zh}”，没有待审核的退单",
                            en="order {no} is {cur}; it has no return to review",
                            no=order.no, **_labels(cur=order.status))


def _record_review(tx: Transaction, order: Order, decision: str, note: str,
                   when: datetime) -> None:
    tx.append("order.return_reviewed",
              {"order_id": order.id, "return_event": order.return_event, "decision": decision,
               "note": note},
              subject=order.incident_id, happened_at=when)


def _accept_standing_return(tx: Transaction, order: Order, when: datetime) -> None:
    """Reassigning or cancelling a returned order nobody reviewed yet accepts the return, in
    the same transaction, so every return carries its review."""
    if order.status == OrderStatus.RETURNED and not order.return_decision:
        _record_review(tx, order, "accept", "", when)


def record_step(tx: Transaction, order: Order, target: OrderStatus, when: datetime, *,
                 note: str = "", reason: str = "") -> None:
    tx.append("order.stepped",
              {"order_id": order.id, "status": target.value, "note": bounded(note, 1000, "备注", "note"),
               "reason": bounded(reason, 1000, "理由", "reason")},
              subject=order.incident_id, happened_at=when)


def _check_transition(order: Order, target: OrderStatus) -> None:
    current = order.status
    refuse = None
    if current in CLOSED_STATUSES:
        refuse = ("order.closed", "派单 {no} 已是“{cur_zh}”状态，不能再变更",
                  "order {no} is already {cur}; it cannot change")
    elif target == OrderStatus.CANCELLED:
        return
    elif current == OrderStatus.RETURNED:
        refuse = ("order.returned", "派单 {no} 已退单：驳回退单后单位才能继续，或改派、取消",
                  "order {no} was returned; reject the return to hand it back, or reassign or"
                  " cancel it")
    elif target == OrderStatus.RETURNED:
        if current not in _RETURNABLE:
            refuse = ("order.not_returnable", "派单 {no} 已“{cur_zh}”，不能退单",
                      "order {no} is {cur}; it can no longer be returned")
    elif MAIN_LINE.index(target) <= MAIN_LINE.index(current):
        refuse = ("order.backwards", "派单 {no} 已“{cur_zh}”，不能再记录“{new_zh}”",
                  "order {no} is already {cur}; it cannot go back to {new}")
    elif target == OrderStatus.COMPLETED and MAIN_LINE.index(current) < 2:
        refuse = ("order.complete_unacked", "派单 {no} 尚未签收，不能办结",
                  "order {no} was never acknowledged; it cannot be completed")
    if refuse:
        code, zh, en = refuse
        raise IllegalTransition(code, zh=zh, en=en, no=order.no,
                                **_labels(cur=current, new=target))


def close_incident_if_done(tx: Transaction, incident_id: str, when: datetime) -> None:
    """An incident closes when every order is closed and at least one was completed."""
    orders = orders_of(tx, [incident_id])
    if orders and all(not o.is_open for o in orders) and any(
        o.status == OrderStatus.COMPLETED for o in orders
    ):
        tx.append("incident.closed", {"incident_id": incident_id}, subject=incident_id,
                  happened_at=when)


def _pass_on(ctx: Context, tx: Transaction, order: Order, unit: Unit, when: datetime, note: str,
             closing: OrderStatus) -> Order:
    """Close ``order`` as handed over or reassigned and issue ``unit``'s order, linked back."""
    _check_time(ctx, order, when)
    _accept_standing_return(tx, order, when)
    record_step(tx, order, closing, when, note=note)
    handed = closing == OrderStatus.HANDED_OVER
    return _issue(ctx, tx, order.incident_id, unit, when, note=note,
                  handover_from=order.id if handed else None,
                  reassigned_from=None if handed else order.id)


def handover(ctx: Context, order_ref: str | int, unit_query: str, *, at: str | None = None,
             note: str = "") -> Order:
    """First-contact unit hands the job to the responsible unit after initial handling;
    ``note`` is that initial handling (先期处置), required, kept with the receiving order."""
    unit = resolve_unit(ctx, unit_query)
    handling = clean_text(note)
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        order = get_order(tx, order_ref)
        if order.status not in _HANDOVER_FROM:
            raise IllegalTransition(
                "order.handover_state",
                zh="派单 {no} 处于“{cur_zh}”，签收并先期处置后才能移交",
                en="order {no} is {cur}; it can be handed over only after acknowledgement",
                no=order.no, **_labels(cur=order.status))
        if unit.code == order.unit:
            raise BadInput("order.handover_self", zh="不能移交给同一单位",
                           en="cannot hand over to the same unit")
        if not handling:
            raise BadInput("order.handover_note",
                           zh="移交必须记录首接单位的先期处置情况（--note）",
                           en="a handover needs the first unit's initial handling (--note)")
        return _pass_on(ctx, tx, order, unit, when, handling, OrderStatus.HANDED_OVER)


def reassign(ctx: Context, order_ref: str | int, unit_query: str, *, at: str | None = None,
             note: str = "") -> Order:
    """改派: close the order (usually a returned one) and order another unit instead."""
    unit = resolve_unit(ctx, unit_query)
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        order = get_order(tx, order_ref)
        if not order.is_open:
            raise IllegalTransition(
                "order.closed", zh="派单 {no} 已是“{cur_zh}”状态，不能改派",
                en="order {no} is already {cur}; it cannot be reassigned",
                no=order.no, **_labels(cur=order.status))
        if unit.code == order.unit:
            raise BadInput("order.reassign_self", zh="不能改派给同一单位",
                           en="cannot reassign to the same unit")
        return _pass_on(ctx, tx, order, unit, when, note, OrderStatus.REASSIGNED)
