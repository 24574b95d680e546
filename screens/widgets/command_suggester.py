"""Completion for the command bar: the grammar's own ``complete`` (console/commands/grammar.py),
shown by Textual's Input as a dimmed tail that → accepts."""

from __future__ import annotations

from textual.suggester import Suggester

from console.seat.services import Services


class CommandSuggester(Suggester):
    def __init__(self, services: Services) -> None:
        # no cache: unit completions follow the catalog, and the grammar is cheap to ask
        super().__init__(use_cache=False, case_sensitive=True)
        self.services = services

    async def get_suggestion(self, value: str) -> str | None:
        # the package (every verb), waiting for the warm-up thread if it is importing it (board.py)
        from console.commands import grammar

        return grammar.complete(self.services, value)
