"""Free text of a call → ranked category suggestions (研判/分流).

The dispatcher types what the caller says; this module proposes categories, the verdict
(transfer to 110/119/120, hand to 12345, or dispatch linkage units) and the units to send.
It only suggests: the dispatcher confirms.

How it decides, in order (each rule is there for a reason a dispatcher would give):

1. **Normalise** the text so the way it was typed does not matter: NFKC (full-width digits
   and letters from a Chinese IME), lower case, traditional → simplified characters.
2. **Keyword hits.** Chinese keywords match as substrings, English ones on word boundaries
   (with a light stemmer, so *flooded* finds *flood*). A longer word is more specific and
   scores more (Chinese by characters, English by words); the data file can weigh a word up
   or down. A hit nested in a longer hit does not count: the longest phrase decides what a
   word means (打不着火 is a stove that will not light, not a fire), and a keyword counts
   once however often it is repeated. So a low-weight long word can neutralise a short one
   it contains (偷偷 "secretly" listed at 0.5 keeps 偷 "steal" from firing).
3. **Negation and speculation.** "没有着火", "没人受伤", "no one is hurt", "差点摔倒", "怕会爆炸":
   an emergency word the caller denies or only fears does not make an emergency.
4. **Emergencies first.** A police, fire or medical category that genuinely matches is
   ranked above everything else, then other emergencies (gas leak, food poisoning), then
   ordinary linkage work and the hotline. The policy's point: a police/fire/medical
   emergency is never handled as ordinary linkage work. An emergency linkage category whose
   evidence *contains* a police/fire/medical category's evidence is the more specific reading
   of the same words ("山上着火了" is a forest fire, not just a fire) and competes on score.
5. **Resemblance fills the gaps.** Callers rarely use the exact words of a keyword list, so
   every category also gets a resemblance score (``console.catalog.similarity``: character n-gram
   TF-IDF against the category's keywords and example phrases). It is added to the keyword
   score, so it decides when keywords are absent, weak or tied, and it brings in categories
   no keyword named. It never overrides rule 4: a category that only resembles the call is
   ordinary, so a genuine police/fire/medical keyword match still comes first. Such a
   suggestion has no matched words, which tells the dispatcher it is a guess.
6. **When in doubt, the emergency.** When no word settles an emergency but a police, fire
   or medical category is nearly as likely as the best guess, it is offered first.
"""

from __future__ import annotations

import gc
import json
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, NamedTuple

from console.catalog.registry import EMERGENCY_ROUTES, Catalog, Category, Route, Unit
from console.catalog.similarity import Resemblance
from console.kernel.errors import BadInput

MAX_TEXT = 4000
#: A keyword scores once; a few occurrences are kept only so that negation ("没有着火……后来
#: 着火了") and nesting see each mention. Bounding them keeps a 4,000-character account fast.
_MAX_OCCURRENCES = 4
#: An emergency category "genuinely" matches when at least one of its words is worth this
#: much (an ordinary two-character word). Vague words and place words (山上, 找不到) do not
#: add up to an emergency, however many of them there are: they are hints, ranked by score.
GENUINE = 1.0
#: Resemblance (a cosine, 0–1) is worth this many keyword points. A call typically resembles
#: its own category 0.06–0.25 (1–5 points: one or two clear words) and the others below 0.05
#: (under a point: less than one vague word).
RESEMBLANCE_POINTS = 20.0
#: With no genuine emergency word, a police/fire/medical category scoring at least this
#: share of the best candidate's score (and at least one ordinary word's worth, GENUINE) is
#: offered first.
LEAN = 0.7
#: Ranking classes, best first (see ``Triage._classes``).
_FIRST, _AFTER_POLICE, _EMERGENCY, _LIKELY_EMERGENCY, _ORDINARY, _ECHO = range(6)

