"""Triage: text → ranked category suggestions, verdict and units."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.registry import Catalog, Keyword, Unit
from console.catalog.triage import MAX_TEXT, Triage, normalise
from console.kernel.errors import BadInput, DataError
from console.seat.services import Services


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(default_data_dir())


@pytest.fixture(scope="module")
def triage(catalog: Catalog) -> Triage:
    return Triage(catalog)


def top(triage: Triage, text: str) -> list[str]:
    return [s.category.code for s in triage.suggest(text).suggestions]


# Clear calls, a dozen or more per verdict: Chinese, English, traditional characters
# (樓下起火了, 停電了), full-width input from a Chinese IME (ＫＴＶ, １２３路).

POLICE = [
    ('我的手机在地铁上被偷了', 'crime'),
    ('有人撬了我家的门，东西被翻得乱七八糟', 'crime'),
    ('接到一个冒充公安的电话，让我转账', 'crime'),
    ('Someone stole my wallet on the bus', 'crime'),
    ('酒吧门口有人打架', 'public_order'),
    ('他喝醉了拿刀威胁我', 'public_order'),
    ('My husband beat me again', 'public_order'),
    ('一群人在广场上斗毆', 'public_order'),
    ('路口两车相撞，有人受伤', 'traffic_accident'),
    ('Car crash on the highway, two cars', 'traffic_accident'),
    ('一辆货车追尾了小轿车', 'traffic_accident'),
    ('有个孩子掉河里了', 'person_in_danger'),
    ('电梯困人了，里面有老人', 'person_in_danger'),
    ('有人站在楼顶上说要跳楼', 'person_in_danger'),
    ('我爸老年痴呆走丢了', 'missing_person'),
    ('A child is missing in the park', 'missing_person'),
]

FIRE = [
    ('厨房着火了', 'fire'),
    ('仓库冒出浓烟，火很大', 'fire'),
    ('The house next door is on fire', 'fire'),
    ('樓下起火了', 'fire'),
    ('燃气泄漏已经着火了', 'fire'),
    ('对面楼冒黑烟，好像是着火了', 'fire'),
    ('电动车充电起火了', 'fire'),
    ('饭店后厨失火', 'fire'),
    ('There was an explosion and now the building is burning', 'fire'),
    ('家里的电视机自燃了', 'fire'),
    ('厂房烧起来了，里面可能还有人', 'fire'),
    ('火災，快來', 'fire'),
]

MEDICAL = [
    ('老人晕倒了，叫不醒', 'medical'),
    ('我爸心脏病犯了', 'medical'),
    ('孩子高烧抽搐', 'medical'),
    ('She collapsed and is not breathing', 'medical'),
    ('工人从脚手架上摔下来，腿骨折了', 'medical'),
    ('有人被电线砸倒昏迷了', 'medical'),
    ('我老婆要生了，羊水破了', 'medical'),
    ('有人触电了，倒在地上', 'medical'),
    ('My father is having a heart attack', 'medical'),
    ('孩子被开水烫伤了', 'medical'),
    ('我奶奶中风了，嘴歪了说不出话', 'medical'),
    ('老人摔了一跤，起不来了', 'medical'),
]

LINKAGE = [
    ('家里停水了', 'water_supply'),
    ('小区水管爆了，水哗哗地流', 'water_supply'),
    ('No water since this morning', 'water_supply'),
    ('停電了', 'power_supply'),
    ('Power outage on our whole street', 'power_supply'),
    ('电线掉地上了，还在冒火花', 'power_supply'),
    ('厨房里一股煤气味', 'gas_leak'),
    ('I smell gas in the kitchen', 'gas_leak'),
    ('燃气灶打不着火', 'gas_supply'),
    ('小区停气了，没法做饭', 'gas_supply'),
    ('路面塌陷了一个大坑', 'road_damage'),
    ("There's a huge pothole on Jiefang Road", 'road_damage'),
    ('井盖没了', 'manhole'),
    ('The manhole cover is missing', 'manhole'),
    ('路灯不亮，黑灯瞎火的', 'streetlight'),
    ('The street lights are out on our road', 'streetlight'),
    ('小区积水很深，车都淹了', 'waterlogging'),
    ('The underpass is flooded', 'waterlogging'),
    ('工厂偷排污水，河里死鱼', 'pollution'),
    ('化工厂的废气太刺鼻', 'pollution'),
    ('工地半夜施工噪音太大', 'noise'),
    ('ＫＴＶ太吵了', 'noise'),
    ('小区有流浪狗咬人', 'stray_animal'),
    ('家里进了一条蛇', 'stray_animal'),
    ('大风把树刮倒了', 'fallen_tree'),
    ('A tree fell across the road', 'fallen_tree'),
    ('桥洞下有个流浪汉', 'vagrant'),
    ('路边有个精神病人，没人照顾', 'vagrant'),
    ('食堂吃完饭好多人上吐下泻', 'food_poisoning'),
    ('Several people got food poisoning at the restaurant', 'food_poisoning'),
    ('商家卖假货不给退', 'consumer'),
    ('饭店宰客，一盘菜收三百', 'consumer'),
    ('包工头拖欠工资', 'unpaid_wages'),
    ("My boss hasn't paid our wages for three months", 'unpaid_wages'),
    ('出租车拒载', 'public_transport'),
    ('１２３路公交车不停站', 'public_transport'),
    ('宽带断网了', 'telecom'),
    ('整个村手机没信号', 'telecom'),
    ('邻居为了宅基地吵架', 'neighbour_dispute'),
    ('楼上邻居漏水到我家不管', 'neighbour_dispute'),
    ('小作坊违规生产烟花爆竹', 'work_safety'),
    ('工地没有安全防护，工人都不戴安全帽', 'work_safety'),
    ('山体滑坡了', 'geo_hazard'),
    ('A landslide blocked the village road', 'geo_hazard'),
    ('后山着火了', 'forest_fire'),
    ('山上起火了，烧了一大片', 'forest_fire'),
    ('下冰雹了', 'weather'),
    ('台风来了，外面大风', 'weather'),
    ('刚才地震了', 'earthquake'),
    ('I felt an earthquake just now', 'earthquake'),
]

HOTLINE = [
    ('请问办身份证需要什么材料', 'consultation'),
    ('How do I apply for a residence permit?', 'consultation'),
    ('我要投诉窗口工作人员服务态度差', 'complaint'),
    ('I want to make a complaint about rude staff at the service hall', 'complaint'),
    ('想问一下医保怎么交', 'consultation'),
    ('营业执照去哪里办理', 'consultation'),
    ('请问公积金提取需要什么手续', 'consultation'),
    ('低保申请的条件是什么', 'consultation'),
    ('反映一下，办事窗口推诿扯皮', 'complaint'),
    ('小区门口小广告乱贴，建议管一管', 'complaint'),
    ('我要举报政务大厅工作人员不作为', 'complaint'),
    ('I would like to complain, the clerk at the tax office was rude', 'complaint'),
]


@pytest.mark.parametrize(("text", "expected"), POLICE)
def test_police_calls(triage: Triage, text: str, expected: str) -> None:
    result = triage.suggest(text)
    assert top(triage, text)[0] == expected
    assert (result.verdict, result.transfer_to) == ("police", "110")


@pytest.mark.parametrize(("text", "expected"), FIRE)
def test_fire_calls(triage: Triage, text: str, expected: str) -> None:
    result = triage.suggest(text)
    assert top(triage, text)[0] == expected
    assert (result.verdict, result.transfer_to) == ("fire", "119")


@pytest.mark.parametrize(("text", "expected"), MEDICAL)
def test_medical_calls(triage: Triage, text: str, expected: str) -> None:
    result = triage.suggest(text)
    assert top(triage, text)[0] == expected
    assert (result.verdict, result.transfer_to) == ("medical", "120")


@pytest.mark.parametrize(("text", "expected"), LINKAGE)
def test_linkage_calls(triage: Triage, text: str, expected: str) -> None:
    result = triage.suggest(text)
    assert top(triage, text)[0] == expected
    assert (result.verdict, result.transfer_to) == ("linkage", None)


@pytest.mark.parametrize(("text", "expected"), HOTLINE)
def test_hotline_calls(triage: Triage, text: str, expected: str) -> None:
    result = triage.suggest(text)
    assert top(triage, text)[0] == expected
    assert (result.verdict, result.transfer_to) == ("hotline", "12345")


# -- emergencies first ------------------------------------------------------------------------


def test_gas_leak_on_fire_is_a_fire_first(triage: Triage) -> None:
    assert top(triage, "燃气泄漏已经着火了")[:2] == ["fire", "gas_leak"]


def test_person_struck_by_a_wire_is_medical_not_power(triage: Triage) -> None:
    codes = top(triage, "有人被电线砸倒昏迷了")
    assert codes[0] in ("medical", "person_in_danger")
    assert codes.index("power_supply") > 0


@pytest.mark.parametrize(
    ("text", "emergency"),
    [
        ("水管爆了，有个老人滑倒受伤了", "medical"),
        ("路灯不亮，有人骑车摔伤了，腿在流血", "medical"),
        ("邻居吵架，现在打起来了", "public_order"),
        ("停电了，电梯里困了人", "person_in_danger"),
        ("The power line fell and a man is unconscious", "medical"),
    ],
)
def test_a_genuine_emergency_outranks_linkage_work(
    triage: Triage, text: str, emergency: str
) -> None:
    """Even when the linkage words score higher, the police/fire/medical emergency leads."""
    assert top(triage, text)[0] == emergency


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("没有着火，只是有一股煤气味", "gas_leak", "fire"),
        ("没人受伤，就是水管爆了", "water_supply", "medical"),
        ("路灯不亮，差点摔倒", "streetlight", "medical"),
        ("There's a gas leak but no one is hurt", "gas_leak", "medical"),
        ("燃气灶打不着火", "gas_supply", "fire"),
    ],
)
def test_denied_or_feared_emergencies_do_not_count(
    triage: Triage, text: str, expected: str, absent: str
) -> None:
    codes = top(triage, text)
    assert codes[0] == expected
    assert absent not in codes


def test_a_hillside_fire_is_a_forest_fire(triage: Triage) -> None:
    assert top(triage, "山上着火了，烧了一大片")[:2] == ["forest_fire", "fire"]
    assert top(triage, "厨房着火了")[0] == "fire"


def test_weak_hints_never_make_an_emergency(triage: Triage) -> None:
    """Place words alone (山上) do not make a forest fire; the snake call stays linkage."""
    assert top(triage, "山上有条蛇")[0] == "stray_animal"
    result = triage.suggest("井盖不见了")
    assert result.suggestions[0].category.code == "manhole"
    assert result.verdict == "linkage"


def test_every_top_suggestion_for_an_emergency_call_is_an_emergency(
    triage: Triage, catalog: Catalog
) -> None:
    for text, expected in [*POLICE, *FIRE, *MEDICAL]:
        first = triage.suggest(text).suggestions[0].category
        assert first.emergency, (text, first.code)
        assert catalog.category(expected).emergency


# -- the fallback: resemblance ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("龙头里流出来的东西黄黄的", "water_supply"),
        ("街面上凹进去一大块，开车过去咯噔一下", "road_damage"),
        ("那家店卖给我的东西用两天就不行了", "consumer"),
    ],
)
def test_a_call_with_no_keyword_still_gets_candidates(
    triage: Triage, text: str, expected: str
) -> None:
    result = triage.suggest(text)
    assert len(result.suggestions) >= 2
    assert all(s.matched == () for s in result.suggestions), "no keyword is in these calls"
    first = result.suggestions[0]
    assert first.category.code == expected
    assert first.resemblance > 0 and first.score > 0
    scores = [s.score for s in result.suggestions]
    assert scores == sorted(scores, reverse=True)
    assert first.to_json()["matched"] == [] and first.to_json()["resemblance"] > 0


def _mini(catalog: Catalog, **spec: tuple[list[str], list[str]]) -> Catalog:
    """A catalog of a few shipped categories with the given keywords and examples only."""
    cats = {
        code: replace(
            catalog.category(code),
            keywords_zh=tuple(Keyword(w) for w in words),
            keywords_en=(),
            examples_zh=tuple(examples),
            examples_en=(),
        )
        for code, (words, examples) in spec.items()
    }
    return Catalog(units=catalog.units, categories=cats)


def test_resemblance_breaks_a_tie_between_keywords(catalog: Catalog) -> None:
    """Both categories have the word 坏了; the one whose examples the call resembles wins,
    whichever comes first in the file."""
    mini = Triage(_mini(
        catalog,
        water_supply=(["坏了"], ["水龙头不出水"]),
        power_supply=(["坏了"], ["家里的灯不亮"]),
        noise=([], ["楼上很吵"]),
        crime=([], ["钱包被偷了"]),
    ))
    assert [s.category.code for s in mini.suggest("水龙头坏了").suggestions] == [
        "water_supply", "power_supply"]
    assert mini.suggest("灯不亮了，开关坏了").suggestions[0].category.code == "power_supply"
    assert mini.suggest("坏了").suggestions[0].category.code == "water_supply"  # file order


def test_when_in_doubt_the_emergency_is_offered_first(catalog: Catalog) -> None:
    """No keyword at all: a medical reading nearly as likely as the best guess leads; a much
    less likely one does not."""
    mini = Triage(_mini(
        catalog,
        medical=([], ["老人倒在地上不动了", "有人突然倒下了"]),
        vagrant=([], ["有人躺在路边睡觉", "老人睡在桥下"]),
        noise=([], ["楼上很吵"]),
        crime=([], ["钱包被偷了"]),
        water_supply=([], ["停水了"]),
    ))
    close = mini.suggest("有个老人躺在路边不动了").suggestions
    assert [s.category.code for s in close] == ["medical", "vagrant"]
    assert close[0].score < close[1].score  # first on doubt, not on score
    assert close[0].verdict == "medical" and close[0].matched == ()
    far = mini.suggest("有个老人倒在路边睡觉").suggestions
    assert far[0].category.code == "vagrant"


def test_resemblance_never_outranks_a_genuine_emergency(triage: Triage) -> None:
    """A long account of linkage work resembles linkage categories far more, but the one
    clear emergency word still puts the emergency first."""
    text = "停水停电好几天了，路灯也不亮，垃圾没人收，路上全是坑，刚才我爸晕倒了"
    result = triage.suggest(text, limit=8)
    codes = [s.category.code for s in result.suggestions]
    assert codes[0] == "medical", codes
    assert {"water_supply", "power_supply", "streetlight"} <= set(codes)
    assert result.suggestions[0].resemblance < max(s.resemblance for s in result.suggestions)


def test_a_denied_emergency_does_not_come_back_through_resemblance(triage: Triage) -> None:
    codes = top(triage, "没有着火，也没有冒烟，就是有一股煤气味")
    assert codes[0] == "gas_leak"
    assert "fire" not in codes and "forest_fire" not in codes


TRIAGE_SAMPLES = [
    *(t for t, _ in (*POLICE, *FIRE, *MEDICAL, *LINKAGE, *HOTLINE)),
    "龙头里流出来的东西黄黄的",
    "停水停电好几天了，路灯也不亮",
    "嗯嗯，好的，谢谢",
]


def test_suggestions_are_deterministic(catalog: Catalog, triage: Triage) -> None:
    """Same text, same answer: across calls and across engines built from the same catalog."""
    again = Triage(catalog)
    for text in TRIAGE_SAMPLES:
        first = json.dumps(triage.suggest(text).to_json(), ensure_ascii=False)
        assert json.dumps(triage.suggest(text).to_json(), ensure_ascii=False) == first
        assert json.dumps(again.suggest(text).to_json(), ensure_ascii=False) == first


def test_suggestions_do_not_depend_on_the_hash_seed() -> None:
    """Set and dict order must never leak into scores or ties: two interpreters with
    different string hashing give byte-identical answers."""
    code = (
        "import json, sys\n"
        "from console.catalog.loading import load_catalog, default_data_dir\n"
        "from console.catalog.triage import Triage\n"
        "t = Triage(load_catalog(default_data_dir()))\n"
        "texts = json.loads(sys.stdin.read())\n"
        "print(json.dumps([t.suggest(x).to_json() for x in texts], ensure_ascii=False))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], input=json.dumps(TRIAGE_SAMPLES), env=env,
            capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]


# -- example phrases in the catalog (the fallback's data) ---------------------------------------


def test_every_category_has_examples_in_both_languages(catalog: Catalog) -> None:
    for cat in catalog.categories.values():
        assert len(cat.examples_zh) >= 5, cat.code
        assert len(cat.examples_en) >= 3, cat.code


def test_examples_survive_the_snapshot(catalog: Catalog) -> None:
    again = Catalog.from_json(catalog.to_json())
    assert again.category("crime").examples_zh == catalog.category("crime").examples_zh
    assert again.category("crime").examples_en == catalog.category("crime").examples_en


def test_a_snapshot_from_before_examples_still_loads(catalog: Catalog) -> None:
    doc = json.loads(catalog.to_json())
    for cat in doc["categories"]:
        del cat["examples_zh"], cat["examples_en"]
    old = Catalog.from_json(json.dumps(doc))
    assert old.category("crime").examples_zh == ()
    assert Triage(old).suggest("家里停水了").suggestions[0].category.code == "water_supply"


def _with_examples(tmp_path: Path, line: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    path = data / "categories.toml"
    text = _drop_field(path.read_text(encoding="utf-8"), "crime", "examples_zh")
    anchor = 'code = "crime"\n'
    path.write_text(text.replace(anchor, anchor + line + "\n", 1), encoding="utf-8")
    return data


def _drop_field(text: str, code: str, field: str) -> str:
    """Remove ``field = [...]`` from the entry ``code`` (the shipped file has one)."""
    start = text.index(f'code = "{code}"')
    begin = text.index(f"\n{field} = [", start)
    end = text.index("\n]", begin) + 2
    return text[:begin] + text[end:]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('examples_zh = "家里被偷了"', "examples_zh must be a list of strings"),
        ('examples_zh = ["家里被偷了", 3]', "examples_zh must be a list of strings"),
        ('examples_zh = ["家里被偷了", "  "]', "examples_zh has an empty example"),
        ('examples_zh = ["家里被偷了", "家里被偷了"]', "examples_zh repeats the example"),
        ('examples_zh = ["' + "偷" * 81 + '"]', "examples_zh: example longer than 80"),
    ],
)
def test_bad_examples_are_refused(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(DataError) as err:
        load_catalog(_with_examples(tmp_path, line))
    assert message in err.value.message("en")
    assert "crime" in str(err.value.where)


def test_examples_are_optional(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    path = data / "categories.toml"
    text = _drop_field(path.read_text(encoding="utf-8"), "crime", "examples_zh")
    path.write_text(_drop_field(text, "crime", "examples_en"), encoding="utf-8")
    assert load_catalog(data).category("crime").examples_zh == ()


# -- input handling ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u3000"])
def test_empty_text_is_refused(triage: Triage, text: str) -> None:
    with pytest.raises(BadInput) as err:
        triage.suggest(text)
    assert err.value.message("zh") != err.value.message("en")


def test_huge_text_is_refused(triage: Triage) -> None:
    triage.suggest("停" * MAX_TEXT)
    with pytest.raises(BadInput) as err:
        triage.suggest("停" * (MAX_TEXT + 1))
    assert str(MAX_TEXT) in err.value.message("en")
    assert str(MAX_TEXT) in err.value.message("zh")


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE x;--",
        "Robert'); DROP TABLE incidents;--",
        "[/b]",
        "[bold red]停电了[/]",
        "<script>alert(1)</script>",
        "\x1b[31m着火\x1b[0m",
        "%s %d {0} {text}",
        "\x00\x01",
    ],
)
def test_sql_and_markup_are_just_text(triage: Triage, text: str) -> None:
    result = triage.suggest(text)
    json.dumps(result.to_json(), ensure_ascii=False)
    for s in result.suggestions:
        assert all(word in text for word in s.matched)


def test_markup_around_real_words_still_matches(triage: Triage) -> None:
    assert top(triage, "[bold red]停电了[/]")[0] == "power_supply"


@pytest.mark.parametrize(
    "text", ["嗯嗯，好的，谢谢", "有情况需要处理", "我想说一下", "你好，我这边有点事", "hi, is anyone there?"]
)
def test_small_talk_is_an_empty_result(triage: Triage, text: str) -> None:
    """Nothing matched and nothing specific resembled: no guess (intake then asks for a
    category instead of filing the call under a random one)."""
    result = triage.suggest(text)
    assert result.suggestions == (), [s.category.code for s in result.suggestions]


def test_nothing_matched_is_an_empty_result(triage: Triage) -> None:
    result = triage.suggest("嗯嗯，好的，谢谢")
    assert result.suggestions == ()
    assert result.verdict is None and result.transfer_to is None and result.top is None
    assert result.to_json() == {"verdict": None, "transfer_to": None, "suggestions": []}


def test_matched_words_are_reported_as_typed(triage: Triage) -> None:
    assert triage.suggest("停電了").suggestions[0].matched == ("停電",)
    assert triage.suggest("ＫＴＶ太吵了").suggestions[0].matched == ("ＫＴＶ", "太吵")
    assert "Flooded" in triage.suggest("Flooded underpass").suggestions[0].matched


def test_normalise_folds_width_case_and_traditional() -> None:
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("停電了，樓裡漏水") == "停电了,楼里漏水"  # NFKC folds the full-width comma
    assert normalise("Power’s OUT") == "power's out"


def test_limit(triage: Triage) -> None:
    text = "停电停水停气，路灯不亮，井盖没了"
    assert len(triage.suggest(text, limit=2).suggestions) == 2
    assert len(triage.suggest(text).suggestions) == 5
    assert triage.suggest(text, limit=0).suggestions == ()


def test_suggest_does_not_import_zhconv() -> None:
    """The traditional→simplified table is read from zhconv's data file, not its module
    (importing zhconv is slow: it pulls in pkg_resources)."""
    code = (
        "import sys\n"
        "from console.catalog.loading import load_catalog, default_data_dir\n"
        "from console.catalog.triage import Triage\n"
        "t = Triage(load_catalog(default_data_dir()))\n"
        "assert t.suggest('停電了').suggestions[0].category.code == 'power_supply'\n"
        "assert 'zhconv' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


# -- units ------------------------------------------------------------------------------------


def test_units_lead_first_then_co_units(triage: Triage) -> None:
    s = triage.suggest("有个孩子掉河里了").suggestions[0]
    assert s.category.code == "person_in_danger"
    assert [u.code for u in s.units] == ["psb", "fire", "ems120", "rescue_team"]


def test_on_duty_co_units_come_first_and_the_lead_stays_first(triage: Triage) -> None:
    def on_duty(unit: Unit) -> bool:
        return unit.code in ("rescue_team", "ems120")

    s = triage.suggest("有个孩子掉河里了", on_duty=on_duty).suggestions[0]
    assert [u.code for u in s.units] == ["psb", "ems120", "rescue_team", "fire"]

    nobody = triage.suggest("有个孩子掉河里了", on_duty=lambda u: False).suggestions[0]
    assert [u.code for u in nobody.units] == ["psb", "fire", "ems120", "rescue_team"]


def test_json_form(triage: Triage) -> None:
    data = triage.suggest("燃气泄漏已经着火了").to_json()
    assert data["verdict"] == "fire" and data["transfer_to"] == "119"
    first, second = data["suggestions"][:2]
    assert first["category"] == "fire" and first["matched"] == ["着火"]
    assert first["units"][0] == {"code": "fire", "name_zh": "县公安消防大队",
                                 "name_en": "County Fire Brigade"}
    assert second["category"] == "gas_leak" and second["emergency"] is True
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


# -- several services at once (issue 12 item 8) ----------------------------------------------
@pytest.mark.parametrize("text, services, units", [
    ("两个人打架，一个男的头上流血了", ("110", "120"), ()),
    ("燃气泄漏，家里老人头晕", ("120",), ("gas",)),
    ("a man was stabbed in a fight and is bleeding", ("110", "120"), ()),
    ("有人打架，没人受伤", ("110",), ()),          # denied injury: 110 alone
    ("小区停电两个小时了", (), ()),               # ordinary linkage work: the picker's job
])
def test_plan_proposes_every_service_the_call_needs(triage: Triage, text: str, services: tuple,
                                                    units: tuple) -> None:
    plan = triage.suggest(text).plan()
    assert (plan.services, plan.units) == (services, units)


def test_plan_is_in_the_json_only_when_several(triage: Triage) -> None:
    data = json.loads(json.dumps(triage.suggest("燃气泄漏，家里老人头晕").to_json()))
    assert data["plan"] == {"services": ["120"], "units": ["gas"]}
    assert "plan" not in triage.suggest("有人打架").to_json()


def test_triage_command_says_the_plan_first(services: Services) -> None:
    from console.commands.grammar import run

    out = run(services, "triage 两个人打架，一个男的头上流血了", "zh")
    assert out.lines[0] == "应同时：转110+120" and out.data["plan"]["services"] == ["110", "120"]
    assert not run(services, "triage 小区停电了", "en").lines[0].startswith("all at once")
