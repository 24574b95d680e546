"""Escalation rules (升级研判规则): when an incident may need a contingency plan.

The dispatcher grades an incident (``console.kernel.vocab``); these rules only *suggest* a type
and a level, each with the reason in both languages, so the dispatcher sees why and decides.
They live in ``data/escalation.toml`` (format in ``data/README.md``) because every county sets
its own thresholds. Four kinds of rule:

- ``casualties``: deaths, injured or trapped at or above a threshold;
- ``place``: an incident category at a sensitive place (a gas leak at a school, a market, a
  hospital, a residential compound, anywhere crowded), the place read from the address or the
  caller's account;
- ``keywords``: words in the account (爆炸, 坍塌, 多人被困 …), with triage's own negation rules
  so "没有人员被困" does not count;
- ``cluster``: several related incidents at one place or in one area within a time window
  ("several linked incidents in one area within an hour").

``suggest`` is pure: the caller passes the incident's facts and the recent incidents as plain
values (``console.kernel.model.Incident``), so it runs the same in the TUI, the CLI and the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

from console.catalog.datafile import REQUIRED, DataEntry, display_path, read_toml
from console.catalog.registry import Catalog
from console.catalog.triage import affirmed, normalise
from console.kernel.errors import BadInput, DataError
from console.kernel.inputs import clean_text, place_key
from console.kernel.model import Incident, IncidentStatus
from console.kernel.vocab import IncidentType, Level, parse_level, parse_type, severity

RuleKind = Literal["casualties", "place", "keywords", "cluster"]
RULE_KINDS: tuple[str, ...] = ("casualties", "place", "keywords", "cluster")
SCOPES: tuple[str, ...] = ("place", "area")
CASUALTY_FIELDS: tuple[str, ...] = ("deaths", "injured", "trapped")
_CASUALTY_WORDS = {"deaths": ("死亡", "dead"), "injured": ("受伤", "injured"),
                   "trapped": ("被困", "trapped")}
_COMMON = ("id", "kind", "name_zh", "name_en", "type", "level")
_FIELDS: dict[str, tuple[str, ...]] = {
    "casualties": (*_COMMON, *CASUALTY_FIELDS),
    "place": (*_COMMON, "categories", "places"),
    "keywords": (*_COMMON, "categories", "words"),
    "cluster": (*_COMMON, "categories", "min_incidents", "within_minutes", "scope"),
}
_ALL_FIELDS = tuple(dict.fromkeys(f for fields in _FIELDS.values() for f in fields))
#: A place key up to its first digit: "阳光小区3栋2单元" and "阳光小区5栋" are one compound,
#: "人民路12号" and "人民路40号" one street.
_NUMBERED_TAIL = re.compile(r"\d.*$")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: RuleKind
    name_zh: str
    name_en: str
    level: Level
    #: The suggested type; ``None``: the type of the incident's category (``category_types``).
    type: IncidentType | None = None
    #: casualties: the thresholds (at least one); any one met fires the rule.
    thresholds: dict[str, int] = field(default_factory=dict)
    #: place / keywords / cluster: the categories the rule is about (empty: any for keywords;
    #: for a cluster, the incident's own category).
    categories: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    min_incidents: int = 0
    within_minutes: int = 0
    scope: str = "place"


@dataclass(frozen=True)
class EscalationRules:
    rules: tuple[Rule, ...]
    #: Category code → the type an incident of that category usually is.
    category_types: dict[str, IncidentType]
    #: Category code → (zh, en) names, for the reasons.
    category_names: dict[str, tuple[str, str]]


@dataclass(frozen=True, kw_only=True)
class IncidentFacts:
    """What the rules look at. Casualty counts are optional: unknown is not zero."""

    received_at: datetime
    text: str = ""
    category: str = ""
    address: str = ""
    area: str = ""
    deaths: int | None = None
    injured: int | None = None
    trapped: int | None = None
    #: The incident itself, when it is already recorded: left out of its own cluster.
    incident_id: str = ""

    def __post_init__(self) -> None:
        for name in CASUALTY_FIELDS:
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 0):
                zh, en = _CASUALTY_WORDS[name]
                raise BadInput("escalation.bad_count", zh=f"{zh}人数必须是不小于 0 的整数",
                               en=f"the number {en} must be a whole number of 0 or more")

    @classmethod
    def of(cls, incident: Incident, *, deaths: int | None = None, injured: int | None = None,
           trapped: int | None = None) -> IncidentFacts:
        """The facts of a recorded incident, with the casualties the dispatcher knows."""
        return cls(received_at=incident.created_at, text=incident.text,
                   category=incident.category, address=incident.address, area=incident.area,
                   deaths=deaths, injured=injured, trapped=trapped, incident_id=incident.id)


@dataclass(frozen=True)
class Suggestion:
    """One rule's suggestion. The dispatcher decides; this only says what and why."""

    type: IncidentType | None
    level: Level
    rule: str
    kind: RuleKind
    reason_zh: str
    reason_en: str
    #: What matched: words, places, casualty fields, or the related incidents' ids.
    matched: tuple[str, ...] = ()

    def reason(self, lang: str) -> str:
        return self.reason_zh if lang == "zh" else self.reason_en

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type.value if self.type else None, "level": self.level.value,
                "rule": self.rule, "kind": self.kind, "reason_zh": self.reason_zh,
                "reason_en": self.reason_en, "matched": list(self.matched)}


