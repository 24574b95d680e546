"""Repeat calls by meaning (疑似重复): the same number, or the same place written differently.

Callers describe one place in many ways: ``人民路12号`` and ``人民路12号幸福小区3栋``, full-width
digits from an IME, ``〇``/``零`` for 0, ``號`` for ``号``, ``十二号`` for ``12号``. A repeat is
offered when, within the configured window, a live incident

- had a call from the same number (``number``), or
- is of the same category and its place is the same once written alike, contains or is
  contained in this one, or names the same building (road and number) (``place``), or
- is of the same category on the same road, street or village (``road``).

Each candidate carries the reason words, so the call-taker sees why it is offered (in the
intake's repeat list and in ``call new --json``). Nothing here writes; it runs on every
keystroke of the intake form, so it reads only the incidents of the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from console.kernel.clock import iso
from console.kernel.inputs import place_key
from console.kernel.model import Incident
from console.store.queries import Reader, incident_from_row, transfers_of

#: Reason codes, strongest first, with what the call-taker reads.
REASONS: dict[str, tuple[str, str]] = {
    "number": ("同号码", "same number"),
    "place": ("同地点", "same place"),
    "road": ("同路段", "same road"),
}
_VARIANTS = str.maketrans({"號": "号", "棟": "栋", "樓": "楼", "〇": "0", "○": "0", "零": "0",
                           "幢": "栋", "座": "栋"})
_CN_DIGIT = {"0": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[0一二两三四五六七八九十百]+(?=[号栋楼单元室组巷弄排层])")
# A named stretch (road, street, lane, village, estate …) and the number on it, if any.
_ANCHOR = re.compile(r"([^\d号栋楼单元室组]{1,8}?(?:大道|路|街|巷|弄|村|镇|乡|小区|社区|花园|公寓|大厦|广场))"
                     r"(\d+号)?")
#: A shorter place contained in a longer one must be at least this long to count (人民路12号).
MIN_CONTAINED = 4


@dataclass(frozen=True)
class Repeat:
    incident: Incident
    reasons: tuple[str, ...]     # codes of REASONS, strongest first

    def words(self, lang: str) -> str:
        """``同号码、同地点`` / ``same number, same place``."""
        zh = lang == "zh"
        return ("、" if zh else ", ").join(REASONS[r][0 if zh else 1] for r in self.reasons)


def _cn_to_digits(match: re.Match[str]) -> str:
    text = match.group()
    if text.isdigit():
        return text
    if "十" not in text and "百" not in text:
        return "".join(str(_CN_DIGIT.get(ch, ch)) for ch in text)
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGIT.get(ch, 0)
    return str(total + current)


@lru_cache(maxsize=4096)  # pure; the same few hundred live addresses are compared at every call
def place_form(address: str) -> str:
    """An address written alike: the place key (NFKC, lower case, no spaces or punctuation),
    variant characters folded, Chinese numbers before 号/栋/室… as digits."""
    key = place_key(address).translate(_VARIANTS)
    return _CN_NUMBER.sub(_cn_to_digits, key)


@lru_cache(maxsize=4096)  # pure, and asked for the same live addresses at every call
def _anchors(form: str) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    """The (road, number) pairs with a number, and the road names of at least 2 characters."""
    found = [(m.group(1), m.group(2) or "") for m in _ANCHOR.finditer(form)]
    return (frozenset((name, n) for name, n in found if n),
            frozenset(name for name, _ in found if len(name) >= 2))


def place_relation(a: str, b: str) -> str | None:
    """``place``, ``road`` or None for two addresses (already ``place_form``-ed or raw)."""
    return _relation(place_form(a), place_form(b))


def _relation(x: str, y: str) -> str | None:
    """``place_relation`` of two addresses already in ``place_form``."""
    if not x or not y:
        return None
    if x == y:
        return "place"
    short, long = sorted((x, y), key=len)
    if len(short) >= MIN_CONTAINED and short in long:
        return "place"
    (bx, rx), (by, ry) = _anchors(x), _anchors(y)
    if not bx.isdisjoint(by):
        return "place"                  # the same building: road and number
    if not rx.isdisjoint(ry):
        return "road"
    return None


def find_repeats(db: Reader, phone: str, address: str, category: str, since: datetime) -> list[Repeat]:
    """Live incidents this call may repeat, strongest reason first, then newest first.

    The window may hold hundreds of incidents of the category: they are read as (no, id,
    category, address) only, and just the candidates whole."""
    since_text = iso(since)
    rows = db.all(
        "SELECT i.no, i.category, i.address, EXISTS (SELECT 1 FROM calls c WHERE c.incident_id = i.id"
        "  AND :phone != '' AND c.phone = :phone AND c.received_at >= :since)"
        " FROM incidents i WHERE i.status != 'merged' AND i.no IN ("
        " SELECT i.no FROM calls c JOIN incidents i ON i.id = c.incident_id"
        "  WHERE :phone != '' AND c.phone = :phone AND c.received_at >= :since"
        " UNION SELECT no FROM incidents WHERE :category != '' AND category = :category"
        "  AND created_at >= :since)",
        {"phone": phone, "category": category, "since": since_text},
    )
    found: dict[int, tuple[str, ...]] = {}
    here = place_form(address)  # once, not per candidate: this runs inside every new call's write
    for no, row_category, row_address, numbered in rows:
        reasons: list[str] = []
        if numbered:
            reasons.append("number")
        if category and row_category == category:
            relation = _relation(here, place_form(row_address or ""))
            if relation is not None:
                reasons.append(relation)
        if reasons:
            found[no] = tuple(reasons)
    out: list[Repeat] = []
    if found:
        marks = ",".join("?" * len(found))
        whole = db.all(f"SELECT * FROM incidents WHERE no IN ({marks}) ORDER BY no DESC", tuple(found))
        out = [Repeat(incident_from_row(row), found[row["no"]]) for row in whole]
    services = transfers_of(db, [r.incident.id for r in out])
    out = [Repeat(_with_transfers(r.incident, services), r.reasons) for r in out]
    rank = {code: n for n, code in enumerate(REASONS)}
    return sorted(out, key=lambda r: (min(rank[c] for c in r.reasons), -r.incident.no))


def _with_transfers(incident: Incident, services: dict[str, list[str]]) -> Incident:
    from dataclasses import replace

    found = services.get(incident.id)
    return replace(incident, transfers=tuple(found)) if found else incident
