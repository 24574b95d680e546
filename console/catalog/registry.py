"""The linkage-unit registry and the incident categories: what they hold and how they are found.

An administrator edits two TOML files in ``data/``; ``console/catalog/loading.py`` reads and
checks them into the ``Catalog`` defined here (and ``datafile.py`` is how every data file is
read). The store keeps a JSON snapshot of the loaded catalog (``Catalog.to_json``) and rebuilds it
with ``Catalog.from_json`` at start-up: no TOML parsing and no pypinyin there, so a low-spec
machine starts fast. Pinyin and initials are therefore computed at load time and carried in
the snapshot.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cached_property
from typing import Any, Literal, get_args

from console.kernel.errors import BadInput, DataError, NotFound

Kind = Literal[
    "police",
    "fire",
    "medical",
    "utility",
    "telecom",
    "government",
    "enterprise",
    "volunteer",
    "paid-service",
    "township",
]
Route = Literal["linkage", "police", "fire", "medical", "hotline"]
Severity = Literal["low", "normal", "high", "critical"]
Regime = Literal["four-fixed", "three-fixed", "three-in-place"]

KINDS: tuple[str, ...] = get_args(Kind)
ROUTES: tuple[str, ...] = get_args(Route)
SEVERITIES: tuple[str, ...] = get_args(Severity)

#: The policy ties each tier to its duty regime: 四定 / 三定 / 三到位.
REGIME_OF_TIER: dict[int, Regime] = {1: "four-fixed", 2: "three-fixed", 3: "three-in-place"}
#: Where each route hands the call over; linkage work is dispatched by the center itself.
TRANSFER_OF_ROUTE: dict[str, str | None] = {
    "police": "110",
    "fire": "119",
    "medical": "120",
    "hotline": "12345",
    "linkage": None,
}
#: Routes that are emergencies by definition: never ordinary linkage work.
EMERGENCY_ROUTES = frozenset({"police", "fire", "medical"})

SNAPSHOT_FORMAT = 1
#: Duty phones in shipped data are deliberately fictional: "0000-" and seven digits.
PHONE_RE = re.compile(r"0000-\d{7}")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = r"(?:[01]\d|2[0-3]):[0-5]\d"
HOURS_CLAUSE_RE = re.compile(
    rf"(?:(?P<d1>{'|'.join(_DAYS)})(?:-(?P<d2>{'|'.join(_DAYS)}))?\s+)?"
    rf"(?P<ranges>{_HHMM}-(?:{_HHMM}|24:00)(?:\s*,\s*{_HHMM}-(?:{_HHMM}|24:00))*)"
)


@dataclass(frozen=True)
class Keyword:
    """A triage word and its weight (``"煤气味:2"`` in the data file; weight defaults to 1)."""

    word: str
    weight: float = 1.0


@dataclass(frozen=True)
class Unit:
    """One linkage unit (联动单位) as the registry describes it."""

    code: str
    name_zh: str
    name_en: str
    policy_name: str
    kind: Kind
    tier: int
    regime: Regime
    duty_phone: str
    duty_location: str
    duty_hours: str
    categories: tuple[str, ...]
    note: str = ""
    #: Everyday short names dispatchers type (住建, zjj, 城管, labour): found like the name.
    aliases: tuple[str, ...] = ()
    #: Full pinyin of the name, lowercase, no spaces: short form first ("gongdianju"), then
    #: the name as written ("xiangongdianju").
    pinyin: tuple[str, ...] = ()
    #: Pinyin initials in the same order ("gdj", "xgdj").
    initials: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Both names, for lists and logs: ``县供电局 County Power Supply Bureau``."""
        return f"{self.name_zh} {self.name_en}"

    def within_duty_hours(self, when: datetime) -> bool:
        """Whether ``when`` (local time of the center) falls in the unit's published hours.

        This is only the timetable; whether somebody actually answers is the roster's business.
        """
        return within_hours(self.duty_hours, when)


@dataclass(frozen=True)
class Category:
    """An incident category: how to recognise it and where it goes."""

    code: str
    name_zh: str
    name_en: str
    route: Route
    transfer_to: str | None
    severity: Severity
    emergency: bool
    lead_unit: str
    co_units: tuple[str, ...]
    keywords_zh: tuple[Keyword, ...]
    keywords_en: tuple[Keyword, ...]
    pinyin: tuple[str, ...] = ()
    initials: tuple[str, ...] = ()
    #: Short example calls, in the caller's words. Triage compares a call that matches no
    #: keyword with these (and the keywords) to still offer likely categories.
    examples_zh: tuple[str, ...] = ()
    examples_en: tuple[str, ...] = ()
    #: Categories that, when a call of this category also clearly matches them, are handled
    #: too (a fight with someone bleeding: 110 and 120; a gas leak with people dizzy: the gas
    #: company and 120). Triage proposes them together (``TriageResult.plan``).
    together: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name_zh} {self.name_en}"