# -- suggesting -------------------------------------------------------------------------------


def suggest(facts: IncidentFacts, recent: list[Incident] | tuple[Incident, ...],
            rules: EscalationRules) -> list[Suggestion]:
    """Every rule that fires for ``facts``, most severe level first (file order among equals).

    ``recent`` are the incidents to look at for clusters; the caller picks them (typically
    those received within the longest cluster window), this function filters again by each
    rule's window, category and place, and never counts a merged repeat or the incident itself.
    """
    out: list[tuple[int, int, Suggestion]] = []
    for n, rule in enumerate(rules.rules):
        found = _CHECKS[rule.kind](rule, facts, recent, rules)
        if found is None:
            continue
        detail_zh, detail_en, matched = found
        kind = rule.type or rules.category_types.get(facts.category)
        s = Suggestion(type=kind, level=rule.level, rule=rule.id, kind=rule.kind,
                       reason_zh=f"{rule.name_zh}：{detail_zh}",
                       reason_en=f"{rule.name_en}: {detail_en}", matched=matched)
        out.append((-severity(rule.level), n, s))
    return [s for *_, s in sorted(out, key=lambda t: (t[0], t[1]))]


_Found = tuple[str, str, tuple[str, ...]] | None


def _casualties(rule: Rule, facts: IncidentFacts, _recent: Any, _rules: Any) -> _Found:
    parts_zh, parts_en, matched = [], [], []
    for name, threshold in rule.thresholds.items():
        value = getattr(facts, name)
        if value is not None and value >= threshold:
            zh, en = _CASUALTY_WORDS[name]
            parts_zh.append(f"{zh} {value} 人（≥{threshold}）")
            parts_en.append(f"{value} {en} (at least {threshold})")
            matched.append(name)
    if not matched:
        return None
    return "，".join(parts_zh), ", ".join(parts_en), tuple(matched)


def _place(rule: Rule, facts: IncidentFacts, _recent: Any, rules: EscalationRules) -> _Found:
    if facts.category not in rule.categories:
        return None
    address = normalise(facts.address)
    at = [p for p in rule.places if normalise(p) in address]
    at += [p for p in affirmed(facts.text, rule.places) if p not in at]
    if not at:
        return None
    zh, en = rules.category_names.get(facts.category, (facts.category, facts.category))
    words = "、".join(at)
    return (f"{zh}，地点涉及“{words}”", f"{en} at a place with “{', '.join(at)}”", tuple(at))


def _keywords(rule: Rule, facts: IncidentFacts, _recent: Any, _rules: Any) -> _Found:
    if rule.categories and facts.category not in rule.categories:
        return None
    words = affirmed(facts.text, rule.words)
    if not words:
        return None
    return (f"报警内容提到“{'、'.join(words)}”", f"the account mentions “{', '.join(words)}”",
            tuple(words))


