"""Operators (值班员): enrolment, roles, PINs, sign-in, lockout, and who is signed in at each seat.

Every event already records ``operator`` (fed from ``ctx.operator``); this module makes that
name mean a person who proved themself. An operator is enrolled with a login, a display name,
a role and a PIN of 4-8 digits. The PIN is never stored or sent: only a salted scrypt hash
(console/duty/pins.py; PBKDF2 hashes from before still verify and are re-hashed at the next
sign-in) travels in ``operator.enrolled`` / ``operator.pin_changed``, and a PIN is checked in
constant time. The city server strips salt and hash from what it serves city readers.

**Roles.** An administrator (``admin``) enrols, disables, resets another's PIN and sets roles,
proving their own PIN at the moment of the act; the payload names them (``by``). The first
operator enrolled on a database that has none becomes administrator (bootstrapping); a seat
that syncs must have completed one sync pass first, or a fresh seat could mint an administrator
(and through it a new PIN for any login) that then wins on every seat of the county. While no
active administrator exists (a database from before roles), any active operator's PIN serves
as the proof, so such a center can name its first administrator with ``operator role``. The
last active administrator can be neither disabled nor demoted. Changing one's own PIN needs
the old one.

**Lockout.** A wrong PIN is recorded (``operator.sign_in_failed``: login and purpose, never
the PIN; synced like any event) and every proof of a PIN (a sign-in, a handover to the login,
an enrolment or PIN change, an administrator's act) ends a run of them (``operator_attempts``,
insert only). After ``MAX_WRONG`` wrong PINs in a row, on any seat and in any process, the
login is refused for ``LOCK_SECONDS`` on this seat's clock without trying the PIN, and again
after each further wrong PIN. The database is the only source of truth, so a new CLI process
gets no fresh tries. (Guesses checked at the same instant in parallel processes can each pass
the check before either is recorded; a sign-in checks the lock again under the write lock, so
a right guess is refused if the login was locked meanwhile.)

The ``operators`` table holds four last-writer-wins registers per login, each stamped with the
id of the event that set it: the name (``operator.enrolled``), the PIN hash (``enrolled`` /
``pin_changed``), the role (``enrolled`` / ``role_set``) and whether the login is active
(``enrolled`` re-enables, ``disabled`` disables). So seats converge whatever order the events
reach them in. A seat applies a pulled enrolment like its own: it cannot re-check the
administrator's PIN, so the trust boundary for pulled events is the county seat's token.

Who is signed in at a seat is a register too (``seat_operators``): the latest of the seat's
``operator.signed_in``, ``operator.signed_out`` and ``shift.handed_over``. A session opened
without ``--operator`` acts as that person (``open_services``), so CLI commands after
``linkage operator signin`` carry the operator's login like the console does; once operators
are enrolled, ``--operator`` may only name the operator signed in at the seat
(``may_act_as``), so it cannot be used to record in someone else's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.duty import pins
from console.kernel.clock import iso, parse_instant
from console.kernel.errors import BadInput
from console.kernel.inputs import bounded, normalize
from console.store.context import Context
from console.store.queries import Reader

_PIN = re.compile(r"[0-9]{4,8}")
_LOGIN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
MAX_NAME = 40
ROLES = ("admin", "operator")
#: Wrong PINs in a row for one login before it is refused for ``LOCK_SECONDS`` (and again after
#: each further wrong PIN), so a PIN cannot be guessed at typing speed at an unattended seat.
MAX_WRONG = 5
LOCK_SECONDS = 60


@dataclass(frozen=True)
class Operator:
    login: str
    name: str
    active: bool
    enrolled_at: datetime | None
    role: str = "operator"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_json(self) -> dict[str, Any]:
        """What ``--json`` shows of an operator: never the salt or the hash."""
        return {"login": self.login, "name": self.name, "active": self.active, "role": self.role,
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


def parse_role(raw: str | None) -> str:
    role = normalize(raw or "operator").lower()
    if role not in ROLES:
        raise BadInput("operator.role", zh="角色须为 admin（管理员）或 operator（值班员）：{r}",
                       en="a role is admin or operator: {r}", r=(raw or "")[:20])
    return role


# -- reads ------------------------------------------------------------------------------------
def _operator(row: Any) -> Operator:
    at = row["enrolled_at"]
    return Operator(row["login"], row["name"], bool(row["active"]),
                    parse_instant(at) if at else None, row["role"] or "operator")


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


def admin_count(db: Reader) -> int:
    row = db.one("SELECT count(*) FROM operators WHERE active = 1 AND role = 'admin'"
                 " AND name_event != ''")
    return int(row[0]) if row else 0


def _enrolled_count(db: Reader) -> int:
    row = db.one("SELECT count(*) FROM operators WHERE name_event != ''")
    return int(row[0]) if row else 0


def _has_synced(db: Reader) -> bool:
    """Whether one sync pass ever completed here, so the county's operators would be known."""
    row = db.one("SELECT last_ok_at FROM sync_state WHERE id = 1")
    return bool(row and row[0])


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


