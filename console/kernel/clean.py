"""The one cleaning for text from outside, on its way into the store and out to a person.

Every string is hostile until cleaned: typed, pasted, pulled from the city server (another seat
can put anything in a payload), read from a CSV, a config file or a CLI flag. Whatever reaches
a terminal, a CSV cell or a report goes through one of these functions:

* ``multi_line`` keeps the words and the line breaks of a field that may hold several lines (a
  caller's account, a note, a report body) and drops everything a terminal would act on:
  whole escape sequences (CSI ``ESC [ … final``, OSC ``ESC ] … BEL/ST`` that set the window
  title or a hyperlink, DCS/SOS/PM/APC strings, two-byte ``ESC x``), their 8-bit C1 forms,
  every other C0/C1 control and DEL, and the bidi overrides, isolates and marks that make a
  line read in a different order from the bytes (U+202A–202E, U+2066–2069, U+200E/F, U+061C).
  A tab becomes a space.
* ``one_line`` does the same and turns every line break (CR, LF, NEL, U+2028/2029) into a
  space, for a field shown on one line (an address, a name, an operator): a pulled address
  holding ``\\n`` must not forge a second board line.
* ``csv_cell`` is ``one_line``'s text made formula-safe for a spreadsheet: a cell starting
  with ``= + - @`` (or a tab/CR) gets a leading apostrophe, so ``=HYPERLINK(…)``, ``+cmd|…``,
  ``@SUM(…)`` and ``-1+1`` are shown as text, never run (OWASP "CSV injection").
  ``csv_value`` undoes it for an importer reading back a file this program wrote.

Cleaning is pure and idempotent, and cheap on clean text (``str.isprintable`` short-cut), so
it can be applied both where text enters and again where it leaves.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A whole escape sequence, 7-bit or 8-bit, so no parameter bytes are left behind as garbage:
#   CSI: ESC [ or U+009B, parameters, intermediates, one final byte
#   OSC/DCS/SOS/PM/APC: ESC ] P X ^ _ or U+009D U+0090 U+0098 U+009E U+009F, up to BEL or ST
#   (ESC \ or U+009C), or to the end of the text when unterminated
#   SS2/SS3: ESC N or ESC O and the one character they shift (ESC O P is F1 on some terminals)
#   other: ESC and one following character (ESC 7, ESC c …)
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[NO].?"
    r"|\x1b[\x20-\x7e]?",
    re.DOTALL,
)
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
# Controls a terminal acts on (all C0 but LF and TAB, DEL, C1) and the bidi formatting marks.
_DROP = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What ``terminal_json`` escapes: JSON already escapes C0; these pass through ``ensure_ascii=False``.
_JSON_UNSAFE = re.compile(f"[\\x7f-\\x9f{_BIDI}\u2028\u2029]")


def multi_line(text: str) -> str:
    """``text`` without escape sequences, controls or bidi marks; line breaks kept as ``\\n``."""
    if text.isprintable():
        return text
    text = _BREAK.sub("\n", text)
    text = _SEQUENCE.sub("", text)
    return _DROP.sub("", text.replace("\t", " "))


def one_line(text: str) -> str:
    """``multi_line`` for a one-line field: every line break becomes one space."""
    if text.isprintable():
        return text
    return multi_line(_BREAK.sub(" ", text)).replace("\n", " ")


def csv_cell(value: object) -> str:
    """A CSV cell: ``one_line`` text, with an apostrophe before a formula start."""
    text = "" if value is None else one_line(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_value(cell: str) -> str:
    """An imported cell with the apostrophe ``csv_cell`` put before a formula start removed."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


#: Payload fields shown on one line (the rest, such as text, note, body, reason, may hold lines).
ONE_LINE_KEYS = frozenset({
    "address", "caller_name", "phone", "place_key", "area", "category", "unit", "unit_kind", "to",
    "via", "how", "login", "name", "person", "vehicle", "contact", "responsible", "duty_person",
    "duty_phone", "seat", "operator", "from_operator", "to_operator", "status", "plan",
    "plan_name_zh", "plan_name_en", "source", "reporting_unit",
})


def clean_payload(value: Any, key: str = "") -> Any:
    """A pulled payload for display: one-line fields through ``one_line``, every other string
    through ``multi_line``, nested lists and objects alike."""
    if isinstance(value, str):
        return one_line(value) if key in ONE_LINE_KEYS else multi_line(value)
    if isinstance(value, dict):
        return {one_line(str(k)): clean_payload(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_payload(v, key) for v in value]
    return value


def terminal_json(data: Any) -> str:
    """``json.dumps`` for a terminal: Chinese kept readable (``ensure_ascii=False``), but C1
    controls, bidi marks and line separators written as ``\\uXXXX`` escapes. The data is
    unchanged for a JSON reader; only the bytes a terminal would act on are gone."""
    text = json.dumps(data, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
