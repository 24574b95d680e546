"""The board's Footer, without the memory it leaks in Textual 8.2.8.

Textual's ``Footer`` recomposes its keys whenever the bindings change (every screen pushed
over the board and popped, every focus move between widgets with other keys), and binds each
new ``FooterKey`` to its own ``compact`` reactive (``data_bind``). That binding is a watcher
kept in a list on the Footer, and Textual drops a dead key's watcher from the list only when
``compact`` changes, which on the console it never does. The board lives all shift, so each
recompose left its old keys alive: the soak bench (``bench/soak.py``) measured the bench
process growing by ~25 MB a simulated hour, 516 dead ``FooterKey`` widgets after 12 calls.
After each recompose this Footer drops the watchers of keys that are no longer mounted.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widgets import Footer

#: The attribute Textual keeps watchers in (textual/reactive.py ``_watch``: set by name).
_WATCHERS = "__watchers"


class LeanFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self.drop_dead_watchers()

    def drop_dead_watchers(self) -> int:
        """Forget the watchers of keys that were removed; returns how many were dropped."""
        watchers = getattr(self, _WATCHERS, None)
        if not isinstance(watchers, dict):
            return 0
        dropped = 0
        for name, entries in watchers.items():
            kept = [(node, callback) for node, callback in entries
                    if not isinstance(node, DOMNode) or node is self or node.is_attached]
            dropped += len(entries) - len(kept)
            watchers[name] = kept
        return dropped
