"""Accuracy of triage on a corpus of realistic, colloquial calls (tests/data/triage_corpus.csv).

Targets: top-1 ≥ 90 %, top-3 ≥ 97 %, and no call labelled with an emergency category gets a
non-emergency first suggestion (an emergency must never look like ordinary linkage work).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.triage import Triage

CORPUS = Path(__file__).parent / "data" / "triage_corpus.csv"


def _rows() -> list[dict[str, str]]:
    with CORPUS.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r.get("text", "").strip()]


@pytest.mark.skipif(not CORPUS.exists(), reason="corpus not present")
def test_triage_accuracy_on_corpus() -> None:
    catalog = load_catalog(default_data_dir())
    triage = Triage(catalog)
    rows = _rows()
    assert len(rows) >= 100
    unknown = {r["category"] for r in rows} - set(catalog.categories)
    assert not unknown, f"corpus labels not in the catalog: {unknown}"

    top1 = top3 = 0
    misses: list[str] = []
    unsafe: list[str] = []
    for row in rows:
        codes = [s.category.code for s in triage.suggest(row["text"], limit=3).suggestions]
        label = row["category"]
        top1 += bool(codes) and codes[0] == label
        top3 += label in codes
        if not codes or codes[0] != label:
            misses.append(f"  {label:<18} got {codes}: {row['text']}")
        if catalog.category(label).emergency and (
            not codes or not catalog.category(codes[0]).emergency
        ):
            unsafe.append(f"  {label:<18} got {codes}: {row['text']}")

    n = len(rows)
    print(f"\ntriage corpus: {n} calls, top-1 {top1 / n:.1%}, top-3 {top3 / n:.1%}")
    print("top-1 misses:\n" + "\n".join(misses))
    assert not unsafe, "emergency calls whose first suggestion is not an emergency:\n" + "\n".join(
        unsafe
    )
    assert top1 / n >= 0.90
    assert top3 / n >= 0.97
