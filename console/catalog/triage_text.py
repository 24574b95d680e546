"""Text handling shared by triage's keywords, model and rules: normalisation, a tiny English
stemmer, and negation ("没有着火", "no one is hurt" deny what follows).

Split out of ``console.catalog.triage`` so that the model, its trainer and the rules read text
exactly as the keyword matcher does.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path

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



#: Public name of the stemmer for the model and trainer.
stem = _stem


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

