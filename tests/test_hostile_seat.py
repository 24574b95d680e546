"""One malformed event pushed with one seat's token must not stop a county (issue 11).

Two real seats and the real city server app (tests/sync_harness.py). Every case is pushed
with a seat's own token and must be refused by the server; then the same bytes are planted
straight into the server's store, as a server older than the checks would have kept them,
and the other seat must set the event aside with a reason, keep syncing, keep working, and
receive what was pushed after it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import one_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sync_harness import COUNTY, County

from central.testing import SAMPLES, asgi_request, push_body, registry_payload, wire_event
from console.commands.grammar import run
from console.kernel import ids
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput, DataError
from console.store.payloads import PAYLOADS, required_keys
from console.store.projections import APPLIERS, REQUIRES
from console.store.transaction import EventRecord
from console.sync.protocol import canonical, id_millis

FUTURE_ID = "ffffffff-ffff-7fff-bfff-ffffffffffff"


@pytest.fixture
def county(tmp_path: Path) -> Any:
    c = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    c.drain()
    yield c
    c.close()


def push_raw(county: County, seat: str, body: str) -> Any:
    """A push as a hostile seat sends it: any bytes, with that seat's real token."""
    return asgi_request(county.app, "POST", f"/v1/streams/{COUNTY}/events:push", content=body.encode(),
                        headers={"authorization": f"Bearer {county.tokens[seat]}",
                                 "content-type": "application/json"})


def push(county: County, seat: str, events: list[dict[str, Any]]) -> Any:
    return push_raw(county, seat, json.dumps(push_body(events, seat), ensure_ascii=False))


def plant(county: County, seat: str, wire: dict[str, Any], text: str | None = None) -> None:
    """Store an event the way a server without the checks did: as sent, unexamined."""
    body = text if text is not None else json.dumps(
        {k: wire[k] for k in sorted(wire)}, ensure_ascii=False, separators=(",", ":"))
    county.central.apply_batch(COUNTY, seat, [wire], [body])


