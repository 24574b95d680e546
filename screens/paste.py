"""Pasted text is data: it never becomes keystrokes, and its control characters never act.

Two holes, both measured on Textual 8.2.8 (tests/test_paste.py):

* Inside a bracketed paste (``ESC[200~ … ESC[201~``) Textual's parser stops at an embedded ESC,
  gathers the following characters as an escape sequence and, finding none, re-issues them as
  *key presses*: pasting ``有人打架\\e[0m流血\\x14`` typed ``[0m流血`` and ctrl+t (transfer to 110).
  ``PasteFilter`` strips escape sequences and control characters from the bracketed span
  before the parser sees it, so the parser delivers one clean ``Paste`` event.
* A terminal without bracketed paste sends pasted text as plain input. A chunk of input that
  carries an escape sequence no key produces (``ESC[0m`` is a colour, not a key) is a paste of
  copied terminal text: the filter turns that whole chunk into a bracketed paste, so its
  control characters cannot fire as keys either. (A lone ctrl character pasted without any
  such sequence cannot be told from a key press; that is the terminal's limit.)

Every ``Paste`` reaching a widget is cleaned once more (``clean_paste``): control characters
out, line breaks and tabs to spaces (all our fields are one line).

The same parser also reads an Esc typed in a burst as the Esc key (``escape_then``). Textual
takes ESC followed, in the same read, by anything but ``[`` or ``O`` as the start of a sequence
or an alt-key: Esc then ctrl+s arrived as a typed ``^`` and ctrl+s, Esc then Tab as shift+tab,
Esc then a letter as alt+letter (the Esc lost), Esc then Enter waited for more keys. The
console binds no alt-key, so such a pair is always Esc and then that key.
"""

from __future__ import annotations

import re

from textual import events

from console.kernel.clean import one_line

START = "\x1b[200~"
END = "\x1b[201~"
# CSI / SS3 / OSC sequences and lone ESCs; C0 and C1 controls and DEL.
_BLANKS = re.compile(r"[\t\r\n]+")
# sequences a key produces: cursor keys, F-keys, Home/End/PgUp/PgDn, focus, mouse, kitty keys
_KEY_CSI = re.compile(r"\x1b\[(?:[0-9;:]*[~ABCDEFHPQRSZIOu]|<[0-9;]*[Mm]|M...)", re.DOTALL)
_UNFINISHED = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*)?$")
_NOT_A_KEY = re.compile(r"\x1b\[[0-9;:]*[a-zA-Z@`{|}]")


def strip_controls(text: str) -> str:
    """The core's one-line cleaning (console/kernel/clean.py: escape sequences, controls, bidi
    marks), with a run of tabs and line breaks read as one space, as a pasted field takes it."""
    return one_line(_BLANKS.sub(" ", text))


def clean_paste(event: events.Paste) -> events.Paste:
    return events.Paste(strip_controls(event.text))


def _looks_pasted(chunk: str) -> bool:
    """An escape sequence in the chunk that no key sends (a colour code copied from a terminal)."""
    return any(not _KEY_CSI.fullmatch(m.group(0)) for m in _NOT_A_KEY.finditer(chunk))


class PasteFilter:
    """Cleans the raw input stream before Textual's parser; one per input thread (stateful:
    a paste can be split across reads)."""

    def __init__(self) -> None:
        self.in_paste = False
        self.tail = ""

    def feed(self, data: str) -> str:
        if not data:
            return data
        text, self.tail = self.tail + data, ""
        if not self.in_paste and START not in text and _looks_pasted(text):
            return START + strip_controls(text) + END
        out: list[str] = []
        while text:
            if not self.in_paste:
                at = text.find(START)
                if at < 0:
                    # a paste's start split across reads ("\x1b[20" + "0~…"): keep the piece
                    # for the next read (never a lone ESC: that is the Esc key, now)
                    keep = next((i for i in range(max(0, len(text) - len(START) + 1), len(text) - 1)
                                 if START.startswith(text[i:])), len(text))
                    out.append(text[:keep])
                    self.tail = text[keep:]
                    break
                out.append(text[:at + len(START)])
                text = text[at + len(START):]
                self.in_paste = True
            at = text.find(END)
            if at < 0:
                # keep an unfinished escape sequence (maybe END) for the next read
                partial = _UNFINISHED.search(text)
                keep = partial.start() if partial else len(text)
                out.append(strip_controls(text[:keep]))
                self.tail = text[keep:]
                break
            out.append(strip_controls(text[:at]) + END)
            text = text[at + len(END):]
            self.in_paste = False
        return "".join(out)


def escape_then(sequence: str) -> str | None:
    """The key typed after Esc when ``sequence`` is Esc and one key that starts no escape
    sequence (``ESC ^S``, ``ESC Tab``, ``ESC a``, ``ESC 人``), else None."""
    if len(sequence) == 2 and sequence[0] == "\x1b" and sequence[1] not in "[O\x1b":
        return sequence[1]
    return None


def install() -> None:
    """Put the filter in front of the parser of Textual's Linux driver (the one our seats
    run); other drivers are left as they are."""
    try:
        from textual.drivers import linux_driver
    except ImportError:  # pragma: no cover - not on this platform
        return
    base = linux_driver.XTermParser
    if getattr(base, "paste_filtered", False):
        return

    class FilteredParser(base):  # type: ignore[valid-type,misc]
        paste_filtered = True

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._paste_filter = PasteFilter()

        def feed(self, data: str):  # type: ignore[no-untyped-def]
            if not data:                      # end of input
                return super().feed(data)
            cleaned = self._paste_filter.feed(data)
            # everything held for the next read: feed nothing ("" would mean end of input)
            return super().feed(cleaned) if cleaned else iter(())

        def _sequence_to_key_events(self, sequence: str, alt: bool = False):  # type: ignore[no-untyped-def]
            after = escape_then(sequence)
            if after is None:
                yield from super()._sequence_to_key_events(sequence, alt)
                return
            yield events.Key("escape", "\x1b")
            yield from super()._sequence_to_key_events(after)

    linux_driver.XTermParser = FilteredParser  # type: ignore[misc]