def _cluster(rule: Rule, facts: IncidentFacts, recent: Any, rules: EscalationRules) -> _Found:
    related = rule.categories or (facts.category,)
    if facts.category not in related:
        return None
    since = facts.received_at - timedelta(minutes=rule.within_minutes)
    here = _place_base(place_key(facts.address))
    linked: dict[str, Incident] = {}
    for inc in recent:
        if (inc.id == facts.incident_id or inc.status is IncidentStatus.MERGED
                or inc.category not in related or not since <= inc.created_at <= facts.received_at):
            continue
        if rule.scope == "area":
            if not facts.area or inc.area != facts.area:
                continue
        elif not here or not _same_place(here, _place_base(place_key(inc.address))):
            continue
        linked.setdefault(inc.id, inc)
    count = len(linked) + 1  # and this one
    if count < rule.min_incidents:
        return None
    nos = "、".join(f"#{i.no}" for i in sorted(linked.values(), key=lambda i: i.no))
    nos_en = ", ".join(f"#{i.no}" for i in sorted(linked.values(), key=lambda i: i.no))
    where_zh = "同一区域" if rule.scope == "area" else "同一地点"
    where_en = "in the same area" if rule.scope == "area" else "at the same place"
    names = [rules.category_names.get(c, (c, c)) for c in related]
    return (
        f"{rule.within_minutes} 分钟内{where_zh}共 {count} 起相关事件"
        f"（{'、'.join(n[0] for n in names)}），含此前 {nos}",
        f"{count} related incidents ({', '.join(n[1] for n in names)}) {where_en} within "
        f"{rule.within_minutes} min, with earlier {nos_en}",
        tuple(linked),
    )


def _place_base(key: str) -> str:
    base = _NUMBERED_TAIL.sub("", key)
    return base if len(base) >= 2 else key