def may_act_as(db: Reader, seat: str, operator: str) -> None:
    """Refuse ``--operator NAME`` unless it names the operator signed in here, once any
    operator is enrolled: otherwise anyone could record in another's name without a PIN."""
    if active_count(db) == 0 or operator == signed_in(db, seat):
        return
    raise BadInput("operator.impersonation",
                   zh="已登记值班员：--operator 只能是本席位已签到的值班员；请先 operator signin",
                   en="operators are enrolled: --operator may only name the operator signed in at"
                      " this seat; sign in first (operator signin)")


def wrong_in_a_row(db: Reader, login: str) -> tuple[int, str | None]:
    """How many wrong PINs for ``login`` since its PIN was last proved (on any seat), and when
    the newest of them was recorded."""
    row = db.one("SELECT max(event_id) FROM operator_attempts WHERE login = ? AND ok = 1", (login,))
    last_ok = (row[0] if row else None) or ""
    row = db.one("SELECT count(*), max(event_id) FROM operator_attempts"
                 " WHERE login = ? AND ok = 0 AND event_id > ?", (login, last_ok))
    if row is None or not row[0]:
        return 0, None
    at = db.one("SELECT at FROM operator_attempts WHERE event_id = ? AND login = ?", (row[1], login))
    return int(row[0]), at[0] if at else None


def _refuse_if_locked(ctx: Context, login: str) -> None:
    count, at = wrong_in_a_row(ctx.store, login)
    if count < MAX_WRONG or at is None:
        return
    waited = (ctx.clock.now() - parse_instant(at)).total_seconds()
    left = min(LOCK_SECONDS, LOCK_SECONDS - waited)
    if left > 0:
        raise BadInput("operator.locked", zh="PIN 已连续输错 {n} 次，请 {s} 秒后再试",
                       en="{n} wrong PINs in a row: try again in {s} s",
                       n=count, s=max(1, int(left)))


def _stored(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in ("salt", "pin_hash", "iterations", "kdf", "scrypt_n", "scrypt_r",
                                "scrypt_p")}


def verify(db: Reader, login_raw: str | None, pin_raw: str | None) -> Operator:
    """The operator whose login and PIN these are; refused when unknown, disabled or wrong.
    Records nothing: ``checked`` is what the services call."""
    login = parse_login(login_raw)
    row = db.one("SELECT * FROM operators WHERE login = ? AND name_event != ''", (login,))
    if row is None:
        pins.waste_a_guess()
        raise BadInput("operator.unknown", zh="没有登录名为 {l} 的值班员", en="no operator {l}",
                       l=login)
    if not row["active"]:
        raise BadInput("operator.disabled", zh="值班员 {l} 已停用", en="operator {l} is disabled",
                       l=login)
    if not pins.matches(normalize(pin_raw or ""), _stored(row)):
        raise BadInput("operator.wrong_pin", zh="PIN 不正确", en="wrong PIN")
    return _operator(row)


