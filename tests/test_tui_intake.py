"""Call intake in the TUI: live triage, caller history, repeats, transfers, drafts, refusals and
the keystroke budget of a standard call.

Typed text is sent with ``pilot.press`` one character at a time, CJK characters included
(Pilot turns a single character into a key event carrying that character, the way a terminal
delivers an IME commit), so the screen sees exactly what a dispatcher's keyboard produces.
Assertions are on the store first and on the screen second.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from conftest import one_row
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from screens.app import LinkageApp
from screens.board import BoardScreen
from screens.dialogs.picker import UnitPicker
from screens.intake import IntakeScreen
from screens.intake_draft import DRAFT_KEY

START = "2026-11-28T06:00:00Z"
SIZE = (100, 30)


def _services(path: Path, clock: FakeClock | None = None) -> Services:
    return open_services(path, clock=clock or FakeClock(START))


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    """Poll instead of sleeping a fixed time (fixed pauses are a known flakiness source)."""
    waited = 0.0
    while not predicate():
        if waited >= timeout:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)
        waited += 0.05


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """One key event per character, as a terminal delivers typing and IME commits.

    ``Pilot.press`` drops the character of full-width punctuation (it looks ``，`` up under
    its key name ``fullwidth_comma`` and finds nothing), so those are posted the way the
    terminal driver builds them: key name plus the character itself.
    """
    for ch in text:
        if ch == " ":
            await pilot.press("space")
        elif ch.isalnum() or ch.isascii():
            await pilot.press(ch)
        else:
            pilot.app.post_message(events.Key(unicodedata.name(ch).lower().replace(" ", "_"), ch))
            await pilot.pause()


KEY_NAMES = {"tab", "shift+tab", "enter", "escape", "backspace", "space", "up", "down", "left", "right"}


def _gas_leak(services: Services) -> Any:
    """The picker's usual case: a gas leak, whose lead is the gas company, co-units fire and housing."""
    return services.new_call(phone="13800000001", text="燃气泄漏，闻到很大的煤气味",
                             address="人民路12号", category="gas_leak").incident


async def open_picker(app: LinkageApp, pilot: Pilot[Any], incident_id: str) -> UnitPicker:
    """Open the unit picker for an incident and wait until it is drawn."""
    app.open_picker(incident_id)
    await wait_until(pilot, lambda: isinstance(app.screen, UnitPicker))
    picker = app.screen
    assert isinstance(picker, UnitPicker)
    await pilot.pause()
    return picker


