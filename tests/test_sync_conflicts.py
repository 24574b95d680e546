"""Conflict rules: two seats edit the same incident while cut off from each other, then sync.

Each case is built so that the two seats receive the other's edit in opposite orders; only
order-independent projection rules make them agree (docs/sync-protocol.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import one_row
from sync_harness import County

from console.calls import intake
from console.kernel.clock import FakeClock


@pytest.fixture
def county(tmp_path: Path) -> Iterator[County]:
    c = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    yield c
    c.close()


def _shared_incident(county: County) -> tuple[int, int, str]:
    """An incident with one order made on seat 1 and seen by seat 2; (no on 1, no on 2, id)."""
    a = county.seats["seat-01"]
    result = intake.new_call(a.ctx, None, phone="13800000001", text="井盖丢失", category="public_order",
                             dispatch=["housing"])
    for name in ("seat-01", "seat-02", "seat-01"):
        assert county.sync(name).ok
    b = county.seats["seat-02"]
    no_b = one_row(b.store, "SELECT no FROM incidents WHERE id = ?", (result.incident.id,))[0]
    return result.incident.no, no_b, result.incident.id


def _converge(county: County) -> None:
    county.drain()
    assert county.projection("seat-01") == county.projection("seat-02")


def test_order_steps_on_two_seats_move_forward_only(county: County) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    _shared_incident(county)
    order_id = one_row(a.store, "SELECT id FROM orders")[0]
    county.clock.advance(60)
    a.step(1, "ack")                      # seat 1 hears the unit acknowledge …
    county.clock.advance(60)
    b.step(1, "arrive")                   # … seat 2, not knowing, records it on scene
    for name in ("seat-02", "seat-01", "seat-02"):   # 1 gets "arrive" after its "ack", 2 the reverse
        assert county.sync(name).ok
    _converge(county)
    for s in (a, b):
        status, steps = one_row(s.store, "SELECT status, steps FROM orders WHERE id = ?", (order_id,))
        assert status == "on_scene"
        assert set(json.loads(steps)) == {"issued", "acknowledged", "on_scene"}
    print("\nsteps from two seats:", status, json.loads(steps))


def test_close_and_reopen_concurrently_last_writer_wins_everywhere(county: County) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    _, _, incident_id = _shared_incident(county)
    with a.ctx.transaction() as tx:
        tx.append("incident.closed", {"incident_id": incident_id}, subject=incident_id)
    county.clock.advance(5)
    with b.ctx.transaction() as tx:
        later = tx.append("incident.reopened", {"incident_id": incident_id}, subject=incident_id)
    for name in ("seat-01", "seat-02", "seat-01"):
        assert county.sync(name).ok
    _converge(county)
    for s in (a, b):
        status, stamp = one_row(s.store, "SELECT status, status_event FROM incidents WHERE id = ?", (incident_id,))
        assert (status, stamp) == ("open", later.id)
    # the losing close is still in both logs and on the timeline
    for s in (a, b):
        assert one_row(s.store, "SELECT count(*) FROM events WHERE kind = 'incident.closed'")[0] == 1


def test_category_edits_converge_and_notes_all_kept(county: County) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    no_a, no_b, incident_id = _shared_incident(county)
    intake.recategorize(a.ctx, no_a, "crime")
    intake.add_note(a.ctx, no_a, "来自一号席")
    county.clock.advance(1)
    intake.recategorize(b.ctx, no_b, "traffic_accident")
    intake.add_note(b.ctx, no_b, "来自二号席")
    for name in ("seat-02", "seat-01", "seat-02"):
        assert county.sync(name).ok
    _converge(county)
    for s in (a, b):
        assert one_row(s.store, "SELECT category FROM incidents WHERE id = ?", (incident_id,))[0] == "traffic_accident"
        notes = {json.loads(r[0])["note"] for r in s.store.all(
            "SELECT payload FROM events WHERE kind = 'incident.noted'")}
        assert notes == {"来自一号席", "来自二号席"}


def test_incidents_made_on_two_seats_stay_two(county: County) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    intake.new_call(a.ctx, None, phone="13800000009", text="路灯不亮", category="public_order")
    intake.new_call(b.ctx, None, phone="13800000009", text="路灯不亮", category="public_order")
    _converge(county)
    for s in (a, b):
        rows = s.store.all("SELECT seat, status FROM incidents ORDER BY created_at")
        assert sorted(tuple(r) for r in rows) == [("seat-01", "open"), ("seat-02", "open")]
        # each seat numbers them itself; both show on its board as waiting
        assert len(s.board().waiting) == 2


def test_an_event_arriving_before_what_it_refers_to_waits(county: County, tmp_path: Path) -> None:
    """After a server restore seats re-push in their own order: an order may reach a third seat
    before its incident. It waits as pending and is applied when the incident arrives."""
    from console.store.transaction import EventRecord

    b = county.seats["seat-02"]
    a = county.seats["seat-01"]
    result = intake.new_call(a.ctx, None, phone="13800000002", text="水管爆裂", category="public_order",
                             dispatch=["housing"])
    events = a.store.events_for([result.incident.id])
    rows = {r["id"]: r for r in a.store.all("SELECT * FROM events")}
    order_event = next(e for e in a.store.all("SELECT * FROM events WHERE kind = 'order.issued'"))
    with b.store.transaction("seat-02", "sync") as tx:
        record = EventRecord(order_event["id"], order_event["kind"], order_event["subject"],
                             order_event["happened_at"], order_event["recorded_at"], order_event["seat"],
                             order_event["operator"], json.loads(order_event["payload"]))
        assert tx.receive(record, 99)
    assert one_row(b.store, "SELECT count(*) FROM pending_events")[0] == 1
    assert one_row(b.store, "SELECT count(*) FROM orders")[0] == 0
    created = next(e for e in events if e.kind == "incident.created")
    with b.store.transaction("seat-02", "sync") as tx:
        tx.receive(created, 100)
        assert tx.apply_pending() == 1
    assert one_row(b.store, "SELECT count(*) FROM pending_events")[0] == 0
    assert one_row(b.store, "SELECT status FROM orders")[0] == "issued"
    assert rows  # the writing seat still holds everything


def test_an_event_that_cannot_be_applied_is_parked_not_fatal(county: County) -> None:
    """Another seat's bug (a call id used twice) must not wedge this seat's cursor."""
    from central.testing import wire_event

    a = county.seats["seat-01"]
    result = intake.new_call(a.ctx, None, phone="13800000003", text="路面塌陷", category="public_order")
    assert county.sync("seat-01").ok
    call_id = one_row(a.store, "SELECT id FROM calls")[0]
    bad = wire_event("seat-02", "call.added", subject=result.incident.id, payload={
        "call_id": call_id, "incident_id": result.incident.id, "phone": "13800000004",
        "caller_name": "", "text": "重复的来电编号", "address": "", "area": "urban"})
    good = wire_event("seat-02", "incident.noted", subject=result.incident.id,
                      payload={"incident_id": result.incident.id, "note": "之后的备注照常到达"})
    acks = county.central.apply_batch("demo-county", "seat-02", [bad, good])
    assert [x["status"] for x in acks] == ["accepted", "accepted"]
    report = county.sync("seat-01")
    assert report.ok
    status = a.sync_status()
    assert status.lag == 0 and status.pending == 1
    waiting = one_row(a.store, "SELECT waiting_for FROM pending_events")[0]
    assert waiting.startswith("error: IntegrityError")
    assert one_row(a.store, "SELECT count(*) FROM events WHERE id = ?", (good["id"],))[0] == 1
    assert one_row(a.store, "SELECT count(*) FROM calls")[0] == 1  # the bad call changed nothing


def test_text_that_needs_escaping_travels_intact(county: County) -> None:
    """Push bodies are assembled from stored text; anything unusual is escaped, not pasted."""
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    _, _, incident_id = _shared_incident(county)
    odd = 'a "quoted" subject \\ with\nnewline'
    with a.ctx.transaction() as tx:
        noted = tx.append("incident.noted", {"incident_id": incident_id, "note": '引号"和\\反斜杠'}, subject=odd)
    assert county.sync("seat-01").ok and county.sync("seat-02").ok
    row = one_row(b.store, "SELECT subject, payload FROM events WHERE id = ?", (noted.id,))
    assert row["subject"] == odd and json.loads(row["payload"])["note"] == '引号"和\\反斜杠'


def test_a_transfer_and_a_reopen_on_two_seats_agree_on_the_disposition(county: County) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    intake_result = intake.new_call(a.ctx, None, phone="13800000005", text="邻居吵架", category="public_order")
    for name in ("seat-01", "seat-02"):
        assert county.sync(name).ok
    incident_id = intake_result.incident.id
    intake.transfer(a.ctx, intake_result.incident.no, "110")
    county.clock.advance(5)
    with b.ctx.transaction() as tx:  # seat 2 had not seen the transfer; it reopens (a later id)
        tx.append("incident.reopened", {"incident_id": incident_id}, subject=incident_id)
    for name in ("seat-01", "seat-02", "seat-01"):
        assert county.sync(name).ok
    _converge(county)
    for s in (a, b):
        row = one_row(s.store, "SELECT status, disposition FROM incidents WHERE id = ?", (incident_id,))
        # the reopen wins the status; the transfer is still the newest word on the disposition
        assert tuple(row) == ("open", "transfer_110")
    assert county.projection("seat-01") == county.projection("seat-02")


def test_a_reject_on_one_seat_and_a_reassign_on_the_other_converge(county: County) -> None:
    """Cut off from each other, seat 1 rejects the unit's return (back to the unit) while seat 2
    reassigns the returned order (which records an accept). Both reviews are kept; every seat
    settles the order the same way (the newest review of the return rules, and a reassign
    closes the order whatever arrives first)."""
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    _, _, incident_id = _shared_incident(county)
    county.clock.advance(60)
    a.step(1, "ack")
    county.clock.advance(60)
    a.step(1, "return", reason="不属于本单位")
    for name in ("seat-01", "seat-02"):
        assert county.sync(name).ok
    county.clock.advance(60)
    a.review_return(1, "reject", "属于本单位职责")
    county.clock.advance(60)
    order_b = one_row(b.store, "SELECT no FROM orders WHERE incident_id = ? AND status = 'returned'",
                      (incident_id,))[0]
    b.reassign(order_b, "transport")
    for name in ("seat-02", "seat-01", "seat-02"):
        assert county.sync(name).ok
    _converge(county)
    for s in (a, b):
        decisions = sorted(r[0] for r in s.store.all("SELECT decision FROM order_return_reviews"))
        assert decisions == ["accept", "reject"]
        statuses = sorted(r[0] for r in s.store.all(
            "SELECT status FROM orders WHERE incident_id = ?", (incident_id,)))
        assert statuses == ["issued", "reassigned"]


def test_gradings_on_two_seats_agree_on_the_grade_and_the_raising(county: County) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    no_a, no_b, incident_id = _shared_incident(county)
    county.clock.advance(60)
    first = a.grade(no_a, "IV", type="accident")
    county.clock.advance(60)
    b.grade(no_b, "III", type="accident", injured=4)
    for name in ("seat-02", "seat-01", "seat-02"):
        assert county.sync(name).ok
    _converge(county)
    ga, gb = a.grade_of(incident_id), b.grade_of(incident_id)
    assert ga == gb and ga is not None
    assert ga.level.value == "III" and ga.injured == 4 and ga.count == 2
    assert ga.raised_at == first.raised_at    # the earliest plan-level grading, on both seats


def test_a_plan_activated_on_one_seat_is_worked_on_both_and_converges(county: County) -> None:
    """Seat 1 raises and activates the gas-leak plan (its orders come in the same transaction);
    seat 2, after a sync, ticks step 1 while seat 1, cut off, unticks it and ticks step 2. Both
    see the same activation (the snapshot), the same orders and the same checklist (the newest
    tick of each step wins)."""
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    made = intake.new_call(a.ctx, None, phone="13800000001", text="小区燃气泄漏", address="人民路12号",
                           category="gas_leak", dispatch=["gas"])
    incident_id = made.incident.id
    a.grade(made.incident.no, "IV")
    a.activate_plan(made.incident.no, "residential_gas_leak")
    a.check_plan_step(made.incident.no, 1)
    for name in ("seat-01", "seat-02"):
        assert county.sync(name).ok
    no_b = one_row(b.store, "SELECT no FROM incidents WHERE id = ?", (incident_id,))[0]
    county.clock.advance(60)
    a.check_plan_step(made.incident.no, 1, done=False, note="复核未完成")
    county.clock.advance(60)
    b.check_plan_step(no_b, 1, note="已确认")          # newer: ticks step 1 again
    a.check_plan_step(made.incident.no, 2)
    for name in ("seat-02", "seat-01", "seat-02"):
        assert county.sync(name).ok
    _converge(county)
    seen = []
    for s in (a, b):
        (activation,) = s.activations(incident_id)
        seen.append((activation.id, [(x.n, x.done) for x in activation.steps[:3]],
                     sorted(r[0] for r in s.store.all(
                         "SELECT unit FROM orders WHERE incident_id = ?", (incident_id,)))))
    assert seen[0] == seen[1]
    assert seen[0][1] == [(1, True), (2, True), (3, False)]
    assert len(seen[0][2]) >= 4 and "gas" in seen[0][2]


def test_two_seats_completing_the_last_two_orders_at_once_close_the_incident(county: County) -> None:
    """Each seat completes one of the two orders while cut off; neither saw the other's, so neither
    closed the incident when it recorded its step. Once each pulls the other's completion it closes
    the now finished incident (as ``sync``), and every seat agrees it is closed."""
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    made = intake.new_call(a.ctx, None, phone="13800000001", text="井盖丢失", category="public_order",
                           dispatch=["housing", "transport"])
    incident_id = made.incident.id
    for name in ("seat-01", "seat-02"):
        assert county.sync(name).ok
    nos_b = {r[0]: r[1] for r in b.store.all("SELECT unit, no FROM orders WHERE incident_id = ?",
                                              (incident_id,))}
    county.clock.advance(60)
    for verb in ("ack", "complete"):
        a.step(made.orders[0].no, verb)
        b.step(nos_b[made.orders[1].unit], verb)
    for s in (a, b):
        assert one_row(s.store, "SELECT status FROM incidents WHERE id = ?", (incident_id,))[0] == "open"
    for name in ("seat-01", "seat-02", "seat-01"):
        assert county.sync(name).ok
    _converge(county)
    for s in (a, b):
        assert one_row(s.store, "SELECT status FROM incidents WHERE id = ?", (incident_id,))[0] == "closed"
        closes = s.store.all("SELECT operator FROM events WHERE kind = 'incident.closed' AND subject = ?",
                             (incident_id,))
        assert 1 <= len(closes) <= 2 and {r[0] for r in closes} == {"sync"}


def test_a_reopened_incident_is_not_closed_again_by_an_old_step_arriving_late(county: County) -> None:
    """Seat 1 completes the only order (closing the incident) and later reopens it; seat 2 had
    recorded a late feedback on the same order. Pulling it changes no order from open to closed,
    so nothing closes the reopened incident behind the dispatcher's back."""
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    no_a, no_b, incident_id = _shared_incident(county)
    county.clock.advance(60)
    b.step(1, "ack")
    a.step(1, "ack")
    a.step(1, "complete")
    assert one_row(a.store, "SELECT status FROM incidents WHERE id = ?", (incident_id,))[0] == "closed"
    county.clock.advance(60)
    a.callback(no_a, "dissatisfied", "没修好", reopen=True)
    for name in ("seat-01", "seat-02", "seat-01", "seat-02"):
        assert county.sync(name).ok
    _converge(county)
    for s in (a, b):
        assert one_row(s.store, "SELECT status FROM incidents WHERE id = ?", (incident_id,))[0] == "open"
    assert no_b
