"""The linkage-unit registry and the incident categories, loaded from ``data/``.

An administrator edits two TOML files (``units.toml``, ``categories.toml``; the format is in
``data/README.md``). Everything is validated here, once, with a message that names the file
and the entry, because a typo in a duty phone or a unit code must stop the console at start
rather than send an order nowhere in the middle of a shift.

The store keeps a JSON snapshot of the loaded catalog (``Catalog.to_json``) and rebuilds it
with ``Catalog.from_json`` at start-up: no TOML parsing and no pypinyin there, so a low-spec
machine starts fast. Pinyin and initials are therefore computed at load time and carried in
the snapshot.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar, cast, get_args

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

_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,23}")
#: Duty phones in shipped data are deliberately fictional: "0000-" and seven digits.
PHONE_RE = re.compile(r"0000-\d{7}")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = r"(?:[01]\d|2[0-3]):[0-5]\d"
_HOURS_CLAUSE_RE = re.compile(
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
    names = {item.name_zh, _short_name(item.name_zh)}
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


def _short_name(name: str) -> str:
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
        m = _HOURS_CLAUSE_RE.fullmatch(clause.strip())
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


# -- loading and validation -------------------------------------------------------------------


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
    units_doc = _read_toml(units_path)
    cats_doc = _read_toml(cats_path)
    ufile, cfile = _display(units_path), _display(cats_path)

    raw_units = _entries(units_doc, "unit", ufile)
    raw_cats = _entries(cats_doc, "category", cfile)
    units = _unique((_parse_unit(raw, i, ufile) for i, raw in enumerate(raw_units, 1)), ufile)
    cats = _unique((_parse_category(raw, i, cfile) for i, raw in enumerate(raw_cats, 1)), cfile)

    for i, u in enumerate(units.values(), 1):
        for code in u.categories:
            if code not in cats:
                _fail(ufile, "unit", i, u.code, "categories 中的类别 {c} 不存在于 categories.toml",
                      "category {c} in categories does not exist in categories.toml", c=code)
    for i, cat in enumerate(cats.values(), 1):
        for code in (cat.lead_unit, *cat.co_units):
            if code not in units:
                _fail(cfile, "category", i, cat.code, "单位编码 {c} 不存在于 units.toml",
                      "unit code {c} does not exist in units.toml", c=code)
        if cat.code not in units[cat.lead_unit].categories:
            _fail(cfile, "category", i, cat.code,
                  "牵头单位 {c} 的 categories 中没有列出本类别（请在 units.toml 中补上）",
                  "lead unit {c} does not list this category in its categories "
                  "(add it in units.toml)", c=cat.lead_unit)

        for code in cat.together:
            if code not in cats or code == cat.code:
                _fail(cfile, "category", i, cat.code, "together 中的类别 {c} 不存在或就是本类别",
                      "category {c} in together does not exist or is this category", c=code)
    owner: dict[str, str] = {}
    for i, u in enumerate(units.values(), 1):
        for alias in u.aliases:
            other = owner.setdefault(alias, u.code)
            if other != u.code or (alias in units and alias != u.code):
                _fail(ufile, "unit", i, u.code, "简称 {a} 已是 {o} 的编码或简称",
                      "alias {a} is already the code or an alias of {o}", a=alias,
                      o=other if other != u.code else alias)

    units = {code: _with_pinyin(u) for code, u in units.items()}
    cats = {code: _with_pinyin(c) for code, c in cats.items()}
    return Catalog(units=units, categories=cats)


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _read_toml(path: Path) -> dict[str, Any]:
    where = _display(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise DataError(where, zh="文件不存在", en="file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(where, zh="TOML 语法错误：{detail}", en="TOML syntax error: {detail}",
                        detail=str(exc)) from None
    except UnicodeDecodeError:
        raise DataError(where, zh="文件不是 UTF-8 编码", en="file is not UTF-8 text") from None
    except OSError as exc:
        raise DataError(where, zh="无法读取：{detail}", en="cannot read: {detail}",
                        detail=exc.strerror or str(exc)) from None


def _entries(doc: dict[str, Any], table: str, where: str) -> list[Any]:
    extra = sorted(set(doc) - {table})
    if extra:
        raise DataError(where, zh="未知的顶层键 {keys}（只允许 [[{table}]] 表）",
                        en="unknown top-level key(s) {keys} (only [[{table}]] tables)",
                        keys=", ".join(extra), table=table)
    entries = doc.get(table)
    if not isinstance(entries, list) or not entries:
        raise DataError(where, zh="没有任何 [[{table}]] 条目", en="no [[{table}]] entries",
                        table=table)
    return entries


def _fail(file: str, kind: str, index: int, code: str | None, zh: str, en: str,
          **params: Any) -> NoReturn:
    label = kind + (f" #{index}" if index else "") + (f" ({code})" if code else "")
    raise DataError(f"{file}: {label}", zh=zh, en=en, **params)


class _Entry:
    """Typed access to one ``[[table]]`` entry; each accessor fails with the entry's name."""

    def __init__(self, raw: Any, kind: str, index: int, file: str, allowed: Iterable[str]):
        self.file, self.kind, self.index = file, kind, index
        self.code: str | None = None
        if not isinstance(raw, dict):
            self.fail("条目必须是一个表", "entry must be a table")
        self.raw: dict[str, Any] = raw
        code = raw.get("code")
        if isinstance(code, str):
            self.code = code
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            self.fail("未知字段 {f}", "unknown field(s) {f}", f=", ".join(unknown))

    def fail(self, zh: str, en: str, **params: Any) -> NoReturn:
        _fail(self.file, self.kind, self.index, self.code, zh, en, **params)

    def _get(self, key: str, default: Any) -> Any:
        if key not in self.raw:
            if default is _REQUIRED:
                self.fail("缺少字段 {k}", "missing field {k}", k=key)
            return default
        return self.raw[key]

    def text(self, key: str, default: Any = None, *, empty: bool = False) -> str:
        value = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(value, str):
            self.fail("{k} 必须是字符串", "{k} must be a string", k=key)
        value = value.strip()
        if not value and not empty:
            self.fail("{k} 不能为空", "{k} must not be empty", k=key)
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            self.fail("{k} 必须是 {a} 之一，而不是 {v!r}", "{k} must be one of {a}, not {v!r}",
                      k=key, a=", ".join(allowed), v=value)
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key, _REQUIRED)
        if not isinstance(value, bool):
            self.fail("{k} 必须是 true 或 false", "{k} must be true or false", k=key)
        return value

    def code_value(self, key: str) -> str:
        value = self.text(key)
        if not _CODE_RE.fullmatch(value):
            self.fail("{k} 必须是小写字母开头的短编码（a-z、0-9、_，不超过 24 个字符），而不是 {v!r}",
                      "{k} must be a short lowercase code (a-z, 0-9, _; at most 24), not {v!r}",
                      k=key, v=value)
        return value

    def code_list(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self._get(key, _REQUIRED if required else [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("{k} 必须是字符串列表", "{k} must be a list of strings", k=key)
        codes = tuple(v.strip() for v in value)
        for c in codes:
            if not _CODE_RE.fullmatch(c):
                self.fail("{k} 中的编码 {v!r} 格式不对", "{k} has a malformed code {v!r}",
                          k=key, v=c)
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            self.fail("{k} 中有重复的编码 {d}", "{k} repeats {d}", k=key, d=", ".join(dupes))
        return codes

    def keywords(self, key: str) -> tuple[Keyword, ...]:
        value = self._get(key, _REQUIRED)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("{k} 必须是字符串列表", "{k} must be a list of strings", k=key)
        out: dict[str, Keyword] = {}
        for item in value:
            word, weight = item.strip(), 1.0
            head, sep, tail = word.rpartition(":")
            if sep and re.fullmatch(r"\d+(?:\.\d+)?", tail.strip()):
                word, weight = head.strip(), float(tail)
            if not word:
                self.fail("{k} 中有空关键词 {v!r}", "{k} has an empty keyword {v!r}", k=key, v=item)
            if not 0 < weight <= 10:
                self.fail("{k} 中 {v!r} 的权重必须在 0 到 10 之间",
                          "{k}: weight of {v!r} must be above 0 and at most 10", k=key, v=item)
            out.setdefault(word, Keyword(word, weight))
        return tuple(out.values())

    def phrases(self, key: str) -> tuple[str, ...]:
        """An optional list of short example phrases: strings, not empty, not repeated, at
        most ``MAX_EXAMPLE`` characters (an example is a call's gist, not a transcript)."""
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("{k} 必须是字符串列表", "{k} must be a list of strings", k=key)
        out: list[str] = []
        for item in value:
            text = item.strip()
            if not text:
                self.fail("{k} 中有空的例句", "{k} has an empty example", k=key)
            if len(text) > MAX_EXAMPLE:
                self.fail("{k} 中的例句过长（最多 {n} 个字符）：{v!r}",
                          "{k}: example longer than {n} characters: {v!r}",
                          k=key, n=MAX_EXAMPLE, v=text)
            if text in out:
                self.fail("{k} 中有重复的例句 {v!r}", "{k} repeats the example {v!r}", k=key, v=text)
            out.append(text)
        return tuple(out)


_REQUIRED = object()
# The same reading and checking for the other data files (escalation rules, contingency plans,
# report deadlines), so every file in data/ fails the same way: file, entry, both languages.
# ``index`` 0 names an entry without a number (a plan file holds one plan).
read_toml = _read_toml
display_path = _display
DataEntry = _Entry
REQUIRED = _REQUIRED
CODE_RE = _CODE_RE
#: Longest example phrase a category may give (characters).
MAX_EXAMPLE = 80
T = TypeVar("T", Unit, Category)

_UNIT_FIELDS = (
    "code", "name_zh", "name_en", "policy_name", "kind", "tier", "regime", "duty_phone",
    "duty_location", "duty_hours", "categories", "note", "aliases",
)
_CATEGORY_FIELDS = (
    "code", "name_zh", "name_en", "route", "transfer_to", "severity", "emergency", "lead_unit",
    "co_units", "keywords_zh", "keywords_en", "examples_zh", "examples_en", "together",
)


def _parse_unit(raw: Any, index: int, file: str) -> Unit:
    e = _Entry(raw, "unit", index, file, _UNIT_FIELDS)
    code = e.code_value("code")
    tier = e._get("tier", _REQUIRED)
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
        _HOURS_CLAUSE_RE.fullmatch(c.strip()) for c in hours.split(";")
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


def _aliases(e: _Entry) -> tuple[str, ...]:
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
    e = _Entry(raw, "category", index, file, _CATEGORY_FIELDS)
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
    kw_zh, kw_en = e.keywords("keywords_zh"), e.keywords("keywords_en")
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
        examples_zh=e.phrases("examples_zh"),
        examples_en=e.phrases("examples_en"),
        together=e.code_list("together", required=False),
    )


def _unique(items: Iterable[T], file: str) -> dict[str, T]:
    out: dict[str, T] = {}
    for i, item in enumerate(items, 1):
        if item.code in out:
            kind = "unit" if isinstance(item, Unit) else "category"
            _fail(file, kind, i, item.code, "编码 {c} 重复", "duplicate code {c}", c=item.code)
        out[item.code] = item
    return out


def _with_pinyin(item: T) -> T:
    """Attach pinyin and initials; pypinyin is imported here only, never by ``from_json``."""
    from dataclasses import replace

    from pypinyin import Style, lazy_pinyin

    def flat(name: str, style: Style) -> str:
        return re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(name, style=style)).lower())

    names = list(dict.fromkeys([_short_name(item.name_zh), item.name_zh]))
    return replace(
        item,
        pinyin=tuple(dict.fromkeys(flat(n, Style.NORMAL) for n in names)),
        initials=tuple(dict.fromkeys(flat(n, Style.FIRST_LETTER) for n in names)),
    )


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