def _same_place(a: str, b: str) -> bool:
    """One place: the same base, or one base ends with the other (the town left out:
    "城关镇人民路" and "人民路"), the shorter at least three characters."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long.endswith(short)


_CHECKS = {"casualties": _casualties, "place": _place, "keywords": _keywords,
           "cluster": _cluster}


# -- loading ----------------------------------------------------------------------------------


def default_escalation_path() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "escalation.toml"


def load_escalation(path: Path, catalog: Catalog) -> EscalationRules:
    """Parse and check ``escalation.toml`` against the catalog; a ``DataError`` names the
    file and the entry, in both languages."""
    doc = read_toml(path)
    where = display_path(path)
    extra = sorted(set(doc) - {"rule", "category_types"})
    if extra:
        raise DataError(where, zh="未知的顶层键 {keys}（只允许 [category_types] 和 [[rule]]）",
                        en="unknown top-level key(s) {keys} (only [category_types] and [[rule]])",
                        keys=", ".join(extra))
    types = _category_types(doc.get("category_types", {}), where, catalog)
    raw_rules = doc.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise DataError(where, zh="没有任何 [[rule]] 条目", en="no [[rule]] entries")
    rules: dict[str, Rule] = {}
    for i, raw in enumerate(raw_rules, 1):
        rule = _parse_rule(raw, i, where, catalog)
        if rule.id in rules:
            dup = DataEntry(raw, "rule", i, where, _ALL_FIELDS)
            dup.code = rule.id
            dup.fail("规则编号 {c} 重复", "duplicate rule id {c}", c=rule.id)
        rules[rule.id] = rule
    names = {c.code: (c.name_zh, c.name_en) for c in catalog.categories.values()}
    return EscalationRules(tuple(rules.values()), types, names)


def _category_types(raw: Any, where: str, catalog: Catalog) -> dict[str, IncidentType]:
    if not isinstance(raw, dict):
        raise DataError(where, zh="category_types 必须是一个表", en="category_types must be a table")
    out: dict[str, IncidentType] = {}
    for code, value in raw.items():
        if code not in catalog.categories:
            raise DataError(f"{where}: category_types", zh="类别 {c} 不存在于 categories.toml",
                            en="category {c} does not exist in categories.toml", c=code)
        try:
            out[code] = parse_type(value if isinstance(value, str) else "")
        except BadInput:
            raise DataError(f"{where}: category_types", zh="{c} 的事件类型 {v!r} 无效",
                            en="{c}: unknown incident type {v!r}", c=code, v=value) from None
    return out


def _parse_rule(raw: Any, index: int, where: str, catalog: Catalog) -> Rule:
    e = DataEntry(raw, "rule", index, where, _ALL_FIELDS)
    if isinstance(raw.get("id"), str):
        e.code = raw["id"]
    kind = e.choice("kind", RULE_KINDS)
    extra = sorted(set(raw) - set(_FIELDS[kind]))
    if extra:
        e.fail("字段 {f} 不适用于 {k} 规则", "field(s) {f} do not apply to a {k} rule",
               f=", ".join(extra), k=kind)
    rid = e.code_value("id")
    level = entry_level(e, "level")
    if level is Level.DAILY:
        e.fail("规则建议的级别不能是日常（日常无需规则）",
               "a rule must suggest a plan level (I–IV), not daily")
    kind_value = e._get("type", None)
    itype = entry_type(e, "type") if kind_value is not None else None
    base = Rule(id=rid, kind=cast(RuleKind, kind), name_zh=e.text("name_zh"),
                name_en=e.text("name_en"), level=level, type=itype)
    if kind == "casualties":
        thresholds = {f: entry_int(e, f, minimum=1) for f in CASUALTY_FIELDS if f in e.raw}
        if not thresholds:
            e.fail("伤亡规则至少需要 deaths、injured、trapped 之一",
                   "a casualties rule needs at least one of deaths, injured, trapped")
        return replace(base, thresholds=thresholds)
    required = kind == "place"
    categories = e.code_list("categories", required=required)
    if required and not categories:
        e.fail("categories 不能为空", "categories must not be empty")
    for c in categories:
        if c not in catalog.categories:
            e.fail("categories 中的类别 {c} 不存在于 categories.toml",
                   "category {c} in categories does not exist in categories.toml", c=c)
    if kind == "place":
        return replace(base, categories=categories, places=entry_words(e, "places"))
    if kind == "keywords":
        return replace(base, categories=categories, words=entry_words(e, "words"))
    return replace(base, categories=categories,
                   min_incidents=entry_int(e, "min_incidents", minimum=2),
                   within_minutes=entry_int(e, "within_minutes", minimum=1),
                   scope=e.choice("scope", SCOPES))


# -- entry helpers shared with console.tiered.plans ---------------------------------------------------


def entry_int(e: DataEntry, key: str, *, minimum: int = 0, default: Any = REQUIRED) -> int:
    value = e._get(key, default)
    if type(value) is not int or value < minimum:
        e.fail("{k} 必须是不小于 {m} 的整数", "{k} must be a whole number of at least {m}",
               k=key, m=minimum)
    return value


def entry_level(e: DataEntry, key: str) -> Level:
    value = e._get(key, REQUIRED)
    try:
        return parse_level(value if isinstance(value, str | int) else "")
    except BadInput:
        e.fail("{k} 的级别 {v!r} 无效（应为 I、II、III、IV 或 daily）",
               "{k}: unknown level {v!r} (use I, II, III, IV or daily)", k=key, v=value)


def entry_type(e: DataEntry, key: str) -> IncidentType:
    value = e._get(key, REQUIRED)
    try:
        return parse_type(value if isinstance(value, str) else "")
    except BadInput:
        e.fail("{k} 的事件类型 {v!r} 无效（应为 natural_disaster、accident、public_health 或 "
               "social_safety）",
               "{k}: unknown incident type {v!r} (use natural_disaster, accident, public_health "
               "or social_safety)", k=key, v=value)


def entry_words(e: DataEntry, key: str) -> tuple[str, ...]:
    value = e._get(key, REQUIRED)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        e.fail("{k} 必须是字符串列表", "{k} must be a list of strings", k=key)
    words = tuple(dict.fromkeys(clean_text(v) for v in value))
    if not words or "" in words:
        e.fail("{k} 不能为空，也不能有空字符串", "{k} must not be empty or hold an empty word",
               k=key)
    return words
