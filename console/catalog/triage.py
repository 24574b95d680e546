"""Free text of a call → ranked category suggestions (研判/分流).

The dispatcher types what the caller says; this module proposes categories, the verdict
(transfer to 110/119/120, hand to 12345, or dispatch linkage units) and the units to send.
It only suggests: the dispatcher confirms.

Three parts, each where it is safest:

1. **Rules** (``triage_rules``, ``data/triage_rules.toml``): dialect and typo forms are rewritten
   to standard words, counter-example phrases (找人来看看, 第三次来电) are blanked for the
   keywords, and life-at-risk signals are found (with the keywords' negation: 不是着火).
2. **Keywords and resemblance** (``triage_keywords``): today's engine, kept whole. It names the
   words that matched, which is how the console explains a suggestion.
3. **The model** (``triage_model``, ``data/triage_model.json.gz``): a logistic regression over
   character n-grams trained on how callers put things (``data/triage_phrasings.csv``).

The ranking is the model's probability plus a share of the keyword score (so a keyword still
counts, but a keyword inside an unrelated phrase no longer decides alone), then the rules:
a life-at-risk signal always puts its emergency service in the answer (first when the best guess
is ordinary work, in ``plan()`` beside an emergency that ranks first), and below a confidence
threshold with no rule to settle it, triage abstains: the verdict is "请人工判断".

``Triage(catalog, model=None)`` is the keyword engine alone, exactly as before the model: the
bench's baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.catalog.loading import default_data_dir
from console.catalog.registry import EMERGENCY_ROUTES, Catalog, Unit
from console.catalog.triage_keywords import (
    GENUINE,
    MAX_TEXT,
    KeywordTriage,
    _surface,
    _without,
    check_text,
)
from console.catalog.triage_model import Model, load_shipped
from console.catalog.triage_result import Plan, Suggestion, TriageResult, plan_for
from console.catalog.triage_rules import Rules
from console.catalog.triage_text import _negated, _normalise_with_map, affirmed, normalise, stem

__all__ = ["MAX_TEXT", "Plan", "Suggestion", "Triage", "TriageResult", "affirmed", "normalise", "plan_for"]

#: The keyword score's share (of the best keyword score) is worth this much model probability.
KEYWORD_WEIGHT = 0.35
#: Below this combined confidence, with no genuine keyword and no life-at-risk signal for the
#: top category, triage abstains (请人工判断).
ABSTAIN_BELOW = 0.40
#: A category the keywords did not name is offered only with at least this model probability.
MODEL_FLOOR = 0.04
#: With ordinary work ranked first, a genuinely matched police/fire/medical category scoring at
#: least this share of it is offered first.
LEAN = 0.5
#: A genuine police/fire/medical keyword leads unless the model gives its category less than this.
VETO = 0.1
#: With no keyword and no resemblance, the model alone must be at least this sure to suggest.
ALONE = 0.35
#: ... and a police/fire/medical category at least this (a denied "没有着火" or a stove that
#: "打不着火" must not bring 119 back through the model's liking for 火).
EMERGENCY_FLOOR = 0.12
_SHIPPED: Any = object()


class Triage:
    """Suggests categories for a call's text. Build once per catalog; ``suggest`` is cheap.

    ``model`` defaults to the model shipped in ``data/`` (none when it is missing or trained for
    other categories); ``model=None`` is the keyword engine alone.
    """

    def __init__(self, catalog: Catalog, model: Model | None = _SHIPPED, *,
                 rules: Rules | None = None, data_dir: Path | None = None) -> None:
        self.catalog = catalog
        self._kw = KeywordTriage(catalog)
        self._cats = list(catalog.categories.values())
        self._words = [{normalise(k.word).strip() for k in (*c.keywords_zh, *c.keywords_en)} for c in self._cats]
        where = data_dir or default_data_dir()
        self.model: Model | None = load_shipped(where, catalog.categories) if model is _SHIPPED else model
        self.rules = rules if rules is not None else (
            Rules.load(where, normalise) if self.model is not None else Rules())

    def suggest(
        self,
        text: str,
        *,
        on_duty: Callable[[Unit], bool] | None = None,
        limit: int = 5,
    ) -> TriageResult:
        """Rank categories for ``text``; an empty result means nothing matched, nothing
        resembled and the model saw nothing it knows (small talk, a wrong number)."""
        if self.model is None:
            return self._kw.suggest(text, on_duty=on_duty, limit=limit)
        check_text(text)
        model = self.model
        norm, where = _normalise_with_map(text)
        norm, where = self.rules.rewrite(norm, where)
        blanked = self.rules.blank_counters(norm)
        hits, scored, resemblance, ranked = self._kw.analyse(blanked)
        denied = [h for h in hits if h.negated]
        reading = model.read(_without(norm, denied), stem)
        kw_total = {i: total for i, total, _ in ranked}
        kw_best = max(kw_total.values(), default=0.0) or 1.0
        kw_hits = {i: h for i, _, h in ranked}
        genuine_i = {i for i, (_, h) in scored.items() if max(x.kw.points for x in h) >= GENUINE}
        life = {c: w for c, w in self.rules.life_signals(blanked, _negated_fn).items()
                if c in self.catalog.categories}
        combined: dict[int, float] = {}
        for i, cat in enumerate(self._cats):
            p = reading.probs.get(cat.code, 0.0)
            share = kw_total.get(i, 0.0) / kw_best
            floor = EMERGENCY_FLOOR if cat.route in EMERGENCY_ROUTES else MODEL_FLOOR
            if i in kw_total or p >= floor or cat.code in life:
                combined[i] = p + KEYWORD_WEIGHT * share
        if not combined or (not kw_total and not life and max(reading.probs.values()) < ALONE):
            return TriageResult((), frozenset(), self.catalog)
        order = sorted(combined, key=lambda i: (-combined[i], i))
        order = self._genuine_first(order, reading.probs, genuine_i)
        order = self._lean_to_emergency(order, combined, genuine_i)
        order = self._life_first(order, life)
        top = order[0]
        norm_conf = combined[top] / (1.0 + KEYWORD_WEIGHT)
        abstain = (norm_conf < ABSTAIN_BELOW and top not in genuine_i and self._cats[top].code not in life)
        out = []
        for rank, i in enumerate(order[: max(0, limit)]):
            cat = self._cats[i]
            matched = _surface(text, where, kw_hits.get(i, []))
            matched = matched or tuple(life.get(cat.code, ()))
            out.append(Suggestion(
                category=cat, score=combined[i], matched=matched, verdict=cat.route,
                transfer_to=cat.transfer_to, units=self._kw._units(cat, on_duty),
                resemblance=resemblance[i], confidence=reading.probs.get(cat.code, 0.0),
                # why, when no word says it: the training phrase the call is most like
                closest=(model.closest(cat.code, reading, normalise) if rank == 0 and not matched else None),
            ))
        genuine = frozenset(self._cats[i].code for i in genuine_i)
        return TriageResult(tuple(out), genuine, self.catalog, abstain=abstain,
                            life=tuple(c for c in life if self.catalog.categories[c].emergency))

    def _genuine_first(self, order: list[int], probs: dict[str, float], genuine_i: set[int]) -> list[int]:
        """A police/fire/medical category with a genuine keyword is never ranked below ordinary or
        linkage work (the policy's rule), unless the model all but rules it out (``VETO``): that
        is the keyword inside an unrelated phrase."""
        if self._cats[order[0]].route in EMERGENCY_ROUTES:
            return order
        for i in order:
            cat = self._cats[i]
            if i in genuine_i and cat.route in EMERGENCY_ROUTES and probs.get(cat.code, 0.0) >= VETO:
                return [i, *(j for j in order if j != i)]
        return order

    def _lean_to_emergency(self, order: list[int], combined: dict[int, float], genuine_i: set[int]) -> list[int]:
        """When in doubt, the emergency: with ordinary work first, a police/fire/medical category
        with a genuine keyword and at least ``LEAN`` of the best score is offered first. Wrongly
        offering 110 costs a keystroke; treating an emergency as routine costs far more."""
        if self._cats[order[0]].emergency:
            return order
        best = combined[order[0]]
        for i in order[1:]:
            if (i in genuine_i and self._cats[i].route in EMERGENCY_ROUTES
                    and combined[i] >= LEAN * best):
                return [i, *(j for j in order if j != i)]
        return order

    def _life_first(self, order: list[int], life: dict[str, list[str]]) -> list[int]:
        """A life-at-risk signal puts its police/fire/medical service first unless a police/fire/
        medical category already leads, or the leader is the specific reading of the same words
        (森林火灾 lists every fire word: a burning hillside stays a forest fire, with 119 in its
        plan). An emergency linkage leader otherwise yields ("燃气泄漏已经着火了" is 119 first)."""
        lead = self._cats[order[0]]
        if not life or lead.route in EMERGENCY_ROUTES:
            return order
        codes = [c.code for c in self._cats]
        ranked_life = [i for i in order if codes[i] in life]
        ranked_life.sort(key=lambda i: (self._cats[i].route not in EMERGENCY_ROUTES, order.index(i)))
        first = ranked_life[0]
        if self._cats[first].route not in EMERGENCY_ROUTES and lead.emergency:
            return order
        if lead.emergency and set(life[codes[first]]) & self._words[order[0]]:
            return order
        return [first, *(i for i in order if i != first)]


def _negated_fn(norm: str, start: int, latin: bool) -> bool:
    return _negated(norm, start, latin=latin)
