"""The intake form's draft: nothing typed is lost.

Every change is written to the ``intake`` draft slot (coalesced per event loop turn, so an IME
commit of several characters is one write), and again when the form is left. A form is known
by its ``form_id``: when the slot holds another unfinished form (a second call answered while
one was being typed), that one goes to a stash first, and F2 brings it back later. A call saved,
merged or transferred clears its draft. The intake screen (screens/intake.py) mixes this in.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.catalog.registry import Category
from console.kernel.model import Area
from console.seat.services import Services
from screens.i18n import tr
from screens.widgets.field_input import FieldInput

DRAFT_KEY = "intake"
STASH_KEY = "intake.stash"
STASH_LIMIT = 10
FIELDS = ("phone", "name", "address", "text", "category")


def has_content(form: dict[str, Any] | None) -> bool:
    """Whether a saved form holds anything a person typed (or a number an answered call gave)."""
    return form is not None and any(str(form.get(k, "")).strip() for k in FIELDS)


class IntakeDraft:
    """The draft half of the intake form; the screen holds the fields and state named here."""

    services: Services
    lang: str
    inputs: dict[str, FieldInput]
    form_id: str
    drill: bool
    area: Area
    area_chosen: bool
    accepted: str | None
    _accepted_label: str
    phone_given: str | None
    fresh: bool
    typed_ahead: Callable[[], bool]
    _draft_pending: bool
    _finished: bool

    if TYPE_CHECKING:  # provided by the intake screen
        def _say(self, message: str, *, error: bool = False) -> None: ...
        def _show_area(self) -> None: ...
        def _category_name(self, category: Category) -> str: ...
        def call_later(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> bool: ...

    def form(self) -> dict[str, Any]:
        body: dict[str, Any] = {name: self.inputs[name].value for name in FIELDS}
        body.update(form_id=self.form_id, area=self.area.value, accepted=self.accepted or "",
                    drill=self.drill, area_chosen=self.area_chosen)
        return body

    def _stash(self) -> list[dict[str, Any]]:
        stash = self.services.store.load_draft(STASH_KEY) or {}
        return [f for f in stash.get("forms", []) if isinstance(f, dict)]

    def _put_stash(self, forms: list[dict[str, Any]]) -> None:
        store = self.services.store
        if forms:
            store.save_draft(STASH_KEY, {"forms": forms[-STASH_LIMIT:]})
        else:
            store.clear_draft(STASH_KEY)

    def _open_draft(self) -> None:
        """Without a number: continue the unfinished form. With one: a new caller, so an
        unfinished form in the slot is stashed (F2 brings it back) and this one takes the slot."""
        try:
            if self.phone_given is not None or self.fresh or self.typed_ahead():
                if self._write_draft():
                    self._say(tr("intake.draft_stashed", self.lang))
                return
            draft = self.services.store.load_draft(DRAFT_KEY)
            stash = self._stash()
            if not has_content(draft) and stash:
                draft = stash[-1]
            if draft is None or not has_content(draft):
                return
            self._put_stash([f for f in stash if f.get("form_id") != draft.get("form_id")])
            self._apply(draft)
            self._write_draft()
            self._say(tr("intake.draft_restored", self.lang))
        except sqlite3.Error as exc:
            self._say(tr("intake.draft_failed", self.lang, reason=str(exc)), error=True)

    def _apply(self, draft: dict[str, Any]) -> None:
        self.form_id = str(draft.get("form_id") or self.form_id)
        self.drill = draft.get("drill") is True
        for name in FIELDS:
            value = str(draft.get(name, ""))
            self.inputs[name].value = value
            self.inputs[name].cursor_position = len(value)
        with contextlib.suppress(ValueError):
            self.area = Area(str(draft.get("area") or self.area.value))
        self.area_chosen = draft.get("area_chosen", True) is True   # older drafts: as saved
        self._show_area()
        code = str(draft.get("accepted") or "")
        category = self.services.catalog.categories.get(code)
        if category is not None and self.inputs["category"].value == self._category_name(category):
            self.accepted = code
            self._accepted_label = self._category_name(category)

    def _write_draft(self) -> bool:
        """Save this form to the slot; a different unfinished form found there is stashed first.
        Returns whether something was stashed."""
        store = self.services.store
        current = store.load_draft(DRAFT_KEY)
        stashed = False
        if current is not None and has_content(current) and current.get("form_id") != self.form_id:
            stash = [f for f in self._stash() if f.get("form_id") != current.get("form_id")]
            self._put_stash([*stash, current])
            stashed = True
        store.save_draft(DRAFT_KEY, self.form())
        return stashed

    def _schedule_draft(self) -> None:
        if not self._draft_pending:
            self._draft_pending = True
            self.call_later(self._flush_draft)

    def _flush_draft(self) -> None:
        self._draft_pending = False
        self.save_draft()

    def save_draft(self) -> None:
        """Write the form now, unless the call was already saved. Never raises: a failed draft
        write is shown, and the form on screen still holds everything."""
        if self._finished:
            return
        try:
            self._write_draft()
        except sqlite3.Error as exc:
            self._say(tr("intake.draft_failed", self.lang, reason=str(exc)), error=True)

    def _clear_draft(self) -> None:
        store = self.services.store
        try:
            current = store.load_draft(DRAFT_KEY)
            if current is None or current.get("form_id") in (self.form_id, None):
                store.clear_draft(DRAFT_KEY)
            stash = self._stash()
            if any(f.get("form_id") == self.form_id for f in stash):
                self._put_stash([f for f in stash if f.get("form_id") != self.form_id])
        except sqlite3.Error:
            pass  # the call itself is saved; a stale draft only comes back as a form to discard

