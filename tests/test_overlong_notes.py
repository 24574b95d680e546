"""Overlong free text in orders, accountability and duty is refused with its limit, never cut.

The event schemas bound every text field; the domain functions used to cut a note to its
limit silently (``[:1000]``), which saves something nobody typed. Each write here is refused
with ``input.too_long`` in both languages and leaves the log as it was.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import TakeCall, one_row

from console.kernel.errors import BadInput
from console.seat.services import Services

LONG = "长" * 1001


def _events(services: Services) -> int:
    return int(one_row(services.store, "SELECT count(*) FROM events")[0])


def test_order_notes_reasons_and_accountability_texts_are_refused_whole(services: Services, call: TakeCall) -> None:
    incident = call().incident.no
    order = services.issue_order(incident, "power").no
    before = _events(services)
    attempts: dict[str, Callable[[], object]] = {
        "1000": lambda: services.issue_order(incident, "water_co", note=LONG),
        "1000 ": lambda: services.step(order, "ack", note=LONG),
        " 1000": lambda: services.step(order, "return", reason=LONG),
        "200": lambda: services.urge(order, "值" * 201, "电话", "请尽快签收"),
        "1000  ": lambda: services.urge(order, "值班员", "电话", LONG),
        "  1000": lambda: services.supervise(order, 1, LONG),
    }
    for limit, attempt in attempts.items():
        with pytest.raises(BadInput) as refused:
            attempt()
        assert refused.value.code == "input.too_long", limit
        assert limit.strip() in refused.value.message("zh") and "过长" in refused.value.message("zh")
        assert "too long" in refused.value.message("en")
    assert _events(services) == before
    # at the limit it is kept whole, not cut
    kept = services.step(order, "ack", note="短" * 1000)
    assert kept.no == order
    note = one_row(services.store, "SELECT json_extract(payload, '$.note') FROM events"
                                   " WHERE kind = 'order.stepped' ORDER BY seq DESC")[0]
    assert note == "短" * 1000


def test_an_operator_name_over_its_limit_is_refused(services: Services) -> None:
    before = _events(services)
    with pytest.raises(BadInput) as refused:
        services.enrol_operator("zhang", "张" * 41, "4821")
    assert refused.value.code == "input.too_long"
    assert "40" in refused.value.message("zh") and "name" in refused.value.message("en")
    assert _events(services) == before
