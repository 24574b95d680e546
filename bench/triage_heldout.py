"""Triage on the second held-out set, ``tests/data/triage_heldout_v2.csv`` (issue 14, "Measure").

The set was written by hand by someone who had not seen the training material, and nothing is
ever tuned on it (``triage_heldout_v2.md``), so its figures are the honest ones for calls as
people make them: dialect, homophone slips, English, indirect accounts, two problems in one call,
and ordinary calls with a misleading word in them.

What "the answer includes a service" means lives here once, for this bench and for
``tests/test_triage_heldout_v2.py``: the test fails when an emergency loses its service, the
bench counts them.
"""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench.core import Env, Row, latency_row, paired, score_row
from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.registry import Catalog
from console.catalog.triage import Triage, TriageResult

ROOT = Path(__file__).resolve().parent.parent
HELDOUT_V2 = ROOT / "tests" / "data" / "triage_heldout_v2.csv"

#: The transfer numbers a ``services`` item may name; any other item is a category code.
EMERGENCY_NUMBERS = frozenset({"110", "119", "120"})
TAGS = ("emergency", "dialect", "english", "typo", "two_problem", "indirect", "counter")


@dataclass(frozen=True)
class HeldoutCall:
    text: str
    category: str
    #: A second acceptable top category for a genuine two-problem call ("" when none).
    also: str
    #: What the answer must contain: transfer numbers and/or category codes (their lead units).
    services: tuple[str, ...]
    area: str
    lang: str
    tags: frozenset[str]

    @property
    def accepted(self) -> tuple[str, ...]:
        """The categories that count as right at the top."""
        return (self.category, self.also) if self.also else (self.category,)

    @property
    def emergency(self) -> bool:
        return "emergency" in self.tags


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("+") if part.strip())


def load_heldout_v2(path: Path = HELDOUT_V2) -> list[HeldoutCall]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            HeldoutCall(text=r["text"], category=r["category"].strip(), also=r["also"].strip(),
                        services=_split(r["services"]), area=r["area"].strip(), lang=r["lang"].strip(),
                        tags=frozenset(_split(r["tags"])))
            for r in csv.DictReader(fh)
        ]


class Engine(Protocol):
    """What the measure needs of a triage: today's ``Triage`` and the one with a model alike."""

    def suggest(self, text: str) -> TriageResult: ...


def codes(result: TriageResult) -> list[str]:
    return [s.category.code for s in result.suggestions]


def sent_numbers(result: TriageResult) -> set[str]:
    """The emergency numbers the answer transfers the call to: the top's and the plan's."""
    top = result.top
    if top is None:
        return set()
    numbers = set(result.plan().services)
    if top.transfer_to:
        numbers.add(top.transfer_to)
    return numbers & EMERGENCY_NUMBERS


def missing_services(call: HeldoutCall, result: TriageResult, catalog: Catalog) -> list[str]:
    """The items of ``call.services`` the answer lacks. A number must be the top suggestion's
    transfer or in the plan's services; a category code must be the top suggestion's category or
    its lead unit must be among the units the plan orders beside the transfer."""
    top = result.top
    if top is None:
        return list(call.services)
    numbers = sent_numbers(result)
    units = set(result.plan().units)
    missing = []
    for item in call.services:
        if item in EMERGENCY_NUMBERS:
            ok = item in numbers
        else:
            ok = top.category.code == item or catalog.categories[item].lead_unit in units
        if not ok:
            missing.append(item)
    return missing


@dataclass
class _Tally:
    """One engine's results over the set."""

    top1: int = 0
    top3: int = 0
    lost: int = 0
    ordinary_sent: int = 0

    def add(self, call: HeldoutCall, result: TriageResult, catalog: Catalog) -> tuple[str, list[str], bool]:
        got = codes(result)
        self.top1 += bool(got) and got[0] in call.accepted
        self.top3 += any(c in got[:3] for c in call.accepted)
        lost = missing_services(call, result, catalog) if call.emergency else []
        self.lost += bool(lost)
        sent = not call.emergency and bool(sent_numbers(result))
        self.ordinary_sent += sent
        return (got[0] if got else "(none)"), lost, sent


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def confusion_notes(calls: Sequence[HeldoutCall], tops: Sequence[str]) -> list[str]:
    """Per expected category: calls, top-1 right, and where the wrong ones went."""
    by_cat: dict[str, Counter[str]] = defaultdict(Counter)
    for call, top in zip(calls, tops, strict=True):
        by_cat[call.category]["=" if top in call.accepted else top] += 1
    lines = ["held-out v2 confusion (expected: right/n; wrong tops ×count):"]
    for cat in sorted(by_cat, key=lambda c: (by_cat[c]["="] / sum(by_cat[c].values()), c)):
        counts = by_cat[cat]
        n = sum(counts.values())
        wrong = ", ".join(f"{c}×{k}" for c, k in counts.most_common() if c != "=")
        lines.append(f"  {cat:>17} {counts['=']:>2}/{n:<2} {wrong}")
    return lines


