"""The home screen: status line, incoming calls, live order board, incidents, command bar.

Order steps are keys on the selected order: ctrl-combos, which work while a Chinese IME is on.
They are priority bindings, so the command bar's Input cannot swallow ctrl+k/w/u/e/d as
editing keys; but an order key pressed while the command bar (or the waiting list) has focus
never acts on an order the call-taker is not looking at: it brings focus back to the board,
names the selected order and waits for the key again. Esc and F5 always bring focus home.
There are deliberately no single-letter aliases: letters typed in the instant before a form
has opened would land on the board and start an order step. Every step opens a small
dialog for the time the unit said. An order turning overdue rings the bell, raises a sticky
notification and a banner that stays until F9 acknowledges it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from console.kernel.clock import parse_instant
from console.kernel.errors import LinkageError
from console.kernel.model import Order, label
from console.orders.board import Board
from console.orders.deadlines import STAGE_LABELS, order_clock
from console.seat.services import Services
from console.store.checkpoint import WalCheckpoints
from console.sync.status import describe_error
from screens.base import ConsoleScreen
from screens.i18n import tr
from screens.messages import NewCall, SyncRequested
from screens.order_steps import OrderStepActions, step_bindings
from screens.widgets.board_view import BoardView
from screens.widgets.calls_panel import CallsPanel, plain
from screens.widgets.command_suggester import CommandSuggester
from screens.widgets.ime_input import ImeInput
from screens.widgets.lean_footer import LeanFooter

ALARM_TOAST_SECONDS = 20


STALE_EVERY_S = 60.0
#: Command-bar lines that open a screen instead of running a verb → the app action that opens it
#: (``dm 12 …`` with arguments is still the verb).
# a command-bar line that names a screen, typed alone, opens it (with arguments it runs the verb)
SCREEN_LINES = {"rollcall": "rollcall", "dm": "rollcall", "点名": "rollcall",
                "shift handover": "shift_handover", "jjb": "shift_handover", "交接班": "shift_handover",
                "assess": "assessment", "kh": "assessment", "考核": "assessment"}


def fit_status(parts: list[tuple[int, str]], width: int) -> str:
    """The status line's parts joined with `` · ``, dropping the lowest-priority parts first
    (then the later of equals) until the line fits ``width`` cells: seat, operator and sync
    state outlast the clock, the center's name goes first."""
    kept = list(parts)
    while len(kept) > 1 and cell_len(" · ".join(t for _, t in kept)) > width:
        lowest = min(p for p, _ in kept)
        drop = max(i for i, (p, _) in enumerate(kept) if p == lowest)
        del kept[drop]
    return " · ".join(t for _, t in kept)


