"""Triage's learned model and the rules kept beside it (issue 14): deterministic training, the
life-at-risk override, negation, counter-examples, the dialect/homophone lexicon, specific beats
general, several services, abstaining (F7 and ``call new`` then want a chosen category), the
floor's corrections (recorded, synced shape valid, reported, folded into training) and the
TUI's "why"."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import START, Cli
from test_tui_intake import SIZE, open_intake, type_text, wait_until
from textual.pilot import Pilot

from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.registry import Catalog
from console.catalog.triage import Triage, TriageResult
from console.catalog.triage_keywords import KeywordTriage
from console.catalog.triage_model import MODEL_FILE, load_shipped
from console.catalog.triage_rules import Rules
from console.catalog.triage_text import normalise
from console.catalog.triage_train import train
from console.kernel.clock import FakeClock
from console.store.payloads import payload_problem
from screens.app import LinkageApp


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(default_data_dir())


@pytest.fixture(scope="module")
def triage(catalog: Catalog) -> Triage:
    return Triage(catalog)


def codes(result: TriageResult) -> list[str]:
    return [s.category.code for s in result.suggestions]


def services_in_answer(result: TriageResult) -> set[str]:
    """The emergency services the answer sends the call to: the verdict's and the plan's."""
    out = set(result.plan().services)
    if result.transfer_to:
        out.add(result.transfer_to)
    return out


# -- the model is there, and model=None is today's keyword ranking ----------------------------


def test_the_shipped_model_is_small_and_loads_for_the_shipped_catalog(catalog: Catalog) -> None:
    path = default_data_dir() / MODEL_FILE
    assert path.stat().st_size <= 5 * 1024 * 1024
    model = load_shipped(default_data_dir(), catalog.categories)
    assert model is not None and sorted(model.classes) == sorted(catalog.categories)
    assert Triage(catalog).model is not None


def test_model_none_is_the_keyword_ranking(catalog: Catalog) -> None:
    plain, keywords = Triage(catalog, model=None), KeywordTriage(catalog)
    assert plain.model is None
    for text in ("小区停电两个小时了", "找人来看看我家门口的井盖", "后山林子着火了", "my father is not breathing"):
        assert plain.suggest(text).to_json() == keywords.suggest(text).to_json()


def test_a_stale_model_is_not_used_for_another_catalog(catalog: Catalog) -> None:
    """A model trained for other categories (here: a catalog of three) is worse than none."""
    mini = Catalog(units=catalog.units, categories={c: catalog.categories[c]
                                                    for c in ("fire", "noise", "water_supply")})
    assert load_shipped(default_data_dir(), mini.categories) is None
    assert Triage(mini).model is None


# -- training ----------------------------------------------------------------------------------


def _small_training_dir(tmp_path: Path, catalog: Catalog) -> tuple[Path, Catalog]:
    """A data dir with the phrasings of three categories, and a catalog of just those: training
    on it takes a second, not a minute."""
    keep = ("fire", "noise", "water_supply")
    data = tmp_path / "data"
    data.mkdir()
    lines = (default_data_dir() / "triage_phrasings.csv").read_text(encoding="utf-8").splitlines()
    rows = [lines[0], *(ln for ln in lines[1:] if ln.split(",", 1)[0] in keep)]
    (data / "triage_phrasings.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.copy(default_data_dir() / "triage_rules.toml", data / "triage_rules.toml")
    small = Catalog(units=catalog.units, categories={c: catalog.categories[c] for c in keep})
    return data, small


def test_training_twice_gives_the_same_file(tmp_path: Path, catalog: Catalog) -> None:
    data, small = _small_training_dir(tmp_path, catalog)
    first = train(data, small, out=tmp_path / "a.json.gz")
    second = train(data, small, out=tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    assert first.digest == second.digest and first.rows > 120 and first.classes == 3


def test_a_trained_model_is_loaded_and_used(tmp_path: Path, catalog: Catalog) -> None:
    data, small = _small_training_dir(tmp_path, catalog)
    train(data, small)
    engine = Triage(small, data_dir=data)
    assert engine.model is not None and engine.model.classes == ["fire", "noise", "water_supply"]
    assert codes(engine.suggest("楼下冒黑烟，火苗很高"))[0] == "fire"
    assert codes(engine.suggest("龙头里流出来的水黄黄的"))[0] == "water_supply"


def test_corrections_are_folded_into_training(tmp_path: Path, catalog: Catalog) -> None:
    data, small = _small_training_dir(tmp_path, catalog)
    plain = train(data, small, out=tmp_path / "plain.json.gz")
    folded = train(data, small, [("noise", "广场上大妈跳舞的喇叭")], out=tmp_path / "folded.json.gz")
    assert folded.corrections == 1 and folded.rows == plain.rows + 1
    assert folded.digest != plain.digest


# -- rules: life at risk, negation, counter-examples, lexicon ---------------------------------


@pytest.mark.parametrize(("text", "service"), [
    ("燃气泄漏了，家里老人叫不醒", "120"),
    ("小区路灯杆倒了砸到人，人昏迷了", "120"),
    ("楼上着伙了", "119"),
    ("my father is not breathing", "120"),
    ("the shop next door is on fire", "119"),
    ("邻居在楼道里拿刀追着人", "110"),
])
def test_a_life_at_risk_signal_always_brings_its_service(triage: Triage, text: str, service: str) -> None:
    result = triage.suggest(text)
    assert service in services_in_answer(result), result.to_json()
    assert not result.abstain


def test_a_life_signal_overrides_an_ordinary_first_guess(triage: Triage) -> None:
    """The street light is what the model sees most of; the unconscious person is what matters."""
    result = triage.suggest("小区路灯杆倒了砸到人，人昏迷了")
    assert result.verdict == "medical" and "medical" in result.life
    assert "昏迷" in result.suggestions[0].matched


def test_a_vow_is_a_threat_not_a_denial(triage: Triage) -> None:
    """"今天不弄死我不姓张" is a threat to kill, although 不 stands before it; a plain denial is not."""
    threat = triage.suggest("网吧门口有个人堵着我，说今天不弄死我不姓张")
    assert "110" in services_in_answer(threat) and "public_order" in threat.life
    assert "public_order" not in triage.suggest("他不会弄死我的，就是吵了几句").life


@pytest.mark.parametrize(("text", "absent_service"), [
    ("不是着火，是烧烤店油烟太大", "119"),
    ("there is no fire, just a strong smell of gas", "119"),
    ("没人受伤，就是水管爆了", "120"),
])
def test_a_denied_emergency_brings_no_service(triage: Triage, text: str, absent_service: str) -> None:
    result = triage.suggest(text)
    assert absent_service not in services_in_answer(result)
    assert result.suggestions[0].category.route not in {"police", "fire", "medical"}


@pytest.mark.parametrize(("text", "expected", "not_first"), [
    ("找人来看看我家门口的井盖", "manhole", "missing_person"),
    ("第三次来电了，路灯还是不亮", "streetlight", "power_supply"),
    ("我是第2次打电话了，家里水龙头还是没水", "water_supply", "power_supply"),
])
def test_counter_examples_do_not_trigger_their_category(
    triage: Triage, text: str, expected: str, not_first: str
) -> None:
    found = codes(triage.suggest(text))
    assert found[0] == expected and found[0] != not_first


def test_counter_examples_are_blanked_for_the_keywords() -> None:
    rules = Rules.load(default_data_dir(), normalise)
    assert "来电" not in rules.blank_counters(normalise("这是第三次来电了"))
    assert "找人来" not in rules.blank_counters("麻烦找人来看看")
    assert "pay" not in rules.blank_counters("will my insurance pay for it")
    assert "来电" in rules.blank_counters("停电很久了还没来电")  # the power word itself stays


@pytest.mark.parametrize(("typed", "standard"), [
    ("楼上着伙了", "着火"), ("有人昏米了", "昏迷"), ("路等不亮", "路灯"), ("屋头遭贼了", "被偷"),
    ("井盖没了", "井盖缺失"), ("成条街冇电", "没电"),
])
def test_the_lexicon_maps_dialect_and_typos_to_standard_words(typed: str, standard: str) -> None:
    rules = Rules.load(default_data_dir(), normalise)
    norm = normalise(typed)
    rewritten, where = rules.rewrite(norm, list(range(len(norm))))
    assert standard in rewritten
    assert len(where) == len(rewritten) and all(0 <= i < len(typed) for i in where)


@pytest.mark.parametrize(("text", "expected"), [
    ("楼上着伙了", "fire"),
    ("屋头遭了贼，东西都遭偷完了", "crime"),
    ("井盖没了，有人差点掉下去", "manhole"),
    ("俺家老头子走丢了，到现在没见着人", "missing_person"),
])
def test_dialect_and_typo_calls_find_their_category(triage: Triage, text: str, expected: str) -> None:
    result = triage.suggest(text)
    assert codes(result)[0] == expected
    # the matched words are shown as the caller's text has them, not the standard form
    assert all(word in text for word in result.suggestions[0].matched)


def test_specific_beats_general(triage: Triage) -> None:
    hill = triage.suggest("后山林子着火了，烟很大")
    assert codes(hill)[0] == "forest_fire" and "119" in services_in_answer(hill)
    assert codes(triage.suggest("井盖没了，有人差点掉下去"))[0] == "manhole"
    assert codes(triage.suggest("有条狗在镇上把小孩咬了"))[0] == "stray_animal"


def test_several_services_when_the_call_needs_them(triage: Triage, catalog: Catalog) -> None:
    plan = triage.suggest("燃气泄漏，家里老人头晕").plan()
    assert plan.services == ("120",) and catalog.category("gas_leak").lead_unit in plan.units
    data = json.loads(json.dumps(triage.suggest("燃气泄漏，家里老人头晕").to_json()))
    assert data["plan"]["services"] == ["120"]


# -- abstaining --------------------------------------------------------------------------------

VAGUE = "外面有点动静"


def test_below_the_threshold_triage_abstains(triage: Triage) -> None:
    result = triage.suggest(VAGUE)
    assert result.abstain and result.verdict is None and result.transfer_to is None
    assert result.suggestions  # the candidates are still offered to choose from
    assert result.to_json()["abstain"] is True


def test_call_new_refuses_to_guess_when_triage_abstains(cli: Cli) -> None:
    cli.ok("call", "new", "--phone", "13800000001", "--text", VAGUE, "--category", "noise")
    cli.refused("call", "new", "--phone", "13800000002", "--text", VAGUE, code="intake.no_category",
                zh="请人工判断", en="needs the call-taker's judgement")


def test_the_triage_verb_says_it_needs_judgement(cli: Cli) -> None:
    assert "请人工判断" in cli("triage", VAGUE, as_json=False).out
    assert "needs the call-taker's judgement" in cli("--lang", "en", "triage", VAGUE, as_json=False).out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_f7_needs_a_chosen_category_when_triage_abstains(tmp_path: Path, lang: str) -> None:
    from console.seat.services import open_services

    services = open_services(tmp_path / "t.db", clock=FakeClock("2026-11-28T06:00:00Z"))
    seen: dict[str, Any] = {}

    async def main() -> None:
        app = LinkageApp(services, lang, tick_seconds=0)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = await open_intake(app, pilot, phone="13800000001")
            await type_text(pilot, VAGUE)
            await wait_until(pilot, lambda: screen.result is not None and screen.result.abstain)
            seen["verdict"] = str(screen.verdict_view.render())
            await pilot.press("f7")
            await pilot.pause()
            seen["message"] = str(screen.message.render())
            seen["still"] = app.screen is screen
            await _accept_and_dispatch(pilot)
            row = services.store.one("SELECT count(*) FROM incidents")
            seen["incidents"] = row[0] if row is not None else None

    async def _accept_and_dispatch(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+y")
        await pilot.pause()
        await pilot.press("f7")
        await pilot.pause()

    asyncio.run(main())
    judgement = "请人工判断" if lang == "zh" else "judgement"
    assert judgement in seen["verdict"]
    assert seen["still"] and ("先选定类别" if lang == "zh" else "choose a category") in seen["message"]
    assert seen["incidents"] == 1   # once a category was chosen, F7 saved the call


# -- learning from the floor -------------------------------------------------------------------


def test_a_correction_is_recorded_synced_and_reported(cli: Cli) -> None:
    """The intake screen hands ``new_call`` the triage the call-taker saw (``shown``): a different
    category saved is a correction; the same one, or no suggestion shown (a script), is not."""
    from console.seat.services import open_services

    services = open_services(cli.db, clock=FakeClock(START))
    text = "小区停电两个小时了"
    shown = services.triage(text)
    assert shown.top is not None and shown.top.category.code == "power_supply"
    services.new_call(phone="13800000001", text=text, category="complaint", shown=shown)
    services.new_call(phone="13800000002", text=text, category="power_supply", shown=shown)
    services.new_call(phone="13800000003", text=text, category="noise")
    services.close()
    rows = cli.rows("SELECT kind, payload FROM events WHERE kind = 'incident.triage_corrected'")
    assert len(rows) == 1  # agreeing with triage is no correction
    payload = json.loads(rows[0]["payload"])
    assert payload["chosen"] == "complaint" and payload["suggested"] == "power_supply"
    assert payload_problem("incident.triage_corrected", payload) is None
    outbox = cli.rows("SELECT count(*) FROM outbox o JOIN events e ON e.id = o.event_id"
                      " WHERE e.kind = 'incident.triage_corrected'")
    assert outbox[0][0] == 1  # queued for the city server like any fact
    data = cli.ok("triage", "report")
    assert data["corrections"] == 1
    assert data["confusion"] == [{"suggested": "power_supply", "chosen": "complaint", "count": 1}]
    zh = cli("triage", "report", as_json=False).out
    assert "供电故障 → 一般投诉建议" in zh and "研判更正 1 次" in zh
    en = cli("--lang", "en", "triage", "report", as_json=False).out
    assert "Power supply fault → General complaint or suggestion" in en and "1 triage corrections" in en
    assert cli.ok("triage", "report", "--from", "2020-01-01", "--to", "2020-01-02")["corrections"] == 0


def test_a_correction_payload_is_checked_like_any_event() -> None:
    good = {"incident_id": "0190a0b0-0000-7000-8000-000000000001", "chosen": "fire"}
    assert payload_problem("incident.triage_corrected", good) is None
    assert payload_problem("incident.triage_corrected", {**good, "confidence": 3}) is not None
    assert payload_problem("incident.triage_corrected", {"incident_id": good["incident_id"]}) is not None


# -- why ---------------------------------------------------------------------------------------


def test_a_model_suggestion_says_what_it_is_like(triage: Triage) -> None:
    top_ = triage.suggest("龙头里流出来的东西黄黄的，还有沙子").suggestions[0]
    assert top_.category.code == "water_supply"
    assert top_.closest and top_.to_json()["closest"] == top_.closest


@pytest.mark.parametrize(("lang", "word"), [("zh", "像："), ("en", "like: ")])
def test_the_triage_verb_shows_why(cli: Cli, lang: str, word: str) -> None:
    out = cli("--lang", lang, "triage", "龙头里流出来的东西黄黄的，还有沙子", as_json=False).out
    assert word in out


@pytest.mark.parametrize(("lang", "word"), [("zh", "像："), ("en", "like: ")])
def test_the_intake_panel_shows_what_a_model_suggestion_is_like(tmp_path: Path, lang: str, word: str) -> None:
    from console.seat.services import open_services

    services = open_services(tmp_path / "t.db", clock=FakeClock(START))
    seen: dict[str, str] = {}

    async def main() -> None:
        app = LinkageApp(services, lang, tick_seconds=0)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = await open_intake(app, pilot, phone="13800000001")
            await type_text(pilot, "龙头里流出来的东西黄黄的，还有沙子")
            await wait_until(pilot, lambda: screen.result is not None and bool(screen.result.suggestions))
            await pilot.pause()
            seen["row"] = screen.suggestions.get_option_at_index(0).prompt.plain  # type: ignore[union-attr]

    asyncio.run(main())
    services.close()
    assert word in seen["row"]
