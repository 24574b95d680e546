"""Call intake (接警): new incidents, repeat calls, merges, transfers and notes.

A repeated call about a live event is attached to it (or merged later) rather than opened as
a second incident; both calls are always kept, because the second caller may add facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from console.calls.drills import require_same_drill, require_same_kind, seat_mode
from console.catalog.repeats import Repeat, find_repeats
from console.catalog.triage import Triage, TriageResult
from console.kernel.clean import one_line
from console.kernel.clock import stored
from console.kernel.errors import BadInput
from console.kernel.inputs import bounded, clean_text, normalize, parse_area, parse_phone, place_key
from console.kernel.model import EMERGENCY_DISPOSITIONS, Call, Disposition, Incident, IncidentStatus, Order
from console.store.context import Context
from console.store.payloads import MAX_ADDRESS, MAX_NAME, MAX_REASON, MAX_TEXT
from console.store.queries import caller_history, get_incident
from console.store.transaction import Transaction

SERVICE_SEPARATORS = re.compile(r"[，,+＋、/ ]+")

TRANSFER_TARGETS = {
    "110": Disposition.TRANSFER_110,
    "119": Disposition.TRANSFER_119,
    "120": Disposition.TRANSFER_120,
    "12345": Disposition.TRANSFER_12345,
    "answered": Disposition.ANSWERED,
    "答复": Disposition.ANSWERED,
}


@dataclass(frozen=True)
class IntakeResult:
    incident: Incident
    call_id: str
    history: list[Call]          # earlier calls from the same number
    duplicates: list[Incident]   # live incidents this call may repeat
    merged: bool                 # True when the call was attached to an existing incident
    orders: list[Order] = field(default_factory=list)  # issued with the call, same transaction
    repeats: list[Repeat] = field(default_factory=list)  # the duplicates with why each is offered


def check_text(ctx: Context, text: str) -> str:
    clean = clean_text(text)
    if not clean:
        raise BadInput("intake.empty_text", zh="报警内容不能为空", en="the call text is empty")
    limit = ctx.config.intake.max_text_chars
    if len(clean) > limit:
        raise BadInput("intake.text_too_long", zh="报警内容过长（{n} 字，上限 {limit} 字）",
                       en="the call text is too long ({n} characters, limit {limit})",
                       n=len(clean), limit=limit)
    return clean


def category_code(ctx: Context, given: str) -> str:
    """A category from its code, name, pinyin or a keyword; refused when nothing matches."""
    if given in ctx.catalog.categories:
        return given
    matches = ctx.catalog.find_categories(given)
    if not matches:
        raise BadInput("intake.unknown_category", zh="未知的警情类别：{c}",
                       en="unknown category: {c}", c=given[:40])
    return matches[0].code


def resolve_category(ctx: Context, triage: Triage | None, given: str | None, text: str) -> str:
    if given is not None and given.strip():
        return category_code(ctx, given)
    result = triage.suggest(text) if triage is not None else None
    if result is None or not result.suggestions:
        raise BadInput("intake.no_category",
                       zh="无法从报警内容判断类别，请用 --category 指定",
                       en="cannot tell the category from the text; give --category")
    if result.abstain:
        raise BadInput("intake.no_category",
                       zh="研判把握不足，请人工判断并用 --category 指定类别",
                       en="triage is not sure (needs the call-taker's judgement); give --category")
    return result.suggestions[0].category.code


def correction(shown: TriageResult, chosen: str) -> dict[str, object] | None:
    """The ``incident.triage_corrected`` payload (without the incident) when the call-taker's
    category is not the top suggestion they were shown, or triage abstained; ``None`` when
    they agree."""
    result = shown
    top = result.top
    if top is not None and top.category.code == chosen and not result.abstain:
        return None
    return {"chosen": chosen, "suggested": top.category.code if top else None,
            "confidence": round(min(1.0, max(0.0, top.confidence if top else 0.0)), 4),
            "abstained": result.abstain}


def new_call(
    ctx: Context,
    triage: Triage | None,  # None: the caller always gives the category (the sync tests, bench)
    *,
    phone: str,
    text: str,
    address: str = "",
    area: str | None = None,
    category: str | None = None,
    caller_name: str = "",
    at: str | None = None,
    merge_into: str | int | None = None,
    dispatch: list[str] | None = None,
    transfer: str | list[str] | None = None,
    drill: bool = False,
    shown: TriageResult | None = None,
) -> IntakeResult:
    """Record a call. With ``dispatch`` the listed units are ordered, with ``transfer`` the call
    is recorded as transferred (110/119/120/12345/answered), in the same transaction: the
    incident and what was decided about it are saved together or not at all. Several
    emergency services may be given (``["110", "120"]``: a fight with an injury), and with
    linkage orders too (120 and the gas company): the incident then stays open while they run.

    The call is a drill (演练) when ``drill`` says so (``call new --drill``, a ring from a drill
    script) or this seat is in drill mode (console/calls/drills.py).

    ``shown`` is the triage the call-taker saw (the intake screen's live suggestions): when the
    category saved is not its top suggestion, or it abstained, the correction is recorded as an
    ``incident.triage_corrected`` event in the same transaction (learning from the floor)."""
    from console.orders.dispatch import issue_in, resolve_unit

    number = parse_phone(phone)
    body = check_text(ctx, text)
    where = one_line(bounded(address, MAX_ADDRESS, "地址", "address"))
    zone = parse_area(area, ctx.config.center.default_area, address)
    received = ctx.reported_time(at)
    # a repeat call attached to an incident takes its category; one given is still checked
    code = (resolve_category(ctx, triage, category, body)
            if merge_into is None or (category and category.strip()) else "")
    corrected = correction(shown, code) if shown is not None and merge_into is None and code else None
    key = place_key(where)
    window = timedelta(minutes=ctx.config.intake.duplicate_window_minutes)
    name = bounded(caller_name, MAX_NAME, "报警人姓名", "caller name")
    units = [resolve_unit(ctx, q) for q in dispatch or []]
    dispositions = transfer_dispositions(transfer)
    if (units or dispositions) and merge_into is not None:
        raise BadInput("intake.merge_and_dispatch", zh="并入已有警情的来电不能同时派单或转出",
                       en="a call merged into an incident cannot also dispatch units or be transferred")
    if any(d not in EMERGENCY_DISPOSITIONS for d in dispositions) and (units or len(dispositions) > 1):
        raise BadInput("intake.transfer_and_dispatch",
                       zh="转12345或当场答复的来电不能同时派单或转其他部门",
                       en="a call handed to 12345 or answered on the spot cannot also dispatch"
                          " units or go to another service")
    drill = drill or seat_mode(ctx.store).on
    with ctx.transaction() as tx:
        target = get_incident(tx, merge_into) if merge_into is not None else None
        history = caller_history(tx, number, ctx.config.intake.history_limit, before=received)
        repeats = find_repeats(tx, number, where, code or (target.category if target else ""),
                               received - window)
        duplicates = [r.incident for r in repeats]
        call_id = tx.new_id()
        payload = {"call_id": call_id, "phone": number, "caller_name": name, "address": where,
                   "area": zone.value, "text": body}
        if target is not None:
            _require_live(target)
            require_same_kind(drill, target)
            tx.append("call.added", {**payload, "incident_id": target.id}, subject=target.id,
                      happened_at=received)
            incident = get_incident(tx, target.no)
            return IntakeResult(incident, call_id, history, duplicates, merged=True, repeats=repeats)
        incident_id = tx.new_id()
        tx.append(
            "incident.created",
            {**payload, "incident_id": incident_id, "place_key": key, "category": code,
             "disposition": Disposition.LINKAGE.value, **({"drill": True} if drill else {})},
            subject=incident_id, happened_at=received,
        )
        incident = _created(tx, incident_id, payload, key, code, received, drill)
        if corrected is not None:
            tx.append("incident.triage_corrected", {"incident_id": incident_id, **corrected},
                      subject=incident_id, happened_at=received)
        for disposition in dispositions:
            incident = record_transfer(tx, incident, disposition, "", received, keep_open=bool(units))
        orders: list[Order] = []
        for unit in units:
            # an incident made in this transaction has no grade nor plan yet: its orders are daily
            orders.append(issue_in(ctx, tx, incident, unit, received, existing=list(orders), phase="daily"))
    return IntakeResult(incident, call_id, history, duplicates, merged=False, orders=orders,
                        repeats=repeats)


def _created(tx: Transaction, incident_id: str, payload: dict[str, str], key: str, code: str,
             received: datetime, drill: bool) -> Incident:
    """The incident as it now reads back, built from the payload just written."""
    row = tx.one("SELECT no, seat FROM incidents WHERE id = ?", (incident_id,))
    assert row is not None
    return Incident(
        no=row[0], id=incident_id, created_at=stored(received), phone=payload["phone"],
        caller_name=payload["caller_name"], address=payload["address"], area=payload["area"],
        category=code, text=payload["text"], status=IncidentStatus.OPEN, disposition=Disposition.LINKAGE,
        merged_into=None, closed_at=None, seat=row[1], drill=drill,
    )


def _require_live(incident: Incident) -> None:
    if incident.status == IncidentStatus.MERGED:
        raise BadInput("incident.merged", zh="警情 {no} 已合并到其他警情",
                       en="incident {no} was merged into another", no=incident.no)


def merge(ctx: Context, duplicate: str | int, into: str | int, at: str | None = None) -> Incident:
    """Mark ``duplicate`` as a repeat of ``into``; its calls then show under ``into``."""
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        dup, master = get_incident(tx, duplicate), get_incident(tx, into)
        if dup.id == master.id:
            raise BadInput("merge.self", zh="不能把警情合并到它自己", en="cannot merge an incident into itself")
        _require_live(dup)
        _require_live(master)
        require_same_drill(dup, master)
        open_orders = tx.one(
            "SELECT count(*) FROM orders WHERE incident_id = ? AND status NOT IN"
            " ('completed','reassigned','cancelled','handed_over')", (dup.id,))
        if open_orders and open_orders[0]:
            raise BadInput("merge.open_orders", zh="警情 {no} 还有未结派单，请先处理",
                           en="incident {no} still has open orders", no=dup.no)
        tx.append("incident.merged", {"incident_id": dup.id, "into": master.id},
                  subject=dup.id, happened_at=when)
        tx.append("incident.noted", {"incident_id": master.id,
                                     "note": f"merged #{dup.no}", "merged": dup.id},
                  subject=master.id, happened_at=when)
        return get_incident(tx, master.id)


def transfer_disposition(target: str) -> Disposition:
    """The disposition a transfer target stands for; checked before anything is written."""
    disposition = TRANSFER_TARGETS.get(normalize(target).lower())
    if disposition is None:
        raise BadInput("transfer.target", zh="转出目标只能是 110、119、120、12345 或 answered",
                       en="transfer target must be 110, 119, 120, 12345 or answered")
    return disposition


def transfer_dispositions(targets: str | list[str] | None) -> list[Disposition]:
    """``"110,120"``, ``"110+120"`` or ``["110", "120"]`` → the dispositions, in order, once each."""
    if targets is None:
        return []
    raw = targets if isinstance(targets, list) else [targets]
    words = [w for item in raw for w in SERVICE_SEPARATORS.sub(",", item).split(",") if w.strip()]
    if isinstance(targets, str) and targets.strip() and not words:
        words = [targets]
    return list(dict.fromkeys(transfer_disposition(w) for w in words))


def _live_orders(tx: Transaction, incident_id: str) -> int:
    live = tx.one(
        "SELECT count(*) FROM orders WHERE incident_id = ? AND status NOT IN"
        " ('completed','reassigned','cancelled','handed_over')", (incident_id,))
    return int(live[0]) if live else 0


def record_transfer(tx: Transaction, incident: Incident, disposition: Disposition, note: str,
                    when: datetime, *, keep_open: bool = False) -> Incident:
    """One transfer, validated inside the caller's transaction.

    110/119/120 may be reached one after another (a fight with an injury goes to 110 and
    120) and alongside linkage orders: then the incident stays open while the orders run.
    12345 and an answer on the spot still end the incident's handling here, so they need an
    open incident with nothing running."""
    emergency = disposition in EMERGENCY_DISPOSITIONS
    reachable = incident.status == IncidentStatus.OPEN or (
        emergency and incident.status == IncidentStatus.TRANSFERRED
        and incident.disposition in EMERGENCY_DISPOSITIONS)
    if not reachable:
        raise BadInput("transfer.not_open", zh="警情 {no} 不在处置中，不能转出",
                       en="incident {no} is not open", no=incident.no)
    service = disposition.value.removeprefix("transfer_")
    if emergency and service in incident.transfers:
        raise BadInput("transfer.again", zh="警情 {no} 已转{s}", en="incident {no} already went to {s}",
                       no=incident.no, s=service)
    live = _live_orders(tx, incident.id)
    if live and not emergency:
        raise BadInput("transfer.open_orders", zh="警情 {no} 还有未结派单，请先取消",
                       en="incident {no} still has open orders; cancel them first",
                       no=incident.no)
    stays_open = incident.status == IncidentStatus.OPEN and (keep_open or bool(live))
    tx.append("incident.transferred",
              {"incident_id": incident.id, "disposition": disposition.value,
               "note": bounded(note, MAX_REASON, "备注", "note"), **({"keep_open": True} if stays_open else {})},
              subject=incident.id, happened_at=when)
    return get_incident(tx, incident.id)


def transfer(ctx: Context, ref: str | int, target: str, note: str = "",
             at: str | None = None) -> Incident:
    """Record a transfer to 110/119/120/12345, or an answer given on the spot; several
    services may be given at once (``110,120``)."""
    dispositions = transfer_dispositions(target) or [transfer_disposition(target)]
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        incident = get_incident(tx, ref)
        if len(dispositions) > 1 and any(d not in EMERGENCY_DISPOSITIONS for d in dispositions):
            raise BadInput("transfer.mixed", zh="12345 或当场答复不能与其他部门一起转出",
                           en="12345 or an answer on the spot cannot go with another service")
        for disposition in dispositions:
            incident = record_transfer(tx, incident, disposition, note, when)
        return incident


def add_note(ctx: Context, ref: str | int, note: str, at: str | None = None) -> Incident:
    text = bounded(note, MAX_TEXT, "备注", "note")
    if not text:
        raise BadInput("note.empty", zh="备注不能为空", en="the note is empty")
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        incident = get_incident(tx, ref)
        tx.append("incident.noted", {"incident_id": incident.id, "note": text},
                  subject=incident.id, happened_at=when)
        return incident


def recategorize(ctx: Context, ref: str | int, category: str) -> Incident:
    code = category_code(ctx, category)
    with ctx.transaction() as tx:
        incident = get_incident(tx, ref)
        tx.append("incident.recategorized",
                  {"incident_id": incident.id, "category": code}, subject=incident.id)
        return get_incident(tx, incident.id)
