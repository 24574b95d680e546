"""Several services on one incident (issue 12 item 8): transfers to 110/119/120 each recorded
with its own time, side by side with linkage orders; old transfer events replay as before."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import TakeCall, Unchanged, one_row

from console.commands.shapes import incident_json
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.kernel.model import IncidentStatus
from console.seat.services import Services
from console.words import Words


def transfers(services: Services) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in services.store.all(
        "SELECT service, transferred_at FROM incident_transfers ORDER BY transferred_at, event_id")]


def test_fight_with_injury_goes_to_110_and_120_in_one_call(services: Services, clock: FakeClock) -> None:
    result = services.new_call(phone="13800000001", text="两个人打架，一个男的头上流血了",
                               address="人民路12号", category="public_order", transfer=["110", "120"])
    assert result.incident.status == IncidentStatus.TRANSFERRED
    assert result.incident.transfers == ("110", "120")
    assert [s for s, _ in transfers(services)] == ["110", "120"]
    kinds = [r[0] for r in services.store.all("SELECT kind FROM events ORDER BY seq")
             if r[0] != "catalog.loaded"]
    assert kinds == ["incident.created", "incident.transferred", "incident.transferred"]
    words = Words("zh", services.config.tz, services.catalog)
    assert "转110+120" in words.incident_line(services.incident(1).incident)
    assert incident_json(services.incident(1).incident)["transfers"] == ["110", "120"]


def test_second_transfer_after_the_first_is_allowed_and_timed(services: Services, call: TakeCall,
                                                              clock: FakeClock) -> None:
    call(category="public_order", text="有人打架")
    services.transfer(1, "110")
    clock.advance(minutes=2)
    incident = services.transfer(1, "120", note="伤者流血")
    assert incident.transfers == ("110", "120")
    (s1, t1), (s2, t2) = transfers(services)
    assert (s1, s2) == ("110", "120") and t1 < t2
    with pytest.raises(BadInput) as info:
        services.transfer(1, "120")
    assert info.value.code == "transfer.again"
    assert "已转120" in info.value.message("zh") and "already went to 120" in info.value.message("en")


def test_emergency_transfer_beside_open_orders(services: Services, call: TakeCall) -> None:
    """A gas leak with dizzy residents: the gas company's order runs, 120 is called too, and
    the incident stays open while the order runs."""
    call(category="gas_leak", text="燃气泄漏，老人头晕")
    order = services.issue_order(1, "gas")
    incident = services.transfer(1, "120")
    assert incident.status == IncidentStatus.OPEN and incident.transfers == ("120",)
    board = services.board()
    assert [(r.order.no, r.transfers) for r in board.rows] == [(order.no, ("120",))]
    words = Words("zh", services.config.tz, services.catalog)
    assert "(转120)" in words.board_lines(board)[1]
    services.step(order.no, "ack")
    services.step(order.no, "complete")
    assert services.incident(1).incident.status == IncidentStatus.CLOSED


def test_intake_with_120_and_a_linkage_order_in_one_transaction(services: Services) -> None:
    result = services.new_call(phone="13800000001", text="燃气泄漏，家里老人头晕", address="幸福小区",
                               category="gas_leak", transfer="120", dispatch=["gas"])
    assert result.incident.status == IncidentStatus.OPEN
    assert result.incident.transfers == ("120",)
    assert [o.unit for o in result.orders] == ["gas"]


def test_linkage_order_after_a_transfer_reopens_the_incident(services: Services, call: TakeCall) -> None:
    call(category="medical", text="老人头晕")
    services.transfer(1, "120")
    order = services.issue_order(1, "gas")
    detail = services.incident(1)
    assert detail.incident.status == IncidentStatus.OPEN and detail.incident.transfers == ("120",)
    assert [o.unit for o, _ in detail.orders] == [order.unit]


def test_12345_still_ends_the_handling_and_does_not_mix(services: Services, call: TakeCall,
                                                        unchanged: Unchanged) -> None:
    call()
    with unchanged(services), pytest.raises(BadInput) as info:
        services.transfer(1, "110,12345")
    assert info.value.code == "transfer.mixed"
    with pytest.raises(BadInput) as info:
        services.new_call(phone="13800000002", text="咨询", category="power_supply",
                          transfer="12345", dispatch=["power"])
    assert info.value.code == "intake.transfer_and_dispatch"
    assert "12345" in info.value.message("zh") and "12345" in info.value.message("en")


def test_old_transfer_events_replay_to_the_same_tables(services: Services, call: TakeCall) -> None:
    """A log written before several services existed (no keep_open, no incident_transfers):
    the migration's backfill gives it its transfer rows and the status stays what it was."""
    from console.store.schema import MIGRATIONS

    call(category="public_order", text="有人打架")
    services.transfer(1, "110")
    before = tuple(one_row(services.store, "SELECT status, disposition, closed_at FROM incidents"))
    assert before[0] == "transferred"
    payload = json.loads(one_row(services.store,
        "SELECT payload FROM events WHERE kind = 'incident.transferred'")[0])
    assert "keep_open" not in payload   # a plain transfer is written exactly as before
    conn = services.store.conn
    conn.execute("DELETE FROM incident_transfers")
    sql = next(body for name, body in MIGRATIONS if name.startswith("several services"))
    backfill = next(st for st in sql.split(";") if "INSERT INTO incident_transfers" in st)
    conn.execute(backfill)
    assert [tuple(r) for r in conn.execute("SELECT service, note FROM incident_transfers")] == [("110", "")]
    assert tuple(one_row(services.store, "SELECT status, disposition, closed_at FROM incidents")) == before


def test_transfer_and_orders_apply_in_any_order(services: Services, call: TakeCall) -> None:
    """keep_open transfers, plain transfers and reopen are each order-independent."""
    from console.store.projections import apply_event
    from console.store.transaction import record_from_row

    call(category="gas_leak", text="燃气泄漏，老人头晕")
    services.issue_order(1, "gas")
    services.transfer(1, "120")
    services.transfer(1, "110")
    rows = services.store.all("SELECT * FROM events WHERE kind != 'catalog.loaded' ORDER BY seq")
    records = [record_from_row(r) for r in rows]

    def build(order: list) -> tuple:
        conn = sqlite3.connect(":memory:")
        conn.row_factory = sqlite3.Row
        from console.store.schema import MIGRATIONS, apply_migrations

        apply_migrations(conn, MIGRATIONS, "2026-01-01T00:00:00Z", RuntimeError())
        creates = [r for r in order if r.kind in ("incident.created",)]
        issued = [r for r in order if r.kind == "order.issued"]
        rest = [r for r in order if r not in creates and r not in issued]
        for r in [*creates, *issued, *rest]:
            apply_event(conn, r)
        return (tuple(conn.execute("SELECT status, disposition FROM incidents").fetchone()),
                sorted(tuple(r) for r in conn.execute("SELECT service, event_id FROM incident_transfers")))

    assert build(records) == build(list(reversed(records)))
    assert build(records)[0][0] == "open"
