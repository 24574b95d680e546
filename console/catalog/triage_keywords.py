"""The keyword half of triage (today's ranking, kept whole): keyword hits, nesting, negation,
emergency classes and resemblance. ``Triage(catalog, model=None)`` is exactly this engine; with a
model, ``console.catalog.triage`` combines its evidence with the model's reading.

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
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from console.catalog.registry import EMERGENCY_ROUTES, Catalog, Category, Unit
from console.catalog.similarity import Resemblance
from console.catalog.triage_result import Suggestion, TriageResult
from console.catalog.triage_text import (
    _CJK_RE,
    _WORD_RE,
    _length_factor,
    _negated,
    _normalise_with_map,
    _stem,
    normalise,
)
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


def check_text(text: str) -> None:
    """Refuse an empty or over-long account, in both languages."""
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


class KeywordTriage:
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
        check_text(text)
        norm, where = _normalise_with_map(text)
        _, scored, resemblance, ranked = self.analyse(norm)
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

    def analyse(self, norm: str) -> tuple[list[_Hit], dict[int, tuple[float, list[_Hit]]], list[float],
                                          list[tuple[int, float, list[_Hit]]]]:
        """Hits, per-category keyword scores, resemblance and the keyword ranking of normalised
        text (``console.catalog.triage`` combines them with the model)."""
        hits = self._hits(norm)
        scored = self._score(hits)
        resemblance = self._resemblance.scores(_without(norm, [h for h in hits if h.negated]))
        return hits, scored, resemblance, self._rank(scored, resemblance)

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
