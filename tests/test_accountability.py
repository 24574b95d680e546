"""Accountability: urge (催办), supervise (督办) and callback (回访), on a fake clock.

Every path and refusal, nothing written on refusal, the CLI --json shapes, and the
order-independence of the new projections (the events replayed in shuffled orders into fresh
stores build the same tables and the same answers).
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, OpenServices, TakeCall, Unchanged, one_row

from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput, IllegalTransition
from console.kernel.model import IncidentStatus
from console.orders import accountability
from console.seat.services import Services
from console.store.projections import apply_event
from console.store.transaction import EventRecord, Store

ACCOUNTABILITY_KINDS = ("order.urged", "order.supervised", "incident.called_back")


@pytest.fixture
def order(services: Services, call: TakeCall) -> int:
    """An open order to the power bureau for a power cut received at 14:00; its number."""
    incident = call().incident.no
    return services.issue_order(incident, "power").no


@pytest.fixture
def closed(services: Services, call: TakeCall, clock: FakeClock) -> int:
    """An incident whose only order was completed at 14:30, so it closed; its number."""
    incident = call().incident.no
    o = services.issue_order(incident, "power").no
    clock.advance(minutes=30)
    services.step(o, "ack")
    services.step(o, "complete")
    assert services.incident(incident).incident.status == IncidentStatus.CLOSED
    return incident


def n_events(services: Services, kind: str | None = None) -> int:
    if kind is None:
        return one_row(services.store, "SELECT count(*) FROM events")[0]
    return one_row(services.store, "SELECT count(*) FROM events WHERE kind = ?", (kind,))[0]


def table(services: Services, name: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in services.store.all(f"SELECT * FROM {name} ORDER BY 1")]


# -- urge (催办) ----------------------------------------------------------------------------------
def test_urge_records_time_operator_whom_and_how(services: Services, order: int, clock: FakeClock) -> None:
    clock.advance(minutes=10)                                   # 14:10, the ack is overdue
    u = services.urge(order, "值班员张工 13900000000", "电话", "请尽快签收", at="14:08")
    assert (u.to, u.how, u.note, u.operator, u.seat) == (
        "值班员张工 13900000000", "phone", "请尽快签收", "duty", "seat-01")
    assert u.at.isoformat().startswith("2026-11-28T06:08:00")
    event = one_row(services.store, "SELECT * FROM events WHERE kind = 'order.urged'")
    payload = json.loads(event["payload"])
    assert payload["to"] == "值班员张工 13900000000" and payload["how"] == "phone"
    assert event["happened_at"] == "2026-11-28T06:08:00.000Z"
    assert event["recorded_at"] == "2026-11-28T06:10:00.000Z"
    clock.advance(minutes=5)
    services.urge(order, "调度室", "radio")
    urges = services.urges(services.order(order)[0].id)
    assert [x.how for x in urges] == ["phone", "radio"]
    counts = services.urge_counts([urges[0].order_id])
    assert counts[urges[0].order_id][0] == 2
    assert counts[urges[0].order_id][1] == urges[1].at


def test_urge_allowed_on_any_open_order_even_returned(services: Services, order: int) -> None:
    services.step(order, "return", reason="不归我单位管")
    assert services.urge(order, "张三", "sms").how == "sms"


@pytest.mark.parametrize("how", ["phone", "sms", "radio", "in_person", "当面", "对讲", "SMS"])
def test_urge_methods(services: Services, order: int, how: str) -> None:
    assert services.urge(order, "张三", how).how in accountability.URGE_METHODS


def test_urge_a_closed_order_is_refused(services: Services, order: int, clock: FakeClock, unchanged: Unchanged) -> None:
    services.step(order, "ack")
    services.step(order, "complete")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.urge(order, "张三", "phone")
    assert info.value.code == "order.closed"
    assert info.value.message("zh") == f"派单 {order} 已是“已办结”状态，不能催办"
    assert info.value.message("en") == f"order {order} is already completed; it cannot be urged"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"to": "", "how": "phone"}, "urge.to"),
    ({"to": "   ", "how": "phone"}, "urge.to"),
    ({"to": "张三", "how": "pigeon"}, "urge.how"),
    ({"to": "张三", "how": "phone", "at": "13:50"}, "order.time_before_issue"),
    ({"to": "张三", "how": "phone", "at": "14:30"}, "input.future_time"),
])
def test_urge_refusals_write_nothing(services: Services, order: int, unchanged: Unchanged, kwargs: dict[str, Any],
                                     code: str) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.urge(order, **kwargs)
    assert info.value.code == code
    assert info.value.message("zh") and info.value.message("en")


def test_urge_unknown_order(services: Services, order: int, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.urge(99, "张三")
    assert info.value.code == "order.not_found"


# -- supervise (督办) -----------------------------------------------------------------------------
def test_supervise_level_reason_and_own_deadline(services: Services, order: int, clock: FakeClock) -> None:
    clock.advance(minutes=10)
    sup = services.supervise(order, "1", "超时未签收")
    assert (sup.level, sup.reason, sup.count) == (1, "超时未签收", 1)
    assert sup.due.isoformat().startswith("2026-11-28T06:40:00")   # default 30 minutes
    raised = services.supervise(order, 2, "仍未出动", minutes="15")
    assert (raised.level, raised.count) == (2, 2)
    assert raised.due.isoformat().startswith("2026-11-28T06:25:00")
    # the same level again renews the deadline (ties: the later event wins)
    clock.advance(minutes=5)
    again = services.supervise(order, 2, "再次督办", minutes=60)
    assert (again.level, again.reason, again.count) == (2, "再次督办", 3)
    assert again.due.isoformat().startswith("2026-11-28T07:15:00")
    assert services.supervision(services.order(order)[0].id) == again


def test_supervise_default_minutes_come_from_config(services: Services, order: int, open_svc: OpenServices,
                                                    tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[deadlines]\nsupervise_minutes = 45\n", encoding="utf-8")
    s = open_svc(config_path=cfg)
    sup = s.supervise(order, 3, "县政府督办")
    assert sup.due.isoformat().startswith("2026-11-28T06:45:00")


def test_supervise_overdue_shows_on_the_board(services: Services, order: int, clock: FakeClock) -> None:
    services.supervise(order, 1, "超时", minutes=5)
    clock.advance(minutes=6)
    sup = services.supervision(services.order(order)[0].id)
    assert sup is not None and sup.overdue(clock.now())
    assert sup.to_json(clock.now())["remaining_s"] == -60


def test_supervise_a_closed_order_is_refused(services: Services, order: int, unchanged: Unchanged) -> None:
    services.step(order, "cancel")
    with unchanged(services), pytest.raises(IllegalTransition) as info:
        services.supervise(order, 1, "超时")
    assert info.value.code == "order.closed"
    assert info.value.message("zh") == f"派单 {order} 已是“已取消”状态，不能督办"
    assert info.value.message("en") == f"order {order} is already cancelled; it cannot be supervised"


@pytest.mark.parametrize(("level", "reason", "minutes", "code"), [
    ("0", "超时", None, "supervise.level"),
    ("4", "超时", None, "supervise.level"),
    ("high", "超时", None, "supervise.level"),
    ("1", "", None, "supervise.reason"),
    ("1", "超时", "0", "supervise.minutes"),
    ("1", "超时", "abc", "supervise.minutes"),
    ("1", "超时", "99999", "supervise.minutes"),
])
def test_supervise_refusals_write_nothing(services: Services, order: int, unchanged: Unchanged, level: str,
                                          reason: str, minutes: str | None,
                                          code: str) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.supervise(order, level, reason, minutes)
    assert info.value.code == code
    assert info.value.message("zh") and info.value.message("en")


def test_supervise_cannot_lower_the_level(services: Services, order: int, unchanged: Unchanged) -> None:
    services.supervise(order, 2, "超时")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.supervise(order, 1, "降级")
    assert info.value.code == "supervise.lower"
    assert "不能降为 1 级" in info.value.message("zh")


# -- callback (回访) ------------------------------------------------------------------------------
def test_callback_satisfied_keeps_the_incident_closed(services: Services, closed: int, clock: FakeClock) -> None:
    clock.advance(hours=2)
    cb = services.callback(closed, "satisfied", "群众表示满意")
    assert (cb.result, cb.note, cb.reopen, cb.operator) == ("satisfied", "群众表示满意", False, "duty")
    incident = services.incident(closed).incident
    assert incident.status == IncidentStatus.CLOSED
    assert n_events(services, "incident.reopened") == 0
    assert accountability.latest_callback(services.store, incident.id) == cb


@pytest.mark.parametrize(("word", "result"), [
    ("满意", "satisfied"), ("basic", "basic"), ("基本满意", "basic"), ("不满意", "dissatisfied"),
    ("Dissatisfied", "dissatisfied"),
])
def test_callback_result_words(services: Services, closed: int, word: str, result: str) -> None:
    assert services.callback(closed, word).result == result


def test_dissatisfied_without_reopen_stays_closed(services: Services, closed: int) -> None:
    services.callback(closed, "dissatisfied", "还是没电")
    assert services.incident(closed).incident.status == IncidentStatus.CLOSED


def test_dissatisfied_with_reopen_reopens_in_the_same_transaction(services: Services, closed: int,
                                                                  clock: FakeClock) -> None:
    clock.advance(hours=1)
    before = n_events(services)
    cb = services.callback(closed, "dissatisfied", "还是没电", reopen=True)
    assert cb.reopen is True
    incident = services.incident(closed).incident
    assert incident.status == IncidentStatus.OPEN and incident.closed_at is None
    rows = services.store.all("SELECT id, kind, payload, recorded_at FROM events"
                              " ORDER BY seq DESC LIMIT 2")[::-1]
    assert [r["kind"] for r in rows] == ["incident.called_back", "incident.reopened"]
    assert n_events(services) == before + 2
    assert rows[0]["recorded_at"] == rows[1]["recorded_at"]
    assert rows[0]["id"] == cb.event_id
    assert json.loads(rows[1]["payload"])["callback"] == cb.event_id
    # open again: it can take a new order, and a callback now waits for the next closure
    services.issue_order(closed, "water_co")
    with pytest.raises(BadInput) as info:
        services.callback(closed, "satisfied")
    assert info.value.code == "callback.not_closed"


def test_callback_before_closure_is_refused(services: Services, order: int, unchanged: Unchanged) -> None:
    incident = services.order(order)[0].incident_no
    with unchanged(services), pytest.raises(BadInput) as info:
        services.callback(incident, "satisfied")
    assert info.value.code == "callback.not_closed"
    assert info.value.message("zh") == f"警情 {incident} 尚未办结，办结后才能回访"
    assert info.value.message("en") == f"incident {incident} is not closed; a callback comes after closure"


@pytest.mark.parametrize(("args", "kwargs", "code"), [
    (("great",), {}, "callback.result"),
    (("",), {}, "callback.result"),
    (("satisfied",), {"reopen": True}, "callback.reopen"),
    (("basic",), {"reopen": True}, "callback.reopen"),
    (("satisfied",), {"at": "14:10"}, "callback.before_closure"),
])
def test_callback_refusals_write_nothing(services: Services, closed: int, unchanged: Unchanged, args: tuple[Any, ...],
                                         kwargs: dict[str, Any],
                                         code: str) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.callback(closed, *args, **kwargs)
    assert info.value.code == code
    assert info.value.message("zh") and info.value.message("en")


def test_latest_callback_wins(services: Services, closed: int, clock: FakeClock) -> None:
    services.callback(closed, "dissatisfied")
    clock.advance(minutes=5)
    services.callback(closed, "basic", "复核后基本满意")
    incident_id = services.incident(closed).incident.id
    latest = accountability.latest_callback(services.store, incident_id)
    assert latest is not None and latest.result == "basic"
    assert [c.result for c in services.callbacks(incident_id)] == ["dissatisfied", "basic"]


# -- CLI ------------------------------------------------------------------------------------------

def test_cli_urge_json(seeded: Cli) -> None:
    cli = seeded
    cli.now("2026-11-28T06:10:00Z")
    data = cli.ok("order", "urge", "1", "--to", "张工 13900000000", "--how", "phone",
                  "--note", "签收超时", "--at", "14:08")
    assert data["urge"] == {"id": data["urge"]["id"], "order_id": data["order"]["id"],
                            "at": "2026-11-28T06:08:00.000Z", "operator": "duty",
                            "seat": "seat-01", "to": "张工 13900000000", "how": "phone",
                            "note": "签收超时"}
    assert data["urges"] == 1 and data["order"]["no"] == 1
    assert cli.ok("cb", "1", "--to", "调度", "--how", "短信")["urges"] == 2   # alias
    human = cli("urge", "1", "--to", "调度", as_json=False)
    assert human.code == 0 and "已催办 派单 1" in human.out and "第 3 次" in human.out
    shown = cli.ok("order", "show", "1")
    assert [u["how"] for u in shown["urges"]] == ["phone", "sms", "phone"]
    assert shown["supervise"] is None


def test_cli_supervise_json_and_board(seeded: Cli) -> None:
    cli = seeded
    cli.now("2026-11-28T06:10:00Z")
    data = cli.ok("order", "supervise", "1", "--level", "2", "--reason", "超时未签收",
                  "--minutes", "20")
    assert data["supervise"] == {"id": data["supervise"]["id"], "level": 2, "reason": "超时未签收",
                                 "due": "2026-11-28T06:30:00.000Z",
                                 "at": "2026-11-28T06:10:00.000Z", "operator": "duty", "count": 1,
                                 "remaining_s": 1200, "overdue": False}
    cli.now("2026-11-28T06:31:00Z")
    board = cli.ok("board")
    assert board["supervise_overdue"] == 1
    row = board["orders"][0]
    assert row["supervise"]["level"] == 2 and row["supervise"]["overdue"] is True
    assert row["urges"] == 0
    shown = cli.ok("order", "show", "1")
    assert shown["supervise"]["remaining_s"] == -60
    text = cli("board", as_json=False).out
    assert "督办2级（县应急办督办）超时 1:00" in text
    en = cli("--lang", "en", "os", "1", as_json=False).out
    assert "supervised L2 (county emergency office) OVERDUE by 1:00" in en


def test_cli_supervise_refused_json(seeded: Cli) -> None:
    before = seeded.snapshot()
    result = seeded("db", "1", "--level", "5", "--reason", "x")
    assert result.code == 2
    assert result.json["error"]["code"] == "supervise.level"
    assert seeded.snapshot() == before


def test_cli_callback_json_and_timeline(seeded: Cli) -> None:
    cli = seeded
    refused = cli("incident", "callback", "1", "satisfied")
    assert refused.code == 2 and refused.json["error"]["code"] == "callback.not_closed"
    cli.now("2026-11-28T06:30:00Z")
    cli.ok("order", "urge", "1", "--to", "张工")
    cli.ok("order", "supervise", "1", "--level", "1", "--reason", "督促")
    cli.ok("ack", "1")
    cli.ok("done", "1")
    cli.now("2026-11-28T08:00:00Z")
    data = cli.ok("incident", "callback", "1", "dissatisfied", "--note", "又停电了", "--reopen")
    assert data["callback"]["result"] == "dissatisfied" and data["callback"]["reopen"] is True
    assert data["incident"]["status"] == "open"
    shown = cli.ok("incident", "show", "1")
    assert shown["callback"]["result"] == "dissatisfied"
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds[-2:] == ["incident.called_back", "incident.reopened"]
    assert {"order.urged", "order.supervised"} <= set(kinds)
    text = cli("show", "1", as_json=False).out
    # the words of console/timeline.py, as the incident screen shows them: the order named
    assert "催办 派单 1 县供电局 · 电话催办 张工" in text and "督办 派单 1 县供电局 · 1级 中心主任督办：督促" in text
    assert "回访 不满意 · 备注：又停电了 · 重新打开" in text and "回访结果：不满意" in text
    en = cli("--lang", "en", "show", "1", as_json=False).out
    assert "urged order 1 County Power Supply Bureau · by phone via 张工" in en and "callback dissatisfied" in en
    bad = cli("hf", "1", "great")
    assert bad.code == 2 and bad.json["error"]["code"] == "callback.result"


def test_cli_callback_unknown_result_refused(seeded: Cli) -> None:
    cli = seeded
    cli.ok("ack", "1")
    cli.ok("done", "1")
    before = cli.snapshot()
    result = cli("callback", "1", "great")
    assert result.code == 2 and result.json["error"]["code"] == "callback.result"
    assert cli.snapshot() == before


def test_help_lists_the_new_verbs(cli: Cli) -> None:
    names = {c["name"]: c["aliases"] for c in cli.ok("help")["commands"]}
    assert names["order urge"] == ["urge", "cb"]
    assert names["order supervise"] == ["supervise", "db"]
    assert names["incident callback"] == ["callback", "hf"]


# -- order independence ---------------------------------------------------------------------------
def _records(conn: sqlite3.Connection) -> list[EventRecord]:
    rows = conn.execute("SELECT id, kind, subject, happened_at, recorded_at, seat, operator, payload"
                        " FROM events ORDER BY seq").fetchall()
    return [EventRecord(id=r[0], kind=r[1], subject=r[2], happened_at=r[3], recorded_at=r[4],
                        seat=r[5], operator=r[6], payload=json.loads(r[7])) for r in rows]


TABLES = ("incidents", "orders", "order_urges", "order_supervisions", "incident_callbacks")


def _state(store: Store, order_id: str, incident_id: str) -> dict[str, Any]:
    tables = {t: [tuple(r)[1:] if t in ("incidents", "orders") else tuple(r)
                  for r in store.conn.execute(f"SELECT * FROM {t} ORDER BY id" if t in (
                      "incidents", "orders") else f"SELECT * FROM {t} ORDER BY 1")]
              for t in TABLES}
    return {"tables": tables,
            "supervision": accountability.supervision_of(store, order_id),
            "callback": accountability.latest_callback(store, incident_id),
            "urges": accountability.urge_counts(store, [order_id])}


def test_projections_are_order_independent(services: Services, call: TakeCall, clock: FakeClock) -> None:
    # incident A: an open order, urged twice and supervised at levels 1, 2, 2 (a tie)
    a = call().incident.no
    order = services.issue_order(a, "power")
    clock.advance(minutes=6)
    services.urge(order.no, "张工", "phone")
    services.urge(order.no, "李工", "radio")
    services.supervise(order.no, 1, "超时")
    services.supervise(order.no, 2, "仍未签收", minutes=10)
    clock.advance(minutes=1)
    services.supervise(order.no, 2, "再次督办", minutes=40)
    # incident B: closed, three callbacks, the last dissatisfied one reopening it
    b = call(phone="13800000002", address="解放路1号").incident.no
    ob = services.issue_order(b, "water_co").no
    services.step(ob, "ack")
    services.step(ob, "complete")
    clock.advance(minutes=30)
    services.callback(b, "satisfied")
    clock.advance(minutes=1)
    services.callback(b, "basic")
    clock.advance(minutes=1)
    services.callback(b, "dissatisfied", reopen=True)
    incident_b = services.incident(b).incident.id

    # the other kinds in log order (their own order rules are tested elsewhere), then every
    # urge, supervise, callback and reopen in a shuffled order
    records = _records(services.store.conn)
    moving = (*ACCOUNTABILITY_KINDS, "incident.reopened")
    prefix = [r for r in records if r.kind not in moving]
    tail = [r for r in records if r.kind in moving]
    assert {r.kind for r in tail} >= {*ACCOUNTABILITY_KINDS, "incident.reopened"}
    expected = _state(services.store, order.id, incident_b)
    assert expected["supervision"].reason == "再次督办"
    assert expected["callback"].result == "dissatisfied"

    rng = random.Random(5)
    for _ in range(8):
        shuffled = tail[:]
        rng.shuffle(shuffled)
        fresh = Store(":memory:", FakeClock("2026-01-01T00:00:00Z"))
        try:
            fresh.conn.execute("BEGIN")
            for record in prefix + shuffled:
                apply_event(fresh.conn, record)
            fresh.conn.execute("COMMIT")
            assert _state(fresh, order.id, incident_b) == expected
        finally:
            fresh.close()


def test_two_seats_converge_through_the_server(tmp_path: Path) -> None:
    """Two seats supervise, urge and call back on their own, then sync: same answers on both."""
    from sync_harness import County

    from console.calls import intake

    county = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    try:
        a, b = county.seats["seat-01"], county.seats["seat-02"]
        result = intake.new_call(a.ctx, None, phone="13800000001", text="井盖丢失",
                                 category="public_order", dispatch=["housing"])
        order_id = result.orders[0].id
        for name in ("seat-01", "seat-02", "seat-01"):
            assert county.sync(name).ok
        # each seat acts without seeing the other's action (b's id is the newer one)
        a.supervise(order_id, 2, "超时未签收")
        a.urge(order_id, "张工", "phone")
        b.supervise(order_id, 1, "督促")
        b.urge(order_id, "李工", "radio")
        county.drain()
        assert county.projection("seat-01") == county.projection("seat-02")
        answers = []
        for s in (a, b):
            sup = s.supervision(order_id)
            assert sup is not None and (sup.level, sup.reason, sup.count) == (2, "超时未签收", 2)
            answers.append((sup, sorted(u.event_id for u in s.urges(order_id)),
                            table(s, "order_supervisions"), table(s, "order_urges")))
        assert answers[0] == answers[1]
    finally:
        county.close()
