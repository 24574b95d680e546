"""Loading the unit registry and the categories from ``units.toml`` and ``categories.toml``.

Everything is validated here, once, with a message that names the file and the entry (the
format is in ``data/README.md``), because a typo in a duty phone or a unit code must stop the
console at start rather than send an order nowhere in the middle of a shift. Pinyin and initials
are computed here too, so the snapshot a seat starts from needs neither TOML nor pypinyin.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar, cast

from console.catalog.datafile import (
    REQUIRED,
    DataEntry,
    display_path,
    fail_entry,
    read_toml,
    table_entries,
)
from console.catalog.registry import (
    EMERGENCY_ROUTES,
    HOURS_CLAUSE_RE,
    KINDS,
    PHONE_RE,
    REGIME_OF_TIER,
    ROUTES,
    SEVERITIES,
    TRANSFER_OF_ROUTE,
    Catalog,
    Category,
    Keyword,
    Kind,
    Route,
    Severity,
    Unit,
    short_name,
)

T = TypeVar("T", Unit, Category)
#: Longest example phrase a category may give (characters).
MAX_EXAMPLE = 80


def default_data_dir() -> Path:
    """The repository's ``data/`` directory."""
    return Path(__file__).resolve().parents[2] / "data"


def load_catalog(data_dir: Path) -> Catalog:
    """Parse and validate ``units.toml`` and ``categories.toml`` from ``data_dir``.

    Every problem becomes a ``DataError`` naming the file and the entry; nothing here lets a
    raw traceback reach an administrator.
    """
    units_path = Path(data_dir) / "units.toml"
    cats_path = Path(data_dir) / "categories.toml"
    units_doc = read_toml(units_path)
    cats_doc = read_toml(cats_path)
    ufile, cfile = display_path(units_path), display_path(cats_path)

    raw_units = table_entries(units_doc, "unit", ufile)
    raw_cats = table_entries(cats_doc, "category", cfile)
    units = _unique((_parse_unit(raw, i, ufile) for i, raw in enumerate(raw_units, 1)), ufile)
    cats = _unique((_parse_category(raw, i, cfile) for i, raw in enumerate(raw_cats, 1)), cfile)

    for i, u in enumerate(units.values(), 1):
        for code in u.categories:
            if code not in cats:
                fail_entry(ufile, "unit", i, u.code, "categories 中的类别 {c} 不存在于 categories.toml",
                      "category {c} in categories does not exist in categories.toml", c=code)
    for i, cat in enumerate(cats.values(), 1):
        for code in (cat.lead_unit, *cat.co_units):
            if code not in units:
                fail_entry(cfile, "category", i, cat.code, "单位编码 {c} 不存在于 units.toml",
                      "unit code {c} does not exist in units.toml", c=code)
        if cat.code not in units[cat.lead_unit].categories:
            fail_entry(cfile, "category", i, cat.code,
                  "牵头单位 {c} 的 categories 中没有列出本类别（请在 units.toml 中补上）",
                  "lead unit {c} does not list this category in its categories "
                  "(add it in units.toml)", c=cat.lead_unit)

        for code in cat.together:
            if code not in cats or code == cat.code:
                fail_entry(cfile, "category", i, cat.code, "together 中的类别 {c} 不存在或就是本类别",
                      "category {c} in together does not exist or is this category", c=code)
    owner: dict[str, str] = {}
    for i, u in enumerate(units.values(), 1):
        for alias in u.aliases:
            other = owner.setdefault(alias, u.code)
            if other != u.code or (alias in units and alias != u.code):
                fail_entry(ufile, "unit", i, u.code, "简称 {a} 已是 {o} 的编码或简称",
                      "alias {a} is already the code or an alias of {o}", a=alias,
                      o=other if other != u.code else alias)

    units = {code: _with_pinyin(u) for code, u in units.items()}
    cats = {code: _with_pinyin(c) for code, c in cats.items()}
    return Catalog(units=units, categories=cats)


_UNIT_FIELDS = (
    "code", "name_zh", "name_en", "policy_name", "kind", "tier", "regime", "duty_phone",
    "duty_location", "duty_hours", "categories", "note", "aliases",
)
_CATEGORY_FIELDS = (
    "code", "name_zh", "name_en", "route", "transfer_to", "severity", "emergency", "lead_unit",
    "co_units", "keywords_zh", "keywords_en", "examples_zh", "examples_en", "together",
)


