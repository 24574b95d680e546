"""The rules triage keeps beside its learned model (``data/triage_rules.toml``).

A model is a good guesser and a poor guarantor. Where a mistake costs a life, or where a fixed
phrase is known to mislead, a rule the administrator can read is safer than a weight nobody can:

- **lexicon**: dialect words and a fast typist's homophone typos mapped to the standard word
  (着伙 → 着火, 井盖没了 → 井盖缺失), applied before keywords and model read the call;
- **counter-examples**: phrases that must not trigger a category (找人来看看 is not a missing
  person, 第三次来电 is not about electricity); blanked out before keywords are matched;
- **life-at-risk signals**: not breathing, unconscious, bleeding, seizure, poisoning, flames,
  weapons, violence now, a scam in progress, a child missing. Said and not denied, they put the
  emergency service in the answer whatever the model ranks first.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

RULES_FILE = "triage_rules.toml"


@dataclass(frozen=True)
class LifeSignal:
    category: str
    words: tuple[str, ...]


@dataclass
class Rules:
    lexicon: dict[str, str] = field(default_factory=dict)
    #: (compiled pattern, the category it must not trigger)
    counters: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    life: list[LifeSignal] = field(default_factory=list)
    #: Vow patterns ("不弄死你我不姓张"): a life word inside one is a threat, not a denial.
    vows: list[re.Pattern[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        forms = sorted(self.lexicon, key=lambda f: (-len(f), f))
        self._lex_re = re.compile("|".join(map(re.escape, forms))) if forms else None
        #: One pattern per signal, longest words first; English words on word boundaries.
        self._life_res: list[tuple[str, re.Pattern[str]]] = []
        for sig in self.life:
            words = sorted((w for w in sig.words if w), key=lambda w: (-len(w), w))
            if words:
                alts = [rf"(?<![a-z]){re.escape(w)}(?![a-z])" if w.isascii() else re.escape(w) for w in words]
                self._life_res.append((sig.category, re.compile("|".join(alts))))

    @classmethod
    def load(cls, data_dir: Path, normalise: Callable[[str], str]) -> Rules:
        """Read the rules file; a missing file is no rules (the keywords still work)."""
        path = Path(data_dir) / RULES_FILE
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError:
            return cls()
        lexicon = {normalise(k).strip(): normalise(v).strip()
                   for k, v in raw.get("lexicon", {}).items() if k.strip()}
        counters: list[tuple[re.Pattern[str], str]] = []
        for entry in raw.get("counter", []):
            if "pattern" in entry:
                counters.append((re.compile(entry["pattern"]), entry.get("category", "")))
            elif entry.get("phrase"):
                counters.append((re.compile(re.escape(normalise(entry["phrase"]))),
                                 entry.get("category", "")))
        life = [LifeSignal(e["category"], tuple(normalise(w).strip() for w in e.get("words", [])))
                for e in raw.get("life", [])]
        vows = [re.compile(v) for v in raw.get("vows", [])]
        return cls(lexicon, counters, life, vows)

    def rewrite(self, norm: str, where: list[int]) -> tuple[str, list[int]]:
        """Dialect and typo forms → standard words; ``where`` maps each character back to the
        caller's text and is carried through the rewrite (a replacement maps to its form)."""
        if self._lex_re is None:
            return norm, where
        out: list[str] = []
        index: list[int] = []
        last = 0
        for m in self._lex_re.finditer(norm):
            out.append(norm[last : m.start()])
            index.extend(where[last : m.start()])
            std = self.lexicon[m.group()]
            out.append(std)
            span = where[m.start() : m.end()]
            index.extend(span[min(i, len(span) - 1)] for i in range(len(std)))
            last = m.end()
        if last == 0:
            return norm, where
        out.append(norm[last:])
        index.extend(where[last:])
        return "".join(out), index

    def blank_counters(self, norm: str) -> str:
        """The text with every counter-example phrase replaced by spaces (same length)."""
        for pattern, _ in self.counters:
            norm = pattern.sub(lambda m: " " * len(m.group()), norm)
        return norm

    def life_signals(self, norm: str, negated: Callable[[str, int, bool], bool]) -> dict[str, list[str]]:
        """Category → the life-at-risk words said and not denied, in text order."""
        out: dict[str, list[str]] = {}
        vowed = [(v.start(), v.end()) for pattern in self.vows for v in pattern.finditer(norm)]
        for category, pattern in self._life_res:
            for m in pattern.finditer(norm):
                word = m.group()
                vow = any(a <= m.start() and m.end() <= b for a, b in vowed)
                if vow or not negated(norm, m.start(), word.isascii()):
                    found = out.setdefault(category, [])
                    if word not in found:
                        found.append(word)
        return out
