"""Parsing what a person types: phone numbers, areas, references and reported times.

All of these are refused here, before any transaction opens, with a message that says what
a correct value looks like.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from console.kernel.clean import multi_line
from console.kernel.errors import BadInput
from console.kernel.model import AREA_ALIASES, Area

HIDDEN_NUMBER = ("hidden", "unknown", "未知", "无号码", "隐藏", "隐藏号码", "未显示号码", "number withheld",
                 "withheld")
_PHONE_PATTERNS = (
    re.compile(r"1[3-9]\d{9}"),            # mobile
    re.compile(r"0[1-9]\d{1,2}\d{7,8}"),   # landline with area code
    re.compile(r"[2-9]\d{6,7}"),           # local landline without area code
)
#: No reported time of this center lies before this instant (the system did not exist), and no
#: period it plans for (rosters, statistics) reaches past ``LATEST``: beyond these a date is a
#: typo, and near year 1 or 9999 it overflows date arithmetic.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_MAX_AGO_S = 100 * 366 * 86400  # a relative time further back is clamped, then refused as too early
_RELATIVE = re.compile(r"^-?\s*(\d+)\s*(s|sec|秒|m|min|分钟?|h|hr|小时)\s*(ago|前)?$")
_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")
_LOCAL_DATETIME = re.compile(
    r"^(?:(\d{4})-)?(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$"
)


def normalize(text: str) -> str:
    """NFKC turns an IME's full-width digits and punctuation into plain ones.

    For structured input only (numbers, times, codes, references): a person's words are kept
    as typed, see ``clean_text``.
    """
    return unicodedata.normalize("NFKC", text).strip()


def clean_text(text: str) -> str:
    """Free text (a caller's account, a note) exactly as typed, minus escape sequences,
    controls and bidi marks (``console.kernel.clean.multi_line``): they must never reach a terminal."""
    return multi_line(text).strip()


def parse_phone(raw: str) -> str:
    """A caller number in canonical digits, or '' for a withheld number."""
    text = normalize(raw)
    if text.lower() in HIDDEN_NUMBER:
        return ""
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits.isdigit() or not any(p.fullmatch(digits) for p in _PHONE_PATTERNS):
        raise BadInput(
            "input.phone",
            zh="号码格式不正确：{raw}（手机为11位数字，座机为区号加号码；号码未显示请填 未显示号码）",
            en="malformed phone number: {raw} (mobile: 11 digits; landline: area code + number;"
               " type 'withheld' for a withheld number)",
            raw=raw[:40],
        )
    return digits


#: Words in an address that place it in the countryside (a village, a township, a town other
#: than the county seat 城关镇, a village group), where arrival deadlines are longer.
_RURAL = re.compile(r"村|乡|(?<!城关)镇|[0-9一二三四五六七八九十]+组")


def infer_area(address: str) -> Area | None:
    """Rural when the address names a village, township or town; None when it says nothing."""
    return Area.RURAL if _RURAL.search(normalize(address)) else None


def parse_area(raw: str | None, default: str, address: str = "") -> Area:
    """The area given; when none is given, rural if the address says so (村/乡/镇), else the
    center's default."""
    if raw is None or not raw.strip():
        return infer_area(address) or Area(default)
    area = AREA_ALIASES.get(normalize(raw).lower())
    if area is None:
        raise BadInput(
            "input.area", zh="区域只能是 城区/郊区/农村（urban/suburb/rural）：{raw}",
            en="area must be urban, suburb or rural (城区/郊区/农村): {raw}", raw=raw[:40],
        )
    return area


def parse_ref(raw: str, what_zh: str, what_en: str) -> int | str:
    """``12`` or ``#12`` → local number 12; a hex id or id prefix (≥ 8 chars) → str."""
    text = normalize(raw).lstrip("#")
    if text.isdigit() and len(text) < 12:
        return int(text)
    if re.fullmatch(r"[0-9a-f\-]{8,36}", text.lower()):
        return text.lower()
    raise BadInput(
        "input.ref", zh="{what_zh}编号无效：{raw}", en="invalid {what_en} reference: {raw}",
        what_zh=what_zh, what_en=what_en, raw=raw[:40],
    )


def looks_like_time(word: str) -> bool:
    """Whether a command word is a reported time (``14:05``, ``-5m``, ``5分钟前``, ``now``, an
    ISO instant) rather than a number or id naming something."""
    text = normalize(word).lower()
    return text == "now" or bool(_RELATIVE.match(text) or _CLOCK.match(text) or ":" in text)


def parse_reported_time(
    raw: str | None, now: datetime, tz: ZoneInfo, tolerance: timedelta
) -> datetime:
    """The time a unit or caller said, in the center's local time unless an offset is given.

    ``14:05`` means today (or last night, when today's 14:05 is still ahead and yesterday's is
    within six hours); ``-5m`` means five minutes ago. Times ahead of the clock are refused,
    and so are times before ``EARLIEST`` (a mistyped year, ``0001-01-01``, ``-99999999999m``:
    no record of this center predates it, and such an instant overflows date arithmetic).
    """
    if raw is None or not raw.strip() or normalize(raw).lower() == "now":
        return now
    try:
        value: datetime | None = _reported_time(raw, now, tz, tolerance)
    except (OverflowError, ValueError):  # beyond what a datetime holds, either way
        value = None
    if value is None or value < EARLIEST:
        raise BadInput(
            "input.time_range",
            zh="时间 {raw} 超出可记录的范围（{floor} 至今）",
            en="time {raw} is out of range (from {floor} to now)", raw=raw[:40],
            floor=EARLIEST.date().isoformat(),
        )
    if value > now + tolerance:
        raise BadInput(
            "input.future_time", zh="时间 {raw} 晚于当前时间，不能记录未来的时间",
            en="time {raw} is in the future", raw=raw[:40],
        )
    return value


def within_range(value: datetime, raw: str) -> datetime:
    """``value`` if it lies in [``EARLIEST``, ``LATEST``); refused in words otherwise."""
    try:
        ok = EARLIEST <= value.astimezone(UTC) < LATEST
    except (OverflowError, ValueError):
        ok = False
    if not ok:
        raise BadInput(
            "input.time_range", zh="时间 {raw} 超出可用的范围（{floor} 至 {ceiling}）",
            en="time {raw} is out of range ({floor} to {ceiling})", raw=raw[:40],
            floor=EARLIEST.date().isoformat(), ceiling=(LATEST.date() - timedelta(days=1)).isoformat(),
        )
    return value


def _reported_time(raw: str, now: datetime, tz: ZoneInfo, tolerance: timedelta) -> datetime:
    text = normalize(raw).lower()
    local_now = now.astimezone(tz)
    value: datetime | None = None
    if m := _RELATIVE.match(text):
        amount, unit = int(m.group(1)), m.group(2)
        seconds = {"s": 1, "sec": 1, "秒": 1, "h": 3600, "hr": 3600, "小时": 3600}.get(unit, 60)
        value = now - timedelta(seconds=min(amount * seconds, _MAX_AGO_S))
    elif m := _CLOCK.match(text):
        hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        value = _local(tz, local_now.year, local_now.month, local_now.day, hour, minute, second)
        if value is not None and value > now + tolerance:
            earlier = value - timedelta(days=1)
            value = earlier if now - earlier <= timedelta(hours=6) else value
    elif m := _LOCAL_DATETIME.match(text):
        year = int(m.group(1) or local_now.year)
        value = _local(tz, year, int(m.group(2)), int(m.group(3)), int(m.group(4)),
                       int(m.group(5)), int(m.group(6) or 0))
    else:
        try:
            parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
            value = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
        except ValueError:
            value = None
    if value is None:
        raise BadInput(
            "input.time",
            zh="时间格式无法识别：{raw}（例如 14:05、-5m、2026-11-28 14:05）",
            en="unrecognised time: {raw} (e.g. 14:05, -5m, 2026-11-28 14:05)", raw=raw[:40],
        )
    value.astimezone(UTC)  # raises OverflowError for year 1 in a zone east of UTC
    return value


def _local(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int,
           second: int) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def place_key(address: str) -> str:
    """An address reduced to what two callers describing one place would share."""
    text = normalize(address).lower()
    return re.sub(r"[\s,，。.、;；:：!！?？()（）\-—_'\"“”‘’]+", "", text)


def parse_day(raw: str) -> date:
    """A calendar day as typed: 2026-11-28, 2026/11/28, 2026.11.28 or 2026年11月28日."""
    text = normalize(raw)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    try:
        if m:
            day = date(int(m[1]), int(m[2]), int(m[3]))
            within_range(datetime.combine(day, time(12), tzinfo=UTC), raw)
            return day
    except ValueError:
        pass
    raise BadInput("input.day", zh="日期格式不正确：{d}（例如 2026-11-28）",
                   en="malformed day: {d} (e.g. 2026-11-28)", d=raw[:20])


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The center-local day as a UTC span [start, end): 24 h, or 23/25 h across a DST change."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def bounded(raw: str | None, limit: int, what_zh: str, what_en: str) -> str:
    """Free text cleaned as ``clean_text`` does, refused (not cut) when over ``limit``: a
    400,000-character address is a mistake or an attack, and cutting it silently would save
    something nobody typed. The limits are the event schemas' (console/store/payloads.py)."""
    text = clean_text(raw or "")
    if len(text) > limit:
        raise BadInput("input.too_long", zh="{w}过长：{n} 字（最多 {m} 字）",
                       en="the {e} is too long: {n} characters (at most {m})",
                       w=what_zh, e=what_en, n=len(text), m=limit)
    return text


#: The longest operator name (a person's login), the same at a seat and at the city server.
MAX_OPERATOR = 64
#: One visible character, spelt as an explicit class so that it means the same in Python's
#: ``re`` and in the ECMA regexes of JSON Schema (the server's OpenAPI): their ``\S`` differ
#: (Python counts U+001C–U+001F as space, ECMA does not), and a client generating from the
#: published schema sent an operator of one U+001F that the server then refused.
VISIBLE_CHAR = "[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]"
_VISIBLE_OPERATOR = re.compile(VISIBLE_CHAR)

def operator_problem(value: object) -> str | None:
    """The operator rule, the same at the seat that writes and at the server that stores, so an
    event a seat saved can always be synced."""
    if not isinstance(value, str) or len(value) > MAX_OPERATOR or not _VISIBLE_OPERATOR.search(value):
        return f"operator must be 1 to {MAX_OPERATOR} characters, not blank"
    return None
