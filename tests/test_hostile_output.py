"""A hostile seat cannot reach another seat's terminal, CSV exports or screens.

Seat-01 plays a seat whose software was tampered with: it appends events straight through the
write path, with terminal escape sequences (an OSC that retitles the window, CSI colours, an
8-bit CSI), line breaks that would forge a board line, a right-to-left override, and formula
starts for a spreadsheet. They travel through a real city server (tests/sync_harness.py) to
seat-02, whose ``board``, ``incident show``, ``export incidents`` and ``roster export`` run as
the real ``linkage`` script; the printed bytes and the CSV cells are checked, and the TUI's
board is checked through Pilot.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import START, one_row
from sync_harness import County

from console.kernel.clean import csv_cell, multi_line, one_line
from console.kernel.clock import FakeClock
from console.seat.services import open_services

LINKAGE = Path(sys.executable).parent / "linkage"

TITLE = "\x1b]0;PWNED\x07"                               # OSC: sets the terminal title
FORGED = "\n【超时】派单 99 · 伪造行"                       # a newline forging a board line
ADDRESS = f"人民路1号{TITLE}{FORGED}\u202e01号楼"
TEXT = "救命\x1b[31m红字\x1b[0m\x9b2J\r\n第二行\u2066隔离\u2069"
NAME = "\x1b]8;;http://evil.invalid\x1b\\点我\x1b]8;;\x1b\\"
OPERATOR = "\x1b[2J\x1b[H坏人\u202e"
FORMULAS = ("=HYPERLINK(\"http://evil.invalid\",\"点我\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-1+1")
# Anything a terminal acts on, or that reorders a line: C0 but LF, DEL, C1, bidi marks.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def assert_clean(text: str) -> None:
    found = UNSAFE.search(text)
    where = found.start() if found else 0
    assert found is None, f"{found.group()!r} in {text[max(0, where - 40):where + 40]!r}"
    assert not any(line.startswith("【超时】派单 99") for line in text.splitlines()), "a forged line"


def _plant(county: County) -> None:
    """Seat-01 appends hostile events as a tampered seat would (no cleaning on its side)."""
    hostile = county.seats["seat-01"]
    with hostile.store.transaction("seat-01", OPERATOR) as tx:
        for n, (address, text, name) in enumerate(((ADDRESS, TEXT, NAME),
                                                    (FORMULAS[3], FORMULAS[1], FORMULAS[0]))):
            incident_id, call_id = tx.new_id(), tx.new_id()
            tx.append("incident.created", {
                "call_id": call_id, "incident_id": incident_id, "phone": f"1380000000{n}",
                "caller_name": name, "address": address, "place_key": f"hostile{n}", "area": "urban",
                "text": text, "category": "power_supply", "disposition": "linkage"},
                subject=incident_id, happened_at=hostile.ctx.clock.now())
            tx.append("incident.noted", {"incident_id": incident_id, "note": f"备注{TITLE}{FORGED}"},
                      subject=incident_id, happened_at=hostile.ctx.clock.now())
    roster = county.root / "hostile-roster.csv"
    roster.write_text(
        "单位/unit,开始/start,结束/end,值班人/person,值班电话/phone,车辆/vehicle,联系人/contact,责任人/responsible\n"
        + "".join(f'power,2026-11-28 0{h}:00,2026-11-28 0{h + 1}:00,"{p.replace(chr(34), chr(34) * 2)}",'
                  f'0000-1100201,{TITLE}车,"{FORMULAS[3]}",\n' for h, p in enumerate(FORMULAS)),
        encoding="utf-8")
    hostile.import_roster(roster)


@pytest.fixture(scope="module")
def seat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Seat-02's database and config after pulling seat-01's hostile events."""
    root = tmp_path_factory.mktemp("county")
    county = County(root, FakeClock(START), seats=2)
    try:
        _plant(county)
        county.drain()
        receiver = county.seats["seat-02"]
        assert one_row(receiver.store, "SELECT count(*) FROM incidents WHERE address = ?", (ADDRESS,))[0] == 1
        receiver.issue_order(2, "power")     # an order row for a hostile incident; #1 waits
    finally:
        county.close()
    return root / "seat-02" / "linkage.db", root / "seat-02" / "config.toml"


