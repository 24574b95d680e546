"""The city's writes into a county's stream: 督办 (city level) on an order, a note on an incident.

The city holds no county database of its own to write through, so these are made here as wire
events, checked by the same ``check_event`` every seat and the server run, and pushed with a
city token that carries the ``supervise`` scope; the server refuses any other kind from it
(central/app.py). The county seats pull them like any other seat's events: the 督办 shows on
their boards as 督4 (``console.orders.accountability.CITY_LEVEL``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from console.kernel.clock import Clock, iso
from console.kernel.errors import BadInput
from console.kernel.ids import uuid7
from console.kernel.inputs import clean_text
from console.orders.accountability import CITY_LEVEL, MAX_SUPERVISE_MINUTES
from console.sync import protocol


def _event(kind: str, payload: dict[str, Any], *, subject: str | None, seat: str, operator: str,
           clock: Clock) -> dict[str, Any]:
    now = clock.now()
    at = iso(now)
    wire = {"id": uuid7(int(now.timestamp() * 1000)), "kind": kind, "subject": subject, "happened_at": at,
            "recorded_at": at, "seat": seat, "operator": operator, "payload": payload}
    problem = protocol.check_event(wire, seat=seat)
    if problem is not None:
        raise BadInput("city.bad_event", zh="无法生成市级记录：{detail}", en="cannot make the city's record: {detail}",
                       detail=problem[1])
    return wire


def supervision(order_id: str, incident_id: str | None, reason: str, minutes: int, *, seat: str,
                operator: str, clock: Clock) -> dict[str, Any]:
    """A city-level ``order.supervised``: its reason, and a deadline ``minutes`` from now."""
    why = clean_text(reason or "")[:1000]
    if not why:
        raise BadInput("supervise.reason", zh="督办必须填写原因", en="a supervise order needs a reason")
    if not 1 <= minutes <= MAX_SUPERVISE_MINUTES:
        raise BadInput("supervise.minutes", zh="督办时限须为 1 到 {m} 分钟", en="the deadline must be 1 to {m} minutes",
                       m=MAX_SUPERVISE_MINUTES)
    due = iso(clock.now() + timedelta(minutes=minutes))
    payload = {"order_id": order_id, "incident_id": incident_id, "level": CITY_LEVEL, "reason": why, "due": due,
               "minutes": minutes}
    return _event("order.supervised", payload, subject=incident_id, seat=seat, operator=operator, clock=clock)


def note(incident_id: str, text: str, *, seat: str, operator: str, clock: Clock) -> dict[str, Any]:
    """A city note on a county incident (``incident.noted``)."""
    body = clean_text(text or "")[:2000]
    if not body:
        raise BadInput("city.empty_note", zh="备注不能为空", en="the note is empty")
    return _event("incident.noted", {"incident_id": incident_id, "note": body}, subject=incident_id, seat=seat,
                  operator=operator, clock=clock)