def refused_codes(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "invalid_events"
    return [e["code"] for e in problem["errors"]]


def synced(county: County, name: str) -> Any:
    """One pass that must succeed and leave the seat caught up."""
    report = county.sync(name)
    assert report.ok, (report.error_code, report.error_detail)
    status = county.seats[name].sync_status()
    assert status.lag == 0 and status.after_seq == status.high_watermark
    return report


def a_call(county: County, name: str, text: str = "小区停电两个小时了") -> Any:
    return county.seats[name].new_call(phone="13800000001", text=text, address="人民路12号",
                                       category="power_supply")


def id_at(unix_ms: int) -> str:
    """A UUIDv7 stamped ``unix_ms``, made by hand so this process's id clock is not moved."""
    stamp = f"{unix_ms:012x}"
    return f"{stamp[:8]}-{stamp[8:]}{ids.uuid7(0)[13:]}"


def refused_ids(county: County, name: str) -> dict[str, str]:
    return {r[0]: r[1] for r in county.seats[name].store.all("SELECT event_id, code FROM sync_refused")}


# -- 1. a registry that is not a catalog ----------------------------------------------------
def test_a_registry_that_is_not_a_catalog_is_refused_and_never_replaces_the_working_one(county: County) -> None:
    bad = wire_event("seat-01", "catalog.loaded", payload={"version": "evil", "body": "{}"})
    assert refused_codes(push(county, "seat-01", [bad])) == ["bad_registry"]
    not_json = wire_event("seat-01", "catalog.loaded", payload={"version": "evil", "body": "not json"})
    assert refused_codes(push(county, "seat-01", [not_json])) == ["bad_registry"]
    assert county.server_ids().count(bad["id"]) == 0

    b = county.seats["seat-02"]
    working = b.catalog.version
    plant(county, "seat-01", bad)
    after = a_call(county, "seat-01", "后来的一条报警")
    synced(county, "seat-01")
    synced(county, "seat-02")
    assert refused_ids(county, "seat-02") == {bad["id"]: "bad_registry"}
    assert one_row(b.store, "SELECT version FROM catalog_snapshot")[0] == working
    assert b.store.one("SELECT 1 FROM incidents WHERE id = ?", (after.incident.id,)) is not None
    # the seat still works: a new call, a reload, a restart
    assert a_call(county, "seat-02").incident.no > 0
    county.restart("seat-02")
    assert county.seats["seat-02"].catalog.version == working
    assert county.seats["seat-02"].reload_catalog() is False
    # the server's registry endpoint does not offer it either
    served = asgi_request(county.app, "GET", f"/v1/streams/{COUNTY}/registry",
                          headers={"authorization": f"Bearer {county.tokens['seat-02']}"}).json()
    assert served["registry"] is None or served["registry"]["event_id"] != bad["id"]


# -- 2. payloads that stopped every seat's pull ----------------------------------------------
def test_a_dict_where_an_id_goes_is_refused_and_set_aside_and_later_events_arrive(county: County) -> None:
    incident = a_call(county, "seat-01").incident
    synced(county, "seat-01")
    bad = wire_event("seat-01", "incident.noted", payload={"incident_id": {"oops": 1}}, subject=incident.id)
    assert refused_codes(push(county, "seat-01", [bad])) == ["bad_payload"]

    plant(county, "seat-01", bad)
    later = county.seats["seat-01"].note(incident.no, "后续情况")
    synced(county, "seat-01")
    synced(county, "seat-02")
    assert refused_ids(county, "seat-02") == {bad["id"]: "bad_payload"}
    b = county.seats["seat-02"]
    assert b.store.one("SELECT 1 FROM events WHERE id = ?", (bad["id"],)) is None, "never in the log"
    assert later.id == incident.id
    assert one_row(b.store, "SELECT count(*) FROM events WHERE kind = 'incident.noted' AND subject = ?",
                   (incident.id,))[0] == 1


def test_an_infinite_step_is_refused_never_served_as_infinity_and_set_aside(county: County) -> None:
    incident = a_call(county, "seat-01").incident
    synced(county, "seat-01")
    wire = wire_event("seat-01", "plan.step_checked", subject=incident.id,
                      payload={"incident_id": incident.id, "step": 1})
    text = json.dumps(push_body([wire], "seat-01")).replace('"step": 1', '"step": 1e999')
    assert "1e999" in text
    assert refused_codes(push_raw(county, "seat-01", text)) == ["bad_payload"]

    # an older server kept it and wrote it back out as Python does: Infinity
    planted = canonical(wire).replace('"step":1', '"step":Infinity')
    plant(county, "seat-01", wire, planted)
    page = asgi_request(county.app, "GET", f"/v1/streams/{COUNTY}/events", params={"after": 0, "limit": 1000},
                        headers={"authorization": f"Bearer {county.tokens['seat-02']}"})
    assert page.status_code == 200 and "Infinity" not in page.text and "NaN" not in page.text
    json.loads(page.text, parse_constant=lambda name: pytest.fail(f"{name} served"))

    a_call(county, "seat-01", "后来的一条报警")
    synced(county, "seat-01")
    report = synced(county, "seat-02")
    assert report.refused == 1
    assert refused_ids(county, "seat-02") == {wire["id"]: "bad_payload"}
    assert one_row(county.seats["seat-02"].store, "SELECT count(*) FROM incidents")[0] == 2


def test_an_event_that_fails_to_apply_is_parked_with_its_error_even_in_the_reference_lookup(
        county: County) -> None:
    """Past the checks (say, a kind's schema loosened by a bug), whatever raises while a pulled
    event is taken in, the reference lookup included, parks it; the pass goes on."""
    b = county.seats["seat-02"]
    hostile = EventRecord(id=id_at(int(county.clock.now().timestamp() * 1000)), kind="incident.noted", subject=None,
                          happened_at="2026-11-28T06:00:00.000Z", recorded_at="2026-11-28T06:00:00.000Z",
                          seat="seat-01", operator="duty", payload={"incident_id": {"oops": 1}})
    with b.store.transaction("seat-02", "sync") as tx:
        assert tx.receive(hostile, 99) is True
    row = b.store.one("SELECT waiting_for FROM pending_events WHERE event_id = ?", (hostile.id,))
    assert row is not None and row[0].startswith("error: ")
    status = run(b, "sync status", lang="en")
    assert status.data["failed"] == 1
    assert any(hostile.id in line and "failed" in line for line in status.lines)


# -- 3. ids from the far future -----------------------------------------------------------------
def test_a_future_id_is_refused_and_a_planted_one_does_not_freeze_last_writer_wins(county: County) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    incident = a_call(county, "seat-01").incident
    synced(county, "seat-01")
    synced(county, "seat-02")
    hour_ahead = ids.horizon(int(county.clock.now().timestamp() * 1000)) + 3_600_000
    soon = {**wire_event("seat-01"), "id": id_at(hour_ahead)}
    assert id_millis(soon["id"]) == hour_ahead
    far = {**wire_event("seat-01", "incident.recategorized", subject=incident.id,
                        payload={"incident_id": incident.id, "category": "fire"}), "id": FUTURE_ID}
    assert refused_codes(push(county, "seat-01", [soon, far])) == ["future_id", "future_id"]

    # an older server stored it: the seat that pulls it sets it aside and its own ids stay sane
    plant(county, "seat-01", far)
    before = one_row(b.store, "SELECT max(id) FROM events")[0]
    synced(county, "seat-02")
    assert refused_ids(county, "seat-02") == {FUTURE_ID: "future_id"}
    changed = b.recategorize(incident.no, "gas_leak")
    assert changed.category == "gas_leak", "a local change after the pull still wins"
    newest = one_row(b.store, "SELECT max(id) FROM events WHERE origin = 'local'")[0]
    assert before < newest < FUTURE_ID and not newest.startswith("0000")
    transferred = b.transfer(incident.no, "110")
    assert transferred.status.value == "transferred"
    synced(county, "seat-02")
    synced(county, "seat-01")
    assert tuple(one_row(a.store, "SELECT category, status FROM incidents WHERE id = ?", (incident.id,))) == (
        "gas_leak", "transferred")


def test_the_id_clock_never_follows_an_id_beyond_the_horizon() -> None:
    now = int(time.time() * 1000)
    limit = ids.horizon(now)
    assert ids.observe(id_millis(FUTURE_ID), limit) is False
    assert ids.observe((1 << 48) + 5) is False, "past the 48 bits an id has for its time"
    assert ids.observe(limit + 1, limit) is False
    made = ids.uuid7(now)
    assert now <= id_millis(made) <= limit and not made.startswith("0000")


# -- 9. what the server would refuse, the seat refuses on write --------------------------------
def test_an_operator_the_server_would_refuse_is_refused_on_write_and_nothing_is_saved(county: County) -> None:
    b = county.seats["seat-02"]
    before = one_row(b.store, "SELECT count(*) FROM events")[0]
    for operator in ("王" * 200, "   ", ""):
        b.ctx.operator = operator
        with pytest.raises(BadInput) as refused:
            a_call(county, "seat-02")
        assert refused.value.code == "store.operator"
        assert "64" in refused.value.message("zh") and "64" in refused.value.message("en")
    assert one_row(b.store, "SELECT count(*) FROM events")[0] == before


def test_a_blank_or_overlong_operator_in_the_profile_is_refused_at_start(tmp_path: Path) -> None:
    from console.kernel.config import load_config

    for name in ("   ", "x" * 65):
        path = tmp_path / "config.toml"
        path.write_text(f'[center]\noperator = "{name}"\n', encoding="utf-8")
        with pytest.raises(DataError, match="operator"):
            load_config(path)


def test_a_payload_field_no_schema_names_is_refused_locally_and_by_the_server(county: County) -> None:
    b = county.seats["seat-02"]
    incident = a_call(county, "seat-02").incident
    with pytest.raises(BadInput) as refused, b.store.transaction("seat-02", "duty") as tx:
        tx.append("incident.noted", {"incident_id": incident.id, "note": "x", "extra": "y" * 200_000})
    assert refused.value.code == "store.schema" and "extra" in refused.value.message("en")
    nested = wire_event("seat-01", "roster.filed", payload={"shifts": [
        {"start": "2026-11-28T06:00:00.000Z", "end": "2026-11-28T07:00:00.000Z", "person": "x", "phone": "1",
         "hidden": {"deep": [1, 2, 3]}}]})
    long_text = wire_event("seat-01", "incident.noted", payload={"note": "长" * 50_000})
    answer = push(county, "seat-01", [nested, wire_event("seat-01"), long_text])
    assert refused_codes(answer) == ["bad_payload", "bad_payload"]
    details = [e["detail"] for e in answer.json()["errors"]]
    assert "hidden" in details[0] and "4000" in details[1], details
    # a 400,000-character note is refused with its limit, not cut
    with pytest.raises(BadInput) as cut, b.store.transaction("seat-02", "duty") as tx:
        tx.append("incident.noted", {"incident_id": incident.id, "note": "长" * 400_000})
    assert "4000" in cut.value.message("en")


# -- the quarantine, seen and dropped --------------------------------------------------------
def test_sync_status_and_quarantine_list_what_was_set_aside_and_drop_forgets_it(county: County) -> None:
    bad = [wire_event("seat-01", "incident.noted", payload={"incident_id": "not-an-id"}) for _ in range(3)]
    for wire in bad:
        plant(county, "seat-01", wire)
    synced(county, "seat-02")
    b = county.seats["seat-02"]
    status = run(b, "sync status", lang="en")
    assert status.data["refused"] == 3 and status.data["lag"] == 0
    assert [p["event_id"] for p in status.data["parked"]] == [w["id"] for w in bad]
    assert status.data["parked"][0]["kind"] == "incident.noted" and status.data["parked"][0]["state"] == "refused"
    assert any("3 pulled events set aside" in line for line in status.lines)
    assert "搁置 3 条下载的事件" in "\n".join(run(b, "sync status", lang="zh").lines)

    listed = run(b, "sync quarantine", lang="en")
    assert [p["event_id"] for p in listed.data["parked"]] == [w["id"] for w in bad]
    assert "bad_payload" in listed.data["parked"][0]["reason"]
    assert run(b, ["sync", "quarantine", "drop", bad[0]["id"]], lang="en").data["dropped"] == [bad[0]["id"]]
    with pytest.raises(BadInput) as unknown:
        run(b, ["sync", "quarantine", "drop", bad[0]["id"]], lang="en")
    assert unknown.value.code == "sync.not_parked"
    assert sorted(run(b, "sync quarantine drop --all", lang="en").data["dropped"]) == sorted(w["id"] for w in bad[1:])
    assert run(b, "sync status", lang="en").data["refused"] == 0
    synced(county, "seat-02")  # forgotten, not pulled again: the cursor is past them


# -- fuzz: random payloads of right and wrong shapes, every kind ------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def payloads(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(sorted(PAYLOADS)))
    base = dict(registry_payload() if kind == "catalog.loaded" else SAMPLES[kind])
    how = draw(st.sampled_from(["keep", "same_type", "replace", "add", "drop", "whole"]))
    if how == "keep":  # right shape: accepted, stored, pulled (and waits for its incident)
        return kind, base
    if how == "whole":
        return kind, draw(JSON)
    if how == "same_type":  # right type, any value: a bound, an enum or an id shape may fail
        key = draw(st.sampled_from(sorted(base)))
        same = {str: st.text(max_size=40), bool: st.booleans(), int: st.integers(-5, 200_000),
                list: st.lists(JSON, max_size=3)}
        base[key] = draw(same.get(type(base[key]), JSON))
        return kind, base
    key = draw(st.sampled_from(sorted(base)) if how != "add" else st.text(min_size=1, max_size=10))
    if how == "drop":
        base.pop(key, None)
    else:
        base[key] = draw(JSON)
    return kind, base


def test_fuzzed_payloads_never_escape_as_exceptions_nor_stop_the_cursor(tmp_path: Path) -> None:
    county = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    try:
        county.drain()

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(payloads())
        def one(case: tuple[str, Any]) -> None:
            kind, payload = case
            wire = wire_event("seat-01", kind)
            wire["payload"] = payload
            text = json.dumps(push_body([wire], "seat-01"), ensure_ascii=False)
            answer = push_raw(county, "seat-01", text)
            # 400: NaN/Infinity make the body itself not JSON; 422: the event is refused
            assert answer.status_code in (200, 400, 422), answer.text
            if answer.status_code != 200:
                plant(county, "seat-01", wire, json.dumps(wire, ensure_ascii=False))
            synced(county, "seat-02")

        one()
        marker = a_call(county, "seat-01", "模糊测试之后的一条报警").incident
        synced(county, "seat-01")
        synced(county, "seat-02")
        assert county.seats["seat-02"].store.one("SELECT 1 FROM incidents WHERE id = ?", (marker.id,))
        server_total = county.central.count_events(COUNTY)
        b = county.seats["seat-02"].store
        seen = one_row(b, "SELECT count(*) FROM events WHERE server_seq IS NOT NULL")[0] + one_row(b,
            "SELECT count(*) FROM sync_refused")[0]
        assert seen == server_total, "every event the server holds is in the log or set aside"
    finally:
        county.close()


def test_every_event_kind_has_a_schema_that_requires_what_its_applier_reads() -> None:
    """One source: a kind with an applier but no schema would be refused by every server and
    every seat; an applier reading a key the schema lets a seat leave out would raise."""
    assert set(APPLIERS) == set(PAYLOADS), "add a payload type to console/store/payloads.py PAYLOADS"
    for kind, keys in REQUIRES.items():
        assert set(keys) <= set(required_keys(kind)), kind


def test_overlong_addresses_names_and_notes_are_refused_with_their_limit_not_cut(county: County) -> None:
    b = county.seats["seat-02"]
    incident = a_call(county, "seat-02").incident
    before = one_row(b.store, "SELECT count(*) FROM events")[0]
    attempts = {
        "500": lambda: b.new_call(phone="13800000002", text="有人落水", address="路" * 400_000, category="fire"),
        "100": lambda: b.new_call(phone="13800000002", text="有人落水", address="x", caller_name="王" * 400_000,
                                  category="fire"),
        "4000": lambda: b.note(incident.no, "长" * 400_000),
    }
    for limit, attempt in attempts.items():
        with pytest.raises(BadInput) as refused:
            attempt()
        assert refused.value.code == "input.too_long"
        assert limit in refused.value.message("zh") and "400000" in refused.value.message("en")
    assert one_row(b.store, "SELECT count(*) FROM events")[0] == before


def test_the_report_kinds_and_ways_of_the_schema_are_those_of_the_rules() -> None:
    from typing import get_args

    from console.kernel.vocab import REPORT_KINDS, REPORT_VIAS
    from console.store.payloads import ReportKind, ReportVia

    assert get_args(ReportKind) == REPORT_KINDS and get_args(ReportVia) == tuple(REPORT_VIAS)
