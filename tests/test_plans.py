"""Contingency plans and reporting deadlines: the shipped files, the matcher, broken files."""

from __future__ import annotations

import shutil
from datetime import time
from pathlib import Path

import pytest

from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.registry import Catalog
from console.kernel.errors import BadInput, DataError, NotFound
from console.kernel.vocab import REPORT_KINDS, IncidentType, Level
from console.seat.services import Services
from console.tiered.plans import PlanBook, default_plans_dir, load_plans
from console.tiered.report_deadlines import default_report_rules_path, load_report_rules

GAS = "residential_gas_leak.toml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(default_data_dir())


@pytest.fixture(scope="module")
def book(catalog: Catalog) -> PlanBook:
    return load_plans(default_plans_dir(), catalog)


# -- the shipped plans ------------------------------------------------------------------------


def test_shipped_plans_load(book: PlanBook) -> None:
    assert set(book.plans) >= {"urban_waterlogging", "residential_gas_leak", "road_collapse"}
    for plan in book.plans.values():
        assert plan.name_zh and plan.name_en and plan.units and plan.steps
        assert plan.reports == REPORT_KINDS
        assert any(u.role == "lead" for u in plan.units)
        assert all(s.text_zh and s.text_en for s in plan.steps)
        assert [s.no for s in plan.steps] == list(range(1, len(plan.steps) + 1))
        assert Level.DAILY not in plan.levels


def test_every_unit_and_category_exists_in_the_catalog(book: PlanBook, catalog: Catalog) -> None:
    for plan in book.plans.values():
        assert {u.code for u in plan.units} <= set(catalog.units)
        assert set(plan.categories) <= set(catalog.categories)
        assert {s.unit for s in plan.steps if s.unit} <= {u.code for u in plan.units}


def test_plans_order_the_units_the_policy_names(book: PlanBook, catalog: Catalog) -> None:
    """住建, 城管, 水利 (水务), 燃气公司, 供电, 交通, 公安交警 all have a part somewhere."""
    named = {u.code for p in book.plans.values() for u in p.units}
    assert {"housing", "urban_mgmt", "water", "gas", "power", "transport",
            "traffic_police"} <= named
    assert catalog.unit("gas").policy_name == "市燃气集团公司"


def test_gas_leak_plan_leads_with_the_gas_company(book: PlanBook) -> None:
    plan = book.plan("residential_gas_leak")
    units = plan.units_at(Level.IV)
    assert units[0].code == "gas" and units[0].role == "lead"
    assert [u.role for u in units] == sorted((u.role for u in units),
                                             key=("lead", "support", "standby").index)
    assert "safety" not in {u.code for u in units}  # only from III
    assert "safety" in {u.code for u in plan.units_at(Level.III)}
    assert "safety" in {u.code for u in plan.units_at(Level.I)}
    first = plan.steps[0]
    assert first.role == "center" and first.due_minutes == 2 and "明火" in first.text("zh")


# -- the matcher ------------------------------------------------------------------------------


def test_plans_for_type_level_and_category(book: PlanBook) -> None:
    assert [p.code for p in book.plans_for(IncidentType.ACCIDENT, Level.IV, "gas_leak")] == [
        "residential_gas_leak"]
    assert [p.code for p in book.plans_for("自然灾害", "Ⅲ", "waterlogging")] == [
        "urban_waterlogging"]
    assert [p.code for p in book.plans_for("accident", "较大", "road_damage")] == ["road_collapse"]
    assert [p.code for p in book.plans_for("natural_disaster", "II", "power_supply")] == [
        "large_power_outage"]


def test_plans_for_without_category_lists_every_plan_of_the_type(book: PlanBook) -> None:
    codes = [p.code for p in book.plans_for("accident", "IV")]
    assert {"residential_gas_leak", "road_collapse", "large_power_outage"} <= set(codes)
    assert "urban_waterlogging" not in codes


def test_no_plan_below_plan_level_or_for_other_types(book: PlanBook) -> None:
    assert book.plans_for("accident", "daily", "gas_leak") == []
    assert book.plans_for("social_safety", "IV") == []
    assert book.plans_for("public_health", "I", "gas_leak") == []
    assert book.plans_for("accident", "IV", "noise") == []


def test_bad_arguments_are_refused(book: PlanBook) -> None:
    with pytest.raises(BadInput):
        book.plans_for("war", "IV")
    with pytest.raises(BadInput):
        book.plans_for("accident", "V")
    with pytest.raises(NotFound) as err:
        book.plan("nope")
    assert "nope" in err.value.message("zh") and "nope" in err.value.message("en")


