"""The Textual application and the one factory used by the CLI, the tests and the benches."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.message import Message

from console.seat.services import Services
from screens.board import BoardScreen
from screens.dialogs.confirm import ConfirmQuit
from screens.i18n import tr
from screens.key_gate import KeyGate
from screens.keys import localize, unknown_keymap_ids
from screens.lifeline import Lifeline
from screens.messages import GoHome, NewCall, OpenIncident, OpenPicker, SyncRequested
from screens.paste import clean_paste
from screens.paste import install as install_paste_filter

if TYPE_CHECKING:
    from screens.dialogs.picker import Picked

#: Toasts only draw the eye; what matters stays on screen (banner, panels). Never longer than this.
TOAST_SECONDS = 6.0
#: Loaded in the warm-up thread after the first frame (tests/test_start_path.py lists what the
#: first frame must do without).
WARM_MODULES = ("console.store.payloads", "console.commands", "console.calls.intake", "console.orders.dispatch",
                "screens.intake", "screens.dialogs.step", "screens.dialogs.help")
#: How often the console runs the scheduled jobs that are due (console/schedule/).
SCHEDULE_SECONDS = 30.0
#: A reminder's screen → the board key that opens it.
REMINDER_KEYS = {"rollcall": "ctrl+k"}
#: The smallest terminal the console is laid out for.
MIN_SIZE = (80, 24)


class SyncPassed(Message):
    """Posted from the sync thread after each pass (Message posting is thread-safe)."""

    def __init__(self, pulled: int) -> None:
        super().__init__()
        self.pulled = pulled


class LinkageApp(App[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f1,f12", "help", "binding.help", id="app.help"),
        Binding("f2", "new_call", "binding.new_call", id="board.new-incident"),
        Binding("f3", "roster", "binding.roster", id="app.roster"),
        Binding("f4", "command_bar", "binding.command", id="app.command-bar"),
        Binding("f5", "board", "binding.board", id="app.board"),
        Binding("f6", "answer", "binding.answer", id="calls.answer"),
        Binding("f8", "dispatch", "binding.dispatch", id="board.dispatch"),
        Binding("f9", "ack_alarm", "binding.ack_alarm", id="app.ack-alarm"),
        Binding("ctrl+z", "dismiss_toasts", "binding.dismiss_toasts", id="app.dismiss-toasts", show=False),
        Binding("ctrl+q", "request_quit", "binding.quit", id="app.quit", priority=True),
    ]

    def __init__(self, services: Services, lang: str = "zh", *, tick_seconds: float = 1.0,
                 read_only: bool = False) -> None:
        super().__init__()
        install_paste_filter()
        self.gate = KeyGate(self, super().on_event)
        self.services = services
        #: ``linkage --read-only``: a view beside the seat's console; no sync, no calls taken,
        #: and the store refuses every write with words (console/store/seatlock.py).
        self.read_only = read_only
        self.lifeline: Lifeline | None = None  # set by ``run_app``: a real terminal only
        self.toast_seconds = TOAST_SECONDS  # the longest a toast stays (snapshot tests raise it)
        self.lang = lang
        self.tick_seconds = tick_seconds
        self.title = tr("app.title", lang)
        localize(self, lang)
        self.board = BoardScreen(services, lang, tick_seconds=tick_seconds)
        self.sync_worker: Any = None
        if services.config.keymap:
            self.set_keymap(services.config.keymap)

    def get_default_screen(self) -> BoardScreen:
        """The board is the bottom of the stack, so the very first frame already shows it."""
        return self.board

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes go through the gate (screens/key_gate.py): in typing order, each to
        the field that has focus once the key before it is handled; a paste arrives cleaned."""
        if isinstance(event, events.Paste) and not event.is_forwarded:
            await self.gate.route(clean_paste(event))
        elif isinstance(event, events.Key) and not event.is_forwarded:
            await self.gate.route(event)
        else:
            await super().on_event(event)

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast is short-lived (``TOAST_SECONDS``); ctrl+z or F9 clears them at once,
        and none shows over a form being typed (app.tcss hides the rack on form screens)."""
        timeout = self.toast_seconds if timeout is None else min(timeout, self.toast_seconds)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_dismiss_toasts(self) -> None:
        self.clear_notifications()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.check_size)

    def check_size(self) -> None:
        """Below 80×24 the console says so instead of showing a board cut to nothing."""
        from screens.too_small import TooSmallScreen

        small = self.size.width < MIN_SIZE[0] or self.size.height < MIN_SIZE[1]
        showing = isinstance(self.screen, TooSmallScreen)
        if small and not showing:
            self.push_screen(TooSmallScreen(self.lang))
        elif not small and showing:
            self.pop_screen()

    def on_mount(self) -> None:
        self.call_after_refresh(self.check_size)
        if self.lifeline is not None:
            self.lifeline.arm()
        if self.read_only:
            self.notify(tr("app.read_only", self.lang), severity="warning", timeout=30, markup=False)
        unknown = unknown_keymap_ids(self.services.config.keymap)
        if unknown:
            self.notify(tr("keymap.unknown", self.lang, ids=", ".join(unknown)), severity="warning",
                        timeout=30, markup=False)
        self.run_worker(self._warm_triage, thread=True, exit_on_error=False, group="warm")
        self.start_sync()
        if not self.read_only and self.tick_seconds > 0:
            self.set_interval(SCHEDULE_SECONDS, self.run_schedule)
        if self.services.sign_in_required() and not self.read_only:
            self.require_sign_in()  # a read-only view records nobody, so it asks nobody

    def start_sync(self, transport: Any = None) -> None:
        """Sync runs on its own thread and connection: typing never waits on the network."""
        settings = self.services.sync_settings()
        if self.read_only or settings is None or not settings.token or self.sync_worker is not None:
            return
        from console.sync.worker import SyncWorker

        def passed(report: Any) -> None:
            self.post_message(SyncPassed(report.pulled))

        self.sync_worker = SyncWorker(self.services.store.path, settings, self.services.ctx.clock,
                                      on_pass=passed, transport=transport)
        self.sync_worker.start()
        self.board.sync_on = True

    def on_sync_passed(self, message: SyncPassed) -> None:
        if message.pulled and self.services.refresh_catalog():
            self.board.reload()
        self.board.check_alarms()  # repaints the status line, sync indicator included

    def run_schedule(self) -> None:
        """Run the scheduled jobs that are due (console/schedule/, console/seat/jobs.py) and
        say what they did: a reminder stays on the board's answer line (toasts are short),
        with the key that opens its screen (点名时间到 → ctrl+k opens the roll-call)."""
        from rich.text import Text

        from console.seat.jobs import Reminder

        try:
            ran = self.services.scheduler.tick()
        except Exception as exc:  # a timer's exception would end the app (pitfalls rule 3)
            self.notify(str(exc), severity="error", markup=False)
            return
        for r in ran:
            job = self.services.scheduler.jobs[r.key]
            if isinstance(r.result, Reminder):
                what = r.result.zh if self.lang == "zh" else r.result.en
                keys = REMINDER_KEYS.get(r.result.opens, "")
                text = tr("schedule.reminder", self.lang, what=what, keys=keys) if keys else what
                self.board.show_answer(Text(text, style="bold yellow"))
                self.notify(text, severity="warning", markup=False)
            elif isinstance(r.result, Exception):
                self.notify(tr("schedule.failed", self.lang, job=job.name_zh if self.lang == "zh" else job.name_en,
                               error=str(r.result)), severity="error", markup=False)
            elif isinstance(r.result, list) and r.result:
                self.notify(tr("schedule.written", self.lang, files=", ".join(str(p) for p in r.result)),
                            markup=False)

    def on_unmount(self) -> None:
        if self.sync_worker is not None:
            self.sync_worker.stop(timeout=1.0)

    def _warm_triage(self) -> None:
        """Build the triage index off the UI thread, so the first call taken doesn't wait; and
        load the command grammar (every verb) and the intake form, which the first frame does
        not need but the first typed command or call would otherwise wait for."""
        self.services.triage_engine  # noqa: B018
        for module in WARM_MODULES:
            importlib.import_module(module)

    def current_keys(self, binding: Binding) -> str:
        """The keys a binding answers to now, after ``[keymap]``."""
        return self._keymap.get(binding.id or "", binding.key) if binding.id else binding.key

    # -- navigation --------------------------------------------------------------------------
    def _screen(self, module: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """Screens other than the board load on first use, keeping start-up to the board.
        What a screen needs of the app is set on it here (attributes down)."""
        cls = getattr(importlib.import_module(module), name)
        screen = cls(self.services, self.lang, *args, **kwargs)
        screen.tick_seconds = self.tick_seconds
        return screen

    # -- what screens ask for (screens/messages.py) -------------------------------------------
    @on(GoHome)
    def _go_home(self, message: GoHome) -> None:
        self.back_to_board()
        if message.answer is not None:
            self.board.show_answer(message.answer)

    @on(OpenIncident)
    def _open_incident(self, message: OpenIncident) -> None:
        self.open_incident(message.incident_ref)

    @on(OpenPicker)
    def _open_picker(self, message: OpenPicker) -> None:
        self.open_picker(message.incident_ref)

    @on(NewCall)
    def _new_call(self, message: NewCall) -> None:
        self.action_new_call(phone=message.phone, caller_name=message.caller_name, drill=message.drill,
                             say=message.say)

    @on(SyncRequested)
    def _sync_requested(self, message: SyncRequested) -> None:
        if self.sync_worker is not None:
            self.sync_worker.nudge()

    def back_to_board(self) -> None:
        """F5 (and every form that finishes): the board, with the order list focused and the
        selection where it was."""
        while len(self.screen_stack) > 1 and not self.locked:
            self.pop_screen()
        self.board.reload()
        if self.screen is self.board:
            self.board.focus_board()

    def _already_on(self, name: str) -> bool:
        """Pressing a screen's key again while it is showing does not stack a second copy."""
        return type(self.screen).__name__ == name

    def action_help(self) -> None:
        from screens.dialogs.help import HelpScreen  # it lists every command: the whole grammar

        self.push_screen(HelpScreen(self.lang, self.current_keys))

    def action_board(self) -> None:
        self.back_to_board()

    def action_command_bar(self) -> None:
        self.back_to_board()
        self.board.command.focus()

    def action_new_call(self, phone: str | None = None, drill: bool = False,
                        caller_name: str = "", say: str = "") -> None:
        """``drill``: the call came from a drill script (演练), so its incident is a drill;
        ``caller_name``: the name the switch gave, prefilled; ``say``: a training caller's words,
        shown on the form.

        Keys typed ahead of the form (a burst) are a new call: the form opens blank and a saved
        draft goes to the stash (F2 brings it back), so the burst never mixes into it."""
        if self._refused_read_only():
            return
        fresh = phone is None and self.gate.typed_ahead()
        self.clear_notifications()
        intake = self._screen("screens.intake", "IntakeScreen", phone=phone, drill=drill,
                              caller_name=caller_name, **({"fresh": True} if fresh else {}))
        # a training call: what the simulated caller says goes to the form, in place of a toast
        intake.training_note = say
        intake.typed_ahead = self.gate.typed_ahead  # asked again as the form opens (screens/intake.py)
        self.push_screen(intake)

    def action_roster(self) -> None:
        if not self._already_on("RosterScreen"):
            self.push_screen(self._screen("screens.roster", "RosterScreen"))

    def action_rollcall(self) -> None:
        if not self._already_on("RollCallScreen"):
            self.push_screen(self._screen("screens.rollcall", "RollCallScreen"))

    def action_assessment(self) -> None:
        if not self._already_on("AssessmentScreen"):
            self.push_screen(self._screen("screens.assessment", "AssessmentScreen"))

    def action_answer(self) -> None:
        if not self._refused_read_only():
            self.clear_notifications()  # the ring toast's cause is handled: the call is answered
            self.board.answer_ringing()

    def _refused_read_only(self) -> bool:
        """A read-only view takes no calls: the seat's own console does."""
        if self.read_only:
            self.notify(tr("app.read_only_refused", self.lang), severity="warning", markup=False)
        return self.read_only

    def action_ack_alarm(self) -> None:
        self.board.action_ack_alarm()

    def action_dispatch(self) -> None:
        # a screen showing one incident (IncidentScreen) dispatches for that one, not the board's
        from screens.incident import IncidentScreen

        ref = self.screen.dispatch_incident_ref if isinstance(self.screen, IncidentScreen) else None
        if ref is None:
            ref = self.board.selected_incident_ref()
        if ref is None:
            self.notify(tr("board.no_incident", self.lang), severity="warning", markup=False)
            return
        self.open_picker(ref)

    def open_picker(self, incident_ref: str) -> None:
        def done(result: Picked | None) -> None:
            self.back_to_board()
            if result is not None and result.answer is not None:
                self.board.show_answer(result.answer)
            if (result is None or not result.orders) and self.screen is self.board:
                # Esc in the picker: the incident waits, highlighted in the focused waiting
                # list, so F8 brings the picker back for it
                self.board.focus_waiting(incident_ref)

        self.push_screen(self._screen("screens.dialogs.picker", "UnitPicker", incident_ref), done)

    def open_incident(self, incident_ref: str) -> None:
        self.push_screen(self._screen("screens.incident", "IncidentScreen", incident_ref))

    # -- operators (screens/signin.py, screens/shift_handover.py) ---------------------------------
    #: While the sign-in screen is up, only these app actions run (quit, help, moving focus).
    UNLOCKED_ACTIONS = frozenset({"request_quit", "help", "focus_next", "focus_previous", "quit",
                                  "help_quit"})
    locked = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.locked or action in self.UNLOCKED_ACTIONS

    def require_sign_in(self) -> None:
        def signed_in(_: str | None) -> None:
            self.locked = False
            self.board.reload()

        self.locked = True
        self.push_screen(self._screen("screens.signin", "SignInScreen"), signed_in)

    def action_shift_handover(self) -> None:
        if self._already_on("ShiftHandoverScreen"):
            return

        def done(handover: Any) -> None:
            self.board.reload()
            if handover is not None:
                self.notify(tr("shift.done", self.lang, giver=handover.from_operator,
                               receiver=handover.to_operator), markup=False)

        self.push_screen(self._screen("screens.shift_handover", "ShiftHandoverScreen"), done)

    def action_request_quit(self) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        self.push_screen(ConfirmQuit(self.lang), answer)


def run_app(services: Services, lang: str, *, read_only: bool = False,
            cleanup: Callable[[], None] = lambda: None) -> int:
    """Run the console in this terminal until it quits or the terminal goes away (the
    ``Lifeline``: hang-up, SIGHUP, SIGTERM). ``cleanup`` is what must end with the console
    (the demo simulator), in case the backstop has to cut the exit short."""
    app = LinkageApp(services, lang, read_only=read_only)
    app.lifeline = Lifeline(app, cleanup)
    app.lifeline.hold()
    try:
        app.run()
    finally:
        if app.sync_worker is not None:
            app.sync_worker.stop(timeout=1.0)
    return app.return_code or 0
