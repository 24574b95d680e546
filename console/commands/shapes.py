"""Read models → the stable ``--json`` shapes (docs/cli-json.md) and human text lines.

Both forms are built here, once, so the CLI, the TUI's command bar and the docs agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from console.catalog.registry import Unit
from console.catalog.triage import TriageResult
from console.kernel.clock import iso
from console.kernel.model import (
    Call,
    Incident,
    Order,
    OrderStatus,
    ReturnRecord,
)
from console.orders.deadlines import OrderClock
from console.store.transaction import EventRecord
from console.tiered.activation import Activation, level_text
from console.words import Words


def _t(value: datetime | None) -> str | None:
    return iso(value) if value else None


def incident_json(i: Incident) -> dict[str, Any]:
    return {
        "no": i.no, "id": i.id, "created_at": iso(i.created_at), "phone": i.phone,
        "caller_name": i.caller_name, "address": i.address, "area": i.area,
        "category": i.category, "text": i.text, "status": i.status.value,
        "disposition": i.disposition.value, "transfers": list(i.transfers), "merged_into": i.merged_into,
        "closed_at": _t(i.closed_at), "seat": i.seat, "source": i.source,
        "reporting_unit": i.reporting_unit or None, "drill": i.drill,
    }


def call_json(c: Call) -> dict[str, Any]:
    return {"no": c.no, "id": c.id, "incident_id": c.incident_id, "phone": c.phone,
            "caller_name": c.caller_name, "received_at": iso(c.received_at), "text": c.text,
            "address": c.address, "area": c.area}


def clock_json(c: OrderClock) -> dict[str, Any]:
    return {"stage": c.stage, "due": _t(c.due),
            "remaining_s": None if c.remaining_s is None else round(c.remaining_s),
            "state": c.state, "missed": list(c.missed)}


def order_json(o: Order, clock: OrderClock | None = None) -> dict[str, Any]:
    data = {
        "no": o.no, "id": o.id, "incident_no": o.incident_no, "incident_id": o.incident_id,
        "unit": o.unit, "unit_kind": o.unit_kind, "area": o.area, "status": o.status.value,
        "first_contact": o.first_contact, "handover_from": o.handover_from,
        "reassigned_from": o.reassigned_from, "issued_at": iso(o.issued_at),
        "steps": {k: iso(v) for k, v in o.steps.items()},
        "due": {"ack": _t(o.ack_due), "depart": _t(o.depart_due), "arrive": _t(o.arrive_due),
                "feedback": _t(o.feedback_due)},
        "return_reason": o.return_reason,
        "return_event": o.return_event or None,
        "return_review": _return_review(o),
        "initial_handling": o.initial_handling,
        "handed_to": o.handed_to,
        "handover_acked": o.handover_acked_at is not None if o.in_handover else None,
        "handover_acked_at": _t(o.handover_acked_at),
        "phase": o.phase or None,
        "activation": o.activation or None,
        "drill": o.drill,
    }
    if clock is not None:
        data["clock"] = clock_json(clock)
    return data


def _return_review(o: Order) -> str | None:
    """The standing return's review: ``pending`` (退单审核), ``accepted``, or None (no return)."""
    if o.status != OrderStatus.RETURNED:
        return None
    return "accepted" if o.return_decision == "accept" else "pending"


def return_json(r: ReturnRecord) -> dict[str, Any]:
    return {"event_id": r.event_id, "returned_at": iso(r.returned_at), "reason": r.reason,
            "operator": r.operator, "decision": r.decision or None, "note": r.note,
            "reviewed_at": _t(r.reviewed_at), "reviewer": r.reviewer or None}


def unit_json(u: Unit, on_duty: bool | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": u.code, "name_zh": u.name_zh, "name_en": u.name_en, "kind": u.kind,
        "tier": u.tier, "regime": u.regime, "duty_phone": u.duty_phone,
        "duty_location": u.duty_location, "duty_hours": u.duty_hours,
        "categories": list(u.categories),
    }
    if on_duty is not None:
        data["on_duty"] = on_duty
    return data


def event_json(e: EventRecord) -> dict[str, Any]:
    return {"id": e.id, "kind": e.kind, "happened_at": e.happened_at,
            "recorded_at": e.recorded_at, "seat": e.seat, "operator": e.operator,
            "payload": e.payload}


def triage_json(r: TriageResult) -> dict[str, Any]:
    return r.to_json()


def activation_lines(t: Words, a: Activation, now: datetime) -> list[str]:
    done, total = a.progress()
    forced = t.pick(f" · 强制启动：{a.reason}", f" · forced: {a.reason}") if a.forced else ""
    lines = [t.pick(f"预案 {a.name_zh}（{level_text(a.level, 'zh')}）启动于 {t.time(a.at, True)}"
                    f" [{a.operator}@{a.seat}] · 处置要点 {done}/{total}{forced}",
                    f"plan {a.name_en} ({level_text(a.level, 'en')}) activated {t.time(a.at, True)}"
                    f" [{a.operator}@{a.seat}] · checklist {done}/{total}{forced}")]
    for s in a.steps:
        box = "[x]" if s.done else "[ ]"
        due = f" · {t.pick('时限', 'due')} {t.time(s.due)}" if s.due else ""
        late = t.pick(" 【超时】", " [OVERDUE]") if s.overdue(now) else ""
        note = f" · {s.check.note}" if s.check and s.check.note else ""
        lines.append(f"  {box} {s.n}. {s.text(t.lang)}{due}{late}{note}")
    return lines
