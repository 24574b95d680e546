"""The learned half of triage: a linear classifier over character n-grams, scored in pure Python.

Why a learned model at all: keywords are right when callers use the words on the list and wrong
when they don't (symptoms instead of a diagnosis, dialect, homophone typos, a keyword inside an
unrelated phrase). A classifier trained on how callers actually put things (``data/
triage_phrasings.csv``) weighs every character pair and triple of the call at once.

Why this shape: training uses scikit-learn (``console.catalog.triage_train``, run by ``linkage
triage train``), but the seat never imports it. The trained weights are exported to a small JSON
file (``data/triage_model.json``) and scored here with dictionaries and floats: no numpy, no
scipy, a few milliseconds to load in the warm-up thread and well under a millisecond per call.

Features need no word segmenter: Chinese characters, pairs and triples within a run of Chinese
(punctuation ends a run), English word stems and stem pairs. Each is weighted by sublinear term
frequency times inverse document frequency and the vector is L2-normalised, exactly as at
training time (``features`` is shared by both).
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_STOP_EN = frozenset({
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "is", "are", "was", "were",
    "be", "it", "its", "this", "that", "i", "my", "we", "our", "you", "he", "his", "she", "her",
    "they", "has", "have", "had", "so", "just", "very", "please",
})
MODEL_FILE = "triage_model.json.gz"
FORMAT = 2


def features(norm: str, stem: Callable[[str], str]) -> Counter[str]:
    """The n-grams of normalised text: CJK 1-3 grams within a run, English stems and stem pairs
    (prefixed ``#`` so that they never meet a CJK gram)."""
    out: Counter[str] = Counter()
    for run in _CJK_RUN.findall(norm):
        out.update(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
        out.update(run[i : i + 3] for i in range(len(run) - 2))
    words = [stem(w) for w in _LATIN_WORD.findall(norm) if w not in _STOP_EN]
    out.update("#" + w for w in words)
    out.update(f"#{a} {b}" for a, b in itertools.pairwise(words))
    return out


@dataclass(frozen=True)
class Reading:
    """What the model thinks of one call: a probability per class, and the evidence."""

    probs: dict[str, float]
    vec: dict[str, float]

    def best(self) -> tuple[str, float]:
        code = max(self.probs, key=lambda c: (self.probs[c], c))
        return code, self.probs[code]


class Model:
    """Multinomial logistic regression weights, stored sparse: gram → (idf, classes, weights).

    The file is gzip'd text: a JSON header line (classes, biases, scale, training phrases), then
    one line per gram, ``gram<TAB>idf<TAB>class weight class weight …`` with integer weights.
    Read line by line into one dict of small arrays, so loading peaks at a few MB above what
    it keeps (a JSON document of the same weights would briefly hold tens of MB of lists).
    """

    def __init__(self, header: dict[str, Any], lines: Iterable[str]) -> None:
        if header.get("format") != FORMAT:
            raise ValueError(f"triage model format {header.get('format')!r}, expected {FORMAT}")
        self.classes: list[str] = list(header["classes"])
        self.bias: list[float] = [float(b) for b in header["bias"]]
        scale = float(header["scale"])
        #: gram → (idf, class indexes, weights); grams whose weights were all pruned keep their
        #: idf (they still lengthen the call's vector, as in training).
        self.grams: dict[str, tuple[float, bytes, array[float]]] = {}
        empty = array("f")
        for line in lines:
            gram, idf, rest = line.rstrip("\n").split("\t")
            if rest:
                nums = rest.split(" ")
                cls = bytes(int(c) for c in nums[0::2])
                ws = array("f", (int(w) * scale for w in nums[1::2]))
            else:
                cls, ws = b"", empty
            self.grams[gram] = (float(idf), cls, ws)
        #: class → training phrases, for "像：…" (the closest training phrase).
        self.phrases: dict[str, list[str]] = {c: list(p) for c, p in header["phrases"].items()}
        self._phrase_vecs: dict[str, list[tuple[str, dict[str, float]]]] = {}
        self._stem: Callable[[str], str] | None = None

    @classmethod
    def load(cls, path: Path) -> Model:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            header = json.loads(fh.readline())
            return cls(header, fh)

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        grams = self.grams
        vec = {g: (1.0 + math.log(k)) * grams[g][0] for g, k in counts.items() if g in grams}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def read(self, norm: str, stem: Callable[[str], str]) -> Reading:
        """Class probabilities for normalised text (softmax over the linear scores)."""
        self._stem = stem
        vec = self._vector(features(norm, stem))
        scores = list(self.bias)
        grams = self.grams
        for g, x in vec.items():
            _, cls, ws = grams[g]
            for c, w in zip(cls, ws, strict=True):
                scores[c] += x * w
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return Reading({c: e / total for c, e in zip(self.classes, exps, strict=True)}, vec)

    def closest(self, code: str, reading: Reading, normalise: Callable[[str], str]) -> str | None:
        """The training phrase of ``code`` most like the call (cosine of the same vectors)."""
        if self._stem is None or code not in self.phrases:
            return None
        if code not in self._phrase_vecs:
            stem = self._stem
            self._phrase_vecs[code] = [
                (p, self._vector(features(normalise(p), stem))) for p in self.phrases[code]
            ]
        best, best_sim = None, 0.0
        vec = reading.vec
        for phrase, pv in self._phrase_vecs[code]:
            sim = sum(x * vec.get(g, 0.0) for g, x in pv.items())
            if sim > best_sim:
                best, best_sim = phrase, sim
        return best if best_sim >= 0.15 else None


def shipped_model_path(data_dir: Path) -> Path:
    return data_dir / MODEL_FILE


def load_shipped(data_dir: Path, codes: Iterable[str]) -> Model | None:
    """The model in ``data_dir``, or ``None`` when there is none or it does not fit the catalog
    (trained for other categories: a stale model is worse than none, the keywords still work).

    One process reads a given file once (a CLI run or a test builds several engines): the model
    is never changed after loading, so engines share it.
    """
    path = shipped_model_path(data_dir)
    try:
        st = path.stat()
        model = _load_cached(str(path), st.st_mtime_ns, st.st_size)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    known = set(codes)
    if not known or len(known & set(model.classes)) < 0.9 * max(len(known), len(model.classes)):
        return None
    return model


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int, size: int) -> Model:
    return Model.load(Path(path))
