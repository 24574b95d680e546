"""Refusals the user can read.

Every refusal carries its text in both UI languages at the place it is raised, so a message
and its translation never drift apart, and a stable ``code`` for machines (``--json``).
The CLI maps every ``LinkageError`` to exit code 2 with nothing written: validation happens
before the write transaction opens, and a refusal inside one rolls it back. A database that
cannot be used (``StorageUnavailable``) exits 3.
"""

from __future__ import annotations

from typing import Any

from console.kernel.clean import multi_line, one_line


class LinkageError(Exception):
    """Base of every refusal; ``message(lang)`` renders it for a person."""

    exit_code = 2

    def __init__(self, code: str, *, zh: str, en: str, **params: Any) -> None:
        self.code = code
        self.texts = {"zh": zh, "en": en}
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        template = self.texts.get(lang) or self.texts["en"]
        # a refusal often quotes what was given (a pulled value, an argument): on one line,
        # without escape sequences (console/kernel/clean.py)
        params = {k: one_line(v) if isinstance(v, str) else v for k, v in self.params.items()}
        try:
            return multi_line(template.format(**params))
        except (KeyError, IndexError, ValueError):
            return multi_line(template)

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return {"code": self.code, "message": self.message(lang)}


class BadInput(LinkageError):
    """The user asked for something malformed or impossible; nothing was changed."""


class NotFound(BadInput):
    """A referenced incident, order, unit or category does not exist."""


class IllegalTransition(BadInput):
    """An order step that the lifecycle does not allow from the current state."""


class StorageUnavailable(LinkageError):
    """The database file cannot be used: disk full, read-only, locked too long, not a database,
    damaged. Exit code 3, so a script tells "the store is unwell" from "you typed it wrong"; as
    with every refusal, nothing was written (SQLite rolled the transaction back)."""

    exit_code = 3


class DataError(LinkageError):
    """A data file (``data/*.toml``, ``config.toml``) is missing or invalid.

    ``where`` names the file and the entry so an administrator can find the line to fix.
    """

    def __init__(self, where: str, *, zh: str, en: str, **params: Any) -> None:
        super().__init__(
            "data.invalid", zh=f"{where}: {zh}", en=f"{where}: {en}", **params
        )
        self.where = where