# -- broken plan files ------------------------------------------------------------------------


def _plans(tmp_path: Path, old: str = "", new: str = "", name: str = GAS) -> Path:
    target = tmp_path / "plans"
    shutil.copytree(default_plans_dir(), target)
    if old:
        text = (target / name).read_text(encoding="utf-8")
        assert old in text, old
        (target / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [('code = "psb"', 'code = "ghost"', "plan (residential_gas_leak): unit #3 (ghost)",
      "unit code ghost does not exist in units.toml"),
     ('categories = ["gas_leak"]', 'categories = ["gas_lek"]', "plan (residential_gas_leak)",
      "category gas_lek in categories does not exist"),
     ('name_en = "Residential gas leak contingency plan"\n', "", "plan (residential_gas_leak)",
      "missing field name_en"),
     ('task_en = "Mark the danger zone', 'task_xx = "Mark the danger zone',
      "plan (residential_gas_leak): unit #2 (fire)", "unknown field(s) task_xx"),
     ('text_zh = "书面首报县应急管理局。"\n', "", "plan (residential_gas_leak): step #8",
      "missing field text_zh"),
     ('levels = ["I", "II", "III", "IV"]', 'levels = ["I", "V"]', "plan (residential_gas_leak)",
      "unknown level 'V'"),
     ('levels = ["I", "II", "III", "IV"]', 'levels = ["IV", "daily"]',
      "plan (residential_gas_leak)", "levels cannot include daily"),
     ('types = ["accident"]', 'types = ["war"]', "plan (residential_gas_leak)",
      "unknown incident type 'war'"),
     ('role = "support"\ntask_zh = "划定', 'role = "helper"\ntask_zh = "划定',
      "plan (residential_gas_leak): unit #2 (fire)", "role must be one of lead, support, standby"),
     ('role = "lead"', 'role = "support"', "plan (residential_gas_leak)",
      "needs at least one lead unit"),
     ('code = "psb"', 'code = "fire"', "plan (residential_gas_leak): unit #3 (fire)",
      "unit fire is listed twice"),
     ('unit = "psb"', 'unit = "water_co"', "plan (residential_gas_leak): step #3",
      "unit water_co is not one of this plan's units"),
     ("due_minutes = 20", "due_minutes = 0", "plan (residential_gas_leak): step #3",
      "due_minutes must be a whole number of at least 1"),
     ('reports = ["initial_phone"', 'reports = ["fax"', "plan (residential_gas_leak)",
      "unknown report 'fax'"),
     ('role = "standby"\nmin_level = "III"\ntask_zh = "待命对受损',
      'role = "standby"\nmin_level = "daily"\ntask_zh = "待命对受损',
      "plan (residential_gas_leak): unit #7 (housing)", "min_level must be I, II, III or IV"),
     ('levels = ["I", "II", "III", "IV"]', 'levels = ["IV"]',
      "plan (residential_gas_leak): unit #7 (housing)", "min_level III is above every level"),
     ('code = "residential_gas_leak"', 'code = "road_collapse"', "plan (road_collapse)",
      "duplicate plan code road_collapse"),
     ('code = "residential_gas_leak"', 'code = "Gas Leak"', "plan", "code must be a short"),
     ('name_zh = "居民小区燃气泄漏应急预案"', 'name_zh = "居民小区燃气泄漏应急预案', GAS,
      "TOML syntax error")],
)
def test_broken_plans_are_refused_with_file_and_entry(
    tmp_path: Path, catalog: Catalog, old: str, new: str, where: str, says: str
) -> None:
    plans = _plans(tmp_path, old, new)
    with pytest.raises(DataError) as err:
        load_plans(plans, catalog)
    en, zh = err.value.message("en"), err.value.message("zh")
    assert "plans/" in en and "plans/" in zh
    assert where in en and where in zh, en
    assert says in en, en
    assert zh != en


def test_duplicate_code_names_both_files(tmp_path: Path, catalog: Catalog) -> None:
    plans = _plans(tmp_path, 'code = "residential_gas_leak"', 'code = "road_collapse"')
    with pytest.raises(DataError) as err:
        load_plans(plans, catalog)
    assert GAS in err.value.message("en") and "road_collapse.toml" in err.value.message("en")
    assert "预案编码 road_collapse 重复" in err.value.message("zh")


