"""One timeline (issue 13): ``linkage incident show N`` prints, line for line, the words the
incident screen shows for the same incident, in Chinese and in English, and never a raw event
kind such as ``order.stepped``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Cli
from rich.text import Text

from console.kernel.clock import FakeClock
from console.seat.services import Services, open_services
from console.store.transaction import EventRecord
from console.timeline import KIND_NAMES, kind_name, timeline
from console.words import Words
from screens.widgets.incident_view import IncidentView

GAS = "residential_gas_leak"


def _busy_incident(db: Path) -> Services:
    """#1 a gas leak with every kind a timeline holds: a repeat call, a merged duplicate, a
    note, orders stepped, handed over, returned, reviewed and reassigned, an urge, a supervise
    order, a grade, a plan activation and a checked step, a report upward, a transfer to 120."""
    clock = FakeClock("2026-11-28T06:00:00Z")   # 14:00 in the center's zone
    s = open_services(db, clock=clock)
    s.new_call(phone="13800000001", caller_name="王五", text="小区燃气泄漏，味道很大", address="人民路12号阳光小区",
               area="urban", category="gas_leak")
    clock.advance(minutes=1)
    s.new_call(phone="13900000002", text="又闻到燃气味", address="人民路12号阳光小区", merge_into=1)
    s.new_call(phone="13700000003", text="人民路燃气泄漏", address="人民路12号", area="urban",
               category="gas_leak")
    s.merge(2, 1)
    s.note(1, "物业已关闭总阀")
    clock.set("2026-11-28T06:15:00Z")
    s.issue_order(1, "psb", at="14:02")
    s.step(1, "ack", at="14:03")
    s.handover(1, "power", at="14:08", note="初步处置完毕")
    s.step(2, "depart", at="14:12")
    s.issue_order(1, "gas", at="14:13")
    s.step(3, "return", at="14:14", reason="非本单位管辖")
    s.review_return(3, "accept", note="同意")
    s.reassign(3, "housing")
    s.urge(2, "值班长", how="phone", note="请尽快到场")
    s.supervise(2, 2, "群众反映强烈")
    s.grade(1, "IV")
    s.activate_plan(1, GAS, reason="涉及多户")
    s.check_plan_step(1, 1, note="已疏散")
    s.file_report(1, "initial_phone", "县应急办", "phone")
    s.transfer(1, "120", note="有人头晕")
    return s


def _cli_timeline(out: str) -> list[str]:
    """The timeline lines of ``incident show``: after its heading, the indented lines."""
    lines = out.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(("时间线", "timeline")))
    block = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        block.append(line)
    return block


def _plain(cell: object) -> str:
    assert isinstance(cell, Text)
    return cell.plain


def _tui_rows(services: Services, lang: str) -> list[tuple[str, str, str]]:
    """(kind, detail, who) as the incident screen's timeline table holds them."""
    detail = services.incident(1)
    words = Words(lang, services.config.tz, services.catalog)
    table = IncidentView(words, lang, detail, services.ctx.clock.now).timeline()
    kinds, whos, details = (list(table.columns[n].cells) for n in (2, 3, 4))
    assert all(isinstance(c, Text) for c in kinds + whos + details)
    return [(_plain(k), _plain(d), _plain(w)) for k, d, w in zip(kinds, details, whos, strict=True)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_and_screen_print_the_same_timeline(db_path: Path, cli: Cli, lang: str) -> None:
    services = _busy_incident(db_path)
    try:
        rows = _tui_rows(services, lang)
        kinds = {e.kind for e in services.incident(1).timeline}
    finally:
        services.close()
    assert {"order.stepped", "order.urged", "plan.activated", "incident.transferred"} <= kinds
    printed = cli("--lang", lang, "incident", "show", "1", as_json=False)
    assert printed.code == 0, printed.err
    cli_lines = _cli_timeline(printed.out)
    assert len(cli_lines) == len(rows) >= 15
    for line, (kind, detail, who) in zip(cli_lines, rows, strict=True):
        seat, operator = who.split("/", 1)
        words = f"{kind} {detail}" if detail else kind
        assert line.endswith(f" {words} [{operator}@{seat}]"), (line, kind, detail)
    raw = re.compile("|".join(re.escape(k) for k in KIND_NAMES))
    assert not raw.search(printed.out), printed.out
    assert not any(raw.search(f"{k} {d}") for k, d, _ in rows)


def test_every_step_and_unknown_kind_has_words() -> None:
    assert kind_name("order.stepped", {"status": "on_scene"}, "zh") == "到场"
    assert kind_name("order.stepped", {"status": "on_scene"}, "en") == "on scene"
    assert kind_name("order.stepped", {"status": "later"}, "en") == "order step"
    assert kind_name("future.kind", {}, "en") == "record"


def test_a_pulled_note_stays_on_one_line(services: Services) -> None:
    services.new_call(phone="13800000001", text="小区停电", address="人民路12号", category="power_supply")
    detail = services.incident(1)
    event = EventRecord("x", "incident.noted", detail.incident.id, detail.timeline[0].happened_at,
                        detail.timeline[0].recorded_at, "seat-02", "op", {"note": "第一行\n第二行"})
    detail.timeline.append(event)
    words = Words("zh", services.config.tz, services.catalog)
    line = timeline(detail, words)[-1]
    assert line.kind == "备注" and "\n" not in line.detail and "第一行" in line.detail