@dataclass(frozen=True)
class Catalog:
    """Units and categories, in file order, cross-checked."""

    units: dict[str, Unit] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)

    # -- lookup ---------------------------------------------------------------------------

    def unit(self, code: str) -> Unit:
        try:
            return self.units[code]
        except KeyError:
            raise NotFound(
                "catalog.unit_not_found",
                zh="没有编码为 {wanted} 的联动单位",
                en="no linkage unit with code {wanted}",
                wanted=code,
            ) from None

    def category(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise NotFound(
                "catalog.category_not_found",
                zh="没有编码为 {wanted} 的事件类别",
                en="no incident category with code {wanted}",
                wanted=code,
            ) from None

    def units_for(self, category: Category | str) -> tuple[Unit, ...]:
        """The units a category sends: lead first, then co-units in the file's order."""
        cat = self.category(category) if isinstance(category, str) else category
        return tuple(self.units[c] for c in (cat.lead_unit, *cat.co_units))

    def find_units(self, query: str) -> list[Unit]:
        """Units matching what a dispatcher typed: code, Chinese, English, pinyin, initials.

        Ranked: exact code; exact name, pinyin or initials; prefix; substring. File order
        breaks ties, so the answer is stable from one keystroke to the next.
        """
        q = _query(query)
        ranked = [(r, i, u) for i, u in enumerate(self.units.values()) if (r := _rank(q, u))]
        return [u for _, _, u in sorted(ranked, key=lambda t: (t[0], t[1]))]

    def find_categories(self, query: str) -> list[Category]:
        """Categories matching a query, ranked as ``find_units``; a triage keyword that
        contains the query counts as a last-rank match (typing 停水 finds 供水故障)."""
        q = _query(query)
        ranked = []
        for i, cat in enumerate(self.categories.values()):
            r = _rank(q, cat)
            if not r and any(q in k.word.lower() for k in (*cat.keywords_zh, *cat.keywords_en)):
                r = 5
            if r:
                ranked.append((r, i, cat))
        return [c for _, _, c in sorted(ranked, key=lambda t: (t[0], t[1]))]

    # -- snapshot -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SNAPSHOT_FORMAT,
            "units": [_unit_to_dict(u) for u in self.units.values()],
            "categories": [_category_to_dict(c) for c in self.categories.values()],
        }

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces, UTF-8 text): same catalog, same bytes."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Catalog:
        """Rebuild a catalog from ``to_json`` output. Trusts the snapshot (it was validated
        when it was made) and imports nothing heavy."""
        try:
            doc = json.loads(text)
            if doc.get("format") != SNAPSHOT_FORMAT:
                raise ValueError(f"unsupported snapshot format {doc.get('format')!r}")
            units = {u["code"]: _unit_from_dict(u) for u in doc["units"]}
            cats = {c["code"]: _category_from_dict(c) for c in doc["categories"]}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataError(
                "catalog snapshot",
                zh="目录快照已损坏，请重新导入 data/ 目录：{detail}",
                en="the catalog snapshot is damaged; re-import data/: {detail}",
                detail=str(exc),
            ) from None
        return cls(units=units, categories=cats)

    @cached_property
    def version(self) -> str:
        """First 16 hex digits of the sha256 of the canonical JSON: changes iff the data does."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()[:16]


# -- lookup helpers ---------------------------------------------------------------------------


def _query(query: str) -> str:
    q = unicodedata.normalize("NFKC", query or "").strip().lower()
    if not q:
        raise BadInput(
            "catalog.empty_query",
            zh="请输入要查找的编码、名称或拼音",
            en="type a code, a name or pinyin to search for",
        )
    return q


def _rank(q: str, item: Unit | Category) -> int:
    """0 = no match; otherwise lower is better (see ``Catalog.find_units``)."""
    code = item.code
    en = item.name_en.lower()
    flat = q.replace(" ", "")
    names = {item.name_zh, short_name(item.name_zh)}
    if q == code:
        return 1
    aliases = item.aliases if isinstance(item, Unit) else ()
    if q in names or q == en or flat in item.initials or flat in item.pinyin or q in aliases:
        return 2
    if (
        code.startswith(q)
        or any(n.startswith(q) for n in names)
        or en.startswith(q)
        or any(w.startswith(q) for w in re.split(r"[\s()/,-]+", en))
        or (flat and any(p.startswith(flat) for p in (*item.pinyin, *item.initials)))
        or any(a.startswith(q) for a in aliases)
    ):
        return 3
    if (
        q in item.name_zh
        or q in en
        or q in code
        or (flat and any(flat in p for p in (*item.pinyin, *item.initials)))
        or (isinstance(item, Unit) and item.policy_name and q in item.policy_name)
        or any(len(q) > 1 and q in a for a in aliases)
    ):
        return 4
    return 0


def short_name(name: str) -> str:
    """The name without its county marker: 县供电局 → 供电局, 中国移动县分公司 → 中国移动分公司."""
    short = name.replace("县", "", 1)
    return short or name


def within_hours(spec: str, when: datetime) -> bool:
    """Evaluate a ``duty_hours`` string ("24h", "mon-fri 08:30-12:00,14:00-17:30; sat ...")."""
    if spec == "24h":
        return True
    day = when.weekday()
    now = when.time()
    for clause in spec.split(";"):
        m = HOURS_CLAUSE_RE.fullmatch(clause.strip())
        if not m:
            continue
        if m["d1"]:
            d1 = _DAYS.index(m["d1"])
            d2 = _DAYS.index(m["d2"]) if m["d2"] else d1
            days = range(d1, d2 + 1) if d1 <= d2 else [*range(d1, 7), *range(0, d2 + 1)]
            if day not in days:
                continue
        for rng in m["ranges"].split(","):
            start_s, end_s = (s.strip() for s in rng.split("-"))
            start = time.fromisoformat(start_s)
            if end_s == "24:00":
                if now >= start:
                    return True
            elif start <= now < time.fromisoformat(end_s):
                return True
    return False


# -- (de)serialisation ------------------------------------------------------------------------


def _unit_to_dict(u: Unit) -> dict[str, Any]:
    return {
        "code": u.code, "name_zh": u.name_zh, "name_en": u.name_en,
        "policy_name": u.policy_name, "kind": u.kind, "tier": u.tier, "regime": u.regime,
        "duty_phone": u.duty_phone, "duty_location": u.duty_location,
        "duty_hours": u.duty_hours, "categories": list(u.categories), "note": u.note,
        "pinyin": list(u.pinyin), "initials": list(u.initials), "aliases": list(u.aliases),
    }


def _unit_from_dict(d: Mapping[str, Any]) -> Unit:
    return Unit(
        code=d["code"], name_zh=d["name_zh"], name_en=d["name_en"],
        policy_name=d["policy_name"], kind=d["kind"], tier=d["tier"], regime=d["regime"],
        duty_phone=d["duty_phone"], duty_location=d["duty_location"],
        duty_hours=d["duty_hours"], categories=tuple(d["categories"]), note=d["note"],
        pinyin=tuple(d["pinyin"]), initials=tuple(d["initials"]),
        # snapshots made before aliases existed have none until the next ``catalog reload``
        aliases=tuple(d.get("aliases", ())),
    )


def _kw(items: Iterable[Keyword]) -> list[list[Any]]:
    return [[k.word, k.weight] for k in items]


def _kw_back(pairs: Iterable[list[Any]]) -> tuple[Keyword, ...]:
    return tuple(Keyword(word, float(weight)) for word, weight in pairs)


def _category_to_dict(c: Category) -> dict[str, Any]:
    return {
        "code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "route": c.route,
        "transfer_to": c.transfer_to, "severity": c.severity, "emergency": c.emergency,
        "lead_unit": c.lead_unit, "co_units": list(c.co_units),
        "keywords_zh": _kw(c.keywords_zh), "keywords_en": _kw(c.keywords_en),
        "examples_zh": list(c.examples_zh), "examples_en": list(c.examples_en),
        "pinyin": list(c.pinyin), "initials": list(c.initials), "together": list(c.together),
    }


def _category_from_dict(d: Mapping[str, Any]) -> Category:
    return Category(
        code=d["code"], name_zh=d["name_zh"], name_en=d["name_en"], route=d["route"],
        transfer_to=d["transfer_to"], severity=d["severity"], emergency=d["emergency"],
        lead_unit=d["lead_unit"], co_units=tuple(d["co_units"]),
        keywords_zh=_kw_back(d["keywords_zh"]),
        keywords_en=_kw_back(d["keywords_en"]),
        # Snapshots made before examples existed have none: triage then falls back on the
        # keywords alone until the next ``catalog reload``.
        examples_zh=tuple(d.get("examples_zh", ())), examples_en=tuple(d.get("examples_en", ())),
        pinyin=tuple(d["pinyin"]), initials=tuple(d["initials"]),
        together=tuple(d.get("together", ())),
    )