def _parse_unit(raw: Any, index: int, file: str) -> Unit:
    e = DataEntry(raw, "unit", index, file, _UNIT_FIELDS)
    code = e.code_value("code")
    tier = e._get("tier", REQUIRED)
    if not isinstance(tier, int) or isinstance(tier, bool) or tier not in (1, 2, 3):
        e.fail("tier 必须是 1、2 或 3", "tier must be 1, 2 or 3")
    kind = e.choice("kind", KINDS)
    regime = e.text("regime")
    if regime != REGIME_OF_TIER[tier]:
        e.fail("{t} 级联动单位的 regime 必须是 {r}（四定/三定/三到位），而不是 {v!r}",
               "a tier-{t} unit's regime must be {r}, not {v!r}",
               t=tier, r=REGIME_OF_TIER[tier], v=regime)
    if kind in ("volunteer", "paid-service") and tier == 1:
        e.fail("志愿者队伍和有偿服务机构只能纳入二级或三级联动单位",
               "volunteer teams and paid services can only be tier 2 or 3")
    phone = e.text("duty_phone")
    if not PHONE_RE.fullmatch(phone):
        e.fail("duty_phone 必须是虚构号码格式 0000-加7位数字（如 0000-1100110），而不是 {v!r}",
               "duty_phone must be a fictional number, 0000- and 7 digits "
               "(e.g. 0000-1100110), not {v!r}", v=phone)
    hours = e.text("duty_hours")
    if tier == 1 and hours != "24h":
        e.fail("一级联动单位实行24小时值班，duty_hours 必须是 \"24h\"",
               "tier-1 units keep 24-hour duty: duty_hours must be \"24h\"")
    if hours != "24h" and not all(
        HOURS_CLAUSE_RE.fullmatch(c.strip()) for c in hours.split(";")
    ):
        e.fail("duty_hours 格式不对：{v!r}（应为 \"24h\" 或 \"mon-fri 08:30-17:30\"）",
               "malformed duty_hours {v!r} (use \"24h\" or \"mon-fri 08:30-17:30\")", v=hours)
    return Unit(
        code=code,
        name_zh=e.text("name_zh"),
        name_en=e.text("name_en"),
        policy_name=e.text("policy_name", empty=True),
        kind=cast(Kind, kind),
        tier=tier,
        regime=regime,
        duty_phone=phone,
        duty_location=e.text("duty_location"),
        duty_hours=hours,
        categories=e.code_list("categories"),
        note=e.text("note", "", empty=True),
        aliases=_aliases(e),
    )


