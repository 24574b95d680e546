"""The house rules of screens/ (issue 13), checked on the source: attributes down, messages up;
one screen per module; dialogs in screens/dialogs/; the store watched through its own methods."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from textual.screen import ModalScreen, Screen

import screens

ROOT = Path(screens.__file__).parent
SOURCES = sorted(p for p in ROOT.rglob("*.py") if "i18n" not in p.parts)

FORBIDDEN = {
    r"getattr\(self\.app\b": "read what the app passes down, or post a message",
    r"hasattr\(self\.app\b": "read what the app passes down, or post a message",
    r"type: ignore\[attr-defined\]": "a typed attribute or a message, not an untyped app call",
    r"\bboard\.answer\b": "only the board writes its answer line (BoardScreen.show_answer)",
    r"store\.conn\b|PRAGMA data_version": "Store.data_version() / Store.change_stamp()",
}


@pytest.mark.parametrize("pattern", list(FORBIDDEN))
def test_no_screen_reaches_into_the_app_another_screen_or_the_connection(pattern: str) -> None:
    found = [f"{p.relative_to(ROOT.parent)}:{n}" for p in SOURCES
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(pattern, line)]
    assert not found, f"{FORBIDDEN[pattern]}: {found}"


def _modules() -> list[str]:
    return [i.name for i in pkgutil.walk_packages(screens.__path__, "screens.")
            if not i.name.startswith(("screens.i18n", "screens.widgets"))]


def test_one_screen_per_module_and_dialogs_in_their_folder() -> None:
    for name in _modules():
        module = importlib.import_module(name)
        own = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Screen) and c.__module__ == name and name != "screens.base"]
        assert len(own) <= 1, (name, own)
        for cls in own:
            modal = issubclass(cls, ModalScreen)
            assert modal == name.startswith("screens.dialogs."), (name, cls)
