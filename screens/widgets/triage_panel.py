"""The live triage suggestions of the intake form: rank, category, verdict, matched words, lead.

The highlighted row is the suggestion ``ctrl+y`` accepts; ``ctrl+up/down`` move it from any
field of the form, and while the list itself has focus a digit or Enter accepts a row (at
once, through a callback rather than a message, so a key typed right after still sees it). The
accepted category is marked ``*``. Rows are plain ``Text`` in fixed cell widths (CJK-aware),
with no ambiguous-width symbols, so columns line up in any terminal.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import set_cell_size
from rich.text import Text
from textual import events
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from console.catalog.registry import EMERGENCY_ROUTES
from console.catalog.triage import Suggestion, TriageResult
from screens.i18n import tr

NAME_CELLS = 18
VERDICT_CELLS = 9
MATCHED_CELLS = 20


def verdict_text(suggestion: Suggestion, lang: str) -> str:
    """``联动`` for linkage work, ``转110`` and the like for a transfer."""
    if suggestion.transfer_to:
        return tr("intake.verdict.transfer", lang, to=suggestion.transfer_to)
    return tr("intake.verdict.linkage", lang)


def verdict_style(route: str) -> str:
    if route in EMERGENCY_ROUTES:
        return "bold red"
    return "yellow" if route == "hotline" else "green"


class TriagePanel(OptionList):
    """Suggestions for the account typed so far; highlight = the one ctrl+y accepts."""

    def __init__(self, lang: str, on_accept: Callable[[Suggestion], None], *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self.lang = lang
        self.on_accept = on_accept
        self.suggestions: tuple[Suggestion, ...] = ()

    @property
    def chosen(self) -> Suggestion | None:
        if not self.suggestions:
            return None
        index = self.highlighted if self.highlighted is not None else 0
        return self.suggestions[min(index, len(self.suggestions) - 1)]

    def show(self, result: TriageResult | None, accepted: str | None) -> None:
        """Replace the rows, keeping the highlight on the same category when it is still there."""
        keep = self.chosen.category.code if self.chosen else None
        self.suggestions = result.suggestions if result else ()
        self.set_options([Option(self._row(i, s, s.category.code == accepted), id=s.category.code)
                          for i, s in enumerate(self.suggestions)])
        if not self.suggestions:
            return
        codes = [s.category.code for s in self.suggestions]
        target = accepted if accepted in codes else keep if keep in codes else codes[0]
        self.highlighted = codes.index(target)

    def move(self, delta: int) -> None:
        if self.suggestions:
            index = self.highlighted if self.highlighted is not None else 0
            self.highlighted = max(0, min(len(self.suggestions) - 1, index + delta))

    def _row(self, index: int, s: Suggestion, accepted: bool) -> Text:
        zh = self.lang == "zh"
        name = s.category.name_zh if zh else s.category.name_en
        lead = s.units[0] if s.units else None
        sep = "、" if zh else ", "
        row = Text(no_wrap=True, overflow="crop")
        row.append(f"{'*' if accepted else ' '}{index + 1} ", style="bold" if accepted else "")
        row.append(set_cell_size(name, NAME_CELLS) + " ", style="bold" if accepted else "")
        row.append(set_cell_size(verdict_text(s, self.lang), VERDICT_CELLS),
                   style=verdict_style(s.verdict))
        if s.matched:
            row.append(set_cell_size(sep.join(s.matched), MATCHED_CELLS) + " ", style="cyan")
        elif s.closest:  # the model's reading: the training phrase the account is most like
            row.append(set_cell_size(tr("intake.like", self.lang, phrase=s.closest), MATCHED_CELLS) + " ",
                       style="dim cyan")
        else:  # no word matched: the category only resembles the account, a guess to check
            row.append(set_cell_size(tr("intake.resembles", self.lang), MATCHED_CELLS) + " ", style="dim")
        if lead is not None:
            row.append(lead.name_zh if zh else lead.name_en)
        return row

    def on_key(self, event: events.Key) -> None:
        """A digit accepts that row (only while the list has focus, so typing is unaffected)."""
        if event.character and event.character.isdigit() and event.character != "0":
            index = int(event.character) - 1
            if index < len(self.suggestions):
                event.stop()
                event.prevent_default()
                self.highlighted = index
                self.on_accept(self.suggestions[index])

    def action_select(self) -> None:
        """Enter on the list accepts the highlighted row."""
        if self.chosen is not None:
            self.on_accept(self.chosen)
