"""Call intake (接警): incidents, caller history, duplicates, merges, transfers, notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import OpenServices, Scalar, TakeCall, Unchanged, one_row

from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput, NotFound
from console.kernel.model import Disposition, IncidentStatus
from console.seat.services import Services


def events(services: Services, kind: str | None = None) -> list:
    sql = "SELECT * FROM events" + (" WHERE kind = ?" if kind else "") + " ORDER BY seq"
    return services.store.all(sql, (kind,) if kind else ())


# -- a new call ------------------------------------------------------------------------------
def test_new_call_records_incident_call_and_event(services: Services, call: TakeCall) -> None:
    result = call(phone="+86 138-0000-0001", caller_name="张先生", text="小区停电两个小时了")
    incident = result.incident
    assert incident.no == 1
    assert incident.status == IncidentStatus.OPEN
    assert incident.disposition == Disposition.LINKAGE
    assert incident.phone == "13800000001"
    assert incident.caller_name == "张先生"
    assert incident.category == "power_supply"
    assert incident.area == "urban"
    assert not result.merged and result.history == [] and result.duplicates == []
    row = one_row(services.store, "SELECT * FROM incidents")
    assert row["text"] == "小区停电两个小时了"
    assert row["address"] == "人民路12号"
    assert row["created_at"] == "2026-11-28T06:00:00.000Z"
    calls = services.store.all("SELECT * FROM calls")
    assert len(calls) == 1
    assert calls[0]["id"] == result.call_id
    assert calls[0]["incident_id"] == incident.id
    created = events(services, "incident.created")
    assert len(created) == 1
    assert created[0]["subject"] == incident.id


def test_category_from_triage_when_not_given(services: Services) -> None:
    result = services.new_call(phone="13800000001", text="我家楼下水管爆了，水冒得老高")
    assert result.incident.category == "water_supply"


def test_triage_less_intake_with_explicit_category(services: Services) -> None:
    result = services.new_call(phone="13800000001", text="有情况需要处理", category="water_supply")
    assert result.incident.category == "water_supply"


def test_category_by_chinese_name(services: Services) -> None:
    result = services.new_call(phone="13800000001", text="有情况需要处理", category="供水")
    assert result.incident.category == "water_supply"


def test_no_category_and_nothing_to_triage_is_refused(services: Services, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.new_call(phone="13800000001", text="有情况需要处理")
    assert info.value.code == "intake.no_category"
    assert "--category" in info.value.message("zh")


def test_unknown_category_is_refused(services: Services, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        services.new_call(phone="13800000001", text="停电了", category="no_such_category_xyz")
    assert info.value.code == "intake.unknown_category"
    assert "未知的警情类别" in info.value.message("zh")
    assert "unknown category" in info.value.message("en")


def test_reported_receive_time_and_recorded_time(services: Services, call: TakeCall) -> None:
    result = call(at="13:52")
    assert one_row(services.store, "SELECT created_at FROM incidents")[0] == "2026-11-28T05:52:00.000Z"
    assert one_row(services.store, "SELECT received_at FROM calls")[0] == "2026-11-28T05:52:00.000Z"
    event = events(services, "incident.created")[0]
    assert event["happened_at"] == "2026-11-28T05:52:00.000Z"
    assert event["recorded_at"] == "2026-11-28T06:00:00.000Z"
    assert result.incident.created_at.isoformat() == "2026-11-28T05:52:00+00:00"


@pytest.mark.parametrize(("given", "stored"), [("郊区", "suburb"), ("rural", "rural"), (None, "urban")])
def test_area(services: Services, call: TakeCall, given: str | None, stored: str) -> None:
    assert call(area=given).incident.area == stored


def test_hidden_number(services: Services, call: TakeCall) -> None:
    first = call(phone="hidden")
    second = call(phone="未知", address="解放路8号")
    assert first.incident.phone == "" and second.incident.phone == ""
    assert second.history == []          # withheld numbers share no history
    assert second.duplicates == []       # nor are they duplicates of each other


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("phone", ["1380000000a", "abc", "12345", "138000000011", ""])
def test_malformed_phone_refused(services: Services, call: TakeCall, unchanged: Unchanged, phone: str) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        call(phone=phone)
    assert info.value.code == "input.phone"


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\u3000\u3000"])
def test_empty_text_refused(services: Services, call: TakeCall, unchanged: Unchanged, text: str) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        call(text=text)
    assert info.value.code == "intake.empty_text"
    assert info.value.message("zh") == "报警内容不能为空"
    assert info.value.message("en") == "the call text is empty"


def test_huge_text_refused_and_limit_exact_accepted(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    limit = services.config.intake.max_text_chars
    with unchanged(services), pytest.raises(BadInput) as info:
        call(text="水" * (limit + 1))
    assert info.value.code == "intake.text_too_long"
    assert str(limit) in info.value.message("zh") and str(limit + 1) in info.value.message("en")
    result = call(text="水" * limit)
    assert len(one_row(services.store, "SELECT text FROM incidents WHERE no = ?",
                       (result.incident.no,))[0]) == limit


def test_bad_area_refused(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        call(area="downtown")
    assert info.value.code == "input.area"


def test_future_receive_time_refused(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    with unchanged(services), pytest.raises(BadInput) as info:
        call(at="23:59")
    assert info.value.code == "input.future_time"


@pytest.mark.parametrize("text", ["'; DROP TABLE incidents;--", "Robert'); DROP TABLE calls;--",
                                  '" OR 1=1 --', "%_\\"])
def test_sql_metacharacters_stored_verbatim(services: Services, call: TakeCall, text: str) -> None:
    result = call(text=text, address=text, caller_name=text)
    row = one_row(services.store, "SELECT text, address, caller_name FROM incidents WHERE id = ?",
                  (result.incident.id,))
    assert tuple(row) == (text, text, text)
    assert one_row(services.store, "SELECT text FROM calls")[0] == text
    tables = {r[0] for r in services.store.all("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"incidents", "calls", "events", "orders", "outbox"} <= tables
    # and the duplicate search (a LIKE-free query on the place key) is not fooled by % or _
    again = call(phone="13900000009", text="再报", address=text)
    assert [d.no for d in again.duplicates] == [result.incident.no]


@pytest.mark.parametrize("text", ["[/b]", "[bold red]停电[/]", "<script>alert(1)</script>"])
def test_markup_stored_verbatim(services: Services, call: TakeCall, text: str) -> None:
    result = call(text=f"停电 {text}", address=text)
    assert result.incident.text == f"停电 {text}"
    assert one_row(services.store, "SELECT address FROM incidents")[0] == text


def test_terminal_control_characters_are_stripped_words_kept(services: Services, call: TakeCall) -> None:
    """An escape sequence in stored text would drive the terminal of whoever prints it; it goes
    whole (console/kernel/clean.py), so no parameter bytes are left behind as litter."""
    result = call(text="停电 \x1b[31m红色\x1b[0m\x07", address="人民路\x1b[2J12号")
    assert result.incident.text == "停电 红色"
    assert result.incident.address == "人民路12号"


def test_caller_words_kept_as_typed_but_places_still_match(services: Services, call: TakeCall) -> None:
    """Full-width digits and punctuation from an IME stay in the caller's account as typed;
    the duplicate search compares places in normalised form, so ｜１２号｜ matches ｜12号｜."""
    first = call(text="停电１２小时，楼道全黑", address="人民路１２号")
    assert first.incident.text == "停电１２小时，楼道全黑"
    assert first.incident.address == "人民路１２号"
    again = call(phone="13900000009", text="停电了", address="人民路 12号")
    assert [d.no for d in again.duplicates] == [first.incident.no]


# -- caller history ---------------------------------------------------------------------------
def test_caller_history_across_earlier_calls(services: Services, call: TakeCall, clock: FakeClock) -> None:
    first = call(text="停电了", address="人民路12号")
    clock.advance(hours=2)
    second = call(text="水管爆了", category="water_supply", address="人民路12号")
    assert [c.id for c in second.history] == [first.call_id]
    clock.advance(hours=30)
    third = call(text="又停电了", address="解放路1号")
    assert [c.id for c in third.history] == [second.call_id, first.call_id]  # newest first
    assert third.history[0].text == "水管爆了"
    other = call(phone="13900000002", address="东风路3号")
    assert other.history == []
    # the same history is offered by `call history`
    assert [c.id for c in services.history("138 0000 0001")] == \
        [third.call_id, second.call_id, first.call_id]


def test_caller_history_respects_limit(services: Services, call: TakeCall, clock: FakeClock) -> None:
    limit = services.config.intake.history_limit
    for n in range(limit + 2):
        call(address=f"路{n}号")
        clock.advance(hours=1)
    assert len(call(address="最后").history) == limit


def test_history_of_a_backdated_call_shows_only_earlier_calls(services: Services, call: TakeCall,
                                                              clock: FakeClock) -> None:
    first = call()
    clock.advance(minutes=40)
    late = call(at="14:20", address="别处")            # reported as received at 14:20
    backdated = call(at="13:50", address="又一处")      # reported before every other call
    assert [c.id for c in late.history] == [first.call_id]
    assert backdated.history == []


def test_incident_detail_shows_caller_history_from_other_incidents(services: Services, call: TakeCall,
                                                                   clock: FakeClock) -> None:
    first = call()
    clock.advance(hours=5)
    second = call(category="water_supply", text="水管爆了")
    detail = services.incident(second.incident.no)
    assert [c.id for c in detail.history] == [first.call_id]
    assert [c.id for c in detail.calls] == [second.call_id]


# -- duplicates --------------------------------------------------------------------------------
def test_duplicate_by_same_number_within_window(services: Services, call: TakeCall, clock: FakeClock) -> None:
    first = call(address="人民路12号")
    clock.advance(minutes=20)
    again = call(category="water_supply", text="水也停了", address="解放路1号")
    assert [d.no for d in again.duplicates] == [first.incident.no]
    assert not again.merged
    assert again.incident.no == 2


def test_duplicate_by_same_place_and_category_within_window(services: Services, call: TakeCall,
                                                            clock: FakeClock) -> None:
    first = call(phone="13800000001", address="人民路12号")
    clock.advance(minutes=25)
    again = call(phone="13900000002", address="人民路 12 号")
    assert [d.no for d in again.duplicates] == [first.incident.no]


def test_same_place_other_category_is_not_a_duplicate(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call(phone="13800000001", address="人民路12号")
    clock.advance(minutes=5)
    again = call(phone="13900000002", address="人民路12号", category="water_supply", text="停水")
    assert again.duplicates == []


def test_no_address_is_never_a_place_duplicate(services: Services, call: TakeCall) -> None:
    call(phone="13800000001", address="")
    again = call(phone="13900000002", address="")
    assert again.duplicates == []


@pytest.mark.parametrize("minutes", [31, 120])
def test_not_a_duplicate_outside_the_window(services: Services, call: TakeCall, clock: FakeClock, minutes: int) -> None:
    call(phone="13800000001", address="人民路12号")
    clock.advance(minutes=minutes)
    by_number = call(phone="13800000001", address="解放路1号", category="water_supply", text="停水")
    by_place = call(phone="13900000002", address="人民路12号")
    assert by_number.duplicates == []
    assert by_place.duplicates == []


def test_window_follows_config(tmp_path: Path, open_svc: OpenServices, clock: FakeClock) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[intake]\nduplicate_window_minutes = 5\n", encoding="utf-8")
    s = open_svc(config_path=config)
    s.new_call(phone="13800000001", text="停电", category="power_supply", address="人民路12号")
    clock.advance(minutes=4)
    assert len(s.new_call(phone="13800000001", text="停电", category="power_supply").duplicates) == 1
    clock.advance(minutes=7)
    assert s.new_call(phone="13800000001", text="停电", category="power_supply").duplicates == []


def test_merged_incident_is_not_offered_as_duplicate(services: Services, call: TakeCall, clock: FakeClock) -> None:
    call()
    call(phone="13900000002")
    services.merge(2, 1)
    third = call(phone="13700000003")
    assert [d.no for d in third.duplicates] == [1]


# -- merge at intake and later -----------------------------------------------------------------
def test_merge_at_intake_keeps_both_calls(services: Services, call: TakeCall, clock: FakeClock, scalar: Scalar) -> None:
    first = call(phone="13800000001", text="小区停电两个小时了")
    clock.advance(minutes=10)
    again = call(phone="13900000002", text="人民路这边也停电了 我家有老人", merge_into=first.incident.no)
    assert again.merged
    assert again.incident.id == first.incident.id
    assert scalar("SELECT count(*) FROM incidents") == 1
    calls = services.store.all("SELECT * FROM calls ORDER BY received_at")
    assert [c["text"] for c in calls] == ["小区停电两个小时了", "人民路这边也停电了 我家有老人"]
    assert {c["incident_id"] for c in calls} == {first.incident.id}
    added = events(services, "call.added")
    assert len(added) == 1 and added[0]["subject"] == first.incident.id
    detail = services.incident(1)
    assert [c.phone for c in detail.calls] == ["13800000001", "13900000002"]


def test_merge_at_intake_needs_no_category_of_its_own(services: Services, call: TakeCall) -> None:
    """A repeat caller ("nobody has come yet") says nothing the triage can classify."""
    first = call()
    again = services.new_call(phone="13900000002", text="还没人来啊", merge_into=first.incident.no)
    assert again.merged and again.incident.category == "power_supply"


def test_merge_at_intake_by_id_prefix(services: Services, call: TakeCall) -> None:
    first = call()
    again = call(phone="13900000002", merge_into=first.incident.id[:13])
    assert again.incident.no == first.incident.no


def test_merge_at_intake_into_unknown_incident_refused(services: Services, call: TakeCall,
                                                       unchanged: Unchanged) -> None:
    call()
    with unchanged(services), pytest.raises(NotFound) as info:
        call(phone="13900000002", merge_into=99)
    assert info.value.code == "incident.not_found"


def test_merge_at_intake_into_merged_incident_refused(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    call()
    call(phone="13900000002")
    services.merge(2, 1)
    with unchanged(services), pytest.raises(BadInput) as info:
        call(phone="13700000003", merge_into=2)
    assert info.value.code == "incident.merged"


def test_later_merge_keeps_both_calls(services: Services, call: TakeCall, clock: FakeClock, scalar: Scalar) -> None:
    first = call(phone="13800000001")
    clock.advance(minutes=3)
    dup = call(phone="13900000002", text="我们这边也停电了")
    assert [d.no for d in dup.duplicates] == [1]
    master = services.merge(2, 1, at="14:04")
    assert master.no == 1 and master.status == IncidentStatus.OPEN
    row = one_row(services.store, "SELECT status, merged_into, closed_at FROM incidents WHERE no = 2")
    assert row["status"] == "merged"
    assert row["merged_into"] == first.incident.id
    assert row["closed_at"] == "2026-11-28T06:04:00.000Z"
    assert scalar("SELECT count(*) FROM calls") == 2       # both calls kept
    merged = events(services, "incident.merged")
    assert len(merged) == 1 and merged[0]["subject"] == dup.incident.id
    noted = events(services, "incident.noted")
    assert noted[-1]["subject"] == first.incident.id
    detail = services.incident(1)
    assert {c.text for c in detail.calls} == {"小区停电两个小时了", "我们这边也停电了"}
    assert {e.kind for e in detail.timeline} >= {"incident.created", "incident.merged"}


def test_merge_refusals(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    call()
    call(phone="13900000002")
    call(phone="13700000003")
    services.issue_order(3, "power")
    services.merge(2, 1)
    cases = [
        ((1, 1), "merge.self"),
        ((2, 1), "incident.merged"),          # already merged
        ((1, 2), "incident.merged"),          # into a merged one
        ((3, 1), "merge.open_orders"),
        ((9, 1), "incident.not_found"),
        ((1, 9), "incident.not_found"),
    ]
    for (dup, into), code in cases:
        with unchanged(services), pytest.raises(BadInput) as info:
            services.merge(dup, into)
        assert info.value.code == code, (dup, into)


def test_merged_incidents_orders_show_under_the_master(services: Services, call: TakeCall) -> None:
    call()
    call(phone="13900000002")
    services.issue_order(2, "power")
    services.step(1, "cancel")
    services.merge(2, 1)
    detail = services.incident(1)
    assert [o.no for o, _ in detail.orders] == [1]


# -- transfers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "disposition", "status"),
    [("110", "transfer_110", "transferred"), ("119", "transfer_119", "transferred"),
     ("120", "transfer_120", "transferred"), ("12345", "transfer_12345", "transferred"),
     ("answered", "answered", "closed"), ("答复", "answered", "closed"),
     ("１１０", "transfer_110", "transferred")],
)
def test_transfer_recorded_as_disposition_and_event(services: Services, call: TakeCall, target: str, disposition: str,
                                                    status: str) -> None:
    incident = call(text="有人在小区里打架", category="public_order").incident
    result = services.transfer(incident.no, target, note="已电话转接", at="-1m")
    assert result.disposition.value == disposition
    assert result.status.value == status
    row = one_row(services.store, "SELECT status, disposition, closed_at FROM incidents")
    assert tuple(row) == (status, disposition, "2026-11-28T05:59:00.000Z")
    event = events(services, "incident.transferred")
    assert len(event) == 1
    assert event[0]["subject"] == incident.id
    assert '"disposition":"' + disposition + '"' in event[0]["payload"]
    assert "已电话转接" in event[0]["payload"]


def test_transferred_incident_is_not_waiting_on_the_board(services: Services, call: TakeCall) -> None:
    call(category="public_order", text="有人打架")
    call(phone="13900000002", address="别处")
    services.transfer(1, "110")
    assert [i.no for i in services.board().waiting] == [2]


def test_transfer_refused_with_open_orders(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    call()
    services.issue_order(1, "power")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.transfer(1, "12345")
    assert info.value.code == "transfer.open_orders"
    assert "未结派单" in info.value.message("zh")
    assert "open orders" in info.value.message("en")
    services.step(1, "cancel")
    assert services.transfer(1, "12345").status == IncidentStatus.TRANSFERRED


def test_transfer_refused_with_a_returned_order(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    call()
    services.issue_order(1, "power")
    services.step(1, "return", reason="不属我单位职责")
    # 12345 hands the whole call over, so a running (even returned) order still blocks it;
    # 110/119/120 now coexist with linkage orders (test_emergency_transfer_beside_open_orders).
    with unchanged(services), pytest.raises(BadInput) as info:
        services.transfer(1, "12345")
    assert info.value.code == "transfer.open_orders"


@pytest.mark.parametrize("target", ["911", "", "police", "110; DROP TABLE incidents"])
def test_transfer_to_unknown_target_refused(services: Services, call: TakeCall, unchanged: Unchanged,
                                            target: str) -> None:
    call()
    with unchanged(services), pytest.raises(BadInput) as info:
        services.transfer(1, target)
    assert info.value.code == "transfer.target"


def test_transfer_of_closed_or_transferred_incident_refused(services: Services, call: TakeCall,
                                                            unchanged: Unchanged) -> None:
    call()
    services.transfer(1, "110")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.transfer(1, "12345")
    assert info.value.code == "transfer.not_open"
    with unchanged(services), pytest.raises(NotFound):
        services.transfer(7, "110")


# -- notes and recategorisation ----------------------------------------------------------------
def test_note_is_an_event_with_reported_time(services: Services, call: TakeCall) -> None:
    call()
    services.note(1, "  居民称有老人被困电梯 ", at="13:58")
    note = events(services, "incident.noted")[-1]
    assert "居民称有老人被困电梯" in note["payload"]
    assert note["happened_at"] == "2026-11-28T05:58:00.000Z"
    assert note["recorded_at"] == "2026-11-28T06:00:00.000Z"


def test_empty_note_refused(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    call()
    with unchanged(services), pytest.raises(BadInput) as info:
        services.note(1, "   ")
    assert info.value.code == "note.empty"


def test_recategorize(services: Services, call: TakeCall, unchanged: Unchanged) -> None:
    call()
    assert services.recategorize(1, "water_supply").category == "water_supply"
    assert events(services, "incident.recategorized")
    with unchanged(services), pytest.raises(BadInput) as info:
        services.recategorize(1, "zzz_not_a_category")
    assert info.value.code == "intake.unknown_category"


def test_call_and_transfer_are_one_transaction(services: Services, call: TakeCall) -> None:
    """`new_call(transfer=…)` saves the incident already transferred; a bad target saves nothing."""
    result = call(text="有人在砸车", transfer="110")
    assert result.incident.status.value == "transferred"
    assert result.incident.disposition.value == "transfer_110"
    kinds = [r[0] for r in services.store.all("SELECT kind FROM events WHERE subject = ? ORDER BY seq",
                                              (result.incident.id,))]
    assert kinds == ["incident.created", "incident.transferred"]
    before = one_row(services.store, "SELECT count(*) FROM events")[0]
    with pytest.raises(BadInput):
        call(text="有人在砸车", transfer="911")
    assert one_row(services.store, "SELECT count(*) FROM events")[0] == before


def test_call_with_dispatch_returns_exactly_what_reads_back(services: Services, call: TakeCall) -> None:
    """new_call builds its answer from what it wrote (no read-back on the hot path); it must
    equal the rows as any later reader sees them."""
    from console.store.queries import get_incident, get_order

    result = call(text="小区停电两个小时了", category="power_supply", dispatch=["power", "housing"], at="-2m")
    assert result.incident == get_incident(services.store, result.incident.id)
    assert [o.first_contact for o in result.orders] == [True, False]
    for order in result.orders:
        assert order == get_order(services.store, order.id)


@pytest.mark.parametrize(("address", "area"), [
    ("李家村3组", "rural"), ("石桥乡政府旁", "rural"), ("白沙镇中街", "rural"),
    ("城关镇人民路12号", "urban"), ("人民路12号", "urban")])
def test_area_inferred_from_the_place_when_not_given(services: Services, call: TakeCall, address: str,
                                                     area: str) -> None:
    assert call(area=None, address=address).incident.area == area
    assert call(area="suburb", address=address, phone="13900000002").incident.area == "suburb"
