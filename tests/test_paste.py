"""Paste is data (issue 12 item 4), measured on Textual's own parser.

Textual 8.2.8's parser, given a bracketed paste with an ESC inside, re-issues what follows the
ESC as key presses: ``\\x14`` becomes ctrl+t (transfer to 110). ``PasteFilter`` (screens/paste.py)
cleans the raw input before the parser, so the same bytes give one Paste event with the text
only, in one read or split across reads; an unbracketed chunk carrying a colour code is treated
as a paste too; ordinary keys (arrows, F-keys, a lone Esc) pass through untouched.
"""

from __future__ import annotations

from textual import events
from textual._xterm_parser import XTermParser
from textual.message import Message

from screens.paste import END, START, PasteFilter, strip_controls

ATTACK = "有人打架\x1b[0m流血\x14"


def parse(*chunks: str, filtered: bool) -> list[Message]:
    parser = XTermParser()
    paste_filter = PasteFilter()
    out: list[Message] = []
    for chunk in chunks:
        data = paste_filter.feed(chunk) if filtered else chunk
        if data:
            out.extend(parser.feed(data))
    out.extend(parser.tick())
    return out


def keys(found: list[Message]) -> list[str]:
    return [e.key for e in found if isinstance(e, events.Key)]


def pastes(found: list[Message]) -> list[str]:
    return [e.text for e in found if isinstance(e, events.Paste)]


def test_unfiltered_textual_turns_a_bracketed_escape_into_keys() -> None:
    """The hole, as Textual has it: keys come out of a bracketed paste (this is why the filter
    exists; if Textual fixes it, this test says the filter may go)."""
    found = parse(START + ATTACK + END, filtered=False)
    assert keys(found), found


def test_filtered_bracketed_paste_is_one_clean_paste() -> None:
    found = parse(START + ATTACK + END, filtered=True)
    assert keys(found) == []
    assert pastes(found) == ["有人打架流血"]


def test_a_paste_split_across_reads_is_still_clean() -> None:
    """Any cut but right after the opening ESC (a lone ESC must reach the app as the Esc key
    at once; terminals write the paste's start in one piece)."""
    whole = START + ATTACK + END
    for cut in range(2, len(whole)):
        found = parse(whole[:cut], whole[cut:], filtered=True)
        assert keys(found) == [] and pastes(found) == ["有人打架流血"], (cut, found)


def test_unbracketed_chunk_with_a_colour_code_is_a_paste() -> None:
    found = parse(ATTACK, filtered=True)
    assert keys(found) == [] and pastes(found) == ["有人打架流血"]


def test_keys_pass_untouched() -> None:
    """F2, arrows, ctrl+t typed alone, a lone Esc and plain text are still keys."""
    found = parse("\x1bOQ", "\x1b[A", "\x14", "ab", filtered=True)
    assert keys(found) == ["f2", "up", "ctrl+t", "a", "b"]
    assert PasteFilter().feed("\x1b") == "\x1b"       # a lone Esc is the Esc key


def test_strip_controls_keeps_the_words() -> None:
    assert strip_controls("a\tb\r\nc\x07d\x01e\x1b]0;title\x07f") == "a b cdef"


def test_esc_and_the_next_key_in_one_read_are_esc_and_that_key() -> None:
    """A burst's Esc arrives in the same read as the key after it. Textual alone reads
    ``ESC ^S`` as a typed ``^`` and ctrl+s (``^`` typed into the command bar), ``ESC Tab`` as
    shift+tab and ``ESC a`` as alt+a; the console's parser (``screens.paste.install``) gives Esc
    and then the key, and leaves escape sequences (arrows, F-keys, Esc Esc) as they were."""
    from textual.drivers import linux_driver

    from screens.paste import install

    def parsed(parser: XTermParser, data: str) -> list[str]:
        return keys(list(parser.feed(data)))

    assert parsed(XTermParser(), "\x1b\x13\r\x1bOS") == ["circumflex_accent", "ctrl+s", "enter", "f4"]
    assert parsed(XTermParser(), "\x1b\tz") == ["shift+tab", "z"]
    install()
    ours = linux_driver.XTermParser
    assert parsed(ours(), "\x1b\x13\r\x1bOS") == ["escape", "ctrl+s", "enter", "f4"]
    assert parsed(ours(), "\x1b\tz") == ["escape", "tab", "z"]
    assert parsed(ours(), "\x1baz") == ["escape", "a", "z"]
    assert parsed(ours(), "\x1b\rz") == ["escape", "enter", "z"]
    assert parsed(ours(), "\x1b人z") == ["escape", "人", "z"]
    assert parsed(ours(), "\x1b\x1b[Bz") == ["escape", "down", "z"]
    assert parsed(ours(), "\x1b[B\x1bOP") == ["down", "f1"]