def needs_rehash(db: Reader, login: str) -> bool:
    """Whether the stored hash of ``login`` is cheaper to guess than a new one would be."""
    row = db.one("SELECT * FROM operators WHERE login = ?", (login,))
    return row is not None and pins.weaker(_stored(row))


def checked(ctx: Context, login_raw: str | None, pin_raw: str | None, purpose: str = "sign_in"
            ) -> Operator:
    """``verify`` behind the lockout: a locked login is refused without trying the PIN, and a
    wrong PIN is recorded (in its own transaction, so the refusal still leaves a trace).
    Call it outside any open transaction."""
    login = parse_login(login_raw)
    _refuse_if_locked(ctx, login)
    try:
        return verify(ctx.store, login, pin_raw)
    except BadInput as exc:
        if exc.code == "operator.wrong_pin":
            with ctx.transaction() as tx:
                tx.append("operator.sign_in_failed", {"login": login, "purpose": purpose},
                          subject=login)
        raise


def prove_admin(ctx: Context, admin_raw: str | None, admin_pin: str | None) -> Operator:
    """The administrator who authorises an act, after their PIN (behind the lockout)."""
    if not (admin_raw or "").strip():
        raise _admin_needed()
    who = checked(ctx, admin_raw, admin_pin, "admin")
    if not who.is_admin and admin_count(ctx.store) > 0:
        raise BadInput("operator.not_admin", zh="{l} 不是管理员", en="{l} is not an administrator",
                       l=who.login)
    return who


def _admin_needed() -> BadInput:
    return BadInput("operator.admin_needed",
                    zh="此操作须由管理员确认：--admin 管理员登录名，并输入其 PIN",
                    en="this needs an administrator: --admin LOGIN, then their PIN")


def _unknown(login: str) -> BadInput:
    return BadInput("operator.unknown", zh="没有登录名为 {l} 的值班员", en="no operator {l}", l=login)


# -- writes -----------------------------------------------------------------------------------
def enrol(ctx: Context, login_raw: str, name_raw: str, pin_raw: str, *, role: str = "operator",
          admin: str | None = None, admin_pin: str | None = None) -> Operator:
    """Enrol an operator (or re-enable a disabled login with a new name and PIN), authorised by
    an administrator; the first operator of a database needs none and becomes administrator."""
    login = parse_login(login_raw)
    name = bounded(name_raw, MAX_NAME, "姓名", "name")
    if not name:
        raise BadInput("operator.name", zh="请填写值班员姓名（--name）",
                       en="give the operator's name (--name)")
    pin = parse_pin(pin_raw)
    chosen = parse_role(role)
    current = find(ctx.store, login)
    if current is not None and current.active:
        raise BadInput("operator.exists", zh="登录名 {l} 已被 {n} 使用",
                       en="login {l} is already {n}'s", l=login, n=current.name)
    bootstrap = not (admin or "").strip() and _enrolled_count(ctx.store) == 0
    if bootstrap and ctx.config.sync.server and not _has_synced(ctx.store):
        raise BadInput("operator.sync_first",
                       zh="本席位连接市级服务器但尚未同步：请先运行 linkage sync，取得本县已登记的值班员，"
                          "再登记首位值班员",
                       en="this seat syncs with a city server but has never synced: run linkage"
                          " sync first so it learns the county's operators, then enrol the first one")
    by = None if bootstrap else prove_admin(ctx, admin, admin_pin).login
    payload: dict[str, Any] = {"login": login, "name": name,
                               "role": "admin" if bootstrap else chosen, **pins.new_secret(pin)}
    if by is not None:
        payload["by"] = by
    with ctx.transaction() as tx:
        current = find(tx, login)
        if current is not None and current.active:
            raise BadInput("operator.exists", zh="登录名 {l} 已被 {n} 使用",
                           en="login {l} is already {n}'s", l=login, n=current.name)
        if bootstrap and _enrolled_count(tx) > 0:      # another process enrolled first
            raise _admin_needed()
        tx.append("operator.enrolled", payload, subject=login)
        result = find(tx, login)
    assert result is not None
    return result


