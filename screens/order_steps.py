"""The order-step keys of a screen that shows orders (the board, an incident) and the actions
behind them: each step, reassignment, handover, urge, supervise and return review opens the
step dialog (screens/dialogs/step.py) for the selected order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from console.kernel.errors import LinkageError
from console.kernel.model import Order
from console.seat.services import Services
from console.words import Words
from screens.i18n import tr

if TYPE_CHECKING:
    from screens.dialogs.step import StepRequest


def _level(text: str) -> str:
    """``level 2`` typed in an English dialog reads as 2; the core reads 一级督办 and digits."""
    text = text.strip()
    return text.lower().removeprefix("level").strip() or "1"


# verb → (key, label key); the same keys wherever an order is selected (board, incident detail)
STEPS = (
    ("ack", "ctrl+s", "binding.step.ack"),
    ("depart", "ctrl+g", "binding.step.depart"),
    ("arrive", "ctrl+o", "binding.step.arrive"),
    ("feedback", "ctrl+f", "binding.step.feedback"),
    ("complete", "ctrl+l", "binding.step.complete"),
    ("return", "ctrl+r", "binding.step.return"),
)


def step_bindings(prefix: str, shown: tuple[str, ...], *, priority: bool = False) -> list[Binding]:
    """The order-step bindings of a screen, ids ``<prefix>.<verb>``; ``shown`` go in the Footer.
    ``priority``: the keys win over a focused Input's editing keys (ctrl+u/e/d/k/w)."""
    p = priority
    return [
        *(Binding(key, f"step('{verb}')", desc, id=f"{prefix}.{verb}", show=verb in shown, priority=p)
          for verb, key, desc in STEPS),
        Binding("ctrl+t", "reassign", "binding.reassign", id=f"{prefix}.reassign", show=False, priority=p),
        Binding("ctrl+y", "handover", "binding.handover", id=f"{prefix}.handover", show=False, priority=p),
        Binding("ctrl+u", "urge", "binding.urge", id=f"{prefix}.urge", show="urge" in shown, priority=p),
        Binding("ctrl+e", "supervise", "binding.supervise", id=f"{prefix}.supervise",
                show="supervise" in shown, priority=p),
        Binding("ctrl+d", "review_return", "binding.review_return", id=f"{prefix}.review-return",
                show=False, priority=p),
    ]


class OrderStepActions:
    """Step, reassign and hand over the selected order through ``StepDialog``.

    A screen mixing this in provides ``services``, ``lang``, ``words``, ``app``, the selected
    order (``order_for_step``, which says why when there is none) and what to do once a step
    is saved (``step_saved``).
    """

    services: Services
    lang: str
    words: Words
    app: Any

    def order_for_step(self) -> Order | None:
        raise NotImplementedError

    def step_saved(self, title: str) -> None:
        raise NotImplementedError

    def _open_step(self, order: Order, verb_label: str, perform: Callable[[StepRequest], object], *,
                   reason: bool = False, unit: bool = False, fields: tuple[str, ...] | None = None,
                   values: dict[str, str] | None = None, detail: str = "") -> None:
        title = tr("step.title", self.lang, no=order.no, unit=self.words.unit(order.unit), step=verb_label)

        def done(saved: bool | None) -> None:
            if saved:
                self.step_saved(title)

        wants_unit = unit or "unit" in (fields or ())
        from screens.dialogs.step import StepDialog  # loaded with the first step, not at start

        self.app.push_screen(StepDialog(self.lang, title, perform, needs_reason=reason, needs_unit=unit,
                                        fields=fields, values=values, detail=detail,
                                        find_units=self.unit_rows if wants_unit else None), done)

    def unit_rows(self, query: str) -> list[tuple[str, str]]:
        """The units a typed name, pinyin, initials or everyday short name (住建, zjj, labour)
        finds, best first, each marked when it is a Tier 2/3 unit off duty now."""
        try:
            units = self.services.catalog.find_units(query)[:5]
        except LinkageError:
            return []
        rows = []
        for u in units:
            mark = "" if u.tier == 1 or self.services.on_duty(u) else " " + tr("picker.state.off_duty", self.lang)
            rows.append((u.code, f"{u.code}  {self.words.unit(u.code)}{mark}"))
        return rows

    def action_step(self, verb: str) -> None:
        order = self.order_for_step()
        if order is None:
            return
        label_key = next((d for v, _, d in STEPS if v == verb), "binding.step.cancel")
        self._open_step(order, tr(label_key, self.lang),
                        lambda r: self.services.step(order.no, verb, r.at, r.note, r.reason),
                        reason=verb == "return")

    def action_reassign(self) -> None:
        order = self.order_for_step()
        if order is not None:
            self._open_step(order, tr("binding.reassign", self.lang),
                            lambda r: self.services.reassign(order.no, r.unit, r.at, r.note), unit=True)

    def action_handover(self) -> None:
        order = self.order_for_step()
        if order is not None:
            self._open_step(order, tr("binding.handover", self.lang),
                            lambda r: self.services.handover(order.no, r.unit, r.at, r.get("handling")),
                            fields=("unit", "handling", "at"))

    def action_urge(self) -> None:
        """催办: the dialog opens on the unit's duty phone and person from the roster now, so
        chasing an overdue order is Ctrl+U and Enter."""
        order = self.order_for_step()
        if order is None:
            return
        unit = self.services.catalog.units.get(order.unit)
        to = ""
        if unit is not None:
            duty = self.services.duty(unit)
            phone = duty.shift.phone if duty.shift and duty.shift.phone else unit.duty_phone
            person = duty.shift.person if duty.shift else ""
            to = " ".join(x for x in (person, phone) if x)
        count = len(self.services.urges(order.id))
        self._open_step(
            order, tr("binding.urge", self.lang),
            lambda r: self.services.urge(order.no, r.get("to"), r.get("how") or "phone", r.note, r.at),
            fields=("to", "how", "at", "note"), values={"to": to, "how": tr("urge.how.phone", self.lang)},
            detail=tr("urge.detail", self.lang, n=count))

    def action_supervise(self) -> None:
        """督办: level 1 (center director) is filled in; the deadline defaults to the profile's."""
        order = self.order_for_step()
        if order is None:
            return
        current = self.services.supervision(order.id)
        level = tr(f"supervise.level.{current.level if current else 1}", self.lang)
        detail = tr("supervise.levels", self.lang)
        if current is not None:
            from console.orders.accountability import supervise_text

            detail = supervise_text(self.words, current, self.services.ctx.clock.now()) + "\n" + detail
        self._open_step(
            order, tr("binding.supervise", self.lang),
            lambda r: self.services.supervise(order.no, _level(r.get("level")), r.get("why"),
                                              r.get("minutes") or None, r.at),
            fields=("level", "why", "minutes", "at"), values={"level": level},
            detail=detail)

    def action_review_return(self) -> None:
        """退单审核: accept (then Ctrl+T reassigns) or reject (the unit carries on); the unit's
        reason is shown above the form."""
        order = self.order_for_step()
        if order is None:
            return
        self._open_step(
            order, tr("binding.review_return", self.lang),
            lambda r: self.services.review_return(order.no, r.get("decision"), r.note, r.at),
            fields=("decision", "note", "at"),
            detail=tr("review.reason", self.lang, reason=order.return_reason or "-"))
