"""Triage rows of ``make bench``: the model (``Triage(catalog)``) against today's keyword ranking
(``Triage(catalog, model=None)``), in the same run, on the labelled files in ``tests/data/``.

Which files were used for what: the phrasings and the combination's few constants were chosen
looking at ``triage_corpus.csv`` and ``triage_heldout.csv`` (so neither is unseen by the model's
author any more); a newer held-out set, written apart and never tuned on, is the honest figure.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from bench.core import Env, Row, latency_row, paired, score_row
from bench.seed import CORPUS, HELDOUT, load_corpus
from console.catalog.loading import default_data_dir, load_catalog
from console.catalog.registry import EMERGENCY_ROUTES, Catalog
from console.catalog.triage import Triage
from console.catalog.triage_model import MODEL_FILE, _load_cached


def _catalog() -> Catalog:
    return load_catalog(default_data_dir())


def measure_triage_speed(env: Env) -> list[Row]:
    catalog = _catalog()
    engine = Triage(catalog)
    keywords = Triage(catalog, model=None)
    texts = [r.text for r in load_corpus()] + [r.text for r in load_corpus(HELDOUT)]
    reps = 5
    inputs = texts * reps
    random.Random(5).shuffle(inputs)
    s, b = paired(engine.suggest, keywords.suggest, inputs, warmup=texts)
    return [latency_row(
        "triage: suggest, 1 call, model + rules + keywords", s, b, max_ms=5, base_label="keywords only",
        notes=[f"triage: {len(texts)} corpus + held-out texts × {reps}, {len(catalog.categories)} categories;"
               " baseline = Triage(catalog, model=None), today's keyword ranking"],
    )]


def measure_triage_model(env: Env) -> list[Row]:
    """The model file's size, and what building the engine costs with it and without it."""
    catalog = _catalog()
    path = default_data_dir() / MODEL_FILE
    size_mb = path.stat().st_size / 1024 / 1024
    costs: dict[str, tuple[float, float]] = {}
    for name, kwargs in (("model", {}), ("keywords", {"model": None})):
        _load_cached.cache_clear()  # measure a real load, not the process's shared copy
        tracemalloc.start()
        t0 = time.perf_counter()
        Triage(catalog, **kwargs)
        took = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        costs[name] = (took, peak)
    (mt, mm), (kt, km) = costs["model"], costs["keywords"]
    notes = [f"triage model: {path.name} {size_mb:.2f} MB; engine build {mt * 1000:.0f} ms / peak {mm:.1f} MB"
             f" traced, keywords only {kt * 1000:.0f} ms / {km:.1f} MB (built in the console's warm-up thread,"
             " off the first frame)"]
    return [
        score_row("triage: model file size (MB)", size_mb, None, n=1, unit="MB", at_most=5, notes=notes),
        score_row("triage: engine build extra memory (MB)", mm - km, None, n=1, unit="MB", at_most=10),
    ]


def measure_triage_accuracy(env: Env) -> list[Row]:
    catalog = _catalog()
    engine = Triage(catalog)
    keywords = Triage(catalog, model=None)
    return [*_accuracy_rows("triage", CORPUS, catalog, engine, keywords),
            *_accuracy_rows("held-out", HELDOUT, catalog, engine, keywords)]


def _accuracy_rows(name: str, path: Path, catalog: Catalog, engine: Triage, base: Triage) -> list[Row]:
    """Top-1/top-3, emergencies whose verdict is not an emergency, ordinary calls sent to
    110/119/120, and a confusion table of the model's top-1 misses."""
    corpus = load_corpus(path)
    n = len(corpus)
    stats = {"model": Counter[str](), "keywords": Counter[str]()}
    misses: list[str] = []
    danger: list[str] = []
    confusion: Counter[tuple[str, str]] = Counter()
    emergencies = sum(1 for r in corpus if catalog.categories[r.category].emergency)
    ordinary = n - emergencies
    for row in corpus:
        for label, eng in (("model", engine), ("keywords", base)):
            result = eng.suggest(row.text)
            codes = [s.category.code for s in result.suggestions]
            got = codes[0] if codes else "(none)"
            st = stats[label]
            st["top1"] += got == row.category
            st["top3"] += row.category in codes[:3]
            st["abstain"] += result.abstain
            if catalog.categories[row.category].emergency:
                services = set(result.plan().services) | ({result.transfer_to} if result.transfer_to else set())
                right = catalog.categories[row.category]
                if codes and (catalog.categories[got].emergency or (right.transfer_to in services)):
                    pass
                else:
                    st["missed"] += 1
                    if label == "model":
                        danger.append(f"  {row.category:>17} → {got:<17} {row.text[:60]}")
            elif codes and catalog.categories[got].route in EMERGENCY_ROUTES:
                st["overcalled"] += 1
            if label == "model" and got != row.category:
                misses.append(f"  {row.category:>17} → {got:<17} {row.text[:60]}")
                confusion[(row.category, got)] += 1
    m, k = stats["model"], stats["keywords"]
    notes = [f"{name}: {n} labelled calls from {path.name}; baseline = Triage(catalog, model=None);"
             f" model abstained on {m['abstain']} (verdict 请人工判断, top suggestion still counted)"]
    if danger:
        notes.append(f"{name}: emergencies whose answer has no emergency (model):")
        notes += danger
    if misses:
        notes.append(f"{name}: top-1 misses of the model ({len(misses)}): expected → got")
        notes += misses
    if confusion:
        notes.append(f"{name}: confusion (expected → got: count)")
        notes += [f"  {a} → {b}: {c}" for (a, b), c in sorted(confusion.items(), key=lambda x: (-x[1], x[0]))]
    return [
        score_row(f"{name}: top-1 accuracy", 100 * m["top1"] / n, 100 * k["top1"] / n, n=n, at_least=95, notes=notes),
        score_row(f"{name}: top-3 accuracy", 100 * m["top3"] / n, 100 * k["top3"] / n, n=n, at_least=99),
        score_row(f"{name}: emergency without an emergency answer", m["missed"], k["missed"], n=emergencies,
                  unit="count", at_most=0),
        score_row(f"{name}: ordinary call sent to 110/119/120", 100 * m["overcalled"] / max(1, ordinary),
                  100 * k["overcalled"] / max(1, ordinary), n=ordinary, at_most=2),
    ]
