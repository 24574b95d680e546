"""File a report upward (信息报送, ctrl+x on the incident screen).

Shows the incident's report clocks, a kind field prefilled with the most urgent open kind, the
recipient and the way, and the written report drafted from the record (``Services.report_draft``)
in a ``TextArea`` for the dispatcher to edit. Ctrl+S files it; a refusal from the core (an
incident not at plan level, a final before closure, a second initial report) is shown in place
and everything typed stays. Esc cancels. Dismisses with ``True`` once filed.

The draft follows the kind while the text is untouched; once the dispatcher edits it, changing
the kind never throws the edits away. The TextArea is focused only after layout, so the IME
candidate window opens at the caret (textual_pitfalls §1.6).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Static, TextArea

from console.kernel.errors import LinkageError
from console.seat.services import Services
from console.tiered.report_deadlines import report_label
from console.tiered.reports import ReportTrack, parse_kind, via_label
from screens.base import ConsoleScreen
from screens.i18n import tr
from screens.widgets.ime_input import ImeInput
from screens.widgets.incident_view import upward_text


class UpwardReportScreen(ConsoleScreen[bool]):
    AUTO_FOCUS = ""  # focus after layout: the IME anchor (see on_mount)
    BINDINGS = [
        Binding("ctrl+s", "save", "binding.report.save", id="report.save", priority=True),
        Binding("escape", "cancel", "binding.close", id="report.cancel"),
    ]

    def __init__(self, services: Services, lang: str, incident_id: str, track: ReportTrack) -> None:
        super().__init__(services, lang)
        self.incident_id = incident_id
        self.track = track
        kind = track.next_kind()
        self.kind = kind
        last = track.reports[-1] if track.reports else None
        to = last.to if last is not None else tr("upward.default_to", lang)
        self.kind_field = ImeInput(self._kind_value(kind), placeholder=tr("upward.kind", lang),
                                   id="up-kind")
        self.to_field = ImeInput(to, placeholder=tr("upward.to", lang), id="up-to")
        self.via_field = ImeInput(self._via_value(kind), placeholder=tr("upward.via", lang),
                                  id="up-via")
        self.at_field = ImeInput("", placeholder=tr("upward.at", lang), id="up-at")
        self.drafted = self._draft(kind)
        self.body = TextArea(self.drafted, id="up-body", soft_wrap=True, tab_behavior="focus")
        self.error = Static(id="up-error", markup=False)
        self.saved = ""  # what was filed, for the incident screen to say

    def _kind_value(self, kind: str) -> str:
        return report_label(kind, "zh") if self.lang == "zh" else kind

    def _via_value(self, kind: str) -> str:
        via = "phone" if kind == "initial_phone" else "fax"
        return via_label(via, "zh") if self.lang == "zh" else via

    def _draft(self, kind: str) -> str:
        try:
            return self.services.report_draft(self.incident_id, kind, self.lang)[1]
        except LinkageError as exc:
            return exc.message(self.lang)

    def compose(self) -> ComposeResult:
        t = self.track
        with Vertical(id="upward"):
            yield Static(Text(tr("upward.title", self.lang, no=t.incident.no,
                                 grade=t.grade.label(self.lang)), style="bold"), id="up-title")
            yield Static(upward_text(self.lang, self.services.config.tz, t.grade, t), id="up-clocks")
            # a label before each field: once filled in, an input's placeholder no longer says
            # what it is
            for key, field in (("kind", self.kind_field), ("to", self.to_field),
                               ("via", self.via_field), ("at", self.at_field)):
                with Horizontal(classes="up-row"):
                    yield Static(Text(tr(f"upward.label.{key}", self.lang), style="bold"),
                                 classes="up-label")
                    yield field
            yield Static(Text(tr("upward.body", self.lang), style="dim"))
            yield self.body
            yield self.error
            yield Static(Text(tr("upward.hint", self.lang), style="dim"))
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self.kind_field.focus)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves on to the next field; ctrl+s files."""
        event.stop()
        self.focus_next()

    def on_input_changed(self, event: Input.Changed) -> None:
        """A new kind redrafts the text, unless the dispatcher has edited it."""
        if event.input is not self.kind_field:
            return
        try:
            kind = parse_kind(event.value)
        except LinkageError:
            return
        if kind == self.kind:
            return
        self.kind = kind
        self.via_field.value = self._via_value(kind)
        if self.body.text == self.drafted:
            self.drafted = self._draft(kind)
            self.body.load_text(self.drafted)

    def action_save(self) -> None:
        try:
            filed = self.services.file_report(self.incident_id, self.kind_field.value, self.to_field.value,
                                              self.via_field.value, self.body.text,
                                              self.at_field.value.strip() or None)
        except LinkageError as exc:
            self.error.update(Text(exc.message(self.lang), style="bold red"))
            return
        self.saved = tr("upward.saved", self.lang, kind=report_label(filed.kind, self.lang), to=filed.to)
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