def linkage(seat: tuple[Path, Path], *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env["LINKAGE_NOW"] = START
    db, config = seat
    result = subprocess.run([str(LINKAGE), "--db", str(db), "--config", str(config), *map(str, args)],
                            capture_output=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr.decode()
    return result


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_board_prints_no_escape_and_no_forged_line(seat: tuple[Path, Path], lang: str) -> None:
    out = linkage(seat, "--lang", lang, "board").stdout
    assert b"\x1b" not in out and b"\xc2\x9b" not in out
    text = out.decode()
    assert_clean(text)
    assert "人民路1号" in text and "01号楼" in text        # the words are kept, only the controls go
    waiting = [line for line in text.splitlines() if "人民路1号" in line]
    assert len(waiting) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_incident_show_prints_no_escape(seat: tuple[Path, Path], lang: str) -> None:
    text = linkage(seat, "--lang", lang, "incident", "show", "1").stdout.decode()
    assert_clean(text)
    assert "救命红字" in text and "坏人" in text and "备注" in text


def test_incident_show_json_escapes_what_a_terminal_would_act_on(seat: tuple[Path, Path]) -> None:
    out = linkage(seat, "--json", "incident", "show", "1").stdout
    assert b"\x1b" not in out and b"\xc2\x9b" not in out and "\u202e".encode() not in out
    data = json.loads(out)["data"]
    assert data["incident"]["address"] == one_line(ADDRESS)
    assert data["incident"]["caller_name"] == "点我"
    assert all(UNSAFE.search(e["operator"]) is None for e in data["timeline"])


def test_incident_export_cells_are_clean_and_formula_safe(seat: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "incidents.csv"
    linkage(seat, "export", "incidents", "--out", out)
    raw = out.read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(raw)))
    assert len(table) == 3 and len(raw.splitlines()) == 3  # header + two incidents, no forged row
    cells = [c for row in table for c in row]
    for cell in cells:
        assert UNSAFE.search(cell) is None, cell
        assert not cell.startswith(("=", "+", "-", "@")), cell
    assert "'" + FORMULAS[3] in cells and "'" + FORMULAS[1] in cells and "'" + FORMULAS[0] in cells


def test_pulled_roster_exports_formula_safe(seat: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "roster.csv"
    linkage(seat, "roster", "export", "--from", "2026-11-28", "--to", "2026-11-29", "--out", out)
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    persons = [row[3] for row in table[1:]]
    assert persons == ["'" + f for f in FORMULAS]
    for row in table[1:]:
        assert row[6] == "'-1+1" and row[5] == "车"
    printed = linkage(seat, "roster", "export", "--from", "2026-11-28", "--to", "2026-11-29").stdout.decode()
    assert_clean(printed)
    assert "'=HYPERLINK(" in printed and "\n=HYPERLINK" not in printed and ",=HYPERLINK" not in printed


def test_roster_export_reads_back_the_same_names(cli: Any, tmp_path: Path) -> None:
    """The apostrophe is for the spreadsheet: importing an exported roster gives the names back."""
    source = tmp_path / "in.csv"
    source.write_text(
        "单位/unit,开始/start,结束/end,值班人/person,值班电话/phone,车辆/vehicle\n"
        + "".join(f'power,2026-11-28 0{h}:00,2026-11-28 0{h + 1}:00,"{p.replace(chr(34), chr(34) * 2)}",'
                  "0000-1100201,示A·D0001\n" for h, p in enumerate(FORMULAS)), encoding="utf-8")
    cli.ok("roster", "import", str(source))
    exported = cli.ok("roster", "export", "--from", "2026-11-28", "--to", "2026-11-29")["csv"]
    back = tmp_path / "back.csv"
    back.write_text(exported, encoding="utf-8")
    assert [r[3] for r in list(csv.reader(io.StringIO(exported)))[1:]] == ["'" + f for f in FORMULAS]
    cli.ok("roster", "import", str(back))
    persons = [r["person"] for r in cli.rows("SELECT person FROM roster_shifts ORDER BY event_id, start_at")]
    assert persons == list(FORMULAS) * 2


def test_operator_flag_is_cleaned_on_the_way_in_and_out(cli: Any) -> None:
    cli.ok("--operator", OPERATOR, "call", "new", "--phone", "13800000001", "--text", "小区停电",
           "--category", "power_supply")
    stored = cli.rows("SELECT operator FROM events WHERE kind = 'incident.created'")[0]["operator"]
    assert stored == "坏人"
    shown = cli("--operator", OPERATOR, "incident", "show", "1", as_json=False)
    assert shown.code == 0 and "[坏人@" in shown.out
    assert_clean(shown.out)


def test_typed_report_body_loses_nul_and_escape(services: Any) -> None:
    no = services.new_call(phone="13800000001", text="阳光小区燃气泄漏，味道很大", address="人民路12号",
                           area="urban", category="gas_leak").incident.no
    services.issue_order(no, "gas")
    services.grade(no, "III")
    services.file_report(no, "written", "县应急办", "fax", body=f"第一段\x00{TITLE}\r\n第二段\u202e")
    body = services.store.one("SELECT body FROM upward_reports")[0]
    assert body == "第一段\n第二段"


def test_the_board_screen_shows_a_pulled_address_on_one_line(seat: tuple[Path, Path], tmp_path: Path) -> None:
    from screens.app import LinkageApp
    from screens.board import BoardScreen
    from screens.widgets.board_view import BoardView

    db, config = seat
    copy = tmp_path / "seat.db"
    copy.write_bytes(db.read_bytes())
    services = open_services(copy, config_path=config, clock=FakeClock(START))

    async def scenario() -> None:
        app = LinkageApp(services, "zh")
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            board = app.screen
            assert isinstance(board, BoardScreen)
            view = board.query_one(BoardView)
            lines = ["".join(seg.text for seg in view.render_line(y)) for y in range(len(view.rows) + 1)]
            prompts = [str(board.incidents.get_option_at_index(i).prompt)
                       for i in range(board.incidents.option_count)]
            shown = "\n".join(lines + prompts)
            assert_clean(shown)
            assert any("人民路1号" in p and "01号楼" in p for p in prompts)
            assert all("\n" not in p for p in prompts)

    try:
        asyncio.run(scenario())
    finally:
        services.close()


def test_the_incident_screen_shows_pulled_words_without_controls(seat: tuple[Path, Path],
                                                                 tmp_path: Path) -> None:
    from textual.geometry import Region
    from textual.widgets import Static

    from screens.app import LinkageApp
    from screens.incident import IncidentScreen

    db, config = seat
    copy = tmp_path / "seat.db"
    copy.write_bytes(db.read_bytes())
    services = open_services(copy, config_path=config, clock=FakeClock(START))

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.push_screen(IncidentScreen(services, "zh", 1, tick_seconds=0))
            await pilot.pause()
            texts = []
            for widget in app.screen.query(Static):
                strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
                texts.append("\n".join("".join(seg.text for seg in strip) for strip in strips))
            shown = "\n".join(texts)
            assert_clean(shown)
            assert "人民路1号" in shown and "救命红字" in shown and "坏人" in shown

    try:
        asyncio.run(scenario())
    finally:
        services.close()


def test_cleaning_rules() -> None:
    """The rule in one place: whole sequences go, words and (in multi-line text) breaks stay."""
    assert one_line(ADDRESS) == "人民路1号 【超时】派单 99 · 伪造行01号楼"
    assert multi_line(TEXT) == "救命红字\n第二行隔离"
    assert one_line(NAME) == "点我"
    assert csv_cell("-1+1") == "'-1+1" and csv_cell("a\nb") == "a b" and csv_cell(None) == ""
    # SS3 (ESC O and the character it shifts: F1 on some terminals) goes whole, as a paste has it
    assert one_line("甲\x1bOP乙\x1bN#丙") == "甲乙丙"


def test_config_strings_are_cleaned_on_load(tmp_path: Path) -> None:
    """A profile is text from outside too: the center's name is shown on every screen."""
    from console.kernel.config import load_config

    path = tmp_path / "config.toml"
    path.write_text('[center]\nname_zh = "示范县\\u001b]0;PWNED\\u0007中心\\n第二行\\u202e"\n', encoding="utf-8")
    assert load_config(path).center.name_zh == "示范县中心 第二行"
