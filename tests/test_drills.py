"""Drills (演练): per-incident and seat-wide drills, and their isolation from everything real.

A drill never appears in real counts (board, status line), statistics, exports or the sync
outbox unless asked (``--drills``, ``[sync] include_drills``); a drill received from another
seat stays a drill; drill scripts replay into the call feed as ringing drill calls.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import one_row

from console.calls.callfeed import CallFeed, parse_line
from console.calls.drill_script import events, load_script
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput, DataError
from console.seat.services import Services
from console.store.projections import apply_event, unmet_reference
from console.store.transaction import Store, record_from_row

DATA = Path(__file__).resolve().parent.parent / "data"
GAS_SCRIPT = DATA / "drills" / "gas_leak_drill.toml"


def _outbox_kinds(store: Store) -> list[tuple[str, str | None]]:
    return [(r[0], r[1]) for r in store.all(
        "SELECT e.kind, e.subject FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY o.rowid")]


# -- per incident and seat-wide ------------------------------------------------------------------
def test_call_new_drill_marks_the_incident_and_its_orders(services: Services, call: Any) -> None:
    real = call(dispatch=["gdj"])
    drill = call(phone="13800000002", text="井盖丢失", category="public_order", dispatch=["housing"],
                 drill=True)
    assert services.incident(real.incident.id).incident.drill is False
    detail = services.incident(drill.incident.id)
    assert detail.incident.drill is True
    assert [o.drill for o, _ in detail.orders] == [True]
    assert one_row(services.store, "SELECT drill FROM incidents WHERE id = ?", (drill.incident.id,))[0] == 1
    payload = one_row(services.store, "SELECT payload FROM events WHERE kind = 'incident.created'"
                      " AND subject = ?", (real.incident.id,))[0]
    assert '"drill"' not in payload          # a real incident's event is exactly as before


def test_seat_mode_makes_every_new_incident_a_drill(services: Services, call: Any) -> None:
    assert services.drill_mode().on is False
    services.set_drill_mode(True)
    assert services.drill_mode().on is True
    during = call()
    services.set_drill_mode(False)
    after = call(phone="13800000002")
    assert (during.incident.drill, after.incident.drill) == (True, False)
    # the switch is this seat's: no event, nothing queued for the server
    assert one_row(services.store, "SELECT count(*) FROM events WHERE kind LIKE 'drill%'")[0] == 0
    row = one_row(services.store, "SELECT value, operator FROM seat_settings WHERE key = 'drill'")
    assert tuple(row) == ("off", services.ctx.operator)


def test_drill_and_real_never_mix_by_merge(services: Services, call: Any, unchanged: Any) -> None:
    real = call()
    drill = call(phone="13800000002", drill=True)
    with unchanged(services):
        with pytest.raises(BadInput) as exc:
            services.merge(drill.incident.id, real.incident.id)
        assert exc.value.code == "drill.merge_mixed"
        with pytest.raises(BadInput) as exc:
            call(phone="13800000003", merge_into=real.incident.id, drill=True)
        assert exc.value.code == "drill.into_real"
        assert "演练来电" in exc.value.message("zh") and "drill call" in exc.value.message("en")
        with pytest.raises(BadInput) as exc:
            call(phone="13800000003", merge_into=drill.incident.id)
        assert exc.value.code == "drill.into_drill"
    added = call(phone="13800000003", merge_into=drill.incident.id, drill=True)
    assert added.merged and added.incident.drill


# -- real counts -----------------------------------------------------------------------------------
def test_board_counts_leave_drills_out(services: Services, call: Any, clock: FakeClock) -> None:
    call(dispatch=["gdj"])
    call(phone="13800000002", text="井盖丢失", category="public_order", dispatch=["housing"], drill=True)
    call(phone="13800000003", text="井盖丢失", category="public_order", drill=True)
    clock.advance(hours=3)                    # every order is now overdue
    board = services.board()
    assert len(board.rows) == 2               # both are on the board to be worked
    assert (board.open_orders, board.overdue, board.waiting_real) == (1, 1, 0)
    assert board.drills() == {"open_orders": 1, "overdue": 1, "waiting": 1}
    assert [r.order.drill for r in board.rows] == [False, True]   # real first within a state


def test_board_json_has_drill_counts_apart(cli: Any) -> None:
    cli.ok("call", "new", "--phone", "13800000001", "--text", "小区停电", "--category", "power_supply",
           "--dispatch", "gdj")
    made = cli.ok("call", "new", "--drill", "--phone", "13800000002", "--text", "井盖丢失",
                  "--category", "public_order")
    assert made["incident"]["drill"] is True
    data = cli.ok("board")
    assert data["drill"] == {"open_orders": 0, "overdue": 0, "waiting": 1}
    assert [o["drill"] for o in data["orders"]] == [False]
    assert [w["drill"] for w in data["waiting"]] == [True]
    human = cli("board", as_json=False)
    assert human.code == 0
    assert "待派警情 0" in human.out and "演练：派单 0，超时 0，待派 1" in human.out
    assert "[演练] #2" in human.out


# -- statistics and exports --------------------------------------------------------------------------
def test_stats_leave_drills_out_unless_asked(services: Services, call: Any, clock: FakeClock) -> None:
    from console.calls.stats import period

    real = call(dispatch=["gdj"])
    call(phone="13800000002", text="井盖丢失", category="public_order", dispatch=["housing"], drill=True)
    clock.advance(minutes=2)
    services.step(real.orders[0].id, "ack")
    p = period(None, None, clock.now(), services.config.tz)
    figures = services.stats(p)
    assert (figures.incidents, figures.calls, figures.orders) == (1, 1, 1)
    assert figures.by_category == {"power_supply": 1}
    assert figures.avg_ack_s == 120.0
    drills = services.stats(p, drills=True)
    assert (drills.incidents, drills.orders, drills.by_category) == (1, 1, {"public_order": 1})
    assert drills.avg_ack_s is None


def test_stats_cli_periods_and_refusals(cli: Any) -> None:
    cli.ok("call", "new", "--drill", "--phone", "13800000002", "--text", "井盖丢失",
           "--category", "public_order")
    data = cli.ok("stats", "--from", "2026-11-28", "--to", "2026-11-28")["stats"]
    assert data["incidents"] == 0 and data["drills"] is False
    assert data["period"] == {"from": "2026-11-28", "to": "2026-11-28",
                              "start": "2026-11-27T16:00:00.000Z", "end": "2026-11-28T16:00:00.000Z"}
    assert cli.ok("stats", "--drills")["stats"]["incidents"] == 1
    bad = cli("stats", "--from", "2026-11-29", "--to", "2026-11-28")
    assert bad.code == 2 and bad.json["error"]["code"] == "stats.period"
    assert cli("stats", "--from", "tomorrow").code == 2


def test_export_csv_has_no_drill_unless_asked(cli: Any, tmp_path: Path) -> None:
    cli.ok("call", "new", "--phone", "13800000001", "--text", "=cmd|' /C calc'!A0 停电",
           "--category", "power_supply")
    cli.ok("call", "new", "--drill", "--phone", "13800000002", "--text", "井盖丢失",
           "--category", "public_order")
    data = cli.ok("export", "incidents")
    rows = list(csv.reader(io.StringIO(data["csv"])))
    assert rows[0][0] == "编号/no" and rows[0][-1] == "演练/drill"
    assert [(r[0], r[-1]) for r in rows[1:]] == [("1", "0")]
    assert rows[1][rows[0].index("报警内容/text")].startswith("'=")   # not a formula
    out = tmp_path / "drills.csv"
    data = cli.ok("export", "incidents", "--drills", "--out", str(out))
    assert data["rows"] == 1 and data["out"] == str(out)
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")     # UTF-8 BOM: a spreadsheet reads the Chinese
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert [(r[0], r[3], r[-1]) for r in rows[1:]] == [("2", "public_order", "1")]
    refused = cli("export", "incidents", "--out", str(tmp_path))
    assert refused.code == 2 and refused.json["error"]["code"] == "export.is_dir"


# -- sync -----------------------------------------------------------------------------------------------
def test_drill_events_are_not_queued_for_the_server(services: Services, call: Any) -> None:
    before = len(_outbox_kinds(services.store))
    drill = call(dispatch=["gdj"], drill=True)
    services.step(drill.orders[0].id, "ack")
    services.note(drill.incident.id, "演练备注")
    assert len(_outbox_kinds(services.store)) == before
    real = call(phone="13800000002")
    assert _outbox_kinds(services.store)[before:] == [("incident.created", real.incident.id)]
    assert one_row(services.store, "SELECT count(*) FROM events WHERE subject = ?",
                   (drill.incident.id,))[0] == 4   # all kept in this seat's log


def test_include_drills_pushes_them_and_the_receiver_keeps_the_mark(tmp_path: Path) -> None:
    from sync_harness import County

    county = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    try:
        a, b = county.seats["seat-01"], county.seats["seat-02"]
        quiet = a.new_call(phone="13800000001", text="井盖丢失", category="public_order", drill=True)
        assert not any(s == quiet.incident.id for _, s in _outbox_kinds(a.store))
        config = tmp_path / "seat-01" / "config.toml"
        config.write_text(config.read_text(encoding="utf-8") + "include_drills = true\n", encoding="utf-8")
        county.restart("seat-01")
        a = county.seats["seat-01"]
        assert a.config.sync.include_drills is True
        pushed = a.new_call(phone="13800000002", text="楼道煤气味", category="gas_leak", drill=True)
        assert ("incident.created", pushed.incident.id) in _outbox_kinds(a.store)
        county.drain()
        got = b.store.all("SELECT id, drill FROM incidents")
        assert [tuple(r) for r in got] == [(pushed.incident.id, 1)]   # the quiet one never left
        assert b.incident(pushed.incident.id).incident.drill is True
        assert b.board().drills()["waiting"] == 1 and b.board().waiting_real == 0
    finally:
        county.close()


def test_drill_mark_survives_replay_in_any_order(services: Services, call: Any) -> None:
    drill = call(dispatch=["gdj"], drill=True)
    services.step(drill.orders[0].id, "ack")
    call(phone="13800000002", dispatch=["housing"])
    records = [record_from_row(r) for r in services.store.all("SELECT * FROM events ORDER BY seq")]
    expected = sorted(tuple(r) for r in services.store.all("SELECT id, drill, status FROM incidents"))
    catalog = [r for r in records if r.kind == "catalog.loaded"]
    rest = [r for r in records if r.kind != "catalog.loaded"]
    rng = random.Random(3)
    for _ in range(5):
        fresh = Store(":memory:", FakeClock("2026-01-01T00:00:00Z"))
        try:
            pending = rest[:]
            rng.shuffle(pending)
            fresh.conn.execute("BEGIN")
            for r in catalog:
                apply_event(fresh.conn, r)
            for _ in range(len(pending) ** 2):   # what refers to a missing row waits, as on a seat
                if not pending:
                    break
                record = pending.pop(0)
                if unmet_reference(fresh.conn, record) is not None:
                    pending.append(record)
                    continue
                apply_event(fresh.conn, record)
            assert not pending
            fresh.conn.execute("COMMIT")
            assert sorted(tuple(r) for r in fresh.all("SELECT id, drill, status FROM incidents")) == expected
        finally:
            fresh.close()


# -- drill scripts --------------------------------------------------------------------------------------
def test_the_shipped_gas_leak_script_is_realistic() -> None:
    script = load_script(GAS_SCRIPT)
    assert 5 <= len(script.calls) <= 8
    assert script.name_zh and script.name_en and script.summary_zh and script.summary_en
    phones = [c.phone for c in script.calls]
    assert len(set(phones)) < len(phones)                     # a repeat caller
    assert any("叫不醒" in c.text_zh or "昏迷" in c.text_zh for c in script.calls)
    assert any("出租车" in c.text_zh for c in script.calls)    # the wrong number
    assert [c.offset_s for c in script.calls] == sorted(c.offset_s for c in script.calls)


@pytest.mark.parametrize(("body", "where", "zh", "en"), [
    ('[[call]]\noffset_s = 0\ntext_zh = "a"\ntext_en = "a"\n', "bad.toml", "缺少 [drill]", "[drill] section"),
    ('[drill]\nname_zh = "演练"\nname_en = "d"\nsummary_zh = "s"\nsummary_en = "s"\n',
     "bad.toml", "至少需要一个", "at least one"),
    ('[drill]\nname_zh = "演练"\nname_en = "d"\nsummary_zh = "s"\nsummary_en = "s"\n'
     '[[call]]\noffset_s = 0\ntext_zh = "a"\ntext_en = "a"\n'
     '[[call]]\noffset_s = 5\nphone = "13912345678"\ntext_zh = "a"\ntext_en = "a"\n',
     "bad.toml call #2 phone", "虚构号码", "fictional"),
    ('[drill]\nname_zh = "演练"\nname_en = "d"\nsummary_zh = "s"\nsummary_en = "s"\n'
     '[[call]]\noffset_s = -1\ntext_zh = "a"\ntext_en = "a"\n', "bad.toml call #1 offset_s", "秒数", "seconds"),
    ('[drill]\nname_zh = "演练"\nname_en = "d"\nsummary_zh = "s"\nsummary_en = "s"\n'
     '[[call]]\noffset_s = 1\ntext_zh = "a"\n', "bad.toml call #1 text_en", "不能为空", "must not be empty"),
    ('[drill]\nname_zh = "演练"\nname_en = "d"\nsummary_zh = "s"\nsummary_en = "s"\n'
     '[[call]]\noffset_s = 1\ntext_zh = "a"\ntext_en = "a"\narea = "moon"\n', "bad.toml call #1 area",
     "区域", "area must be"),
    ('[drill]\nname_zh = "演练"\nname_en = "d"\nsummary_zh = "s"\nsummary_en = "s"\n'
     '[[call]]\noffset_s = 1\ntext_zh = "a"\ntext_en = "a"\nspeech = "x"\n', "bad.toml call #1",
     "未知的配置项 speech", "unknown key speech"),
])
def test_script_refusals_name_the_file_and_entry(tmp_path: Path, body: str, where: str, zh: str,
                                                 en: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_script(path)
    assert exc.value.where == where
    assert zh in exc.value.message("zh") and en in exc.value.message("en")


def test_replay_on_the_fake_clock_rings_drill_calls(cli: Any, tmp_path: Path) -> None:
    feed_file = tmp_path / "feed.jsonl"
    data = cli.ok("drill", "run", "gas_leak_drill", "--speed", "10", "--feed", str(feed_file))
    assert data["rings"] == 7 and data["speed"] == 10
    lines = [parse_line(x) for x in feed_file.read_text(encoding="utf-8").splitlines()]
    assert all(e.drill for e in lines)
    assert lines[1].at.isoformat().startswith("2026-11-28T06:00:05")   # offset 50 s at 10x
    clock = FakeClock("2026-11-28T06:00:00Z")
    feed = CallFeed(feed_file, clock.now, timedelta(seconds=60))
    feed.poll()
    ringing = feed.ringing()
    assert ringing and all(c.drill for c in ringing)
    assert {c.phone for c in ringing} >= {"13800002101", "13700002104"}
    answered = feed.answer()
    assert answered is not None and answered.drill and answered.say


def test_drill_run_refusals_and_script_by_path(cli: Any, tmp_path: Path) -> None:
    missing = cli("drill", "run", "no_such_drill", "--feed", str(tmp_path / "f"))
    assert missing.code == 2 and missing.json["error"]["code"] == "drill.no_script"
    slow = cli("drill", "run", str(GAS_SCRIPT), "--speed", "0", "--feed", str(tmp_path / "f"), "--lang", "en")
    assert slow.code == 2 and "--speed must be" in slow.json["error"]["message"]
    assert not (tmp_path / "f").exists()
    ok = cli.ok("drill", "run", str(GAS_SCRIPT), "--feed", str(tmp_path / "f"))
    assert ok["name_en"] == "Gas leak drill, Guangming estate"
    assert [c["offset_s"] for c in ok["calls"]][:2] == [0.0, 50.0]


def test_drill_switch_cli(cli: Any) -> None:
    assert cli.ok("drill")["drill"]["on"] is False
    on = cli.ok("drill", "on")["drill"]
    assert on["on"] is True and on["set_at"] == "2026-11-28T06:00:00.000Z"
    made = cli.ok("call", "new", "--phone", "13800000001", "--text", "停电", "--category", "power_supply")
    assert made["incident"]["drill"] is True
    human = cli("drill", "status", as_json=False)
    assert human.code == 0 and "开" in human.out
    bad = cli("drill", "maybe")
    assert bad.code == 2 and bad.json["error"]["code"] == "drill.switch"
    assert cli.ok("drill", "off")["drill"]["on"] is False


def test_events_are_in_time_order_with_hangups() -> None:
    script = load_script(GAS_SCRIPT)
    start = FakeClock("2026-11-28T06:00:00Z").now()
    out = events(script, start=start, speed=1.0, lang="en")
    assert [e.at for e in out] == sorted(e.at for e in out)
    assert sum(1 for e in out if e.type == "hangup") == 2
    assert all(e.drill for e in out) and "gas" in out[0].say


# -- the console ----------------------------------------------------------------------------------------
def test_pilot_seat_in_drill_mode_takes_a_drill_call_by_keys(tmp_path: Path) -> None:
    """Seat in drill mode: the status line starts with 【演练】; F2, type a call, ctrl+s: the
    incident is a drill and the board shows it as [演练], out of the real counts."""
    from test_tui_intake import open_services, type_text, wait_until

    from screens.app import LinkageApp
    from screens.board import BoardScreen
    from screens.intake import IntakeScreen

    services = open_services(tmp_path / "l.db", clock=FakeClock("2026-11-28T06:00:00Z"))
    services.set_drill_mode(True)

    async def main() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            board = app.board
            board.check_alarms()
            assert str(board.status.render()).startswith("【演练】")
            await pilot.press("f2")
            await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen) and app.screen.is_mounted)
            await pilot.pause()
            intake = app.screen
            assert isinstance(intake, IntakeScreen)
            assert "【演练】" in str(intake.title_view.render())
            await type_text(pilot, "13800000001")
            await pilot.press("tab", "tab")
            await type_text(pilot, "人民路12号")
            await pilot.press("tab")
            await type_text(pilot, "小区停电两个小时了")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
            await pilot.pause()
            row = services.store.one("SELECT no, drill FROM incidents")
            assert row is not None and row["drill"] == 1
            shown = [str(board.incidents.get_option_at_index(i).prompt)
                     for i in range(board.incidents.option_count)]
            assert any(s.startswith(f"[演练] #{row['no']}") for s in shown)
            board.check_alarms()
            status = str(board.status.render())
            assert "待派 0" in status and "演练 1" in status

    try:
        asyncio.run(main())
    finally:
        services.close()


def test_pilot_f6_on_a_drill_script_call_makes_a_drill_incident(cli: Any, tmp_path: Path) -> None:
    """Seat switch off: a ring from `drill run` is marked in the calls panel; F6 opens the form
    titled 【演练】 and ctrl+s saves a drill incident."""
    from test_tui_intake import open_services, type_text, wait_until

    from screens.app import LinkageApp
    from screens.board import BoardScreen
    from screens.intake import IntakeScreen
    from screens.widgets.calls_panel import CallsPanel

    db = tmp_path / "seat.db"
    feed = tmp_path / "callfeed.jsonl"              # beside the database: the seat's own feed
    cli.db = db
    cli.ok("drill", "run", "gas_leak_drill", "--speed", "100", "--feed", str(feed))
    services = open_services(db, clock=FakeClock("2026-11-28T06:00:01Z"))
    assert services.drill_mode().on is False

    async def main() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            panel = app.board.query_one(CallsPanel)
            panel.poll()
            assert "[演练]" in "\n".join(t.plain for t in panel.lines())
            await pilot.press("f6")
            await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen) and app.screen.is_mounted)
            await pilot.pause()
            intake = app.screen
            assert isinstance(intake, IntakeScreen) and intake.drill
            assert "【演练】" in str(intake.title_view.render())
            await type_text(pilot, "楼道煤气味很大")          # the number given, the form starts here
            await pilot.press("shift+tab")
            await type_text(pilot, "光明小区3栋")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
            row = services.store.one("SELECT phone, drill FROM incidents")
            assert row is not None and tuple(row) == ("13800002101", 1)
            assert one_row(services.store, "SELECT count(*) FROM outbox o JOIN events e ON e.id = o.event_id"
                           " WHERE e.kind = 'incident.created'")[0] == 0

    try:
        asyncio.run(main())
    finally:
        services.close()


def test_a_raised_drill_reports_and_plans_stay_out_of_real_counts_and_the_stream(
        services: Services, call: Any, clock: FakeClock) -> None:
    """Grading, a plan activation and a report of a drill are drills by their incident: the
    report clock never counts as overdue for real, the draft says 演练 first, nothing of it is
    queued for the server; a real incident raised beside it counts as usual."""
    drill = call(phone="13800000002", text="小区燃气泄漏", category="gas_leak", drill=True)
    real = call(phone="13800000003", text="小区燃气泄漏", category="gas_leak")
    before = _outbox_kinds(services.store)
    services.grade(drill.incident.no, "IV")
    services.activate_plan(drill.incident.no, "residential_gas_leak")
    services.file_report(drill.incident.no, "initial_phone", "县应急办", "phone")
    assert _outbox_kinds(services.store) == before
    _, text = services.report_draft(drill.incident.no, "initial_written", "zh")
    assert text.startswith("[演练] ")
    services.grade(real.incident.no, "IV")
    clock.advance(hours=2)
    assert services.reports_overdue() == 2            # the real one's phone and written reports
    tracks = {t.incident.no: t.overdue for t in services.report_tracks()}
    assert tracks[drill.incident.no] >= 1             # the drill's own clock still runs, apart
