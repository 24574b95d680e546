"""What a PIN protects (issue 11, item 6): nobody takes over a login without its old PIN or an
administrator; only an administrator enrols; wrong PINs are recorded and lock the login across
processes from the database; a city reader receives no PIN material; old PBKDF2 hashes still
verify and are re-hashed with scrypt; PINs never come from the command line; ``--operator``
cannot put another's name on a record."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_ROOT, START, Cli, one_row
from sync_harness import COUNTY, County

from central.testing import asgi_request
from console.commands.grammar import run
from console.duty import pins
from console.kernel.clock import FakeClock
from console.kernel.errors import BadInput
from console.seat.services import Services, open_services

PIN = "73914682"
ADMIN_PIN = "2468"
Unchanged = Callable[[Services], AbstractContextManager[None]]
OnlyFailures = Callable[..., AbstractContextManager[None]]


@pytest.fixture
def staffed(services: Services) -> Services:
    """root (the first operator, so administrator) enrolled alice and bob."""
    services.enrol_operator("root", "管理员", ADMIN_PIN)
    services.enrol_operator("alice", "张三", PIN, admin="root", admin_pin=ADMIN_PIN)
    services.enrol_operator("bob", "李四", "5678", admin="root", admin_pin=ADMIN_PIN)
    return services


def _code(fn: Callable[[], object]) -> str:
    with pytest.raises(BadInput) as err:
        fn()
    return err.value.code


# -- roles -----------------------------------------------------------------------------------
def test_the_first_operator_becomes_administrator_and_later_ones_need_one(
        services: Services, unchanged: Unchanged) -> None:
    root = services.enrol_operator("root", "管理员", ADMIN_PIN, role="operator")
    assert root.role == "admin"                       # bootstrapping overrides the asked role
    with unchanged(services):
        assert _code(lambda: services.enrol_operator("alice", "张三", PIN)) == "operator.admin_needed"
    alice = services.enrol_operator("alice", "张三", PIN, admin="root", admin_pin=ADMIN_PIN)
    assert alice.role == "operator"
    row = services.store.one("SELECT operator, payload FROM events WHERE kind = 'operator.enrolled'"
                             " ORDER BY seq DESC")
    assert row is not None and json.loads(row["payload"])["by"] == "root"
    # a non-administrator cannot enrol, even with a right PIN of their own
    with unchanged(services):
        assert _code(lambda: services.enrol_operator("mallory", "某", "1111", admin="alice",
                                                     admin_pin=PIN)) == "operator.not_admin"
    assert services.operator_list()[0].login == "alice" and len(services.operator_list()) == 2


def test_takeover_without_the_old_pin_or_an_administrator_is_refused(
        staffed: Services, unchanged: Unchanged, only_failures_recorded: OnlyFailures) -> None:
    """The issue's attack: ``operator disable alice; operator add alice --pin 0000``, and its
    variants, by bob, who knows only his own PIN."""
    s = staffed
    with unchanged(s):
        assert _code(lambda: s.disable_operator("alice")) == "operator.admin_needed"
        assert _code(lambda: s.disable_operator("alice", admin="bob", admin_pin="5678")) == (
            "operator.not_admin")
        assert _code(lambda: s.enrol_operator("alice", "假张三", "0000")) == "operator.exists"
        assert _code(lambda: s.enrol_operator("alice", "假张三", "0000", admin="bob",
                                              admin_pin="5678")) == "operator.exists"
        assert _code(lambda: s.change_pin("alice", None, "0000", admin="bob", admin_pin="5678")) == (
            "operator.not_admin")
    with only_failures_recorded(s, "alice"):
        assert _code(lambda: s.change_pin("alice", "0000", "1111")) == "operator.wrong_pin"
    with only_failures_recorded(s, "root"):          # guessing the administrator's PIN counts too
        assert _code(lambda: s.disable_operator("alice", admin="root", admin_pin="0000")) == (
            "operator.wrong_pin")
    # a disabled login is re-enrolled only by an administrator
    s.disable_operator("alice", admin="root", admin_pin=ADMIN_PIN)
    with unchanged(s):
        assert _code(lambda: s.enrol_operator("alice", "假张三", "0000")) == "operator.admin_needed"
        assert _code(lambda: s.enrol_operator("alice", "假张三", "0000", admin="bob",
                                              admin_pin="5678")) == "operator.not_admin"
    assert s.sign_in("bob", "5678").login == "bob"
    assert _code(lambda: s.sign_in("alice", PIN)) == "operator.disabled"


def test_an_administrator_resets_a_pin_and_sets_roles_but_never_removes_the_last_admin(
        staffed: Services, unchanged: Unchanged) -> None:
    s = staffed
    s.change_pin("alice", None, "1357", admin="root", admin_pin=ADMIN_PIN)      # no old PIN needed
    assert s.sign_in("alice", "1357").login == "alice"
    assert _code(lambda: s.sign_in("alice", PIN)) == "operator.wrong_pin"
    with unchanged(s):
        assert _code(lambda: s.disable_operator("root", admin="root", admin_pin=ADMIN_PIN)) == (
            "operator.last_admin")
        assert _code(lambda: s.set_operator_role("root", "operator", admin="root",
                                                 admin_pin=ADMIN_PIN)) == "operator.last_admin"
        assert _code(lambda: s.set_operator_role("bob", "boss", admin="root",
                                                 admin_pin=ADMIN_PIN)) == "operator.role"
    assert s.set_operator_role("bob", "admin", admin="root", admin_pin=ADMIN_PIN).role == "admin"
    # now bob may act, and root may step down
    assert s.set_operator_role("root", "operator", admin="bob", admin_pin="5678").role == "operator"
    assert _code(lambda: s.enrol_operator("carol", "王五", "9999", admin="root",
                                          admin_pin=ADMIN_PIN)) == "operator.not_admin"
    rows = s.store.all("SELECT kind, payload FROM events WHERE kind = 'operator.role_set' ORDER BY seq")
    assert [json.loads(r["payload"]) for r in rows] == [
        {"login": "bob", "role": "admin", "by": "root"}, {"login": "root", "role": "operator", "by": "bob"}]


def test_a_database_from_before_roles_lets_an_operator_name_the_first_administrator(
        services: Services) -> None:
    """Enrolments recorded before roles carry no ``role``: nobody is administrator, so an
    active operator's own PIN proves the first ``operator role`` (console/duty/operators.py)."""
    for login in ("alice", "bob"):
        with services.store.transaction("seat-01", "duty") as tx:
            tx.append("operator.enrolled", {"login": login, "name": login, **pins.new_secret(PIN)},
                      subject=login)
    assert {o.role for o in services.operator_list()} == {"operator"}
    services.set_operator_role("alice", "admin", admin="bob", admin_pin=PIN)
    assert _code(lambda: services.disable_operator("alice", admin="bob", admin_pin=PIN)) == (
        "operator.not_admin")


