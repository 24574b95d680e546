"""Operators: enrolment with a hashed PIN, sign-in, PIN change, disabling; events after a
sign-in carry the operator; no PIN is ever written in clear; the registers converge.

Enrolling, disabling and resetting need an administrator's PIN (the first operator of a
database becomes administrator), and a wrong PIN is recorded (``operator.sign_in_failed``):
tests/test_pins_security.py covers those rules; the tests here were updated for them.
PINs are hashed with cheap scrypt parameters in tests (tests/conftest.py ``TEST_KDF``)."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from conftest import Cli, one_row

from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.seat.services import Services
from console.store.projections import apply_event
from console.store.transaction import Store, record_from_row

PIN = "73914682"        # distinctive: must not appear anywhere in the database file
NEW_PIN = "50827361"
Unchanged = Callable[[Services], AbstractContextManager[None]]
OnlyFailures = Callable[..., AbstractContextManager[None]]


def _payload(services: Services, kind: str) -> dict[str, object]:
    row = services.store.one("SELECT payload FROM events WHERE kind = ? ORDER BY seq DESC", (kind,))
    assert row is not None
    return dict(json.loads(row[0]))


def test_enrol_stores_only_a_salted_scrypt_hash(services: Services) -> None:
    who = services.enrol_operator("Alice", "张三", PIN)
    assert (who.login, who.name, who.active, who.role) == ("alice", "张三", True, "admin")
    p = _payload(services, "operator.enrolled")
    assert set(p) == {"login", "name", "role", "salt", "pin_hash", "kdf", "scrypt_n", "scrypt_r",
                      "scrypt_p"}
    assert p["kdf"] == "scrypt"
    n, r, q = (int(str(p[k])) for k in ("scrypt_n", "scrypt_r", "scrypt_p"))
    expected = hashlib.scrypt(PIN.encode(), salt=bytes.fromhex(str(p["salt"])), n=n, r=r, p=q,
                              dklen=32).hex()
    assert p["pin_hash"] == expected
    row = services.store.one("SELECT * FROM operators WHERE login = 'alice'")
    assert row is not None and row["pin_hash"] == expected and row["active"] == 1
    assert "pin_hash" not in who.to_json() and "salt" not in who.to_json()
    # a second operator with the same PIN gets another salt, so another hash
    services.enrol_operator("bob", "李四", PIN, admin="alice", admin_pin=PIN)
    assert _payload(services, "operator.enrolled")["pin_hash"] != expected


@pytest.mark.parametrize(("login", "name", "pin", "code"), [
    ("al ice", "张三", "1234", "operator.login"),
    ("alice", "", "1234", "operator.name"),
    ("alice", "张三", "123", "operator.pin_format"),
    ("alice", "张三", "123456789", "operator.pin_format"),
    ("alice", "张三", "12ab", "operator.pin_format"),
])
def test_enrol_refuses_bad_input(services: Services, unchanged: Unchanged, login: str, name: str,
                                 pin: str, code: str) -> None:
    with unchanged(services), pytest.raises(BadInput) as err:
        services.enrol_operator(login, name, pin)
    assert err.value.code == code


def test_a_taken_login_is_refused(services: Services, unchanged: Unchanged) -> None:
    services.enrol_operator("alice", "张三", PIN)
    with unchanged(services), pytest.raises(BadInput) as err:
        services.enrol_operator("alice", "王五", "1111")
    assert err.value.code == "operator.exists"
    assert "张三" in err.value.message("zh") and "already" in err.value.message("en")


def test_wrong_pin_unknown_and_disabled_logins_are_refused_and_nothing_is_written(
        services: Services, unchanged: Unchanged, only_failures_recorded: OnlyFailures) -> None:
    services.enrol_operator("alice", "张三", PIN)
    services.enrol_operator("bob", "李四", "4321", admin="alice", admin_pin=PIN)
    services.disable_operator("bob", admin="alice", admin_pin=PIN)
    for login, pin, code, zh, en in [
        ("alice", "00000000", "operator.wrong_pin", "PIN 不正确", "wrong PIN"),
        ("alice", "", "operator.wrong_pin", "PIN 不正确", "wrong PIN"),
        ("carol", PIN, "operator.unknown", "没有登录名为 carol 的值班员", "no operator carol"),
        ("bob", "4321", "operator.disabled", "值班员 bob 已停用", "operator bob is disabled"),
    ]:
        # a wrong PIN is recorded as a failure (nothing else); other refusals write nothing
        with (only_failures_recorded(services, login) if code == "operator.wrong_pin"
              else unchanged(services)), pytest.raises(BadInput) as err:
            services.sign_in(login, pin)
        assert (err.value.code, err.value.message("zh"), err.value.message("en")) == (code, zh, en)
        assert services.ctx.operator == "duty"
    assert one_row(services.store, "SELECT count(*) FROM seat_operators")[0] == 0


def test_events_after_sign_in_carry_the_operator(services: Services, call: Callable[..., object],
                                                 open_svc: Callable[..., Services]) -> None:
    call()
    services.enrol_operator("alice", "张三", PIN)
    who = services.sign_in("alice", PIN)
    assert who.login == services.ctx.operator == "alice"
    call(phone="13800000002")
    services.issue_order(2, "gdj")
    rows = services.store.all("SELECT kind, operator, subject FROM events ORDER BY seq")
    kinds = [(r["kind"], r["operator"]) for r in rows]
    assert kinds[:3] == [("catalog.loaded", "duty"), ("incident.created", "duty"),
                         ("operator.enrolled", "duty")]
    assert kinds[3:] == [("operator.signed_in", "alice"), ("incident.created", "alice"),
                         ("order.issued", "alice")]
    assert rows[3]["subject"] == "alice"
    # another session of this seat (a CLI command) acts as the operator signed in here
    assert open_svc().ctx.operator == "alice"
    # --operator may name the operator signed in here, but no one else once operators exist
    # (it used to accept any name: behaviour changed for issue 11, tests/test_pins_security.py)
    assert open_svc(operator="alice").ctx.operator == "alice"
    with pytest.raises(BadInput) as err:
        open_svc(operator="override")
    assert err.value.code == "operator.impersonation"


def test_sign_out_returns_the_seat_to_the_configured_name(services: Services,
                                                          open_svc: Callable[..., Services]) -> None:
    services.enrol_operator("alice", "张三", PIN)
    with pytest.raises(BadInput) as err:
        services.sign_out()
    assert err.value.code == "operator.nobody"
    services.sign_in("alice", PIN)
    assert services.sign_out() == "alice"
    assert services.ctx.operator == "duty" and open_svc().ctx.operator == "duty"


def test_a_disabled_operator_no_longer_acts_for_the_seat(services: Services,
                                                         open_svc: Callable[..., Services]) -> None:
    services.enrol_operator("root", "管理员", "2468")            # the administrator
    services.enrol_operator("alice", "张三", PIN, admin="root", admin_pin="2468")
    services.sign_in("alice", PIN)
    services.disable_operator("alice", admin="root", admin_pin="2468")
    assert open_svc().ctx.operator == "duty"
    # root stays active (the last administrator cannot be disabled), so sign-in is still needed
    assert services.sign_in_required()
    assert [o.login for o in services.operator_list() if o.active] == ["root"]
    # re-enrolling a disabled login enables it again, with the new PIN
    services.enrol_operator("alice", "张三", NEW_PIN, admin="root", admin_pin="2468")
    assert services.sign_in("alice", NEW_PIN).active
    with pytest.raises(BadInput):
        services.sign_in("alice", PIN)


def test_passwd_needs_the_old_pin_and_replaces_salt_and_hash(
        services: Services, unchanged: Unchanged, only_failures_recorded: OnlyFailures) -> None:
    services.enrol_operator("alice", "张三", PIN)
    before = services.store.one("SELECT salt, pin_hash FROM operators")
    with only_failures_recorded(services, "alice"), pytest.raises(BadInput) as err:
        services.change_pin("alice", "11111111", NEW_PIN)
    assert err.value.code == "operator.wrong_pin"
    with unchanged(services), pytest.raises(BadInput) as err:
        services.change_pin("alice", PIN, "12")
    assert err.value.code == "operator.pin_format"
    services.change_pin("alice", PIN, NEW_PIN)
    after = services.store.one("SELECT salt, pin_hash FROM operators")
    assert before is not None and after is not None
    assert after["salt"] != before["salt"] and after["pin_hash"] != before["pin_hash"]
    with pytest.raises(BadInput):
        services.sign_in("alice", PIN)
    assert services.sign_in("alice", NEW_PIN).login == "alice"


def _files(db: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name)}


def test_no_pin_is_anywhere_in_the_database_files(services: Services, db_path: Path) -> None:
    services.enrol_operator("alice", "张三", PIN)
    services.sign_in("alice", PIN)
    services.change_pin("alice", PIN, NEW_PIN)
    services.sign_in("alice", NEW_PIN)
    files = _files(db_path)
    assert any(name.endswith("-wal") for name in files)        # the WAL is read as well
    services.store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    files.update({f"{k} (checkpointed)": v for k, v in _files(db_path).items()})
    for name, data in files.items():
        for pin in (PIN, NEW_PIN):
            for form in (pin.encode(), pin.encode("utf-16-le")):
                assert form not in data, f"PIN in clear in {name}"


def test_operator_events_converge_in_any_order(services: Services) -> None:
    """Each operator register is last-writer-wins by event id: every arrival order of the
    same events builds the same ``operators``, ``seat_operators`` and ``operator_attempts``
    tables (the administrator's enrolment, which the others need, arrives first)."""
    services.enrol_operator("root", "管理员", "2468")
    services.enrol_operator("alice", "张三", PIN, admin="root", admin_pin="2468")
    services.change_pin("alice", PIN, NEW_PIN)
    with pytest.raises(BadInput):
        services.sign_in("alice", PIN)                       # a failure, recorded
    services.sign_in("alice", NEW_PIN)
    services.disable_operator("alice", admin="root", admin_pin="2468")
    services.enrol_operator("alice", "张三丰", PIN, admin="root", admin_pin="2468")
    services.sign_in("alice", PIN)
    root, *records = [record_from_row(r) for r in services.store.all(
        "SELECT * FROM events WHERE kind LIKE 'operator.%' ORDER BY seq")]
    assert len(records) == 7
    tables = ("operators", "seat_operators", "operator_attempts")
    expected = {t: [tuple(r) for r in services.store.all(f"SELECT * FROM {t} ORDER BY 1")]
                for t in tables}
    assert expected["operators"][0][1] == "张三丰"
    fresh = Store(":memory:", FakeClock("2026-01-01T00:00:00Z"))
    try:
        for order in itertools.permutations(records):
            fresh.conn.execute("BEGIN")
            for record in (root, *order):
                apply_event(fresh.conn, record)
            got = {t: [tuple(r) for r in fresh.conn.execute(f"SELECT * FROM {t} ORDER BY 1")]
                   for t in tables}
            fresh.conn.execute("ROLLBACK")
            assert got == expected, [r.kind for r in order]
    finally:
        fresh.close()


# -- CLI --------------------------------------------------------------------------------------
def test_cli_operator_verbs(cli: Cli) -> None:
    """PINs are read from stdin, one per line (no longer ``--pin``: issue 11)."""
    added = cli.ok("operator", "add", "alice", "--name", "张三", stdin=f"{PIN}\n")
    assert added["operator"] == {"login": "alice", "name": "张三", "active": True, "role": "admin",
                                 "enrolled_at": "2026-11-28T06:00:00.000Z"}
    cli.ok("operator", "add", "bob", "--name", "李四", "--admin", "alice", stdin=f"{PIN}\n4321\n")
    signed = cli.ok("operator", "signin", "alice", stdin=f"{PIN}\n")
    assert signed["operator"]["login"] == "alice"
    listed = cli.ok("operator", "list")
    assert [o["login"] for o in listed["operators"]] == ["alice", "bob"]
    assert [o["role"] for o in listed["operators"]] == ["admin", "operator"]
    assert listed["signed_in"] == "alice"
    assert all(set(o) == {"login", "name", "active", "role", "enrolled_at"}
               for o in listed["operators"])
    cli.ok("operator", "passwd", "alice", stdin=f"{PIN}\n{NEW_PIN}\n")
    assert cli.ok("operator", "disable", "bob", "--admin", "alice",
                  stdin=f"{NEW_PIN}\n")["operator"]["active"] is False
    human = cli("operator", "list", as_json=False)
    assert "bob 李四（已停用）" in human.out
    rows = cli.rows("SELECT kind, operator FROM events WHERE kind LIKE 'operator.%' ORDER BY seq")
    assert [(r[0], r[1]) for r in rows][-2:] == [("operator.pin_changed", "alice"),
                                                 ("operator.disabled", "alice")]
    assert cli.ok("operator", "signout")["signed_out"] == "alice"


def test_cli_refusals_exit_2_in_both_languages(cli: Cli) -> None:
    cli.ok("operator", "add", "alice", "--name", "张三", stdin=f"{PIN}\n")
    before = cli.snapshot()
    english = cli("--lang", "en", "operator", "signin", "carol", stdin=f"{PIN}\n")
    assert english.code == 2 and "no operator carol" in english.err
    assert cli("operator", "disable", "nobody", "--admin", "alice", stdin=f"{PIN}\n").code == 2
    argv = cli("operator", "signin", "alice", "--pin", PIN)       # a PIN in argv: refused unread
    assert argv.code == 2 and argv.json["error"]["code"] == "operator.pin_argv"
    assert cli.snapshot() == before
    # a wrong PIN is refused and recorded as a failed sign-in (login and purpose, no PIN)
    wrong = cli("operator", "signin", "alice", stdin="00000000\n")
    assert wrong.code == 2 and wrong.json["error"]["code"] == "operator.wrong_pin"
    assert "PIN 不正确" in wrong.err
    passwd = cli("operator", "passwd", "alice", stdin=f"1111\n{NEW_PIN}\n")
    assert passwd.code == 2
    failures = cli.rows("SELECT payload FROM events WHERE kind = 'operator.sign_in_failed' ORDER BY seq")
    assert [json.loads(r[0]) for r in failures] == [{"login": "alice", "purpose": "sign_in"},
                                                   {"login": "alice", "purpose": "passwd"}]
    conn = sqlite3.connect(cli.db)
    try:
        assert conn.execute("SELECT count(*) FROM seat_operators").fetchone()[0] == 0
    finally:
        conn.close()


def test_five_wrong_pins_lock_the_login_for_a_minute_on_the_seat_clock(
        services: Services, clock: FakeClock) -> None:
    """After 5 wrong PINs in a row even the right PIN is refused for 60 s; each further wrong
    PIN locks again; a right PIN after the lock signs in and clears the count."""
    services.enrol_operator("alice", "张三", "1234")
    for _ in range(5):
        with pytest.raises(BadInput) as wrong:
            services.sign_in("alice", "0000")
        assert wrong.value.code == "operator.wrong_pin"
    with pytest.raises(BadInput) as locked:
        services.sign_in("alice", "1234")
    assert locked.value.code == "operator.locked"
    assert "60 秒" in locked.value.message("zh") and "60 s" in locked.value.message("en")
    clock.advance(seconds=61)
    with pytest.raises(BadInput):
        services.sign_in("alice", "9999")            # one more wrong PIN: locked again
    with pytest.raises(BadInput) as again:
        services.sign_in("alice", "1234")
    assert again.value.code == "operator.locked"
    clock.advance(seconds=61)
    assert services.sign_in("alice", "1234").login == "alice"
    assert one_row(services.store, "SELECT count(*) FROM events WHERE kind = 'operator.signed_in'")[0] == 1
    with pytest.raises(BadInput) as fresh:
        services.sign_in("alice", "0000")
    assert fresh.value.code == "operator.wrong_pin"   # the count started over
