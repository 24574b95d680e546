"""Operator sign-in: shown at start whenever an operator is enrolled, and nothing gets past it.

Login and PIN (masked); Enter moves to the next empty field, then signs in through the core
(``Services.sign_in``), which records ``operator.signed_in`` so every later event carries the
operator. A refusal (unknown login, disabled, wrong PIN, locked) is shown in place; only a wrong
PIN leaves a record (``operator.sign_in_failed``, for the lockout across seats and processes).
While this screen is up the app refuses every action but quit and help (``LinkageApp.locked``).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from console.kernel.errors import LinkageError
from console.seat.services import Services
from screens.base import ConsoleScreen
from screens.i18n import tr
from screens.widgets.ime_input import ImeInput


class SignInScreen(ConsoleScreen[str]):
    """Dismisses with the login once signed in."""

    def __init__(self, services: Services, lang: str) -> None:
        super().__init__(services, lang)
        self.login = ImeInput(placeholder=tr("signin.login", lang), id="signin-login")
        self.pin = ImeInput(placeholder=tr("signin.pin", lang), id="signin-pin", password=True,
                            max_length=8)
        self.error = Static(id="signin-error", markup=False)

    def compose(self) -> ComposeResult:
        cfg = self.services.config
        center = cfg.center.name_zh if self.lang == "zh" else cfg.center.name_en
        with Vertical(id="signin"):
            yield Static(Text(tr("signin.title", self.lang, center=center, seat=cfg.center.seat),
                              style="bold"), id="signin-title")
            yield self.login
            yield self.pin
            yield self.error
            yield Static(Text(tr("signin.hint", self.lang), style="dim"), id="signin-hint")

    def on_mount(self) -> None:
        self.call_after_refresh(self.login.focus)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        for field in (self.login, self.pin):
            if not field.value.strip():
                field.focus()
                return
        try:
            who = self.services.sign_in(self.login.value, self.pin.value)
        except LinkageError as exc:
            self.error.update(Text(exc.message(self.lang), style="bold red"))
            self.pin.value = ""
            (self.pin if exc.code == "operator.wrong_pin" else self.login).focus()
            return
        self.dismiss(who.login)
