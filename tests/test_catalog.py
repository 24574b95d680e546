"""The unit registry and categories: the shipped data, lookups, the snapshot, broken files."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.registry import Catalog, within_hours
from console.kernel.errors import BadInput, DataError, NotFound

# The policy's own lists (seed/000_…, 三(二)), word for word.
TIER1_POLICY = [
    "市公安局", "市政府新闻办", "市卫生计生委", "市住房城乡建设局", "市交通运输局", "市水务局",
    "市民政局", "市环境保护局", "市工商局", "市食品药品监管局", "市安全监管局",
    "市人力资源社会保障局", "市旅发委", "市气象局", "市地震局", "市国土资源局", "市林业局",
    "市森林公安局", "市煤炭局", "供电局", "市公安局交警支队", "市公安消防支队", "中石化石油公司",
    "中石油销售公司", "市燃气集团公司", "中国电信分公司", "中国移动分公司", "中国联通分公司",
]
TIER2_POLICY = [
    "市信访局", "市质量技术监督局", "市文化体育局", "市农业局", "市外事侨务办", "市教育局",
    "市自然资源和规划局", "市移民局",
]
TIER3_POLICY = [
    "市监察局", "市财政局", "市粮食局", "市民宗委", "市发展改革委", "市商务局", "市司法局",
    "市科技局", "市新闻出版广电局", "市法制办", "市金融办", "市政务服务管理局",
    "市公共资源交易中心", "市公积金管理中心",
]
CATEGORY_CODES = [
    "crime", "public_order", "traffic_accident", "person_in_danger", "missing_person", "fire",
    "medical", "water_supply", "power_supply", "gas_leak", "gas_supply", "road_damage",
    "manhole", "streetlight", "waterlogging", "pollution", "noise", "stray_animal",
    "fallen_tree", "vagrant", "food_poisoning", "consumer", "unpaid_wages", "public_transport",
    "telecom", "neighbour_dispute", "work_safety", "geo_hazard", "forest_fire", "weather",
    "earthquake", "consultation", "complaint",
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(default_data_dir())


# -- the shipped data -------------------------------------------------------------------------


def test_shipped_data_loads_with_every_category(catalog: Catalog) -> None:
    assert list(catalog.categories) == CATEGORY_CODES
    assert len(catalog.units) >= len(TIER1_POLICY) + len(TIER2_POLICY) + len(TIER3_POLICY)


@pytest.mark.parametrize(
    ("tier", "regime", "names"),
    [(1, "four-fixed", TIER1_POLICY), (2, "three-fixed", TIER2_POLICY),
     (3, "three-in-place", TIER3_POLICY)],
)
def test_every_policy_unit_is_present_in_its_tier(
    catalog: Catalog, tier: int, regime: str, names: list[str]
) -> None:
    by_policy = {u.policy_name: u for u in catalog.units.values() if u.policy_name}
    for name in names:
        unit = by_policy.get(name)
        assert unit is not None, f"policy unit {name} missing"
        assert (unit.tier, unit.regime) == (tier, regime), name
        if tier == 1:
            assert unit.duty_hours == "24h", name


def test_units_the_policy_implies_are_present(catalog: Catalog) -> None:
    units = catalog.units
    assert (units["ems120"].kind, units["ems120"].tier) == ("medical", 1)
    assert (units["water_co"].kind, units["water_co"].tier) == ("utility", 1)
    assert units["water_co"].name_zh.endswith("自来水公司")
    assert units["urban_mgmt"].kind == "government"
    assert sum(u.kind == "township" for u in units.values()) >= 2
    assert any("司法所" in u.name_zh for u in units.values())
    assert any(u.kind == "volunteer" and u.tier == 2 for u in units.values())
    assert any(u.kind == "paid-service" and u.tier == 3 for u in units.values())
    assert "应急管理局" in units["safety"].note
    for code in ("ems120", "water_co", "urban_mgmt", "rescue_team", "locksmith"):
        assert units[code].policy_name == ""


def test_county_names_keep_the_policy_wording(catalog: Catalog) -> None:
    assert catalog.unit("psb").name_zh == "县公安局"
    assert catalog.unit("psb").policy_name == "市公安局"
    assert catalog.unit("power").name_zh == "县供电局"
    assert catalog.unit("power").policy_name == "供电局"


def test_every_duty_phone_is_fictional_and_unique(catalog: Catalog) -> None:
    phones = [u.duty_phone for u in catalog.units.values()]
    assert all(re.fullmatch(r"0000-\d{7}", p) for p in phones)
    assert len(set(phones)) == len(phones)


def test_routing_matches_the_policy_split(catalog: Catalog) -> None:
    cats = catalog.categories
    assert {c.code for c in cats.values() if c.route == "police"} == {
        "crime", "public_order", "traffic_accident", "person_in_danger", "missing_person"}
    assert (cats["fire"].route, cats["fire"].transfer_to) == ("fire", "119")
    assert (cats["medical"].route, cats["medical"].transfer_to) == ("medical", "120")
    assert {c.code for c in cats.values() if c.route == "hotline"} == {"consultation", "complaint"}
    assert {c.code for c in cats.values() if c.emergency} == {
        "crime", "public_order", "traffic_accident", "person_in_danger", "missing_person",
        "fire", "medical", "forest_fire", "food_poisoning", "gas_leak"}
    assert cats["gas_leak"].lead_unit == "gas" and "fire" in cats["gas_leak"].co_units
    assert cats["forest_fire"].severity == "critical"
    assert {"forest_police", "fire"} <= set(cats["forest_fire"].co_units)
    assert cats["food_poisoning"].lead_unit == "health"
    assert "ems120" in cats["food_poisoning"].co_units
    assert all(c.transfer_to is None for c in cats.values() if c.route == "linkage")


def test_forest_fire_repeats_every_fire_keyword(catalog: Catalog) -> None:
    """Triage reads a hillside fire as a forest fire because forest_fire's words contain all of
    fire's words plus place words; this keeps the two lists in step (see data/README.md)."""
    fire, forest = catalog.category("fire"), catalog.category("forest_fire")
    missing = {k.word for k in (*fire.keywords_zh, *fire.keywords_en)} - {
        k.word for k in (*forest.keywords_zh, *forest.keywords_en)}
    assert not missing


