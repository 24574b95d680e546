"""How much a call *resembles* each category: the triage fallback for calls with no keyword.

Keywords (``console.catalog.triage``) are precise but brittle: a caller who says "龙头里流出来的东西
黄黄的" instead of "自来水发黄" matches no keyword, and the dispatcher would get no suggestion
at all. This module gives such calls ranked candidates anyway, by comparing the call's
character n-grams with each category's *profile*: its names, its keywords and a few example
phrases (``examples_zh`` / ``examples_en`` in ``data/categories.toml``).

Why character n-grams: Chinese has no spaces and callers vary the wording around the same
core characters (往外冒水 / 冒出水来, 没电了 / 电一直没来); overlapping characters and
character pairs still meet where whole words do not. English is compared word by word, with
the stemmer triage uses. Every n-gram is weighted by TF-IDF over the categories (a pair that
only one category's profile has, like 井盖, tells a lot; 了 or "the" tells nothing), and the
score is the cosine between the call and the profile, so a big profile does not win by size.

Everything is built once, at construction, into an inverted index (n-gram → categories); a
suggestion then costs one pass over the call's n-grams.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

#: English words that say nothing about the category (IDF would mute most of them anyway,
#: but with only a few dozen profiles a common word can look rare by chance).
_STOP_EN = frozenset({
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "from",
    "with", "is", "are", "was", "were", "be", "been", "am", "it", "its", "this", "that",
    "there", "here", "i", "me", "my", "we", "our", "us", "you", "your", "he", "him", "his",
    "she", "her", "they", "them", "their", "has", "have", "had", "do", "does", "did", "not",
    "no", "so", "just", "now", "very", "some", "any", "all", "can", "could", "would", "will",
    "please", "help", "there's", "it's", "i'm",
})
#: Small talk every kind of call has: such pairs never prove a resemblance on their own, so
#: "有情况需要处理" or "我想说一下" gets no suggestion rather than a random one. (They still
#: count in the similarity once something specific matched.)
_FILLER = frozenset({
    "一下", "一个", "一点", "一些", "有个", "有人", "有点", "这个", "那个", "这边", "那边", "这里",
    "那里", "这儿", "那儿", "我们", "你们", "他们", "她们", "咱们", "大家", "自己", "我想", "想说",
    "说一", "需要", "处理", "情况", "事情", "问题", "现在", "刚才", "一直", "已经", "还是", "就是",
    "可以", "什么", "怎么", "不管", "麻烦", "你好", "谢谢", "好的", "知道", "我家", "家里", "打电",
    "电话", "帮忙", "帮我", "赶紧", "快点", "师傅", "同志", "领导", "好多", "很多", "特别", "非常",
    "真的", "我的", "你的", "他的", "的人", "了一", "个人", "一样", "时候", "今天", "昨天", "晚上",
    "早上", "下午", "上午", "边有", "我这",
    "#call", "#calling", "#hello", "#please", "#thank", "#thanks", "#want", "#need", "#someone",
    "#something", "#today", "#yesterday", "#tonight", "#morning", "#people",
})
#: A shared pair or word is evidence of resemblance when at most one profile in SPECIFIC
#: has it.
SPECIFIC = 4
#: A gram in more than this share of the profiles is too common to compare on.
COMMON = 0.5
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def features(norm: str, stem: Callable[[str], str]) -> Counter[str]:
    """The n-grams of already normalised text: Chinese characters and character pairs within
    a run of Chinese (punctuation and line breaks end a run), English word stems."""
    # The runs joined by line breaks, counted in two C-level passes; the few pairs that
    # straddle two runs are dropped afterwards. (One update per run is several times slower
    # on a profile of thousands of short phrases.)
    cjk = "\n".join(_CJK_RUN.findall(norm))
    out = Counter(cjk)
    out.update(map(operator.add, cjk, cjk[1:]))
    for g in [g for g in out if "\n" in g]:
        del out[g]
    for word in _LATIN_WORD.findall(norm):
        if word not in _STOP_EN and len(word) > 1:
            out["#" + stem(word)] += 1
    return out


class Resemblance:
    """TF-IDF cosine between a call and each of ``len(profiles)`` category profiles."""

    def __init__(
        self,
        profiles: Sequence[Iterable[str]],
        normalise: Callable[[str], str],
        stem: Callable[[str], str],
    ) -> None:
        self._stem = stem
        # One line per phrase: n-grams never span two phrases (a line break ends a run).
        counts = [features(normalise("\n".join(phrases)), stem) for phrases in profiles]
        n = self.size = len(counts)
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        #: A gram no profile has still makes the call less like all of them: it counts in the
        #: call's length as if it were unique.
        self._unknown = math.log(n) if n > 1 else 1.0
        #: gram → (its idf; the profiles that have it, with its weight there times the idf,
        #: ready to add up; whether it is evidence of resemblance). Grams in more than COMMON
        #: of the profiles (了, 有, 人) have no postings: too common to tell categories apart,
        #: they only lengthen the call, and leaving them out keeps ``scores`` fast. Evidence is
        #: a pair of characters or an English word that at most one profile in SPECIFIC has
        #: and that is not small talk (``_FILLER``).
        self._grams: dict[str, tuple[float, list[tuple[int, float]], bool]] = {
            g: (math.log(n / d), [], d * SPECIFIC <= n and len(g) > 1 and g not in _FILLER)
            for g, d in df.items()
        }
        common = n * COMMON
        for cat, c in enumerate(counts):
            vec: list[tuple[float, list[tuple[int, float]], float, bool]] = []
            for g, k in c.items():
                idf, postings, _ = self._grams[g]
                weight = idf if k == 1 else (1.0 + math.log(k)) * idf
                vec.append((idf, postings, weight, df[g] <= common))
            norm = math.sqrt(sum(w * w for _, _, w, _ in vec)) or 1.0
            for idf, postings, weight, compared in vec:
                if compared:
                    postings.append((cat, idf * weight / norm))

    def scores(self, norm_text: str) -> list[float]:
        """Cosine similarity (0–1) of the normalised call to every profile, in profile order;
        0 for a profile that the call shares no evidence with."""
        out = [0.0] * self.size
        evidence: set[int] = set()
        total = 0.0
        unknown: tuple[float, list[tuple[int, float]], bool] = (self._unknown, [], False)
        for g, k in features(norm_text, self._stem).items():
            idf, postings, proves = self._grams.get(g, unknown)
            tf = 1.0 if k == 1 else 1.0 + math.log(k)
            total += (tf * idf) ** 2
            for cat, v in postings:
                out[cat] += tf * v
            if proves:
                evidence.update(cat for cat, _ in postings)
        root = math.sqrt(total) or 1.0
        return [s / root if i in evidence else 0.0 for i, s in enumerate(out)]