def _tag_notes(calls: Sequence[HeldoutCall], right: Sequence[bool], base_right: Sequence[bool]) -> str:
    parts = []
    for tag in TAGS:
        idx = [i for i, c in enumerate(calls) if tag in c.tags]
        if idx:
            ours = sum(right[i] for i in idx)
            base = sum(base_right[i] for i in idx)
            parts.append(f"{tag} {ours}/{len(idx)} (base {base})")
    return "held-out v2 top-1 by tag: " + ", ".join(parts)


def heldout_v2_rows(catalog: Catalog, engine: Engine, baseline: Engine, *, base_label: str,
                    calls: Sequence[HeldoutCall] | None = None, reps: int = 5) -> list[Row]:
    """The issue's figures for ``engine``, with ``baseline``'s from the same run beside them."""
    calls = list(calls if calls is not None else load_heldout_v2())
    ours, base = _Tally(), _Tally()
    tops: list[str] = []
    right: list[bool] = []
    base_right: list[bool] = []
    lost_lines: list[str] = []
    sent_lines: list[str] = []
    for call in calls:
        top, lost, sent = ours.add(call, engine.suggest(call.text), catalog)
        btop, _, _ = base.add(call, baseline.suggest(call.text), catalog)
        tops.append(top)
        right.append(top in call.accepted)
        base_right.append(btop in call.accepted)
        if lost:
            lost_lines.append(f"  lacks {'+'.join(lost):<12} {call.category:>17} → {top:<17} {_short(call.text)}")
        if sent:
            sent_lines.append(f"  {call.category:>17} → {top:<17} {_short(call.text)}")
    n = len(calls)
    emergencies = sum(c.emergency for c in calls)
    ordinary = n - emergencies
    notes = [f"held-out v2: {n} calls from {HELDOUT_V2.name} ({emergencies} emergencies, {ordinary} ordinary),"
             f" written without sight of the training data, never tuned on; baseline = {base_label}",
             _tag_notes(calls, right, base_right), *confusion_notes(calls, tops)]
    if lost_lines:
        notes.append(f"held-out v2: emergencies whose answer lacks a required service ({len(lost_lines)}):")
        notes += lost_lines
    if sent_lines:
        notes.append(f"held-out v2: ordinary calls sent to 110/119/120 ({len(sent_lines)}):")
        notes += sent_lines
    texts = [c.text for c in calls]
    inputs = texts * reps
    random.Random(14).shuffle(inputs)
    s, b = paired(engine.suggest, baseline.suggest, inputs, warmup=texts)
    return [
        score_row("held-out v2: top-1 right category", 100 * ours.top1 / n, 100 * base.top1 / n, n=n,
                  at_least=95, notes=notes),
        score_row("held-out v2: top-3", 100 * ours.top3 / n, 100 * base.top3 / n, n=n, at_least=99),
        score_row("held-out v2: emergency lacks its service", ours.lost, base.lost, n=emergencies, unit="count",
                  at_most=0),
        score_row("held-out v2: ordinary → 110/119/120", 100 * ours.ordinary_sent / ordinary,
                  100 * base.ordinary_sent / ordinary, n=ordinary, at_most=2),
        latency_row("held-out v2: triage, 1 call", s, b, max_ms=5, base_label=base_label,
                    notes=[f"held-out v2 timing: {n} calls × {reps}, interleaved with the baseline"]),
    ]


def baseline_engine(catalog: Catalog) -> Engine:
    """The keyword triage as it was before the model: ``Triage(catalog, model=None)``, the same
    engine with its learned part off, so the two columns are the model's effect."""
    return Triage(catalog, model=None)


def measure_triage_heldout_v2(env: Env, baseline: Engine | None = None) -> list[Row]:
    catalog = load_catalog(default_data_dir())
    return heldout_v2_rows(catalog, Triage(catalog), baseline or baseline_engine(catalog),
                           base_label="keyword triage")


def tag_counts(calls: Iterable[HeldoutCall]) -> Counter[str]:
    return Counter(tag for call in calls for tag in call.tags)