class BoardScreen(OrderStepActions, ConsoleScreen[None]):
    BINDINGS = [
        # the Footer has room at 80 columns for the F-keys and three steps; F1 lists the rest
        *step_bindings("board", shown=("ack", "arrive", "complete"), priority=True),
        Binding("ctrl+n", "step('cancel')", "binding.step.cancel", id="board.cancel", show=False,
                priority=True),
        Binding("colon,slash", "command_bar", show=False),
        Binding("ctrl+w", "app.shift_handover", "binding.shift_handover", id="board.shift-handover",
                show=False, priority=True),
        Binding("ctrl+k", "app.rollcall", "binding.rollcall", id="board.rollcall", show=False,
                priority=True),
        Binding("ctrl+x", "app.assessment", "binding.assessment", id="board.assessment", show=False,
                priority=True),
        Binding("ctrl+b", "call_back", "binding.calls.callback", id="calls.callback", show=False,
                priority=True),
        Binding("escape", "home", "binding.board_home", id="board.home", show=False),
    ]

    #: The app runs a sync thread (set by the app: attributes down); ``sync`` nudges it.
    sync_on = False

    def __init__(self, services: Services, lang: str, *, tick_seconds: float = 1.0) -> None:
        super().__init__(services, lang)
        self.tick_seconds = tick_seconds
        cfg = services.config
        self.status = Static(id="status", markup=False)
        self.alarm_banner = Static(id="alarm", markup=False)
        self.calls = CallsPanel(services, lang, poll_seconds=tick_seconds)
        self.board_view = BoardView(self.words, lang, services.ctx.clock.now,
                                    timedelta(minutes=cfg.deadlines.due_soon_minutes), id="orders")
        self.incidents = OptionList(id="incidents")
        self.incidents.border_title = tr("board.waiting_focus", lang)
        self.answer = Static(id="answer", markup=False)
        self.command = ImeInput(placeholder=tr("command.placeholder", lang), id="command",
                                suggester=CommandSuggester(services))
        self._data_version = -1
        self._waiting = 0
        self._drill_on = False               # this seat's drill mode (console/calls/drills.py)
        self._drill_waiting = 0
        self._stale = 0                      # units whose roster filing is due (备案待补)
        self._stale_checked = -STALE_EVERY_S
        self._reports_key: tuple[object, ...] = ()
        self._reports_overdue = 0            # report-upward clocks overdue (报送超时)
        self._alarmed: set[str] = set()      # order ids already alarmed for their current stage
        self.unacknowledged: dict[str, str] = {}  # order id → banner text, until F9
        self._overdue = 0                    # real overdue orders, as last counted
        # change-driven refresh (``tick``): the second last painted, the next deadline on the
        # board still to pass (the alarm check's next run), what the status line and the
        # banner show now, and the sync indicator with the store stamp it was read at
        self._ticked: datetime | None = None
        self._next_due: datetime | None = None
        self._status_shown: tuple[str, bool] | None = None
        self._banner_shown: str | None = None
        self._sync_text: tuple[tuple[int, int, bool], str] | None = None
        #: WAL checkpoints on a schedule (console/store/checkpoint.py), run from the tick
        self.wal = WalCheckpoints(services.store)

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.calls
        yield self.alarm_banner
        yield self.board_view
        yield self.incidents
        with VerticalScroll(id="answer-box", can_focus=False) as box:
            self.answer_box = box
            yield self.answer
        yield self.command
        yield LeanFooter(compact=True)   # the board lives all shift: a Footer that does not leak

    def on_mount(self) -> None:
        self.alarm_banner.display = False
        self.reload()
        if self.tick_seconds:
            self.set_interval(self.tick_seconds, self.tick)
        self.call_after_refresh(self.board_view.focus)

    # -- data -------------------------------------------------------------------------------
    def _store_version(self) -> int:
        """Changes when another connection (CLI, sync) committed; our own writes reload anyway."""
        return self.services.store.data_version()

    def on_screen_resume(self) -> None:
        """Back on the board from any screen: what was written there shows at once."""
        if self.is_mounted:
            self.reload()

    def show_answer(self, answer: Text) -> None:
        """The answer line under the board: what the last command, call or dispatch did."""
        self.answer.update(answer)

    def reload(self) -> None:
        board = self.services.board()
        self._data_version = self._store_version()
        self.board_view.show(board, self.marks(board))
        incidents = board.waiting
        self._waiting = board.waiting_real
        self._drill_waiting = len(incidents) - board.waiting_real
        self._drill_on = self.services.drill_mode().on
        highlighted = self.incidents.highlighted
        self.incidents.clear_options()
        if incidents:
            self.incidents.add_options(
                [Option(Text(self.words.incident_line(i)), id=i.id) for i in incidents])
            self.incidents.highlighted = min(highlighted or 0, len(incidents) - 1)
        else:
            self.incidents.add_option(Option(Text(tr("board.no_incidents", self.lang)), disabled=True))
        self.check_alarms()

    def marks(self, board: Board) -> dict[str, str]:
        """督N for a supervised order (its level), else 催N for an urged one (how often)."""
        ids = [r.order.id for r in board.rows]
        marks = {oid: tr("board.mark.urged", self.lang, n=n) + " "
                 for oid, (n, _) in self.services.urge_counts(ids).items()}
        for oid, sup in self.services.supervisions(ids).items():
            marks[oid] = tr("board.mark.supervised", self.lang, n=sup.level) + " "
        return marks

    def tick(self) -> None:
        """The periodic timer (once a second). Change-driven: a commit elsewhere reloads the
        board; otherwise only what the passing second changes on screen is repainted (the
        countdowns drawn, the status line's clock), the alarm check runs only when a deadline
        has passed since it last ran, and a tick within the same second does nothing."""
        if not self.is_mounted:
            return
        self.wal.run(self.services.ctx.clock.now().timestamp())
        if self._store_version() != self._data_version:
            self.reload()
            return
        now = self.services.ctx.clock.now()
        second = now.replace(microsecond=0)
        if second == self._ticked:
            return
        self._ticked = second
        self.board_view.tick()
        if self._next_due is not None and now > self._next_due:
            self.check_alarms()
        else:
            self._status(self._overdue)

    def sync_indicator(self) -> str:
        """Online / offline since HH:MM with N queued / error with its reason: read from the
        store (the sync thread writes it), so it never waits on the network."""
        if not self.services.config.sync.server:  # a seat working alone: no queries each tick
            return tr("status.sync.off", self.lang)
        # what it says changes only with the store (the sync thread writes it) or the switch
        key = (*self.services.store.change_stamp(), self.sync_on)
        if self._sync_text is not None and self._sync_text[0] == key:
            return self._sync_text[1]
        text = self._sync_words()
        self._sync_text = (key, text)
        return text

    def _sync_words(self) -> str:
        status = self.services.sync_status()
        if not self.sync_on and status.state in ("never", "online"):
            text = tr("status.sync.no_token", self.lang)
        elif status.state == "offline":
            since = status.offline_since
            text = tr("status.sync.offline", self.lang,
                      since=self.words.time(parse_instant(since)) if since else "-")
        elif status.state == "error":
            text = tr("status.sync.error", self.lang, reason=describe_error(status.error_code, self.lang))
        else:
            text = tr(f"status.sync.{status.state}", self.lang)
        if status.queued:
            text += " " + tr("status.sync.queued", self.lang, n=status.queued)
        return text

    def stale_count(self) -> int:
        """Units whose duty-roster filing is old or has a gap (``linkage units --stale``).

        Filings change rarely and the check reads every shift of the next day, so it runs at
        most once a minute, not on every one-second tick.
        """
        now = time.monotonic()
        if now - self._stale_checked >= STALE_EVERY_S:
            self._stale_checked = now
            self._stale = len(self.services.stale_units())
        return self._stale

    def reports_overdue(self) -> int:
        """Report-upward clocks past their deadline (报送超时). Read only when the store or the
        minute changed: a clock turns overdue at a minute's resolution at worst."""
        key = (*self.services.store.change_stamp(),
               self.services.ctx.clock.now().replace(second=0, microsecond=0))
        if key != self._reports_key:
            self._reports_key = key
            try:
                self._reports_overdue = self.services.reports_overdue()
            except LinkageError:
                self._reports_overdue = 0  # bad data/ files are reported where they are used
        return self._reports_overdue

    def _status(self, overdue: int) -> None:
        """Fitted to the width (``fit_status``): the overdue count, seat, operator and sync
        state stay visible at 80 columns; the center's name, the date and the rarer counts go
        first. The counts are real ones: drill (演练) orders and incidents are counted apart, and a seat
        in drill mode says so before anything else."""
        cfg = self.services.config
        clock = self.services.ctx.clock.now()
        name = cfg.center.name_zh if self.lang == "zh" else cfg.center.name_en
        stale = self.stale_count()
        reports = self.reports_overdue()
        drill_orders = sum(1 for r in self.board_view.rows if r.order.drill)
        drills = drill_orders + self._drill_waiting
        # (priority, text): what is dropped first when the line does not fit is the lowest
        parts: list[tuple[int, str]] = [
            *([(10, tr("drill.mode", self.lang))] if self._drill_on else []),
            (10, f"{tr('status.overdue', self.lang)} {overdue}"),
            (7, f"{tr('status.open_orders', self.lang)} {len(self.board_view.rows) - drill_orders}"),
            (8, f"{tr('status.waiting', self.lang)} {self._waiting}"),
            *([(8, tr("drill.counts", self.lang, n=drills))] if drills else []),
            *([(5, tr("status.stale", self.lang, n=stale))] if stale else []),
            *([(7, tr("status.reports_overdue", self.lang, n=reports))] if reports else []),
            (4, self.words.time(clock, with_date=True)),
            (6, self.words.time(clock)),
            (9, f"{tr('status.seat', self.lang)} {cfg.center.seat}"),
            (9, f"{tr('status.operator', self.lang)} {self.services.ctx.operator}"),
            (9, self.sync_indicator()),
            (1, name),
        ]
        width = self.status.content_region.width or self.app.size.width - 2
        # the date-and-time part and the time-only part: show one, the full one when it fits
        full = fit_status([p for p in parts if p[0] != 6], width)
        if self.words.time(clock, with_date=True) in full:
            line = full
        else:
            line = fit_status([p for p in parts if p[0] != 4], width)
        shown = (line, bool(overdue))
        if shown != self._status_shown:   # one row high: a new text never needs a layout pass
            self._status_shown = shown
            self.status.update(Text(line, style="bold white on red" if overdue else "bold"), layout=False)

    # -- alarms -----------------------------------------------------------------------------
    def check_alarms(self) -> None:
        """Ring once per order and stage when it turns overdue; keep it until acknowledged.

        Orders that turn overdue together raise one bell and one notification, not one each:
        a board opened after an outage may hold hundreds.
        """
        now = self.services.ctx.clock.now()
        soon = timedelta(minutes=self.services.config.deadlines.due_soon_minutes)
        overdue = 0
        live: set[str] = set()
        fresh: list[str] = []
        next_due: datetime | None = None
        for row in self.board_view.rows:
            clock = order_clock(row.order, now, soon)
            if clock.state != "overdue" or clock.stage is None:
                if clock.due is not None and (next_due is None or clock.due < next_due):
                    next_due = clock.due      # the next deadline to pass: the next check
                continue
            overdue += not row.order.drill   # a drill alarms (it is training) but is no real count
            key = f"{row.order.id}:{clock.stage}"
            live.add(key)
            if key not in self._alarmed:
                self._alarmed.add(key)
                stage = label(STAGE_LABELS, clock.stage, self.lang)
                item = (f"{self.words.drill_mark(row.order.drill)}{row.order.no}"
                        f" {self.words.unit(row.order.unit)} {stage}")
                self.unacknowledged[key] = item
                fresh.append(tr("alarm.overdue", self.lang, no=row.order.no,
                                unit=self.words.unit(row.order.unit), stage=stage))
        if fresh:
            self.app.bell()
            text = fresh[0] if len(fresh) == 1 else tr("alarm.overdue_many", self.lang, n=len(fresh),
                                                       first=fresh[0])
            # the banner above the board stays until F9; the toast only draws the eye
            self.notify(text, severity="error", timeout=ALARM_TOAST_SECONDS, markup=False)
        # an alarm whose order moved on (or closed) is handled
        for key in list(self.unacknowledged):
            if key not in live:
                del self.unacknowledged[key]
        self._alarmed &= live | set(self.unacknowledged)
        self._next_due = next_due
        self._banner()
        self._overdue = overdue
        self._status(overdue)

    def on_resize(self) -> None:
        """The status line is fitted to the width: fit it again when the width changes."""
        if self.is_mounted:
            self.call_after_refresh(lambda: self._status(self._overdue))

    def _banner(self) -> None:
        if not self.unacknowledged:
            self.alarm_banner.display = False
            self._banner_shown = None
            return
        items = "；".join(list(self.unacknowledged.values())[:4])
        text = tr("alarm.banner", self.lang, n=len(self.unacknowledged), items=items)
        if text != self._banner_shown:
            self._banner_shown = text
            self.alarm_banner.update(Text(text, style="bold white on red"))
        self.alarm_banner.display = True

    def answer_ringing(self) -> None:
        """F6: answer the call that has rung longest and open the intake form with its number."""
        call = self.calls.answer_oldest()
        if call is None:
            self.answer.update(Text(tr("calls.nothing_ringing", self.lang)))
            return
        # the switch's caller name is prefilled; a withheld number reads 未显示号码 / number withheld;
        # a drill script's call makes a drill incident
        self.post_message(NewCall(phone=call.phone or tr("calls.withheld", self.lang),
                                  caller_name=call.caller_name, drill=call.drill, say=plain(call.say, 500)))

    def action_call_back(self) -> None:
        """ctrl+b: call back the missed call waiting longest; the intake form opens with its
        number (and the switch's name), and the missed call is recorded as called back."""
        call = self.calls.call_back()
        if call is None:
            self.answer.update(Text(tr("calls.nothing_missed", self.lang)))
            return
        if isinstance(call, str):
            self.answer.update(Text(tr("calls.withheld_missed", self.lang, no=call), style="bold yellow"))
            return
        no = self.calls.missed_no(call)
        self.answer.update(Text(tr("calls.calling_back", self.lang, phone=call.phone, no=no)))
        self.post_message(NewCall(phone=call.phone, caller_name=call.caller_name))

    def action_ack_alarm(self) -> None:
        self.unacknowledged.clear()
        self.app.clear_notifications()
        self._banner()

    # -- order steps ------------------------------------------------------------------------
    def focus_board(self) -> None:
        """Focus home: the order list, its selection as it was (and drawn)."""
        self.board_view.focus()

    def action_home(self) -> None:
        self.focus_board()

    def order_for_step(self) -> Order | None:
        order = self.board_view.selected
        if order is None:
            self.answer.update(Text(tr("board.no_selection", self.lang), style="bold red"))
            return None
        if self.focused is not self.board_view:
            # the call-taker was typing a command or looking at the waiting list: the key must
            # not act on an order they were not looking at
            self.focus_board()
            selected = tr("board.selected", self.lang, no=order.no, unit=self.words.unit(order.unit))
            self.answer.update(Text(tr("board.from_command_bar", self.lang, selected=selected),
                                    style="bold red"))
            return None
        return order

    def step_saved(self, title: str) -> None:
        self.reload()

    # -- selection and command bar ------------------------------------------------------------
    def selected_incident_ref(self) -> str | None:
        """The incident a dispatch key acts on: with the waiting list focused, the highlighted
        waiting incident (never the selected order's); otherwise the selected order's."""
        if self.focused is self.incidents:
            index = self.incidents.highlighted
            if index is None and self.incidents.option_count:
                index = 0
            option = self.incidents.get_option_at_index(index) if index is not None else None
            return option.id if option is not None and option.id else None
        order = self.board_view.selected
        return order.incident_id if order else None

    def focus_waiting(self, incident_id: str) -> None:
        """Focus the waiting list on ``incident_id`` when it is waiting there; else the board."""
        for index in range(self.incidents.option_count):
            if self.incidents.get_option_at_index(index).id == incident_id:
                self.incidents.highlighted = index
                self.incidents.focus()
                return
        self.focus_board()

    def on_board_view_selected(self, message: BoardView.Selected) -> None:
        if message.opened and message.order is not None:
            self.open_incident(message.order.incident_id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_incident(event.option.id)

    def action_command_bar(self) -> None:
        self.command.focus()

    def on_key(self, event: events.Key) -> None:
        """A letter typed on the board goes to the command bar: typing right after F4 (or
        without it) loses nothing while the bar is still taking focus. A space goes too once
        the bar holds the start of a command (``ack 2`` typed in one burst on the board)."""
        char = event.character
        if (event.is_printable and char and char not in ":/："
                and (char != " " or self.command.value)
                and not isinstance(self.focused, Input)):
            event.stop()
            event.prevent_default()
            self.command.focus()
            self.command.insert_text_at_cursor(char)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        if not line:
            return
        if self.sync_on and line.lstrip(":：/").strip().lower() == "sync":
            # the sync thread does it; the UI thread never waits on the network
            self.post_message(SyncRequested())
            self.command.value = ""
            self.answer.update(Text(tr("sync.nudged", self.lang)))
            return
        action = SCREEN_LINES.get(line.lstrip(":：/").strip().lower())
        if action is not None:
            self.command.value = ""
            await self.run_action(f"app.{action}")
            return
        try:
            # Through the package, not ``console.commands.grammar`` directly: the warm-up thread
            # may be importing the package (its verbs) right now, and only an import of the
            # package waits for that to finish; the grammar alone would answer "unknown command".
            from console.commands import grammar

            outcome = grammar.run(self.services, line, self.lang)
        except LinkageError as exc:
            self.answer.update(Text(exc.message(self.lang), style="bold red"))
            return
        self.command.value = ""
        # a long answer (``show``) scrolls in a box of 3 lines instead of squeezing the board;
        # the box takes a Tab stop only while it has more to show
        lines = outcome.lines[-200:]
        self.answer.update(Text("\n".join(lines)))
        self.answer_box.can_focus = len(lines) > 3
        self.answer_box.scroll_home(animate=False)
        self._stale_checked = -STALE_EVERY_S  # a command may have filed a roster: count again now
        self.reload()
