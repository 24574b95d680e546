"""A module imported on first use, for imports that only some commands need.

Why: ``Services`` offers every operation of the seat, so importing each domain at the top
made the console's start (whose first frame needs only the store, the catalog and the board
query) pay for accountability, activation, drills, grading, report rules and the rest. A
module named through ``lazy`` is imported the first time one of its attributes is read;
until then it is not in ``sys.modules`` at all (tests/test_start_path.py checks that).
Type checkers see the real module: write ``if TYPE_CHECKING: from x import y`` beside it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for a module until an attribute is read; then it is that module's."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{'' if self._module is None else ' (loaded)'}>"


def lazy(name: str) -> Any:
    """``name`` imported on first attribute access (see the module's docstring)."""
    return LazyModule(name)