_NEGATED_ZH = re.compile(
    r"(?:没有?|并没有?|无人|未|不是|并非|不会|不|差点|差一点|险些|怕|害怕|担心|以免|防止|万一|"
    r"快要|可能会|会不会|有没有|是不是)(?:人员?|任何|什么|看到|看见|发现|发生|出现|明显|再|会)?$"
)
_NEGATED_EN = re.compile(
    r"\b(?:no|not|nobody|none|no one|never|without|isn't|wasn't|aren't|don't|didn't|"
    r"might|could|may|afraid|worried|almost|nearly)(?:\s+(?:one|is|was|be|been|get|gets|got|"
    r"seems|seem|any|anyone|a|the))*\s+$"
)
_WORD_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_CJK_RE = re.compile(r"[^\x00-\x7f]")
#: Typographic apostrophes and quotes an IME or phone keyboard produces.
_EXTRA_FOLDS = {ord("’"): "'", ord("‘"): "'", ord("“"): '"', ord("”"): '"'}


# -- normalisation ----------------------------------------------------------------------------


@cache
def _t2s_table() -> dict[int, str]:
    """Traditional → simplified, one character at a time, from zhconv's own dictionary.

    Loading ``zhconv`` itself is slow (it imports ``pkg_resources`` and builds phrase tables);
    the single-character entries are what callers' traditional text needs, and a
    ``str.translate`` table makes the conversion one C call. Built once, on first use.
    """
    spec = find_spec("zhconv")
    if spec is None or not spec.submodule_search_locations:
        return dict(_EXTRA_FOLDS)
    path = Path(next(iter(spec.submodule_search_locations))) / "zhcdict.json"
    try:
        pairs = json.loads(path.read_text(encoding="utf-8"))["zh2Hans"]
    except (OSError, ValueError, KeyError):
        return dict(_EXTRA_FOLDS)
    table = {ord(k): v for k, v in pairs.items() if len(k) == 1 and len(v) == 1 and k != v}
    return table | _EXTRA_FOLDS


def normalise(text: str) -> str:
    """NFKC, lower case, simplified characters. Used for text and keywords alike."""
    out = unicodedata.normalize("NFKC", text).lower()
    return out if out.isascii() else out.translate(_t2s_table())


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index in the original.

    NFKC and lower-casing rarely change the length; when they do, normalise per character so
    a matched word can still be reported exactly as the caller's text has it.
    """
    norm = normalise(text)
    if len(norm) == len(text):
        return norm, list(range(len(text)))
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        n = normalise(ch)
        chars.append(n)
        index.extend([i] * len(n))
    return "".join(chars), index


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """A deliberately tiny English stemmer: possessives, plurals and -ed/-ing, applied to
    keywords and text alike so both sides meet in the middle."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ied"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "shes", "ches")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _length_factor(norm_word: str, latin: bool) -> float:
    """Specific words are worth more: 1 char 0.5, 2 chars 1, 3 chars 1.5, 4+ chars 2;
    English 1 word 1, 2 words 1.5, 3+ words 2."""
    if latin:
        return min(2.0, 0.5 + 0.5 * len(norm_word.split()))
    return min(2.0, 0.5 * len(norm_word))


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    category: Category
    #: Keyword points plus resemblance points (``RESEMBLANCE_POINTS`` × ``resemblance``).
    score: float
    #: The matched words exactly as they appear in the caller's text, in text order.
    matched: tuple[str, ...]
    verdict: Route
    transfer_to: str | None
    #: Lead unit first, then co-units (on-duty ones first when an ``on_duty`` test was given).
    units: tuple[Unit, ...]
    #: How much the call resembles the category's keywords and examples (0–1). With no
    #: matched words the suggestion rests on this alone: a guess for the dispatcher to check.
    resemblance: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data: codes, names, matched words."""
        return {
            "category": self.category.code,
            "name_zh": self.category.name_zh,
            "name_en": self.category.name_en,
            "score": round(self.score, 3),
            "matched": list(self.matched),
            "resemblance": round(self.resemblance, 3),
            "verdict": self.verdict,
            "transfer_to": self.transfer_to,
            "emergency": self.category.emergency,
            "severity": self.category.severity,
            "units": [
                {"code": u.code, "name_zh": u.name_zh, "name_en": u.name_en} for u in self.units
            ],
        }


@dataclass(frozen=True)
class Plan:
    """Everything a call needs at once: the emergency services to transfer it to and the
    linkage units to order beside them. ``120 + 县燃气公司`` for a gas leak with people dizzy,
    ``110 + 120`` for a fight with someone bleeding; empty for ordinary linkage work (the
    picker proposes its units)."""

    services: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    @property
    def several(self) -> bool:
        """More than one service or unit, at least one of them a transfer."""
        return bool(self.services) and len(self.services) + len(self.units) > 1

    def to_json(self) -> dict[str, Any]:
        return {"services": list(self.services), "units": list(self.units)}


def plan_for(catalog: Catalog, category: Category, genuine: frozenset[str]) -> Plan:
    """The call's category and those of its ``together`` list the account clearly matched."""
    cats = [category, *(catalog.categories[c] for c in category.together
                        if c in genuine and c in catalog.categories)]
    services: list[str] = []
    units: list[str] = []
    for cat in cats:
        if cat.route in EMERGENCY_ROUTES and cat.transfer_to:
            services.append(cat.transfer_to)
        elif cat.route == "linkage" and cat is not category:
            units.append(cat.lead_unit)
    if not services:
        return Plan()
    if category.route == "linkage":
        units.insert(0, category.lead_unit)
    return Plan(tuple(dict.fromkeys(services)), tuple(dict.fromkeys(units)))


