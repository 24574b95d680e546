"""Operators (值班员): enrolment, PINs, sign-in, and who is signed in at each seat.

Every event already records ``operator`` (fed from ``ctx.operator``); this module makes that
name mean a person who proved themself. An operator is enrolled with a login, a display name
and a PIN of 4-8 digits. The PIN is never stored or sent: only a PBKDF2-HMAC-SHA256 hash
with the operator's own random salt travels in ``operator.enrolled`` / ``operator.pin_changed``,
and a PIN is checked with a constant-time comparison.

The ``operators`` table (migration 7) holds three last-writer-wins registers per login, each
stamped with the id of the event that set it: the name (``operator.enrolled``), the PIN hash
(``enrolled`` / ``pin_changed``) and whether the login is active (``enrolled`` re-enables,
``disabled`` disables). So seats converge whatever order the events reach them in.

Who is signed in at a seat is a register too (``seat_operators``): the latest of the seat's
``operator.signed_in``, ``operator.signed_out`` and ``shift.handed_over``. A session opened
without ``--operator`` acts as that person (``open_services``), so CLI commands after
``linkage operator signin`` carry the operator's login like the console does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.clock import iso, parse_instant
from console.context import Context
from console.errors import BadInput
from console.inputs import clean_text, normalize
from console.queries import Reader

#: PBKDF2 rounds for a new PIN hash; the count travels with the hash, so it can be raised later.
PIN_ITERATIONS = 200_000
SALT_BYTES = 16
_PIN = re.compile(r"[0-9]{4,8}")
_LOGIN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
MAX_NAME = 40
#: Wrong PINs in a row for one login before it is refused for ``LOCK_SECONDS`` (and again after
#: each further wrong PIN), so a PIN cannot be guessed at typing speed at an unattended seat.
MAX_WRONG = 5
LOCK_SECONDS = 60
_wrong: dict[str, tuple[int, datetime]] = {}   # "<db>:<login>" → (wrong PINs in a row, last at)
_DUMMY_SALT = bytes(SALT_BYTES)


@dataclass(frozen=True)
class Operator:
    login: str
    name: str
    active: bool
    enrolled_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """What ``--json`` shows of an operator: never the salt or the hash."""
        return {"login": self.login, "name": self.name, "active": self.active,
                "enrolled_at": iso(self.enrolled_at) if self.enrolled_at else None}


@dataclass(frozen=True)
class SeatSession:
    """Who is signed in at a seat (``login`` is '' after a sign-out) and since when."""

    seat: str
    login: str
    since: datetime
    event_id: str


# -- input ------------------------------------------------------------------------------------
def parse_login(raw: str | None) -> str:
    login = normalize(raw or "").lower()
    if not _LOGIN.fullmatch(login):
        raise BadInput("operator.login",
                       zh="登录名须为 1-32 个小写字母、数字或 . _ -，以字母或数字开头：{l}",
                       en="a login is 1-32 lower-case letters, digits or . _ -, starting with a"
                          " letter or digit: {l}", l=(raw or "")[:40])
    return login


def parse_pin(raw: str | None, what: str = "PIN") -> str:
    """A PIN as typed (full-width digits folded); never echoed back in a refusal."""
    pin = normalize(raw or "")
    if not _PIN.fullmatch(pin):
        raise BadInput("operator.pin_format", zh="{w} 须为 4 到 8 位数字",
                       en="{w} must be 4 to 8 digits", w=what)
    return pin


def hash_pin(pin: str, salt: bytes, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, iterations).hex()


def _new_secret(pin: str) -> dict[str, Any]:
    """The payload fields of a fresh PIN: a new random salt and its hash."""
    salt = secrets.token_bytes(SALT_BYTES)
    return {"salt": salt.hex(), "pin_hash": hash_pin(pin, salt, PIN_ITERATIONS),
            "iterations": PIN_ITERATIONS}


# -- reads ------------------------------------------------------------------------------------
def _operator(row: Any) -> Operator:
    at = row["enrolled_at"]
    return Operator(row["login"], row["name"], bool(row["active"]), parse_instant(at) if at else None)


def operators(db: Reader) -> list[Operator]:
    """Every enrolled login (disabled ones too), by login."""
    return [_operator(r) for r in db.all("SELECT * FROM operators WHERE name_event != ''"
                                         " ORDER BY login")]


def find(db: Reader, login: str) -> Operator | None:
    row = db.one("SELECT * FROM operators WHERE login = ? AND name_event != ''", (login,))
    return _operator(row) if row is not None else None


def active_count(db: Reader) -> int:
    """How many operators may sign in: with none, the console needs no sign-in."""
    row = db.one("SELECT count(*) FROM operators WHERE active = 1 AND name_event != ''")
    return int(row[0]) if row else 0


def seat_session(db: Reader, seat: str) -> SeatSession | None:
    row = db.one("SELECT * FROM seat_operators WHERE seat = ?", (seat,))
    if row is None:
        return None
    return SeatSession(row["seat"], row["login"], parse_instant(row["since"]), row["event_id"])


def signed_in(db: Reader, seat: str) -> str | None:
    """The active operator signed in at ``seat``, or None."""
    session = seat_session(db, seat)
    if session is None or not session.login:
        return None
    found = find(db, session.login)
    return found.login if found is not None and found.active else None


def verify(db: Reader, login_raw: str | None, pin_raw: str | None) -> Operator:
    """The operator whose login and PIN these are; refused when unknown, disabled or wrong."""
    login = parse_login(login_raw)
    row = db.one("SELECT * FROM operators WHERE login = ? AND name_event != ''", (login,))
    if row is None:
        # as slow as a wrong PIN, so timing does not tell which logins exist
        hash_pin("0000", _DUMMY_SALT, PIN_ITERATIONS)
        raise BadInput("operator.unknown", zh="没有登录名为 {l} 的值班员", en="no operator {l}",
                       l=login)
    if not row["active"]:
        raise BadInput("operator.disabled", zh="值班员 {l} 已停用", en="operator {l} is disabled",
                       l=login)
    pin = normalize(pin_raw or "")
    digest = hash_pin(pin, bytes.fromhex(row["salt"]), int(row["iterations"])) if pin.isascii() else ""
    if not pin or not hmac.compare_digest(digest, row["pin_hash"]):
        raise BadInput("operator.wrong_pin", zh="PIN 不正确", en="wrong PIN")
    return _operator(row)


def checked(ctx: Context, login_raw: str | None, pin_raw: str | None, db: Reader | None = None
            ) -> Operator:
    """``verify`` with a back-off: after ``MAX_WRONG`` wrong PINs in a row the login is refused
    for ``LOCK_SECONDS`` (on the seat's clock) without even trying the PIN."""
    login = parse_login(login_raw)
    key = f"{ctx.store.path}:{login}"
    now = ctx.clock.now()
    count, last = _wrong.get(key, (0, now))
    waited = (now - last).total_seconds()
    if count >= MAX_WRONG and waited < LOCK_SECONDS:
        raise BadInput("operator.locked", zh="PIN 已连续输错 {n} 次，请 {s} 秒后再试",
                       en="{n} wrong PINs in a row: try again in {s} s",
                       n=count, s=max(1, int(LOCK_SECONDS - waited)))
    try:
        who = verify(db if db is not None else ctx.store, login, pin_raw)
    except BadInput as exc:
        if exc.code == "operator.wrong_pin":
            _wrong[key] = (count + 1, now)
        raise
    _wrong.pop(key, None)
    return who


# -- writes -----------------------------------------------------------------------------------
def enrol(ctx: Context, login_raw: str, name_raw: str, pin_raw: str) -> Operator:
    """Enrol an operator, or re-enable a disabled login with a new name and PIN."""
    login = parse_login(login_raw)
    name = clean_text(name_raw or "")[:MAX_NAME]
    if not name:
        raise BadInput("operator.name", zh="请填写值班员姓名（--name）",
                       en="give the operator's name (--name)")
    pin = parse_pin(pin_raw)
    payload = {"login": login, "name": name, **_new_secret(pin)}
    with ctx.transaction() as tx:
        current = find(tx, login)
        if current is not None and current.active:
            raise BadInput("operator.exists", zh="登录名 {l} 已被 {n} 使用",
                           en="login {l} is already {n}'s", l=login, n=current.name)
        tx.append("operator.enrolled", payload, subject=login)
        result = find(tx, login)
    assert result is not None
    return result


def change_pin(ctx: Context, login_raw: str, old_pin: str, new_pin: str) -> Operator:
    """A new PIN (and a new salt), after the old one is proved."""
    pin = parse_pin(new_pin, "new PIN")
    with ctx.transaction() as tx:
        who = checked(ctx, login_raw, old_pin, tx)
        tx.append("operator.pin_changed", {"login": who.login, **_new_secret(pin)},
                  subject=who.login)
    return who


def disable(ctx: Context, login_raw: str) -> Operator:
    login = parse_login(login_raw)
    with ctx.transaction() as tx:
        current = find(tx, login)
        if current is None:
            raise BadInput("operator.unknown", zh="没有登录名为 {l} 的值班员", en="no operator {l}",
                           l=login)
        if not current.active:
            raise BadInput("operator.disabled", zh="值班员 {l} 已停用", en="operator {l} is disabled",
                           l=login)
        tx.append("operator.disabled", {"login": login}, subject=login)
        result = find(tx, login)
    assert result is not None
    return result


def sign_in(ctx: Context, login_raw: str, pin_raw: str) -> Operator:
    """Prove the PIN and make this seat act as the operator; a refusal records nothing."""
    who = checked(ctx, login_raw, pin_raw)
    with ctx.store.transaction(ctx.seat, who.login) as tx:
        _still_active(tx, who.login)
        tx.append("operator.signed_in", {"login": who.login}, subject=who.login)
    ctx.operator = who.login
    return who


def _still_active(tx: Reader, login: str) -> None:
    """Checked again under the write lock: the PIN was proved before it (PBKDF2 is slow)."""
    current = find(tx, login)
    if current is None or not current.active:
        raise BadInput("operator.disabled", zh="值班员 {l} 已停用", en="operator {l} is disabled",
                       l=login)


def sign_out(ctx: Context, fallback: str) -> str:
    """End this seat's session; the seat acts as ``fallback`` (the configured name) again."""
    with ctx.transaction() as tx:
        login = signed_in(tx, ctx.seat)
        if login is None:
            raise BadInput("operator.nobody", zh="本席位没有值班员签到",
                           en="no operator is signed in at this seat")
        tx.append("operator.signed_out", {"login": login}, subject=login)
    ctx.operator = fallback
    return login