def test_a_fresh_syncing_seat_cannot_bootstrap_an_administrator_before_it_synced(
        tmp_path: Path, clock: FakeClock) -> None:
    """Otherwise a seat just installed (its database empty) would make anyone administrator,
    and that administrator's enrolments and PIN resets would win on every seat."""
    county = County(tmp_path, clock, seats=2)
    try:
        one, two = county.seats["seat-01"], county.seats["seat-02"]
        assert _code(lambda: one.enrol_operator("root", "管理员", ADMIN_PIN)) == "operator.sync_first"
        assert one.operator_list() == []
        assert county.sync("seat-01").ok
        assert one.enrol_operator("root", "管理员", ADMIN_PIN).role == "admin"
        county.drain()
        # seat-02 now knows root: a second bootstrap there is refused, an administrator is needed
        assert _code(lambda: two.enrol_operator("root", "冒名", "0000")) == "operator.exists"
        assert _code(lambda: two.enrol_operator("mallory", "某", "0000")) == "operator.admin_needed"
        assert two.enrol_operator("alice", "张三", PIN, admin="root", admin_pin=ADMIN_PIN).role == (
            "operator")
    finally:
        county.close()


# -- lockout and the record of failures ------------------------------------------------------
def _cli_process(db: Path, now: str, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """``python -m console.cli`` as its own process, on the fake instant ``now``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env["LINKAGE_NOW"] = now
    return subprocess.run([sys.executable, "-m", "console.cli", "--db", str(db), "--json", *args],
                          input=stdin, capture_output=True, text=True, timeout=120, env=env,
                          cwd=PROJECT_ROOT)


def test_lockout_counts_across_processes_from_the_database(db_path: Path, clock: FakeClock) -> None:
    """Six separate CLI processes: five wrong PINs, then the right one is refused as locked;
    a minute later (on the seat clock) it signs in. Every failure is an event in the database
    (login and purpose, never the PIN), queued for the city server like any event."""
    # enrolled by a process of its own too: ids are minted from the highest clock a process has
    # seen, and this test process may have seen the real one in an earlier test
    enrolled = _cli_process(db_path, START, "operator", "add", "alice", "--name", "张三", stdin=f"{PIN}\n")
    assert enrolled.returncode == 0, enrolled.stderr
    for n in range(5):
        # a second apart, as guesses are: ids minted by separate processes in one millisecond
        # (one fixed LINKAGE_NOW) would not sort in the order they were made
        wrong = _cli_process(db_path, f"2026-11-28T06:00:0{n + 1}Z", "operator", "signin", "alice",
                             stdin="0000\n")
        assert wrong.returncode == 2, wrong.stderr
        assert json.loads(wrong.stdout)["error"]["code"] == "operator.wrong_pin", n
    locked = _cli_process(db_path, "2026-11-28T06:00:30Z", "operator", "signin", "alice",
                          stdin=f"{PIN}\n")
    assert locked.returncode == 2
    assert json.loads(locked.stdout)["error"]["code"] == "operator.locked"
    assert "35 秒" in locked.stderr                    # 60 s from the last failure, 25 s gone
    s = open_services(db_path, clock=clock)
    try:
        rows = s.store.all("SELECT e.seat, e.operator, e.payload, o.event_id IS NOT NULL AS queued"
                           " FROM events e LEFT JOIN outbox o ON o.event_id = e.id"
                           " WHERE e.kind = 'operator.sign_in_failed' ORDER BY e.seq")
        assert [(r["seat"], json.loads(r["payload"]), r["queued"]) for r in rows] == [
            (s.config.center.seat, {"login": "alice", "purpose": "sign_in"}, 1)] * 5
        assert one_row(s.store, "SELECT count(*) FROM events WHERE kind = 'operator.signed_in'")[0] == 0
        # this process is locked out as well: the count lives in the database, not in memory
        assert _code(lambda: s.sign_in("alice", PIN)) == "operator.locked"
    finally:
        s.close()
    later = _cli_process(db_path, "2026-11-28T06:01:06Z", "operator", "signin", "alice",
                         stdin=f"{PIN}\n")
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["data"]["operator"]["login"] == "alice"


def test_failures_on_another_seat_count_once_pulled(tmp_path: Path, clock: FakeClock) -> None:
    """Wrong PINs typed at seat-01 lock the login at seat-02 after a sync: the failures travel."""
    county = County(tmp_path, clock, seats=2)
    try:
        one, two = county.seats["seat-01"], county.seats["seat-02"]
        county.drain()                               # a syncing seat bootstraps only after a pass
        one.enrol_operator("alice", "张三", PIN)
        for _ in range(5):
            with pytest.raises(BadInput):
                one.sign_in("alice", "0000")
        county.drain()
        assert _code(lambda: two.sign_in("alice", PIN)) == "operator.locked"
        clock.advance(seconds=61)
        assert two.sign_in("alice", PIN).login == "alice"
    finally:
        county.close()


# -- no PIN material for city readers ----------------------------------------------------------
def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_a_city_token_receives_no_pin_material_while_a_county_seat_can_sign_in(
        tmp_path: Path, clock: FakeClock) -> None:
    county = County(tmp_path, clock, seats=2)
    try:
        one, two = county.seats["seat-01"], county.seats["seat-02"]
        county.drain()                               # a syncing seat bootstraps only after a pass
        one.enrol_operator("alice", "张三", PIN)
        one.change_pin("alice", PIN, "1357")
        county.drain()
        secrets = {str(json.loads(r[0])[k]) for r in one.store.all(
            "SELECT payload FROM events WHERE kind IN ('operator.enrolled', 'operator.pin_changed')")
            for k in ("salt", "pin_hash")}
        assert len(secrets) == 4
        # a county seat received what it needs: alice signs in there with her PIN
        assert two.sign_in("alice", "1357").login == "alice"
        seat_page = asgi_request(county.app, "GET", f"/v1/streams/{COUNTY}/events?after=0",
                                 headers={"Authorization": f"Bearer {county.tokens['seat-02']}"})
        assert all(secret in seat_page.text for secret in secrets)     # the test can fail
        city = county.central.add_token("*", "city-01", ("read-all",))
        page = asgi_request(county.app, "GET", f"/v1/streams/{COUNTY}/events?after=0",
                            headers={"Authorization": f"Bearer {city}"})
        assert page.status_code == 200
        body = page.json()
        kinds = [e["kind"] for e in body["events"]]
        assert "operator.enrolled" in kinds and "operator.pin_changed" in kinds
        assert len(body["events"]) == len(seat_page.json()["events"])
        assert not _keys(body) & {"salt", "pin_hash"}
        assert not any(secret in page.text for secret in secrets)
        enrolled = next(e for e in body["events"] if e["kind"] == "operator.enrolled")
        assert enrolled["payload"]["login"] == "alice" and enrolled["payload"]["name"] == "张三"
    finally:
        county.close()


# -- the KDF ---------------------------------------------------------------------------------
def test_the_product_kdf_is_memory_hard_scrypt_and_verifies() -> None:
    """The product default, not the tests' cheap knob: scrypt with at least 32 MiB per guess."""
    kdf = pins.PRODUCT_KDF
    assert kdf.n >= 2 ** 15 and kdf.r == 8 and kdf.p == 1 and kdf.memory >= 32 << 20
    assert kdf != pins.KDF                          # tests/conftest.py lowered it for new hashes
    salt = bytes(16)
    stored = {"salt": salt.hex(), "pin_hash": pins.scrypt_hash("1234", salt, kdf), "kdf": "scrypt",
              "scrypt_n": kdf.n, "scrypt_r": kdf.r, "scrypt_p": kdf.p}
    assert pins.matches("1234", stored) and not pins.matches("1235", stored)
    assert stored["pin_hash"] == hashlib.scrypt(b"1234", salt=salt, n=kdf.n, r=8, p=1,
                                                maxmem=kdf.memory + (1 << 20), dklen=32).hex()


def test_an_old_pbkdf2_hash_still_verifies_and_is_upgraded_at_sign_in(services: Services) -> None:
    salt = bytes.fromhex("00112233445566778899aabbccddeeff")
    legacy = {"login": "alice", "name": "张三", "salt": salt.hex(), "iterations": 200_000,
              "pin_hash": hashlib.pbkdf2_hmac("sha256", PIN.encode(), salt, 200_000).hex()}
    with services.store.transaction("seat-01", "duty") as tx:   # as a seat before issue 11 wrote it
        tx.append("operator.enrolled", legacy, subject="alice")
    assert _code(lambda: services.sign_in("alice", "0000")) == "operator.wrong_pin"
    assert services.sign_in("alice", PIN).login == "alice"
    rows = services.store.all("SELECT kind, payload FROM events WHERE kind LIKE 'operator.%' ORDER BY seq")
    assert [r["kind"] for r in rows][-2:] == ["operator.signed_in", "operator.pin_changed"]
    upgraded = json.loads(rows[-1]["payload"])
    assert upgraded["kdf"] == "scrypt" and upgraded["reason"] == "rehash"
    assert upgraded["salt"] != salt.hex()
    row = services.store.one("SELECT kdf, scrypt_n, pin_hash FROM operators WHERE login = 'alice'")
    assert row is not None and row["kdf"] == "scrypt" and row["pin_hash"] == upgraded["pin_hash"]
    # the new hash takes the same PIN, and is not re-hashed again
    services.sign_out()
    assert services.sign_in("alice", PIN).login == "alice"
    assert one_row(services.store, "SELECT count(*) FROM events WHERE kind = 'operator.pin_changed'")[0] == 1


# -- the command line ------------------------------------------------------------------------
def test_a_pin_on_the_command_line_is_refused_and_pins_come_from_stdin(cli: Cli) -> None:
    assert cli.ok("operator", "list")["operators"] == []
    cli.refused("operator", "add", "root", "--name", "管理员", "--pin", ADMIN_PIN,
                code="operator.pin_argv", zh="PIN 不能写在命令行上", en="never given on the command line")
    cli.ok("operator", "add", "root", "--name", "管理员", stdin=f"{ADMIN_PIN}\n")
    # the administrator's PIN is read first, then the new operator's
    cli.ok("operator", "add", "alice", "--name", "张三", "--admin", "root",
           stdin=f"{ADMIN_PIN}\n{PIN}\n")
    for args in (("operator", "signin", "alice", "--pin", PIN),
                 ("operator", "passwd", "alice", "--new-pin", "1357"),
                 ("shift", "handover", "--to", "alice", "--pin", PIN)):
        cli.refused(*args, code="operator.pin_argv", zh="从标准输入", en="pipe it on stdin")
    cli.refused("operator", "add", "bob", "--name", "李四", stdin="5678\n",
                code="operator.admin_needed", zh="须由管理员确认", en="needs an administrator")
    assert cli.ok("operator", "signin", "alice", stdin=f"{PIN}\n")["operator"]["login"] == "alice"


def test_the_command_bar_cannot_take_a_pin(staffed: Services) -> None:
    """In the console the command bar has no PIN reader: PINs go in the masked screens."""
    assert staffed.pin_reader is None
    assert _code(lambda: run(staffed, ["operator", "signin", "alice"], "zh")) == "operator.pin_prompt"


def test_operator_flag_cannot_impersonate_once_operators_are_enrolled(cli: Cli) -> None:
    call = ("call", "new", "--phone", "13800000001", "--text", "小区停电两个小时了",
            "--address", "人民路12号", "--area", "urban", "--category", "power_supply")
    assert cli.ok("--operator", "王丽", *call)               # nobody enrolled: any name, as before
    cli.ok("operator", "add", "alice", "--name", "张三", stdin=f"{PIN}\n")
    cli.refused("--operator", "王丽", *call, code="operator.impersonation",
                zh="只能是本席位已签到的值班员", en="may only name the operator signed in")
    cli.ok("operator", "signin", "alice", stdin=f"{PIN}\n")
    cli.refused("--operator", "bob", *call, code="operator.impersonation",
                zh="只能是本席位已签到的值班员", en="may only name the operator signed in")
    cli.ok("--operator", "alice", *call)
    rows = cli.rows("SELECT operator FROM events WHERE kind = 'incident.created' ORDER BY seq")
    assert [r[0] for r in rows] == ["王丽", "alice"]
