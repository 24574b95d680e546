"""The key map: every binding has an id, a translated description, an IME-safe key, and is
documented; the keymap in config.toml remaps by id; F1 lists every binding and command."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from console.commands.grammar import REGISTRY
from console.kernel.clock import FakeClock
from console.seat.services import open_services
from screens.app import LinkageApp
from screens.i18n import STRINGS
from screens.keys import all_bindings, keymap_markdown, unknown_keymap_ids

ROOT = Path(__file__).resolve().parent.parent
# Terminals take these (F10 menu, F11 full screen) or they are aliases of other keys
# (ctrl+h = backspace, ctrl+i = tab, ctrl+m = enter, ctrl+j = newline, ctrl+[ = escape).
FORBIDDEN = {"f10", "f11", "ctrl+h", "ctrl+i", "ctrl+m", "ctrl+j", "ctrl+left_square_bracket", "alt+enter"}
NAVIGATION = {"escape", "enter", "space", "tab", "up", "down", "left", "right", "pageup", "pagedown",
              "home", "end", "colon", "slash", "delete", "backspace"}


def test_every_binding_has_an_id_and_both_languages() -> None:
    bindings = all_bindings()
    assert len(bindings) >= 20
    for b in bindings:
        assert b.id, b
        assert b.description in STRINGS, f"{b.id}: description {b.description!r} is not an i18n key"
        zh, en = STRINGS[b.description]
        assert zh and en


def test_no_binding_uses_a_key_terminals_swallow_or_a_bare_letter() -> None:
    for b in all_bindings():
        for key in b.key.split(","):
            assert key not in FORBIDDEN, f"{b.id} uses {key}"
            if len(key) == 1:
                raise AssertionError(f"{b.id}: a single letter ({key}) is eaten by a Chinese IME")
            assert key.startswith(("f", "ctrl+", "shift+")) or key in NAVIGATION, f"{b.id}: {key}"


def test_docs_keys_md_is_generated_from_the_bindings() -> None:
    assert (ROOT / "docs" / "keys.md").read_text(encoding="utf-8") == keymap_markdown(), (
        "docs/keys.md is stale: run `python -m screens.keys > docs/keys.md`")


def test_unknown_keymap_ids_are_reported() -> None:
    assert unknown_keymap_ids({"app.roster": "f7", "board.no-such-thing": "f7"}) == ["board.no-such-thing"]


def test_keymap_in_config_remaps_a_binding_by_id(tmp_path: Path) -> None:
    """`[keymap] "app.roster" = "f7"` makes F7 open the roster."""
    services = open_services(tmp_path / "k.db", clock=FakeClock("2026-11-28T06:00:00Z"))
    services.ctx.config = replace(services.config, keymap={"app.roster": "f7"})

    async def scenario() -> None:
        app = LinkageApp(services, "zh", tick_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("f7")
            await pilot.pause()
            assert type(app.screen).__name__ == "RosterScreen"

    asyncio.run(scenario())
    services.close()


def test_help_lists_every_binding_and_command(tmp_path: Path) -> None:
    services = open_services(tmp_path / "h.db", clock=FakeClock("2026-11-28T06:00:00Z"))

    async def scenario() -> None:
        app = LinkageApp(services, "en", tick_seconds=0)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await pilot.press("f1")
            await pilot.pause()
            text = str(app.screen.query_one("#help").render())
            for b in all_bindings():
                assert b.id is not None and b.id in text
            for cmd in REGISTRY:
                assert cmd.name in text
            await pilot.press("escape")
            await pilot.pause()
            assert type(app.screen).__name__ == "BoardScreen"

    asyncio.run(scenario())
    services.close()
