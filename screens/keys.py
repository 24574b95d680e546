"""The binding registry: every key binding of every screen and widget, found by walking
``screens``, so F1 and the keymap check can never miss one that a screen declares.

Binding ids follow ``<screen>.<action>`` (``board.new-incident``); ``config.toml [keymap]``
remaps them by id. Descriptions are i18n keys (``binding.*``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode


def all_bindings() -> list[Binding]:
    import screens

    seen: set[str] = set()
    found: list[Binding] = []
    for info in sorted(pkgutil.walk_packages(screens.__path__, "screens."), key=lambda i: i.name):
        if info.name.startswith("screens.i18n"):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, DOMNode) or cls.__module__ != module.__name__:
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding) and binding.id and binding.id not in seen:
                    seen.add(binding.id)
                    found.append(binding)
    return found


def unknown_keymap_ids(keymap: dict[str, str]) -> list[str]:
    """Ids in ``[keymap]`` that no binding has: a typo the administrator should hear about."""
    ids = {b.id for b in all_bindings()}
    return sorted(k for k in keymap if k not in ids)


def localize(node: DOMNode, lang: str) -> None:
    """Give a node's bindings their description in the UI language (the Footer shows them).

    Descriptions in the source are i18n keys (``binding.*``) so F1, the Footer and the docs
    share one catalog.
    """
    from dataclasses import replace

    from screens.i18n import STRINGS, tr

    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [replace(b, description=tr(b.description, lang)) if b.description in STRINGS else b
                      for b in bindings]
