"""What triage hands back: ranked suggestions, the verdict, and the plan of services.

``TriageResult`` keeps the shape existing callers use (``suggestions``, ``top``, ``verdict``,
``transfer_to``, ``plan()``, ``to_json()``) and adds what the model brings: whether triage
abstains (below its confidence threshold the verdict is "请人工判断"), the life-at-risk signals
that forced a service into the answer, and why the top suggestion was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.catalog.registry import EMERGENCY_ROUTES, Catalog, Category, Route, Unit


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
    #: The model's probability for this category (0 without a model).
    confidence: float = 0.0
    #: The training phrase most like the call ("像：…"), when the model made the suggestion.
    closest: str | None = None

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
            **({"confidence": round(self.confidence, 3)} if self.confidence else {}),
            **({"closest": self.closest} if self.closest else {}),
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


def plan_for(catalog: Catalog, category: Category, genuine: frozenset[str],
             life: tuple[str, ...] = ()) -> Plan:
    """The call's category, those of its ``together`` list the account clearly matched, and the
    emergency categories whose life-at-risk signals the caller gave (they are never left out)."""
    cats = [category, *(catalog.categories[c] for c in category.together
                        if c in genuine and c in catalog.categories)]
    cats += [catalog.categories[c] for c in life
             if c in catalog.categories and catalog.categories[c].route in EMERGENCY_ROUTES
             and catalog.categories[c].transfer_to not in {x.transfer_to for x in cats}]
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
    #: Below the model's confidence threshold, with no rule to settle it: the verdict is "请人工判断"
    #: and intake's F7 wants a category chosen by the call-taker.
    abstain: bool = False
    #: Emergency categories whose life-at-risk signals the caller gave (not denied); their
    #: services are always in ``plan()``.
    life: tuple[str, ...] = ()

    def plan(self, category: Category | None = None) -> Plan:
        """What to do at once for ``category`` (default: the top suggestion)."""
        chosen = category or (self.top.category if self.top else None)
        if chosen is None or self.catalog is None:
            return Plan()
        return plan_for(self.catalog, chosen, self.genuine, self.life)

    @property
    def top(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions else None

    @property
    def verdict(self) -> Route | None:
        """The top suggestion's verdict; ``None`` when nothing matched or triage abstains (the
        dispatcher picks)."""
        return self.suggestions[0].verdict if self.suggestions and not self.abstain else None

    @property
    def transfer_to(self) -> str | None:
        return self.suggestions[0].transfer_to if self.suggestions and not self.abstain else None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data (``json.dumps`` it as is), for ``--json`` and the sync log."""
        plan = self.plan()
        return {
            "verdict": self.verdict,
            "transfer_to": self.transfer_to,
            **({"abstain": True} if self.abstain else {}),
            **({"life": list(self.life)} if self.life else {}),
            # only when the call needs several services at once (110 + 120, 120 + gas company)
            **({"plan": plan.to_json()} if plan.several else {}),
            "suggestions": [s.to_json() for s in self.suggestions],
        }

