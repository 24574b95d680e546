"""``linkage triage train``: phrasings in ``data/`` → ``data/triage_model.json.gz``.

Training uses scikit-learn's logistic regression (lbfgs: deterministic, no random state), imported
here only: the seat scores the exported weights in pure Python (``triage_model``) and never pays
scikit-learn's import time (~1 s) or memory (~60 MB with numpy and scipy). The same input gives
the same bytes: rows in file order, weights rounded and quantised, keys sorted, gzip without a
timestamp.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from console.catalog.registry import Catalog
from console.catalog.triage_model import FORMAT, MODEL_FILE, features
from console.catalog.triage_rules import Rules
from console.catalog.triage_text import normalise, stem
from console.kernel.errors import BadInput

PHRASINGS_FILE = "triage_phrasings.csv"
#: Inverse regularisation strength of the logistic regression (chosen on the old corpus and
#: held-out files, never on triage_heldout_v2).
C = 8.0
#: Weights smaller than this (after training) are dropped: they change no ranking and make up
#: most of the file.
PRUNE = 0.05
#: Weights are stored as integers of this many thousandths.
SCALE = 0.001


@dataclass(frozen=True)
class TrainReport:
    path: Path
    rows: int
    corrections: int
    classes: int
    grams: int
    size: int
    digest: str

    def to_json(self) -> dict[str, object]:
        return {"path": self.path.name, "rows": self.rows, "corrections": self.corrections,
                "classes": self.classes, "grams": self.grams, "bytes": self.size, "sha256": self.digest}


def read_phrasings(data_dir: Path) -> list[tuple[str, str]]:
    """(category code, phrasing) rows of ``triage_phrasings.csv``, in file order."""
    path = Path(data_dir) / PHRASINGS_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput("triage.no_phrasings", zh="找不到研判训练语料：{p}", en="training phrasings not found: {p}",
                       p=path.name) from exc
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        code, phrase = (row.get("category") or "").strip(), (row.get("phrasing") or "").strip()
        if code and phrase:
            rows.append((code, phrase))
    return rows


def training_rows(data_dir: Path, catalog: Catalog,
                  corrections: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Everything the model learns from, in a fixed order: the phrasings file, each category's
    example phrases and keywords in ``categories.toml``, then the center's corrected calls."""
    rows = [(c, p) for c, p in read_phrasings(data_dir) if c in catalog.categories]
    for code, cat in catalog.categories.items():
        rows += [(code, p) for p in (*cat.examples_zh, *cat.examples_en)]
        rows += [(code, k.word) for k in (*cat.keywords_zh, *cat.keywords_en)]
    rows += [(c, t) for c, t in corrections if c in catalog.categories]
    return rows


def train(data_dir: Path, catalog: Catalog, corrections: Iterable[tuple[str, str]] = (),
          out: Path | None = None) -> TrainReport:
    """Fit, export and write the model; returns what was written."""
    try:
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # the seat itself never needs them
        raise BadInput("triage.no_sklearn", zh="训练需要 scikit-learn：pip install -e '.[train]'",
                       en="training needs scikit-learn: pip install -e '.[train]'") from exc
    corrections = list(corrections)
    rules = Rules.load(data_dir, normalise)
    rows = training_rows(data_dir, catalog, corrections)
    docs: list[Counter[str]] = []
    for _, text in rows:
        norm = normalise(text)
        norm, _ = rules.rewrite(norm, list(range(len(norm))))
        docs.append(features(norm, stem))
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    vocab = sorted(df)
    col = {g: i for i, g in enumerate(vocab)}
    n = len(docs)
    idf = [math.log((1 + n) / (1 + df[g])) + 1.0 for g in vocab]
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for d in docs:
        vec = {col[g]: (1.0 + math.log(k)) * idf[col[g]] for g, k in d.items()}
        norm_ = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        for j in sorted(vec):
            indices.append(j)
            data.append(vec[j] / norm_)
        indptr.append(len(indices))
    x = csr_matrix((data, indices, indptr), shape=(n, len(vocab)))
    classes = sorted({c for c, _ in rows})
    y = [classes.index(c) for c, _ in rows]
    clf = LogisticRegression(C=C, max_iter=1000, tol=1e-4)
    clf.fit(x, y)
    coef = clf.coef_
    lines: list[str] = []
    for j, g in enumerate(vocab):
        pairs: list[str] = []
        for ci in range(len(classes)):
            w = float(coef[ci, j])
            if abs(w) >= PRUNE:
                pairs += [str(ci), str(round(w / SCALE))]
        lines.append(f"{g}\t{round(idf[j], 4)}\t{' '.join(pairs)}\n")
    phrases: dict[str, list[str]] = {c: [] for c in classes}
    for code, phrase in read_phrasings(data_dir):
        if code in phrases and phrase not in phrases[code]:
            phrases[code].append(phrase)
    for code, cat in catalog.categories.items():
        for p in (*cat.examples_zh, *cat.examples_en):
            if code in phrases and p not in phrases[code]:
                phrases[code].append(p)
    header = {"format": FORMAT, "classes": classes, "scale": SCALE,
              "bias": [round(float(b), 4) for b in clf.intercept_], "phrases": phrases}
    raw = (json.dumps(header, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
           + "".join(lines)).encode()
    digest = hashlib.sha256(raw).hexdigest()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    path = out or Path(data_dir) / MODEL_FILE
    path.write_bytes(buf.getvalue())
    return TrainReport(path, len(rows), len(corrections), len(classes), len(lines),
                       len(buf.getvalue()), digest)