def test_missing_or_empty_directory_is_no_plans(tmp_path: Path, catalog: Catalog) -> None:
    assert load_plans(tmp_path / "none", catalog).plans == {}
    (tmp_path / "empty").mkdir()
    assert load_plans(tmp_path / "empty", catalog).plans_for("accident", "IV") == []


# -- reporting deadlines ----------------------------------------------------------------------


def test_default_deadlines_are_30_and_60_minutes_at_every_plan_level() -> None:
    rules = load_report_rules(default_report_rules_path())
    assert rules.province == ""
    for level in (Level.I, Level.II, Level.III, Level.IV):
        d = rules.for_level(level)
        assert d is not None
        assert (d.initial_phone_minutes, d.initial_written_minutes) == (30, 60)
        assert d.final_days > 0 and d.province == ""
    first, fourth = rules.for_level("I"), rules.for_level("IV")
    assert first is not None and first.follow_up_minutes == 120
    assert fourth is not None and fourth.follow_up_minutes == 1440
    assert rules.for_level(Level.DAILY) is None


def test_henan_overrides_only_what_it_says() -> None:
    rules = load_report_rules(default_report_rules_path())
    assert rules.provinces["henan"].name_zh == "河南省"
    ii = rules.for_level("重大", "henan")
    assert ii is not None and ii.province == "henan"
    assert (ii.initial_phone_minutes, ii.initial_written_minutes) == (15, 35)
    assert ii.follow_up_at == (time(8, 0), time(17, 0))
    iv = rules.for_level("IV", "henan")
    assert iv is not None
    assert (iv.initial_phone_minutes, iv.initial_written_minutes) == (30, 360)
    assert iv.follow_up_at == () and iv.follow_up_minutes == 1440
    with pytest.raises(BadInput) as err:
        rules.for_level("IV", "atlantis")
    assert "atlantis" in err.value.message("zh")


def _deadlines(tmp_path: Path, old: str, new: str) -> Path:
    text = default_report_rules_path().read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "report_deadlines.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_use_province_selects_the_table(tmp_path: Path) -> None:
    rules = load_report_rules(_deadlines(tmp_path, 'use_province = ""', 'use_province = "henan"'))
    d = rules.for_level("I")
    assert d is not None and d.initial_phone_minutes == 15 and d.province == "henan"
    national = rules.for_level("I", "")
    assert national is not None and national.initial_phone_minutes == 30


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [('use_province = ""', 'use_province = "hubei"', "report_deadlines.toml",
      "use_province = 'hubei': no such"),
     ("initial_written_minutes = 60", "initial_written_minutes = 20", "report_deadlines.toml",
      "level I: the written initial report (20 min) is due before the phone report (30 min)"),
     ("initial_phone_minutes = 30", "initial_phone_minutes = 0", "[default]",
      "initial_phone_minutes must be a positive whole number"),
     ("final_days = 7\n", "", "[default]", "missing field(s) final_days"),
     ("[level.III]", "[level.V]", "[level]", "unknown level 'V'"),
     ('name_en = "Henan"\n', "", "[province.henan]", "missing field name_en"),
     ('follow_up_at = ["08:00", "17:00"]', 'follow_up_at = ["8am"]',
      "[province.henan.level.I]", 'follow_up_at must be a list of "HH:MM" times'),
     ("initial_written_minutes = 35", "initial_written_minutes = 10", "report_deadlines.toml",
      "province henan, level I"),
     ("\n[default]\n", "\n[defaults]\n", "report_deadlines.toml",
      "unknown top-level key(s) defaults")],
)
def test_broken_deadlines_are_refused(tmp_path: Path, old: str, new: str, where: str,
                                      says: str) -> None:
    with pytest.raises(DataError) as err:
        load_report_rules(_deadlines(tmp_path, old, new))
    en, zh = err.value.message("en"), err.value.message("zh")
    assert where in en and where in zh, en
    assert says in en, en
    assert zh != en


# -- the seat loads them lazily ---------------------------------------------------------------


def test_services_load_tiered_data_on_first_use(services: Services) -> None:
    assert "tiered" not in vars(services)  # not read at start-up
    tiered = services.tiered
    assert tiered.plans.plans_for("accident", "IV", "gas_leak")[0].code == "residential_gas_leak"
    assert tiered.reports.for_level("IV") is not None
    assert tiered.escalation.rules
    assert services.tiered is tiered