# -- lookup ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("gdj", "power"), ("xgdj", "power"), ("GDJ", "power"), ("gongdian", "power"),
        ("gongdianju", "power"), ("xiangongdianju", "power"), ("gong dian", "power"),
        ("供电", "power"), ("县供电局", "power"), ("power", "power"), ("Power Supply", "power"),
        ("fire", "fire"), ("ems", "ems120"), ("120", "ems120"), ("gaj", "psb"),
        ("traffic police", "traffic_police"), ("jjdd", "traffic_police"),
        ("ＧＤＪ", "power"), ("市公安局交警支队", "traffic_police"), ("blue sky", "rescue_team"),
    ],
)
def test_find_units(catalog: Catalog, query: str, first: str) -> None:
    assert catalog.find_units(query)[0].code == first


def test_find_units_ranks_exact_before_prefix_before_substring(catalog: Catalog) -> None:
    codes = [u.code for u in catalog.find_units("gdj")]
    assert codes[0] == "power"
    assert "broadcast" in codes  # 新闻出版广电局 has "gdj" inside its initials
    assert catalog.find_units("zzzzqqq") == []


def test_unit_carries_pinyin_and_initials(catalog: Catalog) -> None:
    power = catalog.unit("power")
    assert set(power.pinyin) == {"gongdianju", "xiangongdianju"}
    assert set(power.initials) == {"gdj", "xgdj"}