def _aliases(e: DataEntry) -> tuple[str, ...]:
    """Optional short names: strings of 1–20 characters, kept lower case and NFKC so they
    match what ``_query`` makes of what was typed; none repeated."""
    value = e._get("aliases", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        e.fail("aliases 必须是字符串列表", "aliases must be a list of strings")
    out: list[str] = []
    for item in value:
        alias = unicodedata.normalize("NFKC", item).strip().lower()
        if not alias or len(alias) > 20:
            e.fail("aliases 中的简称 {v!r} 必须是 1 到 20 个字符", "alias {v!r} must be 1 to 20 characters",
                   v=item)
        if alias in out:
            e.fail("aliases 中有重复的简称 {v!r}", "aliases repeats {v!r}", v=item)
        out.append(alias)
    return tuple(out)


def _parse_category(raw: Any, index: int, file: str) -> Category:
    e = DataEntry(raw, "category", index, file, _CATEGORY_FIELDS)
    code = e.code_value("code")
    route = e.choice("route", ROUTES)
    expected = TRANSFER_OF_ROUTE[route]
    transfer = e._get("transfer_to", None)
    if transfer != expected:
        if expected is None:
            e.fail("route = \"linkage\" 的类别由中心自行派单，不要写 transfer_to",
                   "a linkage category is dispatched by the center: omit transfer_to")
        e.fail("route = \"{r}\" 时 transfer_to 必须是 \"{t}\"",
               "route \"{r}\" needs transfer_to = \"{t}\"", r=route, t=expected)
    emergency = e.flag("emergency")
    if route in EMERGENCY_ROUTES and not emergency:
        e.fail("公安、消防、120 类别必须标记 emergency = true",
               "police, fire and medical categories must have emergency = true")
    if route == "hotline" and emergency:
        e.fail("转 12345 的类别不能标记为紧急", "a 12345 hotline category cannot be an emergency")
    lead = e.code_value("lead_unit")
    co_units = e.code_list("co_units", required=False)
    if lead in co_units:
        e.fail("牵头单位 {c} 不能同时列在 co_units 中", "lead unit {c} is also in co_units", c=lead)
    kw_zh, kw_en = _keywords(e, "keywords_zh"), _keywords(e, "keywords_en")
    return Category(
        code=code,
        name_zh=e.text("name_zh"),
        name_en=e.text("name_en"),
        route=cast(Route, route),
        transfer_to=expected,
        severity=cast(Severity, e.choice("severity", SEVERITIES)),
        emergency=emergency,
        lead_unit=lead,
        co_units=co_units,
        keywords_zh=kw_zh,
        keywords_en=kw_en,
        examples_zh=_phrases(e, "examples_zh"),
        examples_en=_phrases(e, "examples_en"),
        together=e.code_list("together", required=False),
    )


def _unique(items: Iterable[T], file: str) -> dict[str, T]:
    out: dict[str, T] = {}
    for i, item in enumerate(items, 1):
        if item.code in out:
            kind = "unit" if isinstance(item, Unit) else "category"
            fail_entry(file, kind, i, item.code, "编码 {c} 重复", "duplicate code {c}", c=item.code)
        out[item.code] = item
    return out


def _with_pinyin(item: T) -> T:
    """Attach pinyin and initials; pypinyin is imported here only, never by ``from_json``."""
    from dataclasses import replace

    from pypinyin import Style, lazy_pinyin

    def flat(name: str, style: Style) -> str:
        return re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(name, style=style)).lower())

    names = list(dict.fromkeys([short_name(item.name_zh), item.name_zh]))
    return replace(
        item,
        pinyin=tuple(dict.fromkeys(flat(n, Style.NORMAL) for n in names)),
        initials=tuple(dict.fromkeys(flat(n, Style.FIRST_LETTER) for n in names)),
    )


def _keywords(e: DataEntry, key: str) -> tuple[Keyword, ...]:
    value = e._get(key, REQUIRED)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        e.fail("{k} 必须是字符串列表", "{k} must be a list of strings", k=key)
    out: dict[str, Keyword] = {}
    for item in value:
        word, weight = item.strip(), 1.0
        head, sep, tail = word.rpartition(":")
        if sep and re.fullmatch(r"\d+(?:\.\d+)?", tail.strip()):
            word, weight = head.strip(), float(tail)
        if not word:
            e.fail("{k} 中有空关键词 {v!r}", "{k} has an empty keyword {v!r}", k=key, v=item)
        if not 0 < weight <= 10:
            e.fail("{k} 中 {v!r} 的权重必须在 0 到 10 之间",
                   "{k}: weight of {v!r} must be above 0 and at most 10", k=key, v=item)
        out.setdefault(word, Keyword(word, weight))
    return tuple(out.values())


def _phrases(e: DataEntry, key: str) -> tuple[str, ...]:
    """An optional list of short example phrases: strings, not empty, not repeated, at
    most ``MAX_EXAMPLE`` characters (an example is a call's gist, not a transcript)."""
    value = e._get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        e.fail("{k} 必须是字符串列表", "{k} must be a list of strings", k=key)
    out: list[str] = []
    for item in value:
        text = item.strip()
        if not text:
            e.fail("{k} 中有空的例句", "{k} has an empty example", k=key)
        if len(text) > MAX_EXAMPLE:
            e.fail("{k} 中的例句过长（最多 {n} 个字符）：{v!r}",
                   "{k}: example longer than {n} characters: {v!r}",
                   k=key, n=MAX_EXAMPLE, v=text)
        if text in out:
            e.fail("{k} 中有重复的例句 {v!r}", "{k} repeats the example {v!r}", k=key, v=text)
        out.append(text)
    return tuple(out)
