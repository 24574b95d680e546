"""Dual-track reporting (双轨制): a Tier 1 unit that took a call itself reports it to the center.

The policy has Tier 1 units both take the public's calls directly and obey the center's
dispatch. A call a unit took itself is recorded here as a unit-originated incident (source
``unit``, ``reporting_unit`` the unit) together with that unit's own order, already at the
status the unit reports (default on scene), in one transaction: the center then sees it on the
board and can follow it like any other order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from console.calls.drills import seat_mode
from console.calls.intake import check_text, resolve_category
from console.catalog.repeats import find_repeats
from console.catalog.triage import Triage
from console.kernel.errors import BadInput
from console.kernel.inputs import bounded, normalize, parse_area, parse_phone, place_key
from console.kernel.model import MAIN_LINE, Disposition, Incident, Order, OrderStatus
from console.orders.dispatch import close_incident_if_done, issue_in, record_step, resolve_unit
from console.store.context import Context
from console.store.payloads import MAX_ADDRESS, MAX_NAME
from console.store.queries import get_incident, get_order

UNIT_SOURCE = "unit"
# What a unit may report its own order at: taken on, and anything after that on the main line.
REPORT_STATUSES = {s.value: s for s in MAIN_LINE[2:]}
DEFAULT_STATUS = OrderStatus.ON_SCENE


@dataclass(frozen=True)
class ReportResult:
    incident: Incident
    order: Order
    duplicates: list[Incident]   # live incidents at the same place or from the same number


def report_status(given: str | None) -> OrderStatus:
    if given is None or not given.strip():
        return DEFAULT_STATUS
    status = REPORT_STATUSES.get(normalize(given).lower())
    if status is None:
        raise BadInput("report.status",
                       zh="上报状态只能是 acknowledged、en_route、on_scene、feedback 或 completed",
                       en="the reported status must be acknowledged, en_route, on_scene, feedback"
                          " or completed")
    return status


def report(ctx: Context, triage: Triage, unit_query: str, *, phone: str, text: str,
           address: str = "", area: str | None = None, category: str | None = None,
           status: str | None = None, caller_name: str = "", at: str | None = None) -> ReportResult:
    """Record a call a Tier 1 unit took itself, and its own order at ``status``, in one
    transaction. ``at`` is when the unit took the call; the order and its step carry that time."""
    unit = resolve_unit(ctx, unit_query)
    if unit.tier != 1:
        raise BadInput("report.not_tier1",
                       zh="{u} 不是一级联动单位，不实行双轨制，不能自行上报警情",
                       en="{u_en} is not a Tier 1 unit; only Tier 1 units report calls they took"
                          " themselves", u=unit.name_zh, u_en=unit.name_en)
    target = report_status(status)
    number = parse_phone(phone)
    body = check_text(ctx, text)
    where = bounded(address, MAX_ADDRESS, "地址", "address")
    zone = parse_area(area, ctx.config.center.default_area, address)
    code = resolve_category(ctx, triage, category, body)
    name = bounded(caller_name, MAX_NAME, "报告人姓名", "caller name")
    received = ctx.reported_time(at)
    key = place_key(where)
    window = timedelta(minutes=ctx.config.intake.duplicate_window_minutes)
    with ctx.transaction() as tx:
        duplicates = [r.incident for r in find_repeats(tx, number, where, code, received - window)]
        incident_id = tx.new_id()
        tx.append(
            "incident.created",
            {"call_id": tx.new_id(), "incident_id": incident_id, "phone": number,
             "caller_name": name, "address": where, "area": zone.value, "text": body,
             "place_key": key, "category": code, "disposition": Disposition.LINKAGE.value,
             "source": UNIT_SOURCE, "reporting_unit": unit.code,
             **({"drill": True} if seat_mode(ctx.store).on else {})},
            subject=incident_id, happened_at=received,
        )
        incident = get_incident(tx, incident_id)
        order = issue_in(ctx, tx, incident, unit, received, existing=[])
        record_step(tx, order, target, received)
        close_incident_if_done(tx, incident_id, received)
        return ReportResult(get_incident(tx, incident_id), get_order(tx, order.id), duplicates)