@pytest.mark.parametrize(("query", "first"), [
    ("water_supply", "water_supply"), ("供水", "water_supply"), ("停水", "water_supply"),
    ("gsgz", "water_supply"), ("gas leak", "gas_leak"), ("森林", "forest_fire"),
    ("Noise", "noise"), ("zaosheng", "noise"),
])
def test_find_categories(catalog: Catalog, query: str, first: str) -> None:
    assert catalog.find_categories(query)[0].code == first


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_is_refused(catalog: Catalog, query: str) -> None:
    with pytest.raises(BadInput):
        catalog.find_units(query)
    with pytest.raises(BadInput):
        catalog.find_categories(query)


def test_unknown_codes_are_not_found_in_both_languages(catalog: Catalog) -> None:
    with pytest.raises(NotFound) as unit_err:
        catalog.unit("ghost")
    assert "ghost" in unit_err.value.message("zh") and "联动单位" in unit_err.value.message("zh")
    assert unit_err.value.message("en") == "no linkage unit with code ghost"
    with pytest.raises(NotFound) as cat_err:
        catalog.category("ghost")
    assert "ghost" in cat_err.value.message("en") and "类别" in cat_err.value.message("zh")


def test_units_for_lists_lead_then_co_units(catalog: Catalog) -> None:
    assert [u.code for u in catalog.units_for("gas_leak")] == ["gas", "fire", "housing"]


def test_duty_hours_are_evaluated() -> None:
    monday_10 = datetime(2026, 11, 30, 10, 0)
    monday_13 = datetime(2026, 11, 30, 13, 0)
    saturday_10 = datetime(2026, 11, 28, 10, 0)
    spec = "mon-fri 08:30-12:00,14:30-17:30"
    assert within_hours(spec, monday_10)
    assert not within_hours(spec, monday_13)
    assert not within_hours(spec, saturday_10)
    assert within_hours("24h", saturday_10)
    assert within_hours("fri-mon 20:00-24:00", datetime(2026, 11, 29, 23, 30))  # sunday


# -- the snapshot -----------------------------------------------------------------------------


def test_json_round_trip_is_exact(catalog: Catalog) -> None:
    text = catalog.to_json()
    again = Catalog.from_json(text)
    assert again == catalog
    assert list(again.units) == list(catalog.units)
    assert again.to_json() == text
    assert again.version == catalog.version
    assert re.fullmatch(r"[0-9a-f]{16}", catalog.version)


def test_version_follows_the_data(tmp_path: Path) -> None:
    data = _copy_shipped(tmp_path)
    before = load_catalog(data).version
    _edit(data / "units.toml", 'duty_location = "县供电局95598抢修值班室"',
          'duty_location = "县供电局抢修中心"')
    assert load_catalog(data).version != before