def change_pin(ctx: Context, login_raw: str, old_pin: str | None, new_pin: str, *,
               admin: str | None = None, admin_pin: str | None = None) -> Operator:
    """A new PIN (and a new salt), after the old one is proved, or reset by an administrator."""
    login = parse_login(login_raw)
    pin = parse_pin(new_pin, "new PIN")
    by: str | None = None
    if (admin or "").strip():
        target = find(ctx.store, login)
        if target is None:
            raise _unknown(login)
        by = prove_admin(ctx, admin, admin_pin).login
    else:
        target = checked(ctx, login, old_pin, "passwd")
    payload: dict[str, Any] = {"login": target.login, **pins.new_secret(pin)}
    if by is not None:
        payload["by"] = by
    with ctx.transaction() as tx:
        tx.append("operator.pin_changed", payload, subject=target.login)
    return target


def _keep_an_admin(db: Reader, target: Operator) -> None:
    if target.is_admin and target.active and admin_count(db) <= 1:
        raise BadInput("operator.last_admin", zh="{l} 是唯一的管理员，请先指定另一名管理员",
                       en="{l} is the only administrator: make another one first", l=target.login)


def disable(ctx: Context, login_raw: str, *, admin: str | None = None,
            admin_pin: str | None = None) -> Operator:
    login = parse_login(login_raw)
    current = find(ctx.store, login)
    if current is None:
        raise _unknown(login)
    if not current.active:
        raise BadInput("operator.disabled", zh="值班员 {l} 已停用", en="operator {l} is disabled",
                       l=login)
    by = prove_admin(ctx, admin, admin_pin).login
    with ctx.transaction() as tx:
        current = find(tx, login)
        assert current is not None
        _keep_an_admin(tx, current)
        tx.append("operator.disabled", {"login": login, "by": by}, subject=login)
        result = find(tx, login)
    assert result is not None
    return result


def set_role(ctx: Context, login_raw: str, role_raw: str, *, admin: str | None = None,
             admin_pin: str | None = None) -> Operator:
    """Make an operator administrator or take the role back (``operator.role_set``)."""
    login = parse_login(login_raw)
    role = parse_role(role_raw)
    current = find(ctx.store, login)
    if current is None or not current.active:
        raise _unknown(login) if current is None else BadInput(
            "operator.disabled", zh="值班员 {l} 已停用", en="operator {l} is disabled", l=login)
    by = prove_admin(ctx, admin, admin_pin).login
    with ctx.transaction() as tx:
        current = find(tx, login)
        assert current is not None
        if role != "admin":
            _keep_an_admin(tx, current)
        tx.append("operator.role_set", {"login": login, "role": role, "by": by}, subject=login)
        result = find(tx, login)
    assert result is not None
    return result


def sign_in(ctx: Context, login_raw: str, pin_raw: str) -> Operator:
    """Prove the PIN and make this seat act as the operator. A wrong PIN records only the
    failure; a hash weaker than today's KDF is re-hashed with the proved PIN."""
    who = checked(ctx, login_raw, pin_raw)
    secret = pins.new_secret(normalize(pin_raw)) if needs_rehash(ctx.store, who.login) else None
    with ctx.store.transaction(ctx.seat, who.login) as tx:
        _still_active(tx, who.login)
        _refuse_if_locked(ctx, who.login)     # wrong PINs committed meanwhile by a parallel guesser
        tx.append("operator.signed_in", {"login": who.login}, subject=who.login)
        if secret is not None:
            tx.append("operator.pin_changed", {"login": who.login, "reason": "rehash", **secret},
                      subject=who.login)
    ctx.operator = who.login
    return who


def _still_active(tx: Reader, login: str) -> None:
    """Checked again under the write lock: the PIN was proved before it (the KDF is slow)."""
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
