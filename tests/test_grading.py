"""Grading vocabulary and escalation suggestions: every rule kind, negation, clusters, order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.registry import Catalog
from console.kernel.errors import BadInput, DataError
from console.kernel.model import Disposition, Incident, IncidentStatus
from console.kernel.vocab import (
    IncidentType,
    Level,
    at_least,
    graded_by_law,
    level_label,
    most_severe,
    parse_level,
    parse_type,
    severity,
)
from console.tiered.escalation import EscalationRules, IncidentFacts, Suggestion, load_escalation, suggest

T0 = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(default_data_dir())


@pytest.fixture(scope="module")
def rules(catalog: Catalog) -> EscalationRules:
    return load_escalation(default_data_dir() / "escalation.toml", catalog)


def facts(text: str = "", category: str = "", **kw: Any) -> IncidentFacts:
    kw.setdefault("received_at", T0)
    return IncidentFacts(text=text, category=category, **kw)


def incident(no: int, category: str, address: str, minutes_ago: float, area: str = "urban",
             status: IncidentStatus = IncidentStatus.OPEN) -> Incident:
    return Incident(no=no, id=f"inc-{no}", created_at=T0 - timedelta(minutes=minutes_ago),
                    phone="", caller_name="", address=address, area=area, category=category,
                    text="", status=status, disposition=Disposition.LINKAGE, merged_into=None,
                    closed_at=None, seat="s1")


def by_rule(found: list[Suggestion]) -> dict[str, Suggestion]:
    return {s.rule: s for s in found}


# -- vocabulary -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "level"),
    [("I", Level.I), ("1", Level.I), ("Ⅰ", Level.I), ("ⅰ", Level.I), ("特别重大", Level.I),
     ("一级", Level.I), ("Ⅰ级", Level.I), ("ii", Level.II), ("Ⅱ", Level.II), ("重大", Level.II),
     ("III", Level.III), ("Ⅲ", Level.III), ("较大", Level.III), ("3", Level.III),
     ("level 3", Level.III), ("（Ⅲ级）", Level.III), ("较大事件", Level.III), ("IV", Level.IV),
     ("Ⅳ", Level.IV), ("一般", Level.IV), ("４", Level.IV), ("daily", Level.DAILY),
     ("日常", Level.DAILY), ("DAILY", Level.DAILY), (2, Level.II)],
)
def test_level_aliases(raw: str, level: Level) -> None:
    assert parse_level(raw) is level


@pytest.mark.parametrize("raw", ["", "V", "5", "严重", "I II"])
def test_unknown_level_is_refused_in_both_languages(raw: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_level(raw)
    assert err.value.code == "grading.bad_level"
    assert "特别重大" in err.value.message("zh") and "daily" in err.value.message("en")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("natural_disaster", IncidentType.NATURAL_DISASTER), ("自然灾害", IncidentType.NATURAL_DISASTER),
     ("accident", IncidentType.ACCIDENT), ("事故灾难", IncidentType.ACCIDENT),
     ("公共卫生事件", IncidentType.PUBLIC_HEALTH), ("public-health", IncidentType.PUBLIC_HEALTH),
     ("社会安全事件", IncidentType.SOCIAL_SAFETY), ("Social Safety", IncidentType.SOCIAL_SAFETY)],
)
def test_type_aliases(raw: str, kind: IncidentType) -> None:
    assert parse_type(raw) is kind


def test_unknown_type_is_refused() -> None:
    with pytest.raises(BadInput) as err:
        parse_type("war")
    assert "自然灾害" in err.value.message("zh") and "accident" in err.value.message("en")


def test_level_order_puts_i_first() -> None:
    assert severity(Level.I) > severity(Level.II) > severity(Level.III) > severity(Level.IV)
    assert severity(Level.IV) > severity(Level.DAILY)
    assert at_least(Level.II, Level.III) and not at_least(Level.IV, Level.III)
    assert most_severe([Level.IV, Level.II, Level.DAILY]) is Level.II
    assert most_severe([]) is Level.DAILY
    assert level_label(Level.III, "zh") == "较大（Ⅲ级）"


def test_social_safety_is_not_graded_by_the_law() -> None:
    assert not graded_by_law(IncidentType.SOCIAL_SAFETY)
    assert all(graded_by_law(t) for t in IncidentType if t is not IncidentType.SOCIAL_SAFETY)


# -- casualties -------------------------------------------------------------------------------


def test_casualties_suggest_the_level_of_the_grade(rules: EscalationRules) -> None:
    found = suggest(facts("隧道内客车翻车", "traffic_accident", deaths=4, injured=12), [], rules)
    assert [s.rule for s in found][:2] == ["casualties_iii", "casualties_iv"]
    top = found[0]
    assert top.level is Level.III and top.type is IncidentType.ACCIDENT  # the category's type
    assert "死亡 4 人（≥3）" in top.reason_zh and "受伤 12 人（≥10）" in top.reason_zh
    assert "4 dead (at least 3)" in top.reason_en
    assert top.matched == ("deaths", "injured")


def test_casualties_thirty_dead_is_level_i(rules: EscalationRules) -> None:
    found = suggest(facts("", "fire", deaths=30), [], rules)
    assert found[0].level is Level.I and found[0].rule == "casualties_i"


def test_unknown_casualties_are_not_zero_and_below_threshold_is_nothing(
    rules: EscalationRules,
) -> None:
    assert suggest(facts("有人摔倒了", "medical"), [], rules) == []
    assert suggest(facts("有人摔倒了", "medical", injured=2, deaths=0), [], rules) == []


def test_negative_casualties_are_refused() -> None:
    with pytest.raises(BadInput) as err:
        facts("", "fire", injured=-1)
    assert "受伤" in err.value.message("zh") and "injured" in err.value.message("en")


# -- place ------------------------------------------------------------------------------------


def test_gas_leak_in_a_crowded_place(rules: EscalationRules) -> None:
    found = by_rule(suggest(facts("闻到很浓的煤气味", "gas_leak", address="城关镇实验小学食堂"),
                            [], rules))
    s = found["gas_crowded_place"]
    assert s.level is Level.IV and s.type is IncidentType.ACCIDENT
    assert s.matched == ("小学",)
    assert "燃气泄漏" in s.reason_zh and "小学" in s.reason_zh
    assert "Gas leak" in s.reason_en


def test_place_from_the_account_and_only_for_its_category(rules: EscalationRules) -> None:
    found = by_rule(suggest(facts("商场里一股燃气味，人很多", "gas_leak", address="人民路8号"),
                            [], rules))
    assert found["gas_crowded_place"].matched == ("商场", "人很多")
    # The same place, another category: the rule is about gas leaks.
    assert "gas_crowded_place" not in by_rule(
        suggest(facts("商场门口路灯不亮", "streetlight", address="人民路8号"), [], rules))


# -- keywords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule", "word"),
    [("小区里发生爆炸了", "explosion", "爆炸"), ("工地基坑坍塌", "collapse", "坍塌"),
     ("山体塌方把路埋了", "collapse", "塌方"), ("楼里多人被困", "many_trapped", "多人被困"),
     ("有学生在河里溺水", "drowning", "溺水"), ("a gas tank exploded", "explosion", "exploded")],
)
def test_keywords(rules: EscalationRules, text: str, rule: str, word: str) -> None:
    found = by_rule(suggest(facts(text, "fire"), [], rules))
    assert rule in found, found
    assert found[rule].matched == (word,)
    assert f"“{word}”" in found[rule].reason_zh and word in found[rule].reason_en


def test_keyword_type_comes_from_the_rule_or_the_category(rules: EscalationRules) -> None:
    explosion = by_rule(suggest(facts("发生爆炸", "gas_leak"), [], rules))["explosion"]
    assert explosion.type is IncidentType.ACCIDENT
    landslide = by_rule(suggest(facts("后山塌方了", "geo_hazard"), [], rules))["collapse"]
    assert landslide.type is IncidentType.NATURAL_DISASTER  # collapse names no type


@pytest.mark.parametrize("text", ["没有人员被困", "现场没有多人被困", "还好没有发生爆炸",
                                  "怕会爆炸", "没有坍塌"])
def test_denied_or_feared_words_do_not_trigger(rules: EscalationRules, text: str) -> None:
    assert suggest(facts(text, "gas_leak"), [], rules) == []


def test_a_denied_mention_does_not_hide_a_real_one(rules: EscalationRules) -> None:
    found = by_rule(suggest(facts("起初没有爆炸，刚才爆炸了", "gas_leak"), [], rules))
    assert "explosion" in found


# -- clusters ---------------------------------------------------------------------------------


def test_waterlogging_cluster_in_one_area_within_the_hour(rules: EscalationRules) -> None:
    recent = [incident(11, "waterlogging", "人民路下穿通道", 50),
              incident(12, "manhole", "解放路口", 20)]
    found = by_rule(suggest(facts("路上积水很深", "waterlogging", address="城南大道",
                                  area="urban"), recent, rules))
    s = found["waterlogging_cluster"]
    assert s.level is Level.IV and s.type is IncidentType.NATURAL_DISASTER
    assert s.matched == ("inc-11", "inc-12")
    assert "60 分钟内同一区域共 3 起相关事件" in s.reason_zh and "#11、#12" in s.reason_zh
    assert "3 related incidents" in s.reason_en and "#11, #12" in s.reason_en


@pytest.mark.parametrize(
    ("recent", "why"),
    [([incident(11, "waterlogging", "人民路", 61), incident(12, "waterlogging", "解放路", 20)],
      "one is outside the window"),
     ([incident(11, "waterlogging", "人民路", 30, area="rural"),
       incident(12, "waterlogging", "解放路", 20)], "one is in another area"),
     ([incident(11, "noise", "人民路", 30), incident(12, "waterlogging", "解放路", 20)],
      "one is of an unrelated category"),
     ([incident(11, "waterlogging", "人民路", 30, status=IncidentStatus.MERGED),
       incident(12, "waterlogging", "解放路", 20)], "one is a merged repeat"),
     ([incident(12, "waterlogging", "解放路", -5), incident(13, "waterlogging", "解放路", 20)],
      "one came after this one")],
)
def test_cluster_needs_enough_incidents_in_window_and_area(
    rules: EscalationRules, recent: list[Incident], why: str
) -> None:
    found = suggest(facts("积水", "waterlogging", address="城南大道", area="urban"), recent,
                    rules)
    assert "waterlogging_cluster" not in by_rule(found), why


def test_cluster_at_one_place_matches_house_numbers_and_leaves_out_itself(
    rules: EscalationRules,
) -> None:
    me = incident(20, "gas_leak", "城关镇阳光小区5栋", 0)
    recent = [me, incident(19, "gas_leak", "阳光小区3栋2单元", 15)]
    found = by_rule(suggest(IncidentFacts.of(me), recent, rules))
    assert found["gas_leak_cluster"].matched == ("inc-19",)
    elsewhere = [me, incident(19, "gas_leak", "幸福家园3栋", 15)]
    assert "gas_leak_cluster" not in by_rule(suggest(IncidentFacts.of(me), elsewhere, rules))
    alone = [me]  # only itself: never a cluster of one
    assert "gas_leak_cluster" not in by_rule(suggest(IncidentFacts.of(me), alone, rules))


# -- ordering ---------------------------------------------------------------------------------


def test_most_severe_first_then_file_order(rules: EscalationRules) -> None:
    found = suggest(facts("小区燃气爆炸，多人被困", "gas_leak", address="阳光小区",
                          deaths=11, trapped=5), [], rules)
    levels = [s.level for s in found]
    assert levels == sorted(levels, key=severity, reverse=True)
    assert found[0].rule == "casualties_ii"
    iv = [s.rule for s in found if s.level is Level.IV]
    assert iv == ["casualties_iv", "gas_crowded_place", "explosion", "many_trapped"]
    assert found[0].to_json()["level"] == "II"


# -- the data file ----------------------------------------------------------------------------


def _copy(tmp_path: Path, old: str = "", new: str = "") -> Path:
    text = (default_data_dir() / "escalation.toml").read_text(encoding="utf-8")
    if old:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "escalation.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [('id = "explosion"\nkind = "keywords"', 'id = "explosion"\nkind = "rumour"',
      "rule #8 (explosion)", "kind must be one of"),
     ('id = "collapse"', 'id = "explosion"', "rule #9 (explosion)", "duplicate rule id explosion"),
     ('level = "IV"\nwords = ["爆炸"', 'level = "V"\nwords = ["爆炸"', "rule #8 (explosion)",
      "unknown level 'V'"),
     ('level = "IV"\nwords = ["爆炸"', 'level = "daily"\nwords = ["爆炸"', "rule #8 (explosion)",
      "must suggest a plan level"),
     ('categories = ["gas_leak"]\nplaces', 'categories = ["gas_lek"]\nplaces',
      "rule #5 (gas_crowded_place)", "category gas_lek in categories does not exist"),
     ("deaths = 30\n", "deaths = -3\n", "rule #1 (casualties_i)", "deaths must be a whole number"),
     ('type = "accident"\nlevel = "IV"\nwords = ["爆炸"',
      'type = "war"\nlevel = "IV"\nwords = ["爆炸"', "rule #8 (explosion)",
      "unknown incident type 'war'"),
     ('min_incidents = 3', 'min_incidents = 1', "rule #14 (waterlogging_cluster)",
      "min_incidents must be a whole number of at least 2"),
     ('scope = "area"', 'scope = "town"', "rule #14 (waterlogging_cluster)", "scope must be one of"),
     ('name_en = "Explosion"\n', '', "rule #8 (explosion)", "missing field name_en"),
     ('name_en = "Explosion"\n', 'name_en = "Explosion"\nplaces = ["x"]\n',
      "rule #8 (explosion)", "places do not apply to a keywords rule"),
     ('crime = "social_safety"', 'crimes = "social_safety"', "category_types",
      "category crimes does not exist"),
     ('crime = "social_safety"', 'crime = "war"', "category_types", "unknown incident type")],
)
def test_broken_rules_are_refused_with_file_and_entry(
    tmp_path: Path, catalog: Catalog, old: str, new: str, where: str, says: str
) -> None:
    with pytest.raises(DataError) as err:
        load_escalation(_copy(tmp_path, old, new), catalog)
    en, zh = err.value.message("en"), err.value.message("zh")
    assert "escalation.toml: " in en and "escalation.toml: " in zh
    assert where in en and where in zh, en
    assert says in en, en
    assert zh != en


def test_shipped_rules_load(rules: EscalationRules, catalog: Catalog) -> None:
    assert {r.kind for r in rules.rules} == {"casualties", "place", "keywords", "cluster"}
    assert set(rules.category_types) == set(catalog.categories)