def test_from_json_needs_no_pypinyin(catalog: Catalog, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(catalog.to_json(), encoding="utf-8")
    code = (
        "import sys, pathlib\n"
        "from console.catalog.registry import Catalog\n"
        f"c = Catalog.from_json(pathlib.Path({str(snapshot)!r}).read_text(encoding='utf-8'))\n"
        "assert c.find_units('gdj')[0].code == 'power'\n"
        "assert 'pypinyin' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


@pytest.mark.parametrize("text", ["", "{", "[]", '{"format": 99}', '{"format": 1, "units": [{}]}'])
def test_damaged_snapshot_is_a_data_error(text: str) -> None:
    with pytest.raises(DataError):
        Catalog.from_json(text)


# -- broken files -----------------------------------------------------------------------------

UNITS = """
[[unit]]
code = "psb"
name_zh = "县公安局"
name_en = "County Public Security Bureau"
policy_name = "市公安局"
kind = "police"
tier = 1
regime = "four-fixed"
duty_phone = "0000-1100110"
duty_location = "指挥中心"
duty_hours = "24h"
categories = ["crime"]

[[unit]]
code = "power"
name_zh = "县供电局"
name_en = "County Power Supply Bureau"
policy_name = "供电局"
kind = "utility"
tier = 1
regime = "four-fixed"
duty_phone = "0000-1955980"
duty_location = "抢修值班室"
duty_hours = "24h"
categories = ["power_supply"]

[[unit]]
code = "sfs"
name_zh = "城关司法所"
name_en = "Chengguan Judicial Office"
policy_name = ""
kind = "township"
tier = 2
regime = "three-fixed"
duty_phone = "0000-2000001"
duty_location = "调解室"
duty_hours = "mon-fri 08:30-17:30"
categories = []
"""

CATEGORIES = """
[[category]]
code = "crime"
name_zh = "刑事案件"
name_en = "Crime"
route = "police"
transfer_to = "110"
severity = "high"
emergency = true
lead_unit = "psb"
co_units = []
keywords_zh = ["偷:2", "抢劫"]
keywords_en = ["theft"]

[[category]]
code = "power_supply"
name_zh = "供电故障"
name_en = "Power supply fault"
route = "linkage"
severity = "normal"
emergency = false
lead_unit = "power"
co_units = ["psb"]
keywords_zh = ["停电:2"]
keywords_en = ["power cut"]
"""


def _write(tmp_path: Path, units: str = UNITS, categories: str = CATEGORIES) -> Path:
    (tmp_path / "units.toml").write_text(units, encoding="utf-8")
    (tmp_path / "categories.toml").write_text(categories, encoding="utf-8")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _copy_shipped(tmp_path: Path) -> Path:
    for name in ("units.toml", "categories.toml"):
        (tmp_path / name).write_bytes((default_data_dir() / name).read_bytes())
    return tmp_path


def test_minimal_files_load(tmp_path: Path) -> None:
    catalog = load_catalog(_write(tmp_path))
    assert list(catalog.units) == ["psb", "power", "sfs"]
    assert catalog.category("crime").keywords_zh[0].weight == 2.0


POWER = 'code = "power"'


@pytest.mark.parametrize(
    ("file", "old", "new", "where", "says"),
    [
        ("units", 'duty_phone = "0000-1955980"\n', "", "unit #2 (power)", "missing field duty_phone"),
        ("units", f"{POWER}\nname_zh", f"{POWER}\nname_zhh = 1\nname_zh", "unit #2 (power)",
         "unknown field(s) name_zhh"),
        ("units", 'name_zh = "县供电局"', "name_zh = 7", "unit #2 (power)",
         "name_zh must be a string"),
        ("units", 'name_zh = "县供电局"', 'name_zh = "  "', "unit #2 (power)",
         "name_zh must not be empty"),
        ("units", "tier = 1\nregime = \"four-fixed\"\nduty_phone = \"0000-1955980\"",
         "tier = 4\nregime = \"four-fixed\"\nduty_phone = \"0000-1955980\"", "unit #2 (power)",
         "tier must be 1, 2 or 3"),
        ("units", "tier = 1\nregime = \"four-fixed\"\nduty_phone = \"0000-1955980\"",
         "tier = \"1\"\nregime = \"four-fixed\"\nduty_phone = \"0000-1955980\"", "unit #2 (power)",
         "tier must be 1, 2 or 3"),
        ("units", 'kind = "utility"', 'kind = "army"', "unit #2 (power)", "kind must be one of"),
        ("units", 'code = "power"', 'code = "psb"', "unit #2 (psb)", "duplicate code psb"),
        ("units", 'code = "power"', 'code = "Power!"', "unit #2 (Power!)",
         "code must be a short lowercase code"),
        ("units", 'categories = ["power_supply"]', 'categories = ["power_supply", "nope"]',
         "unit #2 (power)", "category nope in categories does not exist"),
        ("units", 'regime = "three-fixed"', 'regime = "four-fixed"', "unit #3 (sfs)",
         "a tier-2 unit's regime must be three-fixed, not 'four-fixed'"),
        ("units", '"0000-1955980"', '"0731-1955980"', "unit #2 (power)",
         "duty_phone must be a fictional number"),
        ("units", '"0000-1955980"', '"13800000001"', "unit #2 (power)",
         "duty_phone must be a fictional number"),
        ("units", 'duty_hours = "24h"\ncategories = ["power_supply"]',
         'duty_hours = "08:30-17:30"\ncategories = ["power_supply"]', "unit #2 (power)",
         "tier-1 units keep 24-hour duty"),
        ("units", '"mon-fri 08:30-17:30"', '"weekdays, mostly"', "unit #3 (sfs)",
         "malformed duty_hours"),
        ("units", 'kind = "township"', 'kind = "volunteer"\nnote = ""', None, None),
        ("units", 'kind = "utility"\ntier = 1', 'kind = "volunteer"\ntier = 1', "unit #2 (power)",
         "only be tier 2 or 3"),
        ("categories", 'route = "police"', 'route = "army"', "category #1 (crime)",
         "route must be one of"),
        ("categories", 'severity = "normal"', 'severity = "urgent"', "category #2 (power_supply)",
         "severity must be one of"),
        ("categories", 'transfer_to = "110"', 'transfer_to = "119"', "category #1 (crime)",
         'route "police" needs transfer_to = "110"'),
        ("categories", 'route = "linkage"', 'route = "linkage"\ntransfer_to = "110"',
         "category #2 (power_supply)", "omit transfer_to"),
        ("categories", "emergency = true", "emergency = false", "category #1 (crime)",
         "must have emergency = true"),
        ("categories", "emergency = true", 'emergency = "yes"', "category #1 (crime)",
         "emergency must be true or false"),
        ("categories", 'co_units = ["psb"]', 'co_units = ["psb", "ghost"]',
         "category #2 (power_supply)", "unit code ghost does not exist in units.toml"),
        ("categories", 'lead_unit = "psb"', 'lead_unit = "sfs"', "category #1 (crime)",
         "lead unit sfs does not list this category"),
        ("categories", 'co_units = ["psb"]', 'co_units = ["power"]', "category #2 (power_supply)",
         "lead unit power is also in co_units"),
        ("categories", 'co_units = ["psb"]', 'co_units = ["psb", "psb"]',
         "category #2 (power_supply)", "co_units repeats psb"),
        ("categories", 'code = "power_supply"', 'code = "crime"', "category #2 (crime)",
         "duplicate code crime"),
        ("categories", '"停电:2"', '"停电:0"', "category #2 (power_supply)",
         "weight of '停电:0' must be above 0"),
        ("categories", 'keywords_en = ["theft"]', "", "category #1 (crime)",
         "missing field keywords_en"),
        ("categories", 'name_en = "Crime"', 'name_en = "Crime', "categories.toml",
         "TOML syntax error"),
        ("units", "[[unit]]", "[units]\nx = 1\n[[unit]]", "units.toml", "unknown top-level key"),
    ],
)
def test_broken_files_are_refused_with_file_and_entry(
    tmp_path: Path, file: str, old: str, new: str, where: str | None, says: str | None
) -> None:
    data = _write(tmp_path)
    _edit(data / f"{file}.toml", old, new)
    if where is None:  # a control: a volunteer team in tier 2 is fine
        load_catalog(data)
        return
    with pytest.raises(DataError) as err:
        load_catalog(data)
    en, zh = err.value.message("en"), err.value.message("zh")
    assert f"{file}.toml: " in en and f"{file}.toml: " in zh
    assert where in en and where in zh
    assert says is not None and says in en, en
    assert zh != en


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    data = _write(tmp_path)
    (data / "categories.toml").unlink()
    with pytest.raises(DataError, match=r"categories\.toml: file not found"):
        load_catalog(data)


def test_not_utf8_is_a_data_error(tmp_path: Path) -> None:
    data = _write(tmp_path)
    (data / "units.toml").write_bytes(UNITS.encode("gbk"))
    with pytest.raises(DataError, match=r"units\.toml"):
        load_catalog(data)


def test_error_names_the_entry_as_data_slash_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the repository root the message reads like the brief's example."""
    data = tmp_path / "data"
    data.mkdir()
    _write(data)
    _edit(data / "units.toml", "tier = 1\nregime = \"four-fixed\"\nduty_phone = \"0000-1955980\"",
          "tier = 5\nregime = \"four-fixed\"\nduty_phone = \"0000-1955980\"")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as err:
        load_catalog(Path("data"))
    assert err.value.message("en") == "data/units.toml: unit #2 (power): tier must be 1, 2 or 3"


def test_shipped_toml_is_plain_tomllib(tmp_path: Path) -> None:
    """The files parse with the standard library alone (no extensions an editor may add)."""
    for name in ("units.toml", "categories.toml"):
        with (default_data_dir() / name).open("rb") as fh:
            assert tomllib.load(fh)


# -- aliases (everyday short names) and categories handled together --------------------------
@pytest.mark.parametrize("query, code", [
    ("住建", "housing"), ("zjj", "housing"), ("城管", "urban_mgmt"), ("cgj", "urban_mgmt"),
    ("人社", "hrss"), ("rsj", "hrss"), ("环保", "env"), ("hbj", "env"), ("食药监", "fda"),
    ("市场监管", "fda"), ("labour", "hrss"), ("ＺＪＪ", "housing"),
])
def test_everyday_short_names_find_their_unit(catalog: Catalog, query: str, code: str) -> None:
    assert catalog.find_units(query)[0].code == code


def test_aliases_survive_the_snapshot(catalog: Catalog) -> None:
    back = Catalog.from_json(catalog.to_json())
    assert back.units["housing"].aliases == catalog.units["housing"].aliases
    assert back.categories["public_order"].together == ("medical",)


def test_alias_taken_by_two_units_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path)
    _edit(path / "units.toml", POWER, POWER + '\naliases = ["dl", "gdj2"]')
    _edit(path / "units.toml", 'code = "psb"', 'code = "psb"\naliases = ["DL"]')
    with pytest.raises(DataError) as info:
        load_catalog(path)
    assert "dl" in info.value.message("en") and "alias" in info.value.message("en")
    assert "简称" in info.value.message("zh")


def test_together_must_name_another_category(tmp_path: Path) -> None:
    path = _write(tmp_path)
    _edit(path / "categories.toml", 'code = "power_supply"', 'code = "power_supply"\ntogether = ["ghost"]')
    with pytest.raises(DataError) as info:
        load_catalog(path)
    assert "together" in info.value.message("en")


# -- the event schema's Registry and Catalog.from_json agree -----------------------------------
def _loads(body: dict[str, object]) -> tuple[bool, bool]:
    """(the schema's Registry accepts the body, Catalog.from_json loads it)."""
    import json

    import msgspec

    from console.store.payloads import Registry

    text = json.dumps(body, ensure_ascii=False)
    try:
        msgspec.json.decode(text.encode(), type=Registry)
        schema_ok = True
    except msgspec.ValidationError:
        schema_ok = False
    try:
        Catalog.from_json(text)
        loads = True
    except DataError:
        loads = False
    return schema_ok, loads


def test_the_event_schema_refuses_exactly_the_registries_that_would_not_load() -> None:
    """The store checks a ``catalog.loaded`` body with the schema alone (it sits below the
    catalog): so a field the snapshot cannot load without must be required by the schema, and a
    field it can do without must not be. Dropped one at a time from a real snapshot."""
    doc = load_catalog(default_data_dir()).to_dict()
    assert _loads(doc) == (True, True)
    for part in ("units", "categories"):
        for key in sorted(doc[part][0]):
            shorter = {**doc, part: [{k: v for k, v in item.items() if k != key}
                                     for item in doc[part]]}
            schema_ok, loads = _loads(shorter)
            assert schema_ok == loads, f"{part}.{key}: schema {schema_ok}, from_json {loads}"