@dataclass(frozen=True)
class TriageResult:
    suggestions: tuple[Suggestion, ...]
    #: Categories the account clearly matched (a word worth ``GENUINE``, not denied), ranked
    #: or not: what ``plan`` may add to the chosen category.
    genuine: frozenset[str] = frozenset()
    catalog: Catalog | None = None

    def plan(self, category: Category | None = None) -> Plan:
        """What to do at once for ``category`` (default: the top suggestion)."""
        chosen = category or (self.top.category if self.top else None)
        if chosen is None or self.catalog is None:
            return Plan()
        return plan_for(self.catalog, chosen, self.genuine)

    @property
    def top(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions else None

    @property
    def verdict(self) -> Route | None:
        """The top suggestion's verdict; ``None`` when nothing matched (the dispatcher picks)."""
        return self.suggestions[0].verdict if self.suggestions else None

    @property
    def transfer_to(self) -> str | None:
        return self.suggestions[0].transfer_to if self.suggestions else None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data (``json.dumps`` it as is), for ``--json`` and the sync log."""
        plan = self.plan()
        return {
            "verdict": self.verdict,
            "transfer_to": self.transfer_to,
            # only when the call needs several services at once (110 + 120, 120 + gas company)
            **({"plan": plan.to_json()} if plan.several else {}),
            "suggestions": [s.to_json() for s in self.suggestions],
        }


# -- the matcher ------------------------------------------------------------------------------


class _Kw(NamedTuple):
    cat: int  # index into Triage._cats
    norm: str  # normalised keyword (for latin: stems joined by spaces)
    stems: tuple[str, ...]  # latin only
    points: float  # weight × length factor
    guarded: bool  # subject to negation (emergency categories only)


@dataclass
class _Hit:
    kw: _Kw
    start: int
    end: int
    #: Denied or only feared ("没有着火"). It still hides the words nested in it (火 in 着火),
    #: then counts for nothing.
    negated: bool = False


class Triage:
    """Suggests categories for a call's text. Build once per catalog; ``suggest`` is cheap."""

    def __init__(self, catalog: Catalog) -> None:
        with _no_gc():
            self._build(catalog)

    def _build(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._cats: list[Category] = list(catalog.categories.values())
        #: Chinese keywords indexed by their first two characters (one-character words by
        #: that character), so a call only tries the words that can start in it; English
        #: keywords by their first stem.
        self._by_start: dict[str, list[_Kw]] = {}
        self._by_stem: dict[str, list[_Kw]] = {}
        entries = [
            (i, kw) for i, cat in enumerate(self._cats) for kw in (*cat.keywords_zh, *cat.keywords_en)
        ]
        # Normalising thousands of words one call at a time is most of the start-up cost;
        # one call over all of them, a word per line, does the same work at once.
        norms = normalise("\n".join(kw.word for _, kw in entries)).split("\n")
        if len(norms) != len(entries):  # a keyword with a line break in it: go one by one
            norms = [normalise(kw.word) for _, kw in entries]
        for (i, kw), norm in zip(entries, norms, strict=True):
            self._index(i, norm.strip(), kw.weight, self._cats[i].emergency)
        self._resemblance = Resemblance([_profile(c) for c in self._cats], normalise, _stem)

    def _index(self, cat: int, norm: str, weight: float, guarded: bool) -> None:
        """File one normalised keyword under its first two characters (or its only one) or
        its first English stem."""
        if not norm:
            return
        if _CJK_RE.search(norm):
            points = weight * _length_factor(norm, latin=False)
            self._by_start.setdefault(norm[:2], []).append(_Kw(cat, norm, (), points, guarded))
            return
        words = _WORD_RE.findall(norm)
        if not words:
            # Pure punctuation or symbols: match as a plain substring.
            points = weight * _length_factor(norm, latin=False)
            self._by_start.setdefault(norm[:2], []).append(_Kw(cat, norm, (), points, guarded))
            return
        stems = tuple(_stem(w) for w in words)
        points = weight * _length_factor(" ".join(words), latin=True)
        self._by_stem.setdefault(stems[0], []).append(
            _Kw(cat, " ".join(stems), stems, points, guarded)
        )

    # -- public API ----------------------------------------------------------------------

    def suggest(
        self,
        text: str,
        *,
        on_duty: Callable[[Unit], bool] | None = None,
        limit: int = 5,
    ) -> TriageResult:
        """Rank categories for ``text``; an empty result means nothing matched and nothing
        resembled (small talk, a wrong number)."""
        if not isinstance(text, str) or not text.strip():
            raise BadInput(
                "triage.empty",
                zh="请先记录报警内容再研判",
                en="type what the caller said before triage",
            )
        if len(text) > MAX_TEXT:
            raise BadInput(
                "triage.too_long",
                zh="报警内容过长（{n} 字），研判最多接受 {max} 字",
                en="the account is too long ({n} characters); triage takes at most {max}",
                n=len(text),
                max=MAX_TEXT,
            )
        norm, where = _normalise_with_map(text)
        hits = self._hits(norm)
        scored = self._score(hits)
        resemblance = self._resemblance.scores(_without(norm, [h for h in hits if h.negated]))
        ranked = self._rank(scored, resemblance)
        out = []
        for cat_i, score, cat_hits in ranked[: max(0, limit)]:
            cat = self._cats[cat_i]
            out.append(
                Suggestion(
                    category=cat,
                    score=score,
                    matched=_surface(text, where, cat_hits),
                    verdict=cat.route,
                    transfer_to=cat.transfer_to,
                    units=self._units(cat, on_duty),
                    resemblance=resemblance[cat_i],
                )
            )
        genuine = frozenset(self._cats[i].code for i, (_, cat_hits) in scored.items()
                            if max(h.kw.points for h in cat_hits) >= GENUINE)
        return TriageResult(tuple(out), genuine, self.catalog)

    # -- internals -----------------------------------------------------------------------

    def _hits(self, norm: str) -> list[_Hit]:
        hits: list[_Hit] = []
        for start in set(norm).union(map(operator.add, norm, norm[1:])):
            for kw in self._by_start.get(start, ()):
                pos, seen = norm.find(kw.norm), 0
                while pos >= 0 and seen < _MAX_OCCURRENCES:
                    negated = kw.guarded and _negated(norm, pos, latin=False)
                    hits.append(_Hit(kw, pos, pos + len(kw.norm), negated))
                    pos, seen = norm.find(kw.norm, pos + 1), seen + 1
        if self._by_stem:
            words = [(m.start(), m.end(), _stem(m.group())) for m in _WORD_RE.finditer(norm)]
            count: dict[int, int] = {}
            for i, (start, _, stem) in enumerate(words):
                for kw in self._by_stem.get(stem, ()):
                    n = len(kw.stems)
                    if tuple(w[2] for w in words[i : i + n]) != kw.stems:
                        continue
                    if count.get(id(kw), 0) >= _MAX_OCCURRENCES:
                        continue
                    count[id(kw)] = count.get(id(kw), 0) + 1
                    negated = kw.guarded and _negated(norm, start, latin=True)
                    hits.append(_Hit(kw, start, words[i + n - 1][1], negated))
        return hits

    def _score(self, hits: list[_Hit]) -> dict[int, tuple[float, list[_Hit]]]:
        """Per category: drop hits nested in a longer hit of the same category or of another
        one (the longest phrase decides what a word means: 打不着火 is about a gas stove, not
        a fire; 食物中毒 is food poisoning, not just 中毒), then count each keyword once."""
        per_cat: dict[int, list[_Hit]] = {}
        for h in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
            mine = per_cat.setdefault(h.kw.cat, [])
            if not any(k.start <= h.start and h.end <= k.end for k in mine):
                mine.append(h)
        kept_all = [h for mine in per_cat.values() for h in mine]
        out: dict[int, tuple[float, list[_Hit]]] = {}
        for cat_i, mine in per_cat.items():
            kept = [
                h
                for h in mine
                if not h.negated
                and not any(
                    k.kw.cat != cat_i
                    and k.start <= h.start
                    and h.end <= k.end
                    and k.end - k.start > h.end - h.start
                    for k in kept_all
                )
            ]
            if not kept:
                continue
            seen: set[str] = set()
            score = 0.0
            for h in kept:
                if h.kw.norm not in seen:
                    seen.add(h.kw.norm)
                    score += h.kw.points
            out[cat_i] = (score, sorted(kept, key=lambda h: h.start))
        return out

    def _rank(
        self, scored: dict[int, tuple[float, list[_Hit]]], resemblance: list[float]
    ) -> list[tuple[int, float, list[_Hit]]]:
        """Order by class (see ``_classes``), then by keyword points plus resemblance."""
        klass = self._classes(scored, resemblance)
        total = {
            i: (scored[i][0] if i in scored else 0.0) + RESEMBLANCE_POINTS * resemblance[i]
            for i in klass
        }
        # No emergency word settled it, yet a police/fire/medical category is nearly as
        # likely as the best guess, on real evidence: offer the emergency first. Wrongly
        # offering 110 costs the dispatcher a keystroke; treating an emergency as routine
        # costs far more.
        if total and min(klass.values()) >= _ORDINARY:
            best = max(total.values())
            for i in klass:
                cat = self._cats[i]
                if cat.route in EMERGENCY_ROUTES and total[i] >= max(LEAN * best, GENUINE):
                    klass[i] = _LIKELY_EMERGENCY
        order = sorted(klass, key=lambda i: (klass[i], -total[i], i))
        return [(i, total[i], scored[i][1] if i in scored else []) for i in order]

    def _classes(
        self, scored: dict[int, tuple[float, list[_Hit]]], resemblance: list[float]
    ) -> dict[int, int]:
        """Genuine police/fire/medical first, then genuine other emergencies, then the rest.

        An emergency linkage category whose hits contain a police/fire/medical category's
        hits and add more is the specific reading ("山上着火了" → forest fire) and joins the
        first class; one whose hits all lie inside such a category's hits only echoes it
        ("燃气泄漏已经着火了" is a fire, not a forest fire) and goes last. An injury in a
        fight or a crash is the police matter's consequence: when a police category matched
        at least as strongly, medical follows it. A category that only resembles the call,
        with no keyword, is ordinary.
        """
        klass: dict[int, int] = {}
        for cat_i, (_, cat_hits) in scored.items():
            cat = self._cats[cat_i]
            if not cat.emergency or max(h.kw.points for h in cat_hits) < GENUINE:
                klass[cat_i] = _ORDINARY
            else:
                klass[cat_i] = _FIRST if cat.route in EMERGENCY_ROUTES else _EMERGENCY
        for cat_i, r in enumerate(resemblance):
            if r > 0:
                klass.setdefault(cat_i, _ORDINARY)
        first = [i for i, k in klass.items() if k == _FIRST]
        for cat_i, k in klass.items():
            if k != _EMERGENCY:
                continue
            score, mine = scored[cat_i]
            if any(_covers(mine, scored[j][1]) and score > scored[j][0] for j in first):
                klass[cat_i] = _FIRST  # the more specific reading of the same words
            elif any(_covers(scored[j][1], mine) for j in first):
                klass[cat_i] = _ECHO  # only echoes a police/fire/medical match: adds nothing
        police = [j for j in first if self._cats[j].route == "police"]
        for i in first:
            if self._cats[i].route == "medical" and any(
                scored[j][0] >= scored[i][0] for j in police
            ):
                klass[i] = _AFTER_POLICE
        return klass

    def _units(self, cat: Category, on_duty: Callable[[Unit], bool] | None) -> tuple[Unit, ...]:
        units = self.catalog.units
        lead = units[cat.lead_unit]
        co = [units[c] for c in cat.co_units]
        if on_duty is not None:
            co.sort(key=lambda u: not on_duty(u))  # stable: file order among equals
        return (lead, *co)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the indexes are built: they are tens of
    thousands of small tuples and lists, none in a cycle, and the collector scanning them
    again and again as they appear costs about as much as building them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _profile(cat: Category) -> list[str]:
    """What a category's calls sound like: its names, keywords and example phrases."""
    words = [k.word for k in (*cat.keywords_zh, *cat.keywords_en)]
    return [cat.name_zh, cat.name_en, *words, *cat.examples_zh, *cat.examples_en]


def _without(norm: str, hits: list[_Hit]) -> str:
    """The text with the given hits blanked out: a denied emergency ("没有着火") must not
    come back through resemblance either."""
    if not hits:
        return norm
    chars = list(norm)
    for h in hits:
        chars[h.start : h.end] = " " * (h.end - h.start)
    return "".join(chars)


def _negated(norm: str, start: int, *, latin: bool) -> bool:
    """Whether the words just before ``start`` deny or merely fear what follows."""
    if latin:
        return bool(_NEGATED_EN.search(norm[max(0, start - 30) : start]))
    return bool(_NEGATED_ZH.search(norm[max(0, start - 6) : start]))


def affirmed(text: str, words: Iterable[str]) -> list[str]:
    """Those of ``words`` that ``text`` mentions at least once without denying or merely
    fearing them, in the order given: "没有人员被困" does not affirm 被困, "怕会爆炸" not 爆炸.

    The same normalisation and negation rules as triage, for other rule engines (escalation
    suggestions) that look for words in a caller's account. English words match whole words.
    """
    norm = normalise(text or "")
    out: list[str] = []
    for word in words:
        w = normalise(word).strip()
        if not w:
            continue
        latin = not _CJK_RE.search(w)
        if latin:
            starts = [m.start() for m in re.finditer(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])",
                                                     norm)]
        else:
            starts = [m.start() for m in re.finditer(re.escape(w), norm)]
        if any(not _negated(norm, s, latin=latin) for s in starts):
            out.append(word)
    return out


def _covers(outer: list[_Hit], inner: list[_Hit]) -> bool:
    """Every hit of ``inner`` lies inside some hit of ``outer``."""
    return bool(inner) and all(
        any(o.start <= i.start and i.end <= o.end for o in outer) for i in inner
    )


def _surface(text: str, where: list[int], hits: list[_Hit]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for h in hits:
        a = where[h.start]
        b = where[h.end - 1] + 1
        out.setdefault(text[a:b], None)
    return tuple(out)