async def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Keys arriving together, as over a laggy SSH link or while the machine is busy: all are
    queued before the app handles the first. Key names (``tab``, ``ctrl+s``) are keys; any
    other string is typed text, one key per character."""
    events_: list[events.Key] = []
    for key in keys:
        if key in KEY_NAMES or "+" in key:
            events_.append(events.Key(key, {"tab": "\t", "space": " ", "enter": "\r"}.get(key)))
            continue
        for ch in key:
            name = ch if ch.isascii() and ch.isalnum() else unicodedata.name(ch).lower().replace(" ", "_")
            events_.append(events.Key(name, ch))
    for event in events_:
        event.set_sender(pilot.app)                          # as the terminal driver does
        pilot.app.post_message(event)
    await pilot.pause()
    await pilot.pause()


def run(services: Services, scenario: Callable[[LinkageApp, Pilot[Any]], Awaitable[None]],
        lang: str = "zh", size: tuple[int, int] = SIZE) -> LinkageApp:
    async def main() -> LinkageApp:
        app = LinkageApp(services, lang, tick_seconds=0)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(app, pilot)
        return app

    return asyncio.run(main())


async def open_intake(app: LinkageApp, pilot: Pilot[Any], phone: str | None = None) -> IntakeScreen:
    before = app.screen
    app.action_new_call(phone=phone)
    await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen) and app.screen is not before
                     and app.screen.is_mounted)
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, IntakeScreen)
    return screen


def count(services: Services, sql: str, params: tuple[Any, ...] = ()) -> Any:
    row = services.store.one(sql, params)
    assert row is not None
    return row[0]


def test_live_triage_suggestions_appear_for_typed_text(tmp_path: Path) -> None:
    """Typing the account shows ranked suggestions with verdict, matched words and lead unit."""
    services = _services(tmp_path / "t.db")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13800000001")
        assert app.focused is screen.inputs["text"]          # number given: straight to the text
        await type_text(pilot, "小区停电两个小时了")
        await wait_until(pilot, lambda: screen.result is not None and bool(screen.result.suggestions))
        top = screen.suggestions.chosen
        assert top is not None and top.category.code == "power_supply"
        row = str(screen.suggestions.get_option_at_index(0).prompt)
        assert "供电故障" in row and "联动" in row and "停电" in row and "县供电局" in row
        assert "县供电局" in str(screen.verdict_view.render())
        # a police account changes the verdict live
        for _ in range(len("小区停电两个小时了")):
            await pilot.press("backspace")
        await type_text(pilot, "有人在门口打架")
        await wait_until(pilot, lambda: screen.result is not None and screen.result.verdict == "police")
        assert "转110" in str(screen.suggestions.get_option_at_index(0).prompt)

    run(services, scenario)
    assert count(services, "SELECT count(*) FROM incidents") == 0   # triage writes nothing
    services.close()


def test_history_shows_for_a_repeat_caller(tmp_path: Path) -> None:
    """Typing a number that called before lists its earlier calls, newest first, with dates."""
    clock = FakeClock(START)
    services = _services(tmp_path / "t.db", clock)
    services.new_call(phone="13911112222", text="路灯不亮已经三天了", address="建设路5号",
                      category="streetlight")
    clock.advance(hours=3)
    services.new_call(phone="13911112222", text="楼下垃圾没人清运", address="建设路5号",
                      category="complaint")
    clock.advance(hours=3)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen))
        screen = app.screen
        assert isinstance(screen, IntakeScreen)
        await pilot.pause()
        assert app.focused is screen.inputs["phone"]
        await type_text(pilot, "13911112222")
        await wait_until(pilot, lambda: len(screen.history.calls) == 2)
        assert [c.text for c in screen.history.calls] == ["楼下垃圾没人清运", "路灯不亮已经三天了"]
        shown = str(screen.history.render())
        assert "11-28 17:00 楼下垃圾没人清运" in shown and "11-28 14:00 路灯不亮已经三天了" in shown
        assert "2" in str(screen.hist_head.render())
        # those calls are hours old: outside the duplicate window, so no repeat is suggested
        assert screen.duplicates.incidents == []

    run(services, scenario)
    services.close()


def test_duplicate_appears_and_ctrl_r_merges(tmp_path: Path) -> None:
    """Another number reporting the same place and category is offered as a repeat; ctrl+r
    attaches the call to that incident, so the store has both calls under one incident."""
    clock = FakeClock(START)
    services = _services(tmp_path / "t.db", clock)
    first = services.new_call(phone="13800000001", text="小区停电两个小时了", address="人民路12号",
                              category="power_supply").incident
    clock.advance(minutes=5)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13700000002")
        await pilot.press("shift+tab")                       # text → place
        assert app.focused is screen.inputs["address"]
        await type_text(pilot, "人民路12号")
        await pilot.press("tab")
        await type_text(pilot, "我们这栋楼也停电了")
        await wait_until(pilot, lambda: [i.no for i in screen.duplicates.incidents] == [first.no])
        assert "#1" in str(screen.duplicates.get_option_at_index(0).prompt)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        assert "#1" in str(app.screen.query_one("#answer").render())

    run(services, scenario)
    assert count(services, "SELECT count(*) FROM incidents") == 1
    calls = services.store.all("SELECT phone, incident_id, text FROM calls ORDER BY no")
    assert [(c["phone"], c["incident_id"]) for c in calls] == [
        ("13800000001", first.id), ("13700000002", first.id)]
    assert calls[1]["text"] == "我们这栋楼也停电了"
    assert services.store.load_draft(DRAFT_KEY) is None
    services.close()


def test_police_call_ctrl_t_records_transfer_to_110(tmp_path: Path) -> None:
    """A police matter is transferred with ctrl+t: disposition transfer_110 and an
    ``incident.transferred`` event; the board confirms it."""
    services = _services(tmp_path / "t.db")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13800000003")
        await type_text(pilot, "有两伙人在饭店门口打架，有人拿着刀")
        await wait_until(pilot, lambda: screen.result is not None and screen.result.verdict == "police")
        assert "ctrl+t" in str(screen.verdict_view.render())
        await pilot.press("f7")                              # dispatching a police call asks first
        assert app.screen is screen and "F7" in str(screen.message.render())
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        assert "转110" in str(app.screen.query_one("#answer").render())

    run(services, scenario)
    row = services.store.one("SELECT id, category, status, disposition FROM incidents")
    assert row is not None
    assert (row["category"], row["status"], row["disposition"]) == ("public_order", "transferred",
                                                                     "transfer_110")
    kinds = [e.kind for e in services.store.events_for([row["id"]])]
    assert kinds == ["incident.created", "incident.transferred"]
    assert count(services, "SELECT count(*) FROM orders") == 0
    services.close()


def test_ctrl_t_refuses_a_linkage_call_in_place(tmp_path: Path) -> None:
    """ctrl+t on a non-police call says why in words and writes nothing."""
    services = _services(tmp_path / "t.db")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13800000003")
        await type_text(pilot, "小区停电了")
        await pilot.press("ctrl+t")
        assert app.screen is screen
        assert "12345" in str(screen.message.render())
        assert screen.inputs["text"].value == "小区停电了"

    run(services, scenario)
    assert count(services, "SELECT count(*) FROM events WHERE kind != 'catalog.loaded'") == 0
    services.close()


def test_draft_survives_dropping_the_app(tmp_path: Path) -> None:
    """Half a form, then the app is gone without saving: a new app on the same database
    opens intake with every field as it was typed (the draft is in the store while typing)."""
    db = tmp_path / "t.db"
    services = _services(db)

    async def first(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot)
        await type_text(pilot, "13622223333")
        await pilot.press("tab")
        await type_text(pilot, "王")
        await pilot.press("tab")
        await type_text(pilot, "城关镇幸福村")
        await pilot.press("ctrl+g")                          # area: urban → suburb
        await pilot.press("tab")
        await type_text(pilot, "村口的水管")
        await pilot.pause()
        # written while typing, not only on leaving: a crash now loses nothing
        draft = services.store.load_draft(DRAFT_KEY)
        assert draft is not None
        assert (draft["phone"], draft["name"], draft["address"], draft["text"], draft["area"]) == (
            "13622223333", "王", "城关镇幸福村", "村口的水管", "suburb")
        assert screen.inputs["text"].value == "村口的水管"

    run(services, first)          # leaving run_test drops the app: nothing was saved as a call
    services.close()

    services = _services(db)

    async def second(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot)
        assert {k: screen.inputs[k].value for k in ("phone", "name", "address", "text")} == {
            "phone": "13622223333", "name": "王", "address": "城关镇幸福村", "text": "村口的水管"}
        assert screen.area.value == "suburb"
        assert "草稿" in str(screen.message.render())
        await type_text(pilot, "爆了")                         # carries on where it stopped
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))

    run(services, second)
    row = services.store.one("SELECT phone, caller_name, address, area, text, category FROM incidents")
    assert row is not None and tuple(row) == ("13622223333", "王", "城关镇幸福村", "suburb",
                                              "村口的水管爆了", "water_supply")
    assert services.store.load_draft(DRAFT_KEY) is None      # a saved call clears its draft
    assert count(services, "SELECT count(*) FROM incidents") == 1
    services.close()


def test_answering_a_second_call_stashes_the_unfinished_form(tmp_path: Path) -> None:
    """A call answered while another form is half typed (here from the help screen over the
    form) gets a fresh form; the unfinished one is kept and comes back with F2 once the new
    call is saved. F2 on an open form never opens a second copy of its draft."""
    services = _services(tmp_path / "t.db")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        first = await open_intake(app, pilot, phone="13800000001")
        await type_text(pilot, "井盖丢了")
        await pilot.press("f1")
        await wait_until(pilot, lambda: not isinstance(app.screen, IntakeScreen))
        second = await open_intake(app, pilot, phone="13800000002")
        assert second is not first and second.inputs["text"].value == ""
        assert "草稿" in str(second.message.render())
        await type_text(pilot, "小区停电")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        again = await open_intake(app, pilot)
        assert (again.inputs["phone"].value, again.inputs["text"].value) == ("13800000001", "井盖丢了")
        # F2 from the help screen over an open form: no second copy of the same draft
        await pilot.press("f1")
        await wait_until(pilot, lambda: not isinstance(app.screen, IntakeScreen))
        await pilot.press("f2")
        await pilot.pause()
        await pilot.pause()
        await wait_until(pilot, lambda: sum(isinstance(s, IntakeScreen) for s in app.screen_stack) == 1)
        assert not isinstance(app.screen, IntakeScreen) or app.screen is again
        # Esc from the form goes back to the board and keeps it
        while app.screen is not again:
            await pilot.press("escape")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        draft = services.store.load_draft(DRAFT_KEY)
        assert draft is not None and draft["text"] == "井盖丢了"

    run(services, scenario)
    assert count(services, "SELECT count(*) FROM incidents") == 1
    services.close()


def test_caller_text_is_data_not_markup(tmp_path: Path) -> None:
    """Brackets in what a caller said are shown literally in history, repeats and suggestions
    (as markup they would crash the app or run an action)."""
    clock = FakeClock(START)
    services = _services(tmp_path / "t.db", clock)
    services.new_call(phone="13800000001", text="停电了[/b][@click=app.quit]x[/]", address="[b]人民路12号",
                      category="power_supply")
    clock.advance(minutes=2)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13800000001")
        await type_text(pilot, "又停电了[/i]")
        await wait_until(pilot, lambda: bool(screen.history.calls) and bool(screen.duplicates.incidents))
        await pilot.pause()
        assert "停电了[/b][@click=app.quit]x[/]" in str(screen.history.render())
        assert "[b]人民路12号" in str(screen.duplicates.get_option_at_index(0).prompt)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))

    run(services, scenario)
    texts = [r["text"] for r in services.store.all("SELECT text FROM calls ORDER BY no")]
    assert texts == ["停电了[/b][@click=app.quit]x[/]", "又停电了[/i]"]
    services.close()


def test_malformed_phone_is_refused_in_place_and_fields_keep_their_text(tmp_path: Path) -> None:
    """The core refuses the number; the reason is shown on the form, every field keeps what
    was typed, and nothing is written."""
    services = _services(tmp_path / "t.db")
    before = count(services, "SELECT count(*) FROM events")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot)
        await type_text(pilot, "12345")
        await pilot.press("tab", "tab")
        await type_text(pilot, "人民路12号")
        await pilot.press("tab")
        await type_text(pilot, "小区停电了")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert "号码格式不正确" in str(screen.message.render())
        assert [screen.inputs[k].value for k in ("phone", "address", "text")] == [
            "12345", "人民路12号", "小区停电了"]
        await pilot.press("f7")                              # dispatch is refused the same way
        assert app.screen is screen and "号码格式不正确" in str(screen.message.render())

    run(services, scenario)
    assert count(services, "SELECT count(*) FROM events") == before
    assert count(services, "SELECT count(*) FROM incidents") == 0
    assert count(services, "SELECT count(*) FROM calls") == 0
    services.close()


def test_standard_call_keystroke_budget(tmp_path: Path) -> None:
    """A standard non-police call, number given by the answered call: place, ~20 characters of
    account, accept the suggestion, order the recommended unit. Every key that is not typed
    text is counted (opening the form counts as the one answer key) and must be ≤ 6 (issue 12)."""
    services = _services(tmp_path / "t.db")
    address = "人民路12号"
    account = "小区停电两个小时了，整栋楼都没电了，电梯也停"
    assert len(account) >= 20
    keys = 0

    async def press(pilot: Pilot[Any], *names: str) -> None:
        nonlocal keys
        keys += len(names)
        await pilot.press(*names)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        nonlocal keys
        keys += 1                                            # the answer key (F6) opens intake
        await open_intake(app, pilot, phone="13800000001")
        await press(pilot, "shift+tab")                      # text → place
        await type_text(pilot, address)
        await press(pilot, "tab")                            # place → text
        await type_text(pilot, account)
        await press(pilot, "ctrl+y")                         # accept 供电故障
        await press(pilot, "f7")                             # save, open the picker
        await wait_until(pilot, lambda: isinstance(app.screen, UnitPicker))
        picker = app.screen
        assert isinstance(picker, UnitPicker) and list(picker.selected) == ["power"]
        await press(pilot, "enter")                          # order the pre-selected lead unit
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))

    run(services, scenario)
    print(f"standard call: {keys} keystrokes beyond the typed text")
    assert keys <= 6
    incident = services.store.one("SELECT id, phone, address, category, text FROM incidents")
    assert incident is not None
    assert (incident["phone"], incident["address"], incident["category"]) == (
        "13800000001", address, "power_supply")
    assert incident["text"] == account   # Chinese punctuation is kept as typed
    orders = services.store.all("SELECT unit, status, incident_id FROM orders")
    assert [(o["unit"], o["status"], o["incident_id"]) for o in orders] == [
        ("power", "issued", incident["id"])]
    services.close()


def test_picker_multi_select_search_and_refusal(tmp_path: Path) -> None:
    """Space toggles, typing searches by pinyin initials, Enter issues every selected order in
    one go; a unit that already has an open order is refused in place."""
    services = _services(tmp_path / "t.db")
    incident = _gas_leak(services)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        picker = await open_picker(app, pilot, incident.id)
        assert picker.recommended[0] == "gas" and list(picker.selected) == ["gas"]
        assert set(picker.recommended[1:]) == {"fire", "housing"}
        first_row = str(picker.units.get_option_at_index(1).prompt)
        assert "县燃气公司" in first_row and "主办" in first_row and "0000-1250925" in first_row
        await pilot.press("down", "space")                   # add the first co-unit
        assert len(picker.selected) == 2
        await type_text(pilot, "gdj")                        # typing goes to the search box
        assert picker.search.value == "gdj"
        assert picker._highlighted_code() == "power"
        await pilot.press("space")                           # add 县供电局 from the results
        assert list(picker.selected)[-1] == "power"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))

    run(services, scenario)
    units = [r["unit"] for r in services.store.all("SELECT unit FROM orders ORDER BY no")]
    assert units[0] == "gas" and units[-1] == "power" and len(units) == 3

    async def again(app: LinkageApp, pilot: Pilot[Any]) -> None:
        picker = await open_picker(app, pilot, incident.id)
        assert picker.selected == {}                         # the lead already has an order
        assert "已派" in str(picker.units.get_option_at_index(1).prompt)
        await type_text(pilot, "gas")
        await pilot.press("enter")                           # highlighted unit: refused in place
        assert app.screen is picker
        assert "已有该警情的未结派单" in str(picker.error.render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        assert "F8" in str(app.screen.query_one("#answer").render())

    run(services, again)
    assert count(services, "SELECT count(*) FROM orders") == 3
    services.close()


def test_intake_renders_at_80x24_in_english(tmp_path: Path) -> None:
    """The form, suggestions, repeats and history all fit an 80×24 terminal (English too)."""
    services = _services(tmp_path / "t.db")
    services.new_call(phone="13800000001", text="power cut in the building", address="1 Main St",
                      category="power_supply")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13800000001")
        await type_text(pilot, "the power is out again")
        await wait_until(pilot, lambda: bool(screen.duplicates.incidents) and bool(screen.history.calls))
        for widget in (screen.inputs["text"], screen.suggestions, screen.duplicates, screen.history,
                       screen.message):
            region = widget.region
            assert region.height > 0 and region.right <= 80 and region.bottom <= 23, widget

    run(services, scenario, lang="en", size=(80, 24))
    services.close()


def test_keys_in_a_burst_act_in_typing_order(tmp_path: Path) -> None:
    """Typing that arrives in one burst lands where it was typed: text after Tab goes to the
    next field, a backspace before Tab stays in its field, and ctrl+s right after the account
    saves every character of it."""
    services = _services(tmp_path / "t.db")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot)
        await burst(pilot, "13800000001", "tab", "王x", "backspace", "tab", "人民路12号", "tab",
                    "小区停电两个小时了", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        assert screen.inputs["name"].value == "王"

    run(services, scenario)
    row = services.store.one("SELECT phone, caller_name, address, text FROM incidents")
    assert row is not None and tuple(row) == ("13800000001", "王", "人民路12号", "小区停电两个小时了")
    services.close()


def test_picker_keys_in_a_burst_order_the_units_they_chose(tmp_path: Path) -> None:
    """Down Down Space Enter arriving together orders the lead plus the unit those keys
    reached, never whatever happened to be highlighted first."""
    services = _services(tmp_path / "t.db")
    incident = _gas_leak(services)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        picker = await open_picker(app, pilot, incident.id)
        assert picker.recommended == ["gas", "fire", "housing"]
        await burst(pilot, "down", "down", "space", "gdj", "space", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))

    run(services, scenario)
    units = [r["unit"] for r in services.store.all("SELECT unit FROM orders ORDER BY no")]
    assert units == ["gas", "housing", "power"]
    services.close()


class KeyCounter:
    """Counts every key that is not typed text (the answer key is counted by the caller)."""

    def __init__(self) -> None:
        self.keys = 0

    async def press(self, pilot: Pilot[Any], *names: str) -> None:
        self.keys += len(names)
        await pilot.press(*names)


def test_fight_with_injury_to_110_and_120_keystroke_budget(tmp_path: Path) -> None:
    """A fight with a man bleeding: triage proposes 110 + 120, ctrl+t records both transfers
    with the call in one transaction. Answer key + place + ctrl+t: ≤ 4 control keys."""
    services = _services(tmp_path / "t.db")
    counter = KeyCounter()
    counter.keys += 1                                        # the answer key (F6)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13800000001")
        await counter.press(pilot, "shift+tab")              # text → place
        await type_text(pilot, "人民路12号烧烤店门口")
        await counter.press(pilot, "tab")                    # place → text
        await type_text(pilot, "两个人打架，一个男的头上流血了")
        await wait_until(pilot, lambda: "转110+120" in str(screen.verdict_view.render()))
        await counter.press(pilot, "ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        assert "转110+120" in str(app.screen.query_one("#answer").render())
        # the incident screen names both services, and its timeline has a transfer for each
        incident_id = one_row(services.store, "SELECT id FROM incidents")[0]
        app.open_incident(incident_id)
        await wait_until(pilot, lambda: type(app.screen).__name__ == "IncidentScreen")
        await pilot.pause()
        text = "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)
        assert "已转出/转110+120" in text and "时间线 3 条" in text, text   # created + two transfers

    run(services, scenario)
    assert counter.keys <= 4
    incident = one_row(services.store, "SELECT id, status, category FROM incidents")
    assert tuple(incident)[1:] == ("transferred", "public_order")
    assert [r[0] for r in services.store.all(
        "SELECT service FROM incident_transfers ORDER BY transferred_at, event_id")] == ["110", "120"]
    services.close()


def test_gas_leak_with_dizzy_residents_goes_to_120_and_the_gas_company(tmp_path: Path) -> None:
    """Triage proposes 120 + 县燃气公司; ctrl+t transfers to 120 and orders the gas company in
    the same transaction; the incident stays open while the order runs."""
    services = _services(tmp_path / "t.db")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13800000001")
        await type_text(pilot, "燃气泄漏，家里老人头晕")
        await wait_until(pilot, lambda: "县燃气公司" in str(screen.verdict_view.render()))
        assert "转120" in str(screen.verdict_view.render())
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        board_view = app.screen.query_one("#orders")
        await wait_until(pilot, lambda: "120·" in board_view.render_line(1).text)   # also sent to 120
        assert "县燃气公司" in board_view.render_line(1).text

    run(services, scenario)
    assert tuple(one_row(services.store, "SELECT status FROM incidents")) == ("open",)
    assert [r[0] for r in services.store.all("SELECT service FROM incident_transfers")] == ["120"]
    assert [r[0] for r in services.store.all("SELECT unit FROM orders")] == ["gas"]
    services.close()


def test_repeat_is_offered_with_its_reason_and_merged_in_three_keys(tmp_path: Path) -> None:
    """The same place written differently, seven minutes later, by another number: offered
    as a repeat marked 同地点; answer key + place + ctrl+r merges it (≤ 3 control keys
    beyond the typed text, the account typed where the form opens)."""
    clock = FakeClock(START)
    services = _services(tmp_path / "t.db", clock)
    first = services.new_call(phone="13800000001", text="小区停电两个小时了", address="人民路12号",
                              category="power_supply").incident
    clock.advance(minutes=7)
    counter = KeyCounter()
    counter.keys += 1                                        # the answer key (F6)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13700000002")
        await type_text(pilot, "我们这栋楼也停电了")
        await counter.press(pilot, "shift+tab")              # text → place
        await type_text(pilot, "人民路12号幸福小区3栋")
        await wait_until(pilot, lambda: [i.no for i in screen.duplicates.incidents] == [first.no])
        row = str(screen.duplicates.get_option_at_index(0).prompt)
        assert "#1" in row and "同地点" in row
        assert "疑似重复 1" in str(screen.dup_head.render())
        await counter.press(pilot, "ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))

    run(services, scenario)
    assert counter.keys <= 3
    calls = services.store.all("SELECT phone, incident_id, address FROM calls ORDER BY no")
    assert [(c["phone"], c["incident_id"]) for c in calls] == [
        ("13800000001", first.id), ("13700000002", first.id)]
    assert calls[1]["address"] == "人民路12号幸福小区3栋"
    services.close()


def test_long_account_is_shown_whole_and_area_follows_the_village(tmp_path: Path) -> None:
    """An account longer than its one-line field is shown whole, wrapped, under it; a place in
    a village (村) makes the area rural until ctrl+g chooses one."""
    services = _services(tmp_path / "t.db")
    account = ("李家村三组的变压器昨天晚上响了一声就没电了，到现在还没来电，"
               "村里好几户老人家里冰箱里的东西都坏了，请尽快派人来修")

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        screen = await open_intake(app, pilot, phone="13800000001")
        await pilot.press("shift+tab")
        await type_text(pilot, "李家村3组")
        await pilot.press("tab")
        await type_text(pilot, account)
        await wait_until(pilot, lambda: screen.text_full.display and "农村" in str(screen.area_view.render()))
        shown = str(screen.text_full.render())
        assert shown.replace("\n", "") == account and screen.text_full.region.height >= 2
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))

    run(services, scenario, size=(80, 24))
    assert tuple(one_row(services.store, "SELECT area, text FROM incidents")) == ("rural", account)
    services.close()


def test_picker_finds_a_unit_by_its_everyday_short_name(tmp_path: Path) -> None:
    """Typing 住建 (or cgj) in the picker's search highlights the unit it names."""
    services = _services(tmp_path / "t.db")
    incident = _gas_leak(services)

    async def scenario(app: LinkageApp, pilot: Pilot[Any]) -> None:
        picker = await open_picker(app, pilot, incident.id)
        await type_text(pilot, "cgj")
        await wait_until(pilot, lambda: picker._highlighted_code() == "urban_mgmt")
        for _ in range(3):
            await pilot.press("backspace")
        await type_text(pilot, "住建")
        await wait_until(pilot, lambda: picker._highlighted_code() == "housing")

    run(services, scenario)
    services.close()
