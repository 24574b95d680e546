"""Call intake (接警): one form, live triage as the account is typed, the caller's history and
possible repeats beside it, and one key for each way a call can end.

Keys are F7 and ctrl-combos (a Chinese IME swallows letters). The area is not a tab stop: it
has a default and ``ctrl+g`` cycles it, so a standard call costs no keystroke for it.

Nothing typed is lost: every change is written to the form's draft (screens/intake_draft.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from console.calls.intake import IntakeResult
from console.catalog.registry import EMERGENCY_ROUTES, Category
from console.catalog.triage import Plan, TriageResult
from console.kernel.errors import LinkageError
from console.kernel.inputs import infer_area
from console.kernel.model import AREA_LABELS, DISPOSITION_LABELS, Area, label, services_label
from console.seat.services import Services
from screens.base import ConsoleScreen
from screens.i18n import tr
from screens.intake_draft import FIELDS, IntakeDraft
from screens.messages import OpenPicker
from screens.widgets.caller_panel import DuplicateList, HistoryView
from screens.widgets.field_input import FieldInput
from screens.widgets.triage_panel import TriagePanel, verdict_style

#: Triage and the history/duplicate queries run this long after the last change (each < 1 ms,
#: but an IME commit arrives as a burst of keys and one refresh per burst is enough).
LIVE_DELAY = 0.15
AREAS = (Area.URBAN, Area.SUBURB, Area.RURAL)



class IntakeScreen(IntakeDraft, ConsoleScreen[None]):
    # Keys typed in a burst (SSH batching, a busy machine) must act in typing order. Textual
    # routes each key to the widget focused when it is read, but runs non-priority bindings
    # later, against the focus of that moment. So the keys that move focus between fields are
    # priority (typing right after Tab lands in the next field), while the action keys are
    # not (ctrl+s right after typing saves every character typed before it). The fields run
    # their own editing keys themselves (FieldInput), so a backspace never lands elsewhere.
    BINDINGS = [
        Binding("ctrl+y", "accept", "binding.intake.accept", id="intake.accept"),
        Binding("f7", "dispatch", "binding.intake.dispatch", id="intake.dispatch"),
        Binding("ctrl+s", "save", "binding.intake.save", id="intake.save"),
        Binding("ctrl+t", "transfer", "binding.intake.transfer", id="intake.transfer-110"),
        Binding("ctrl+b", "transfer_hotline", "binding.intake.transfer_12345", id="intake.transfer-12345"),
        Binding("ctrl+r", "merge", "binding.intake.merge", id="intake.merge"),
        Binding("ctrl+g", "cycle_area", "binding.intake.area", id="intake.area", show=False),
        Binding("ctrl+o", "answered", "binding.intake.answered", id="intake.answered", show=False),
        Binding("ctrl+up", "suggestion(-1)", "binding.intake.prev", id="intake.prev-suggestion", show=False),
        Binding("ctrl+down", "suggestion(1)", "binding.intake.next", id="intake.next-suggestion", show=False),
        Binding("escape", "back", "binding.intake.back", id="intake.back"),
        Binding("tab", "field(1)", "binding.intake.next_field", id="intake.next-field", show=False,
                priority=True),
        Binding("shift+tab", "field(-1)", "binding.intake.previous_field", id="intake.previous-field",
                show=False, priority=True),
        Binding("enter", "enter_field", "binding.intake.next_field", id="intake.enter-next-field",
                show=False, priority=True),
    ]

    def __init__(self, services: Services, lang: str, phone: str | None = None,
                 drill: bool = False, caller_name: str = "", fresh: bool = False) -> None:
        super().__init__(services, lang)
        self.fresh = fresh                     # keys were typed ahead: a new call, not the draft
        #: What a training script's caller says (set by the app before the form opens), shown
        #: on the form in place of a toast.
        self.training_note = ""
        # Asked again when the form opens (attribute down from the app's key gate): on a loaded
        # machine the rest of a burst can reach the app only after F2 was handled, and such keys
        # still make a new call rather than land in a restored draft.
        self.typed_ahead: Callable[[], bool] = lambda: False
        self.phone_given = phone.strip() if phone and phone.strip() else None
        self.drill = drill                     # a drill script's call (演练); the seat's mode adds to it
        self.area = Area(services.config.center.default_area)
        self.area_chosen = False               # ctrl+g pressed: else inferred from the place (村/乡/镇)
        self.form_id = uuid.uuid4().hex
        self.inputs: dict[str, FieldInput] = {
            name: FieldInput(value=(self.phone_given or "") if name == "phone"
                             else caller_name.strip()[:100] if name == "name" and self.phone_given else "",
                             placeholder=tr(f"intake.ph.{name}", lang), id=f"intake-{name}", compact=True)
            for name in FIELDS
        }
        self.area_view = Static(id="intake-area", markup=False)
        self.verdict_view = Static(id="intake-verdict", markup=False)
        self.sugg_head = Static(id="intake-sugg-head", markup=False)
        self.suggestions = TriagePanel(lang, lambda s: self._accept(s.category), id="intake-suggestions")
        self.dup_head = Static(id="intake-dup-head", markup=False)
        self.duplicates = DuplicateList(self.words, id="intake-duplicates")
        self.hist_head = Static(id="intake-hist-head", markup=False)
        self.history = HistoryView(self.words, id="intake-history")
        self.message = Static(id="intake-message", markup=False)
        self.text_full = Static(id="intake-text-full", markup=False)
        self.title_view = Static(id="intake-title", markup=False)
        self.result: TriageResult | None = None
        self.triage_error = ""
        self.accepted: str | None = None      # category code the dispatcher accepted
        self._accepted_label = ""              # what accepting wrote into the Type field
        self._live_timer: Timer | None = None
        self._draft_pending = False
        self._finished = False                 # saved, transferred or merged: no more drafts
        self._confirm_dispatch: str | None = None

    # -- layout ------------------------------------------------------------------------------
    def _label(self, key: str) -> Static:
        return Static(Text(tr(f"intake.label.{key}", self.lang)), classes="intake-label")

    def compose(self) -> ComposeResult:
        i = self.inputs
        with Vertical(id="intake-form"):
            yield self.title_view
            with Horizontal(classes="intake-row"):
                yield self._label("phone")
                yield i["phone"]
                yield self._label("name")
                yield i["name"]
            with Horizontal(classes="intake-row"):
                yield self._label("address")
                yield i["address"]
                yield self.area_view
            with Horizontal(classes="intake-row"):
                yield self._label("text")
                yield i["text"]
            yield self.text_full
            with Horizontal(classes="intake-row"):
                yield self._label("category")
                yield i["category"]
                yield self.verdict_view
            yield self.sugg_head
            yield self.suggestions
            with Horizontal(id="intake-lower"):
                with Vertical(id="intake-dup-box"):
                    yield self.dup_head
                    yield self.duplicates
                with Vertical(id="intake-hist-box"):
                    yield self.hist_head
                    yield self.history
            yield self.message
        yield Footer()

    def on_mount(self) -> None:
        if self.phone_given is None and any(isinstance(s, IntakeScreen) and s is not self and not s.finished
                                            for s in self.app.screen_stack):
            # F2 while a call form is already open: that form is the new call; don't open a
            # second copy of the same draft.
            self._finished = True
            self.call_after_refresh(self._leave_duplicate)
            return
        self._show_area()
        self.text_full.display = False
        self._open_draft()
        self._show_title()
        self._refresh_live()
        if self.training_note:  # a training call: what the simulated caller says, not a toast
            self.message.update(Text(tr("calls.say_title", self.lang) + "：" + self.training_note,
                                     style="bold magenta"))
        # ImeInput re-anchors the IME window after the first layout, so focusing now is safe,
        # and keys typed right after F2/F6 reach the field instead of nothing.
        (self.inputs["text"] if self.inputs["phone"].value.strip() else self.inputs["phone"]).focus()

    @property
    def finished(self) -> bool:
        """The call was saved, merged or transferred (or this form stood down): no more drafts."""
        return self._finished

    def _show_title(self) -> None:
        """A drill call (演练), or any call while the seat is in drill mode, says so at the top."""
        drill = self.drill or self.services.drill_mode().on
        self.title_view.update(Text(tr("drill.intake_title", self.lang), style="bold white on magenta")
                               if drill else Text(tr("intake.title", self.lang), style="bold"))

    def _leave_duplicate(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()

    def on_screen_suspend(self, event: events.ScreenSuspend) -> None:
        self.save_draft()

    def on_unmount(self) -> None:
        if self._live_timer is not None:
            self._live_timer.stop()
        self.save_draft()
        self._finished = True

    # -- live triage, history, duplicates ------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input not in self.inputs.values():
            return
        event.stop()
        self._confirm_dispatch = None
        if event.input is self.inputs["text"]:
            self._show_text_full()
        if event.input is self.inputs["category"] and event.value != self._accepted_label:
            self.accepted = None
        self._schedule_draft()
        if self._live_timer is not None:
            self._live_timer.stop()
        self._live_timer = self.set_timer(LIVE_DELAY, self._refresh_live)

    def _show_text_full(self) -> None:
        """A one-line field shows about 36 characters of the account; once it is longer, the
        whole account is shown wrapped under it, so nothing typed is out of sight."""
        field = self.inputs["text"]
        value = " ".join(field.value.split())
        room = max(10, field.content_size.width - 1)
        self.text_full.display = cell_len(value) > room
        if self.text_full.display:
            self.text_full.update(Text(value))

    def _ensure_fresh(self) -> None:
        """Actions see the form as typed, even within the debounce window."""
        if self._live_timer is not None:
            self._live_timer.stop()
            self._refresh_live()

    def _refresh_live(self) -> None:
        self._live_timer = None
        if self._finished or not self.is_attached:
            return
        self._infer_area()
        text = self.inputs["text"].value
        self.result, self.triage_error = None, ""
        if text.strip():
            try:
                self.result = self.services.triage(text)
            except LinkageError as exc:
                self.triage_error = exc.message(self.lang)
        self.suggestions.show(self.result, self.accepted)
        phone = self.inputs["phone"].value
        category = self.effective_category()
        self.duplicates.show(self.services.repeats(phone, self.inputs["address"].value,
                                                   category.code if category else ""))
        self.history.show(self.services.lookup_caller(phone))
        self._show_heads()

    def _show_heads(self) -> None:
        lang = self.lang
        if self.triage_error:
            head = Text(self.triage_error, style="bold red")
        elif not self.inputs["text"].value.strip():
            head = Text(tr("intake.suggestions.wait", lang), style="dim")
        elif self.result is None or not self.result.suggestions:
            head = Text(tr("intake.suggestions.none", lang), style="bold yellow")
        else:
            head = Text(tr("intake.suggestions", lang), style="bold")
        self.sugg_head.update(head)
        n = len(self.duplicates.incidents)
        self.dup_head.update(Text(tr("intake.duplicates", lang, n=n), style="bold yellow") if n
                             else Text(tr("intake.duplicates.none", lang), style="dim"))
        n = len(self.history.calls)
        self.hist_head.update(Text(tr("intake.history", lang, n=n), style="bold") if n
                              else Text(tr("intake.history.none", lang), style="dim"))
        self._show_verdict()

    def _category_name(self, category: Category) -> str:
        return category.name_zh if self.lang == "zh" else category.name_en

    def effective_category(self) -> Category | None:
        """What the call is, as things stand: accepted, else typed, else the highlighted suggestion."""
        catalog = self.services.catalog
        if self.accepted and self.accepted in catalog.categories:
            return catalog.categories[self.accepted]
        typed = self.inputs["category"].value.strip()
        if typed:
            found = catalog.find_categories(typed)
            return found[0] if found else None
        chosen = self.suggestions.chosen
        return chosen.category if chosen else None

    def _abstaining(self) -> bool:
        """Triage is not sure and the call-taker has not chosen: the verdict is theirs to make."""
        return (self.result is not None and self.result.abstain and not self.accepted
                and not self.inputs["category"].value.strip())

    def _show_verdict(self) -> None:
        if self._abstaining():
            self.verdict_view.update(Text(tr("intake.verdict.abstain", self.lang), style="bold yellow",
                                          no_wrap=True, overflow="crop"))
            return
        category = self.effective_category()
        if category is None:
            typed = self.inputs["category"].value.strip()
            self.verdict_view.update(Text(tr("intake.category.unknown", self.lang), style="bold red")
                                     if typed else Text(""))
            return
        name = self._category_name(category)
        plan = self.plan()
        if plan.several:
            self.verdict_view.update(Text(tr("intake.verdict.plan", self.lang, category=name,
                                             what=self.plan_words(plan)),
                                          style="bold red", no_wrap=True, overflow="crop"))
            return
        if category.transfer_to:
            verdict = tr("intake.verdict.transfer", self.lang, to=category.transfer_to)
        else:
            verdict = tr("intake.verdict.linkage", self.lang)
        if category.route in EMERGENCY_ROUTES:
            line = tr("intake.verdict.line_emergency", self.lang, category=name, verdict=verdict)
        else:
            line = tr("intake.verdict.line", self.lang, category=name, verdict=verdict,
                      lead=self.words.unit(category.lead_unit))
        self.verdict_view.update(Text(line, style=verdict_style(category.route), no_wrap=True,
                                      overflow="crop"))

    def plan(self) -> Plan:
        """Every service the call needs at once for the category as it stands (triage's
        ``together``): 110 + 120 for a fight with bleeding, 120 + the gas company."""
        category = self.effective_category()
        if category is None or self.result is None:
            return Plan()
        return self.result.plan(category)

    def plan_words(self, plan: Plan) -> str:
        """``转110+120`` / ``转120 + 县燃气公司``: what ctrl+t will do."""
        parts = [services_label(plan.services, self.lang)] if plan.services else []
        parts += [self.words.unit(u) for u in plan.units]
        return " + ".join(parts)

    def _show_area(self) -> None:
        self.area_view.update(Text(tr("intake.area", self.lang, area=label(AREA_LABELS, self.area, self.lang)),
                                   style="bold"))

    def _say(self, message: str, *, error: bool = False) -> None:
        self.message.update(Text(message, style="bold red" if error else "green"))

    # -- keys ----------------------------------------------------------------------------------
    def action_enter_field(self) -> None:
        """Enter in number, name or place moves on (like Tab); elsewhere it is the widget's."""
        if self.focused not in (self.inputs["phone"], self.inputs["name"], self.inputs["address"]):
            raise SkipAction()
        self.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the account or the type never submits the call by accident."""
        event.stop()
        self._say(tr("intake.enter_hint", self.lang))

    def action_field(self, delta: int) -> None:
        if delta > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def _infer_area(self) -> None:
        """Until ctrl+g chooses one, the area follows the place: rural for 村/乡/镇."""
        if not self.area_chosen:
            self.area = infer_area(self.inputs["address"].value) or Area(
                self.services.config.center.default_area)
            self._show_area()

    def action_cycle_area(self) -> None:
        self.area_chosen = True
        self.area = AREAS[(AREAS.index(self.area) + 1) % len(AREAS)]
        self._show_area()
        self._schedule_draft()

    def action_suggestion(self, delta: int) -> None:
        self._ensure_fresh()
        self.suggestions.move(delta)
        self._show_verdict()

    def action_accept(self) -> None:
        self._ensure_fresh()
        chosen = self.suggestions.chosen
        if chosen is None:
            self._say(tr("intake.nothing_to_accept", self.lang), error=True)
            return
        self._accept(chosen.category)

    def _accept(self, category: Category) -> None:
        self.accepted = category.code
        self._accepted_label = self._category_name(category)
        self.inputs["category"].value = self._accepted_label
        self.inputs["category"].cursor_position = len(self._accepted_label)
        self.suggestions.show(self.result, self.accepted)
        self._show_verdict()
        self._schedule_draft()
        self._say(tr("intake.accepted", self.lang, category=self._accepted_label))

    def _category_arg(self) -> str | None:
        typed = self.inputs["category"].value.strip()
        if self.accepted and typed == self._accepted_label:
            return self.accepted
        return typed or None

    def _save_call(self, *, category: str | None, merge_into: str | None = None,
                   transfer: str | list[str] | None = None,
                   dispatch: list[str] | None = None) -> IntakeResult | None:
        """The one write of this screen. A refusal is shown in place and every field stays."""
        i = self.inputs
        try:
            result = self.services.new_call(
                phone=i["phone"].value, text=i["text"].value, address=i["address"].value,
                area=self.area.value if self.area_chosen else None, category=category,
                caller_name=i["name"].value,
                merge_into=merge_into, transfer=transfer, dispatch=dispatch, drill=self.drill,
                shown=self.result)
        except LinkageError as exc:
            reason = (tr("intake.need_category", self.lang) if exc.code == "intake.no_category"
                      else exc.message(self.lang))
            self._say(reason, error=True)
            return None
        self._finished = True
        if self._live_timer is not None:
            self._live_timer.stop()
        self._clear_draft()
        return result

    def _back_to_board(self, message: str, *, error: bool = False) -> None:
        self.go_home(Text(message, style="bold red" if error else "bold green"))

    def action_save(self) -> None:
        self._ensure_fresh()
        result = self._save_call(category=self._category_arg())
        if result is not None:
            self._back_to_board(tr("intake.saved", self.lang, no=result.incident.no,
                                   category=self.words.category(result.incident.category)))

    def action_dispatch(self) -> None:
        self._ensure_fresh()
        if self._abstaining():
            self._say(tr("intake.abstain_f7", self.lang), error=True)
            return
        if not self.accepted and not self.inputs["category"].value.strip() and self.suggestions.chosen:
            self._accept(self.suggestions.chosen.category)
        category = self.effective_category()
        if category is not None and category.route in EMERGENCY_ROUTES \
                and self._confirm_dispatch != category.code:
            verdict = tr("intake.verdict.transfer", self.lang, to=category.transfer_to or "")
            self._say(tr("intake.confirm_dispatch", self.lang, verdict=verdict), error=True)
            self._confirm_dispatch = category.code
            return
        result = self._save_call(category=self._category_arg())
        if result is not None:
            # the picker opens over this (finished) form; closing it returns to the board
            self.post_message(OpenPicker(result.incident.id))

    def action_transfer(self) -> None:
        """ctrl+t: to 110, 119 or 120, whichever the call's category goes to; when the call
        needs several services (triage's plan: 110 + 120, 120 + the gas company) all of them,
        in the one transaction that saves the call."""
        self._ensure_fresh()
        category = self.effective_category()
        if category is None:
            self._say(tr("intake.need_category", self.lang), error=True)
            return
        plan = self.plan()
        if plan.services:
            result = self._save_call(category=self._category_arg() or category.code,
                                     transfer=list(plan.services), dispatch=list(plan.units))
            if result is not None:
                self._back_to_board(tr("intake.plan.done", self.lang, no=result.incident.no,
                                       what=self.plan_words(plan)))
            return
        if category.route not in EMERGENCY_ROUTES or not category.transfer_to:
            verdict = (tr("intake.verdict.transfer", self.lang, to=category.transfer_to)
                       if category.transfer_to else tr("intake.verdict.linkage", self.lang))
            self._say(tr("intake.not_emergency", self.lang, verdict=verdict), error=True)
            return
        self._transfer(category.transfer_to, category.code)

    def _hotline_category(self) -> str | None:
        """A call handed to 12345 or answered needs a category; the consultation one fits
        when the account matched nothing."""
        category = self.effective_category()
        if category is not None:
            return category.code
        typed = self.inputs["category"].value.strip()
        if typed:
            return typed  # unknown: the core says so in words
        for cat in self.services.catalog.categories.values():
            if cat.route == "hotline":
                return cat.code
        return None

    def action_transfer_hotline(self) -> None:
        self._ensure_fresh()
        self._transfer("12345", self._hotline_category())

    def action_answered(self) -> None:
        self._ensure_fresh()
        self._transfer("answered", self._hotline_category())

    def _transfer(self, target: str, category: str | None) -> None:
        """The call and its transfer are one transaction: a refusal leaves nothing saved."""
        result = self._save_call(category=category, transfer=target)
        if result is None:
            return
        disposition = label(DISPOSITION_LABELS, result.incident.disposition, self.lang)
        self._back_to_board(tr("intake.transferred", self.lang, no=result.incident.no, disposition=disposition))

    def action_merge(self) -> None:
        self._ensure_fresh()
        target = self.duplicates.chosen
        if target is None:
            self._say(tr("intake.no_duplicate", self.lang), error=True)
            return
        result = self._save_call(category=None, merge_into=target.id)
        if result is not None:
            self._back_to_board(tr("intake.merged", self.lang, no=result.incident.no))

    def action_back(self) -> None:
        self.save_draft()
        self.go_home()
