"""What the store already knows about a call being typed: the caller's earlier calls and the
live incidents it may repeat.

Both are read-only previews; nothing here writes. Caller text is shown as data (``Text``),
cropped to one line per entry so a long account cannot push the form off the screen.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.cells import set_cell_size
from rich.text import Text
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.catalog.repeats import Repeat
from console.kernel import clean
from console.kernel.model import INCIDENT_STATUS_LABELS, Call, Incident, label
from console.words import Words


def short_time(value: datetime, tz: ZoneInfo) -> str:
    """``11-28 13:40`` in the center's zone: enough to tell calls apart on one line."""
    return value.astimezone(tz).strftime("%m-%d %H:%M")


def one_line(text: str) -> str:
    """Caller text on a single line (newlines and tabs from a paste become spaces), cleaned the
    one way (console/kernel/clean.py), then with runs of spaces collapsed."""
    return " ".join(clean.one_line(text).split())


class DuplicateList(OptionList):
    """Live incidents the call may repeat; the highlighted one is what ctrl+r merges into."""

    def __init__(self, words: Words, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self.words = words
        self.incidents: list[Incident] = []
        self.reasons: dict[str, str] = {}     # incident id → why it is offered, in words

    @property
    def chosen(self) -> Incident | None:
        if not self.incidents:
            return None
        index = self.highlighted if self.highlighted is not None else 0
        return self.incidents[min(index, len(self.incidents) - 1)]

    def show(self, repeats: list[Repeat]) -> None:
        keep = self.chosen.id if self.chosen else None
        incidents = [r.incident for r in repeats]
        self.reasons = {r.incident.id: r.words(self.words.lang) for r in repeats}
        self.incidents = incidents
        self.set_options([Option(self._row(i), id=i.id) for i in incidents])
        if incidents:
            ids = [i.id for i in incidents]
            self.highlighted = ids.index(keep) if keep in ids else 0

    def _row(self, incident: Incident) -> Text:
        w = self.words
        status = label(INCIDENT_STATUS_LABELS, incident.status, w.lang)
        row = Text(no_wrap=True, overflow="crop")
        row.append(f"#{incident.no} ", style="bold")
        why = self.reasons.get(incident.id)
        if why:
            row.append(f"[{why}] ", style="bold yellow")
        row.append(f"{short_time(incident.created_at, w.tz)} ")
        row.append(set_cell_size(w.category(incident.category), 10) + " ", style="cyan")
        row.append(f"{status} ")
        row.append(one_line(incident.address or incident.text))
        return row


class HistoryView(Static):
    """The caller's earlier calls, newest first, each with its date and what was said."""

    def __init__(self, words: Words, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.words = words
        self.calls: list[Call] = []

    def show(self, calls: list[Call]) -> None:
        self.calls = calls
        text = Text(no_wrap=True, overflow="crop")
        for n, call in enumerate(calls):
            if n:
                text.append("\n")
            text.append(short_time(call.received_at, self.words.tz) + " ", style="bold")
            text.append(one_line(call.text))
            if call.address:
                text.append(f" @{one_line(call.address)}", style="dim")
        self.update(text)
