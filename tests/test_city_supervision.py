"""The city's token: it reads every county, records a city-level 督办 that reaches the county's
seats through sync, and cannot create an incident (or write anything but 督办 and notes).

A real server app over both engines (``central_spec``), real seats (tests/sync_harness.py)
syncing through it in-process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sync_harness import COUNTY, County

from central.store import CITY_SCOPES, CITY_SUPERVISE_SCOPES
from central.testing import asgi_request, push_body, wire_event
from console.calls import intake
from console.city import supervise
from console.kernel.clock import FakeClock
from console.orders.accountability import CITY_LEVEL

START = "2026-11-28T06:00:00Z"


def _get(county: County, url: str, token: str) -> Any:
    return asgi_request(county.app, "GET", url, headers={"Authorization": f"Bearer {token}"})


def _push(county: County, stream: str, events: list[dict[str, Any]], token: str, seat: str) -> Any:
    return asgi_request(county.app, "POST", f"/v1/streams/{stream}/events:push", json=push_body(events, seat),
                        headers={"Authorization": f"Bearer {token}"})


def test_a_city_supervision_reaches_the_county_seats_and_a_city_token_creates_nothing_else(
        tmp_path: Path, central_spec: Path | str) -> None:
    clock = FakeClock(START)
    county = County(tmp_path, clock, seats=2, store=central_spec)
    try:
        seat = county.seats["seat-01"]
        made = intake.new_call(seat.ctx, None, phone="13700000001", text="燃气味很重", address="幸福小区3栋",
                               category="public_order", dispatch=["housing"])
        county.drain()
        # a second county's stream, which the city reads as well
        other = county.central.add_token("other-county", "seat-01")
        assert _push(county, "other-county", [wire_event()], other, "seat-01").status_code == 200
        city = county.central.add_token("*", "city-01", CITY_SUPERVISE_SCOPES)
        reader = county.central.add_token("*", "city-02", CITY_SCOPES)

        # the city reads every county
        pages = {name: _get(county, f"/v1/streams/{name}/events", city).json() for name in (COUNTY, "other-county")}
        assert len(pages["other-county"]["events"]) == 1
        issued = [e for e in pages[COUNTY]["events"] if e["kind"] == "order.issued"]
        assert [e["payload"]["order_id"] for e in issued] == [made.orders[0].id]

        # 督办 from the city: accepted into the county's stream
        clock.advance(60)
        event = supervise.supervision(made.orders[0].id, made.incident.id, "市应急局：请立即处置并回报", 30,
                                      seat="city-01", operator="city-duty", clock=clock)
        noted = supervise.note(made.incident.id, "市应急局已关注此事件", seat="city-01", operator="city-duty",
                               clock=clock)
        answer = _push(county, COUNTY, [event, noted], city, "city-01")
        assert answer.status_code == 200, answer.text
        assert [a["status"] for a in answer.json()["acks"]] == ["accepted", "accepted"]
        stored = county.central.count_events(COUNTY)

        # ... but never an incident, not even in a batch with a 督办; nothing of the batch is kept
        created = wire_event("city-01", "incident.created")
        refused = _push(county, COUNTY, [created], city, "city-01")
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", refused.text
        mixed = _push(county, COUNTY, [supervise.supervision(made.orders[0].id, made.incident.id, "再次督办", 30,
                                                              seat="city-01", operator="city-duty", clock=clock),
                                       wire_event("city-01", "order.stepped")], city, "city-01")
        assert mixed.status_code == 403
        # a city reader without the supervise scope writes nothing at all; nor into an unknown county
        assert _push(county, COUNTY, [event], reader, "city-02").status_code == 403
        assert _push(county, "no-such-county", [event], city, "city-01").status_code == 404
        assert county.central.count_events(COUNTY) == stored
        assert "incident.created" not in {json.loads(r[0])["kind"] for r in county.central.conn.execute(
            "SELECT body FROM events WHERE seat = 'city-01'")}

        # the county's seats pull the city's 督办 and show it on their boards (督4)
        county.drain()
        for name in county.names:
            services = county.seats[name]
            ruling = services.supervision(made.orders[0].id)
            assert ruling is not None and ruling.level == CITY_LEVEL, name
            assert ruling.reason == "市应急局：请立即处置并回报" and ruling.operator == "city-duty"
            notes = services.store.all("SELECT seat FROM events WHERE kind = 'incident.noted' AND seat = 'city-01'")
            assert len(notes) == 1
        print(f"\ncity 督办 level {CITY_LEVEL} on order {made.orders[0].no} reached {len(county.names)} seats;"
              " incident.created from the city: 403")
    finally:
        county.close()
