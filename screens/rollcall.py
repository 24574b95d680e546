"""Roll-call (点名, ctrl+k on the board, or ``rollcall`` / ``dm`` in the command bar).

Walks the Tier 1 units one by one: the unit to ring now is shown large with the duty person
and duty phone the roster names at this instant, the list below holds every Tier 1 unit with
its result in this round. One key records the call: enter = answered (已接听), ctrl+n = not
answered (未接听), ctrl+x = wrong person (非值班人员); f7 types a note for the unit first.
After each record the cursor moves on to the next unit not yet called; when every unit is
called the day's summary is shown. ctrl+r starts a new round (a second pass the same day).

All writes go through ``console.duty.rollcall.record`` (the same as ``linkage rollcall record``);
the duty person and phone recorded are those on the screen when the key was pressed. The list
takes focus away from nothing: the table is not focusable, so the screen's keys always reach
the screen (only the note box takes focus, while a note is typed).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Input, Static

from console.duty.rollcall import ROUND_PREFIX, Callee, RollList, day_report, record, result_text, roll_list
from console.kernel.errors import LinkageError
from console.seat.services import Services
from screens.base import ConsoleScreen
from screens.i18n import tr
from screens.roster import fit
from screens.widgets.ime_input import ImeInput

# column key → (zh width, en width) in terminal cells
COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("unit", 22, 24),
    ("phone", 13, 13),
    ("person", 10, 10),
    ("result", 12, 13),
    ("time", 8, 8),
)
#: Seconds between checks for another seat's calls or a shift change while the screen is open.
REFRESH_SECONDS = 5.0
_RESULT_STYLE = {"answered": "bold green", "no_answer": "bold red", "wrong_person": "bold yellow",
                 None: "dim"}


class RollCallScreen(ConsoleScreen[None]):
    AUTO_FOCUS = ""  # nothing focused: the result keys reach the screen, not the note box
    BINDINGS = [
        Binding("enter", "record('answered')", "binding.rollcall.answered", id="rollcall.answered"),
        Binding("ctrl+n", "record('no_answer')", "binding.rollcall.no_answer", id="rollcall.no-answer"),
        Binding("ctrl+x", "record('wrong_person')", "binding.rollcall.wrong_person",
                id="rollcall.wrong-person"),
        Binding("f7", "note", "binding.rollcall.note", id="rollcall.note"),
        Binding("ctrl+r", "new_round", "binding.rollcall.new_round", id="rollcall.new-round"),
        Binding("escape", "back", "binding.rollcall.back", id="rollcall.back"),
        Binding("down", "cursor(1)", show=False),
        Binding("up", "cursor(-1)", show=False),
        Binding("pagedown", "cursor(10)", show=False),
        Binding("pageup", "cursor(-10)", show=False),
    ]

    def __init__(self, services: Services, lang: str) -> None:
        super().__init__(services, lang)
        self.roll: RollList | None = None
        self.round_id: str | None = None     # None: today's current round (or the first)
        self._stamp: tuple[int, datetime] | None = None  # (data_version, minute) last shown
        self.fresh_round = False             # ctrl+r: the next record starts a new round
        self.cursor = 0
        self.note_unit: str | None = None    # the unit the note being typed belongs to
        self.title_line = Static(id="rollcall-title", markup=False)
        self.current = Static(id="rollcall-current", markup=False)
        self.note = ImeInput(placeholder=tr("rollcall.note.placeholder", lang), id="rollcall-note")
        self.message = Static(id="rollcall-message", markup=False)
        self.table: DataTable[Text] = DataTable(id="rollcall-table", cursor_type="row",
                                                zebra_stripes=True)
        self.table.can_focus = False

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.current
        yield self.note
        yield self.message
        yield self.table
        yield Footer()

    def on_mount(self) -> None:
        en = self.lang != "zh"
        for key, zh_w, en_w in COLUMNS:
            width = en_w if en else zh_w
            self.table.add_column(Text(fit(tr(f"rollcall.col.{key}", self.lang), width)), key=key,
                                  width=width)
        self.reload(first=True)
        if self.tick_seconds > 0:  # another seat's call, or a shift change, shows without leaving
            self.set_interval(max(self.tick_seconds, REFRESH_SECONDS), self._refresh_if_changed)

    def _store_version(self) -> int:
        return self.services.store.data_version()

    def _refresh_if_changed(self) -> None:
        """Reload when another connection wrote (sync, the CLI) or the minute turned (a shift
        may have changed hands); our own records reload anyway."""
        if not self.is_mounted or self.app.screen is not self:
            return
        stamp = (self._store_version(), self.services.ctx.clock.now().replace(second=0, microsecond=0))
        if stamp != self._stamp:
            self._stamp = stamp
            self.reload()

    def on_screen_resume(self) -> None:
        if self.roll is not None:
            self.reload()

    # -- data -------------------------------------------------------------------------------
    def reload(self, *, first: bool = False) -> None:
        """The list at this instant; the cursor goes to the first unit not yet called."""
        try:
            self._stamp = (self._store_version(),
                           self.services.ctx.clock.now().replace(second=0, microsecond=0))
            self.roll = roll_list(self.services, round_id=self.round_id)
        except (LinkageError, sqlite3.Error) as exc:  # a locked or broken store must not kill the app
            self._say(exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc), "bold red")
            return
        if self.round_id is None:
            self.round_id = self.roll.round_id
        if first:
            self.cursor = self.roll.next_uncalled() or 0
        self._fill()

    def _fill(self) -> None:
        assert self.roll is not None
        self.table.clear()
        for c in self.roll.callees:
            self.table.add_row(*self.row_cells(c), key=c.unit.code)
        self.call_after_refresh(self.table.move_cursor, row=self.cursor)  # textual#3544
        self._show()

    def row_cells(self, c: Callee) -> list[Text]:
        last = c.last
        name = c.unit.name_zh if self.lang == "zh" else c.unit.name_en
        result = result_text(c.result, self.lang)
        if len(c.attempts) > 1:
            result += f" ×{len(c.attempts)}"
        cells = {
            "unit": (name, ""),
            "phone": (c.duty_phone, "bold"),
            "person": (c.duty_person or "-", "" if c.duty_person else "dim"),
            "result": (result, _RESULT_STYLE.get(c.result, "")),
            "time": (self.words.time(last.at) if last else "", ""),
        }
        return [Text(fit(cells[k][0], self._width(k)), style=cells[k][1], no_wrap=True)
                for k, _, _ in COLUMNS]

    def _width(self, key: str) -> int:
        return next(en if self.lang != "zh" else zh for k, zh, en in COLUMNS if k == key)

    @property
    def selected(self) -> Callee | None:
        if self.roll is None or not self.roll.callees:
            return None
        return self.roll.callees[max(0, min(self.cursor, len(self.roll.callees) - 1))]

    def counts_text(self, counts: dict[str, int]) -> str:
        return tr("rollcall.counts", self.lang, **counts)

    def _show(self) -> None:
        roll = self.roll
        if roll is None:
            return
        round_text = (tr("rollcall.round.new", self.lang) if self.fresh_round
                      else (roll.round_id or "")[:ROUND_PREFIX] or tr("rollcall.round.none", self.lang))
        self.title_line.update(Text(tr(
            "rollcall.title", self.lang, at=self.words.time(roll.at, True), round=round_text,
            counts=self.counts_text(roll.counts())), style="bold"), layout=False)
        c = self.selected
        if c is None:
            self.current.update(Text(tr("rollcall.empty", self.lang), style="bold"))
            return
        lines = Text()
        lines.append(f"{c.unit.name_zh}  {c.unit.name_en}\n", style="bold")
        lines.append(tr("rollcall.current.phone", self.lang) + " ")
        lines.append(c.duty_phone, style="bold reverse")
        lines.append("    " + tr("rollcall.current.person", self.lang) + " ")
        lines.append(c.duty_person or tr("rollcall.current.no_person", self.lang),
                     style="bold" if c.duty_person else "dim")
        lines.append("\n")
        last = c.last
        if last is None:
            lines.append(tr("rollcall.current.uncalled", self.lang), style="dim")
        else:
            lines.append(tr("rollcall.current.result", self.lang, result=result_text(last.result, self.lang),
                            at=self.words.time(last.at), operator=last.operator, n=len(c.attempts)),
                         style=_RESULT_STYLE.get(last.result, ""))
        if roll.next_uncalled() is None and not self.fresh_round:
            lines.append("\n")
            lines.append(tr("rollcall.done", self.lang, counts=self.day_summary()), style="bold green")
        self.current.update(lines)
        if self.note_unit != c.unit.code and self.note.value:
            self.note.value = ""
            self.note_unit = None

    def day_summary(self) -> str:
        counts = day_report(self.services).counts()
        return tr("rollcall.summary", self.lang, **counts)

    def _say(self, text: str, style: str = "bold green") -> None:
        self.message.update(Text(text, style=style))

    # -- actions ----------------------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        if self.roll is None or not self.roll.callees:
            return
        if self.focused is self.note:
            self.set_focus(None)
        self.cursor = max(0, min(len(self.roll.callees) - 1, self.cursor + delta))
        self.table.move_cursor(row=self.cursor)
        self._show()

    def action_note(self) -> None:
        c = self.selected
        if c is None:
            return
        self.note_unit = c.unit.code
        self.note.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the note box: the note waits for the result key of this unit."""
        event.stop()
        self.set_focus(None)
        if self.note.value.strip():
            self._say(tr("rollcall.note.kept", self.lang), "bold")

    def action_record(self, result: str) -> None:
        c = self.selected
        if c is None or self.roll is None:
            return
        if self.focused is self.note and result == "answered":
            return  # the note box handles its own enter (Input.Submitted)
        note = self.note.value if self.note_unit == c.unit.code else ""
        try:
            attempt, rid = record(self.services, c.unit.code, result, note=note,
                                  round_id="new" if self.fresh_round else self.round_id, shown=c)
        except (LinkageError, sqlite3.Error) as exc:
            self._say(exc.message(self.lang) if isinstance(exc, LinkageError) else str(exc), "bold red")
            return
        self.fresh_round = False
        self.round_id = rid
        self.note.value = ""
        self.note_unit = None
        self.set_focus(None)
        index = self.cursor
        self._say(tr("rollcall.saved", self.lang, unit=self.words.unit(attempt.unit),
                     result=result_text(attempt.result, self.lang)))
        self.roll = roll_list(self.services, round_id=rid)
        nxt = self.roll.next_uncalled(index)
        self.cursor = index if nxt is None else nxt
        self._fill()

    def action_new_round(self) -> None:
        """Start a second pass: the next record opens a new round; the list starts empty."""
        self.fresh_round = True
        self.cursor = 0
        if self.roll is not None:
            self.roll = RollList(self.roll.at, self.roll.day, None,
                                 [Callee(c.unit, c.duty_person, c.duty_phone, c.source, c.on_duty)
                                  for c in self.roll.callees])
            self._fill()
        self._say(tr("rollcall.round.started", self.lang), "bold")

    def action_back(self) -> None:
        if self.focused is self.note:
            self.note.value = ""
            self.note_unit = None
            self.set_focus(None)
            return
        self.go_home()
