"""Duty: roster filings, operators and who is signed in, shift handovers, roll-call."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from console.store.projections.apply import applier

if TYPE_CHECKING:
    from console.store.transaction import EventRecord


# A roster filing (备案) is stored whole, never edited: which filing rules an instant is decided
# on read (console/duty/rosters.py: the newest filing whose period covers it), so the tables are the
# same whatever order filings arrive in, and superseded filings stay visible.
@applier("roster.filed", "unit", "period_from", "period_to", "filed_at", "shifts")
def _roster_filed(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    shifts = p["shifts"]
    conn.execute(
        "INSERT INTO roster_filings (event_id, unit, period_from, period_to, filed_at, recorded_at,"
        " seat, operator, shifts, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["unit"], p["period_from"], p["period_to"], p["filed_at"], e.recorded_at, e.seat,
         e.operator, len(shifts), p.get("source", "")),
    )
    conn.executemany(
        "INSERT INTO roster_shifts (event_id, start_at, n, unit, end_at, person, phone, vehicle,"
        " contact, responsible) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(e.id, s["start"], n, p["unit"], s["end"], s["person"], s["phone"], s.get("vehicle", ""),
          s.get("contact", ""), s.get("responsible", "")) for n, s in enumerate(shifts)],
    )


# Operators (console/duty/operators.py): four last-writer-wins registers per login, each with the id
# of the event that set it: the name, the PIN hash (with its KDF parameters), the role and
# whether the login is active. A pin change or a disable arriving before the enrolment leaves a
# nameless row the enrolment then names. Sign-in attempts are insert only (the lockout).
def _operator_row(conn: sqlite3.Connection, login: str) -> None:
    conn.execute("INSERT OR IGNORE INTO operators (login) VALUES (?)", (login,))


def _operator_pin(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "UPDATE operators SET salt=?, pin_hash=?, iterations=?, kdf=?, scrypt_n=?, scrypt_r=?,"
        " scrypt_p=?, pin_event=? WHERE login=? AND pin_event < ?",
        (p["salt"], p["pin_hash"], int(p.get("iterations", 0)), p.get("kdf", ""),
         int(p.get("scrypt_n", 0)), int(p.get("scrypt_r", 0)), int(p.get("scrypt_p", 0)), e.id,
         p["login"], e.id),
    )


def _operator_active(conn: sqlite3.Connection, e: EventRecord, active: bool) -> None:
    conn.execute("UPDATE operators SET active=?, active_event=? WHERE login=? AND active_event < ?",
                 (1 if active else 0, e.id, e.payload["login"], e.id))


def _operator_role(conn: sqlite3.Connection, e: EventRecord, role: str) -> None:
    conn.execute("UPDATE operators SET role=?, role_event=? WHERE login=? AND role_event < ?",
                 (role, e.id, e.payload["login"], e.id))


def _attempt(conn: sqlite3.Connection, e: EventRecord, login: object, ok: bool) -> None:
    """One sign-in attempt: a failure, or a proof of the PIN (which ends a run of failures)."""
    if isinstance(login, str) and login:
        conn.execute("INSERT OR IGNORE INTO operator_attempts VALUES (?, ?, ?, ?, ?)",
                     (e.id, login, 1 if ok else 0, e.recorded_at, e.seat))


@applier("operator.enrolled", "login", "name", "salt", "pin_hash")
def _operator_enrolled(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    _operator_row(conn, p["login"])
    conn.execute("UPDATE operators SET name=?, enrolled_at=?, name_event=?"
                 " WHERE login=? AND name_event < ?",
                 (p["name"], e.happened_at, e.id, p["login"], e.id))
    _operator_pin(conn, e)
    _operator_active(conn, e, True)
    _operator_role(conn, e, "admin" if p.get("role") == "admin" else "operator")
    _attempt(conn, e, p["login"], True)
    _attempt(conn, e, p.get("by"), True)


@applier("operator.pin_changed", "login", "salt", "pin_hash")
def _operator_pin_changed(conn: sqlite3.Connection, e: EventRecord) -> None:
    _operator_row(conn, e.payload["login"])
    _operator_pin(conn, e)
    _attempt(conn, e, e.payload["login"], True)
    _attempt(conn, e, e.payload.get("by"), True)


@applier("operator.disabled", "login")
def _operator_disabled(conn: sqlite3.Connection, e: EventRecord) -> None:
    _operator_row(conn, e.payload["login"])
    _operator_active(conn, e, False)
    _attempt(conn, e, e.payload.get("by"), True)


@applier("operator.role_set", "login", "role")
def _operator_role_set(conn: sqlite3.Connection, e: EventRecord) -> None:
    _operator_row(conn, e.payload["login"])
    _operator_role(conn, e, "admin" if e.payload["role"] == "admin" else "operator")
    _attempt(conn, e, e.payload.get("by"), True)


@applier("operator.sign_in_failed", "login")
def _operator_sign_in_failed(conn: sqlite3.Connection, e: EventRecord) -> None:
    _attempt(conn, e, e.payload["login"], False)


# Who is signed in at a seat: the seat's latest sign-in, sign-out or shift handover (by id).
def _seat_operator(conn: sqlite3.Connection, e: EventRecord, login: str) -> None:
    conn.execute(
        "INSERT INTO seat_operators (seat, login, since, event_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(seat) DO UPDATE SET login=excluded.login, since=excluded.since,"
        " event_id=excluded.event_id WHERE excluded.event_id > seat_operators.event_id",
        (e.seat, login, e.happened_at, e.id),
    )


@applier("operator.signed_in", "login")
def _operator_signed_in(conn: sqlite3.Connection, e: EventRecord) -> None:
    _seat_operator(conn, e, e.payload["login"])
    _attempt(conn, e, e.payload["login"], True)


@applier("operator.signed_out", "login")
def _operator_signed_out(conn: sqlite3.Connection, e: EventRecord) -> None:
    _seat_operator(conn, e, "")


# A shift handover (交接班, console/duty/handover.py) is stored whole, insert only, and moves the seat
# to the receiving operator.
@applier("shift.handed_over", "from_operator", "to_operator", "open_incidents", "overdue_orders")
def _shift_handed_over(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO shift_handovers (event_id, seat, handed_at, from_operator, to_operator, note,"
        " open_incidents, overdue_orders) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, e.seat, e.happened_at, p["from_operator"], p["to_operator"], p.get("note", ""),
         json.dumps(p["open_incidents"]), json.dumps(p["overdue_orders"])),
    )
    _seat_operator(conn, e, p["to_operator"])
    _attempt(conn, e, p["to_operator"], True)       # the receiver proved their PIN


# A roll-call call (点名) only appends, one row per event: the current round, each unit's result
# (its latest call by event id) and the day's record are decided on read (console/duty/rollcall.py).
@applier("rollcall.recorded", "unit", "result", "round_id")
def _rollcall_recorded(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO rollcall_calls (event_id, round_id, unit, called_at, operator, seat, result,"
        " duty_person, duty_phone, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["round_id"], p["unit"], e.happened_at, e.operator, e.seat, p["result"],
         p.get("duty_person", ""), p.get("duty_phone", ""), p.get("note", "")),
    )
