"""The call feed (console/calls/callfeed.py) and the simulator (console/calls/simulator.py), headless.

Every test writes real JSON lines to a file under ``tmp_path`` and moves a ``FakeClock`` by
hand; nothing sleeps.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from console.calls import simulator
from console.calls.callfeed import (
    CATCH_UP_BYTES,
    MAX_LINE_BYTES,
    CallFeed,
    FeedEvent,
    FeedLineError,
    append_events,
    feed_path,
    parse_line,
)
from console.kernel.clock import FakeClock, parse_instant
from console.kernel.config import load_config
from console.kernel.errors import BadInput, DataError
from console.seat.services import Services

START = "2026-11-28T06:00:00Z"   # the conftest clock's start (14:00 Asia/Shanghai)
Cli = Any                          # the conftest ``cli`` fixture: runs ``linkage`` in-process
T0 = parse_instant(START)
TIMEOUT = timedelta(seconds=60)


def line(kind: str = "ring", ref: str = "c1", phone: str = "13800000123", at: str = START,
         **extra: Any) -> str:
    return json.dumps({"v": 1, "type": kind, "call_ref": ref, "phone": phone, "line": "1", "at": at,
                       **extra}, ensure_ascii=False) + "\n"


def write(path: Path, *lines: str | bytes) -> None:
    with open(path, "ab") as fh:
        for item in lines:
            fh.write(item.encode("utf-8") if isinstance(item, str) else item)


@pytest.fixture
def feed_file(tmp_path: Path) -> Path:
    return tmp_path / "callfeed.jsonl"


@pytest.fixture
def feed(feed_file: Path, clock: FakeClock) -> CallFeed:
    f = CallFeed(feed_file, clock.now, TIMEOUT)
    f.poll()   # started: the (missing) file is caught up, everything after this is live
    return f


def refs(calls: list[Any]) -> list[str]:
    return [c.call_ref for c in calls]


# -- the tracker ------------------------------------------------------------------------------
def test_a_ring_is_ringing_with_its_number_line_and_duration(feed: CallFeed, feed_file: Path,
                                                             clock: FakeClock) -> None:
    write(feed_file, line(caller_name="王女士", say="停电了"))
    new, late = feed.poll()
    assert refs(new) == ["c1"] and late == []
    [call] = feed.ringing()
    assert (call.phone, call.line, call.caller_name, call.say, call.state) == (
        "13800000123", "1", "王女士", "停电了", "ringing")
    clock.advance(12)
    feed.poll()
    assert call.ringing_for(clock.now()) == timedelta(seconds=12)
    assert feed.poll() == ([], [])          # nothing new: no second bell


def test_answered_on_the_feed_stops_ringing_and_is_not_missed(feed: CallFeed, feed_file: Path) -> None:
    write(feed_file, line(ref="a"), line(ref="b"))
    feed.poll()
    write(feed_file, line("answered", ref="a"))
    feed.poll()
    assert refs(feed.ringing()) == ["b"]
    assert feed.missed() == []


def test_hangup_while_ringing_stops_it_and_keeps_it_as_abandoned(feed: CallFeed, feed_file: Path,
                                                                 clock: FakeClock) -> None:
    write(feed_file, line(ref="a"))
    feed.poll()
    clock.advance(20)
    write(feed_file, line("hangup", ref="a", at="2026-11-28T06:00:20Z"))
    feed.poll()
    assert feed.ringing() == []
    [missed] = feed.missed()
    assert (missed.call_ref, missed.state, missed.reason) == ("a", "missed", "abandoned")
    assert missed.ringing_for(clock.now()) == timedelta(seconds=20)


def test_ring_and_hangup_in_one_read_do_not_ring_the_bell(feed: CallFeed, feed_file: Path) -> None:
    write(feed_file, line(ref="a"), line("hangup", ref="a"))
    new, _ = feed.poll()
    assert new == [] and refs(feed.missed()) == ["a"]


def test_local_answer_takes_the_oldest_ringing_call(feed: CallFeed, feed_file: Path,
                                                   clock: FakeClock) -> None:
    write(feed_file, line(ref="first", phone="13800000123"))
    feed.poll()
    clock.advance(5)
    write(feed_file, line(ref="second", phone="13900000111", at="2026-11-28T06:00:05Z"))
    feed.poll()
    answered = feed.answer()
    assert answered is not None and (answered.call_ref, answered.state) == ("first", "answered")
    assert refs(feed.ringing()) == ["second"]
    write(feed_file, line("hangup", ref="first"))     # the call ends later: not missed
    feed.poll()
    assert feed.missed() == []
    assert feed.answer() is not None and feed.answer() is None


def test_unanswered_ring_times_out_into_missed_and_recent_missed_are_kept(
        feed: CallFeed, feed_file: Path, clock: FakeClock) -> None:
    write(feed_file, line(ref="a"))
    feed.poll()
    clock.advance(59)
    assert feed.poll() == ([], [])
    clock.advance(1)
    _, late = feed.poll()
    assert refs(late) == ["a"] and feed.ringing() == []
    [missed] = feed.missed()
    assert missed.reason == "timeout" and missed.ended_at == T0 + TIMEOUT
    assert feed.missed(since=T0 + TIMEOUT + timedelta(minutes=1)) == []
    write(feed_file, line("answered", ref="a"))         # too late to matter
    feed.poll()
    assert refs(feed.missed()) == ["a"] and feed.ringing() == []


def test_missed_list_keeps_only_the_newest(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "f.jsonl"
    feed = CallFeed(path, clock.now, TIMEOUT, missed_kept=3)
    feed.poll()
    write(path, *(line(ref=f"r{n}") + line("hangup", ref=f"r{n}") for n in range(5)))
    feed.poll()
    assert refs(feed.missed()) == ["r4", "r3", "r2"]


def test_a_repeated_ring_line_does_not_ring_twice(feed: CallFeed, feed_file: Path) -> None:
    write(feed_file, line(ref="a"))
    assert refs(feed.poll()[0]) == ["a"]
    write(feed_file, line(ref="a"))
    assert feed.poll()[0] == [] and refs(feed.ringing()) == ["a"]


def test_a_ring_stamped_by_a_skewed_clock_rings_from_when_it_was_seen(
        feed: CallFeed, feed_file: Path, clock: FakeClock) -> None:
    """A PBX clock minutes behind (or ahead) must not make a live ring look stale (or negative)."""
    write(feed_file, line(ref="behind", at="2026-11-28T05:50:00Z"),
          line(ref="ahead", at="2026-11-28T06:03:00Z"))
    assert refs(feed.poll()[0]) == ["behind", "ahead"]
    assert [c.since for c in feed.ringing()] == [T0, T0]


# -- reading the file ---------------------------------------------------------------------------
def test_offset_tails_only_what_was_appended(feed: CallFeed, feed_file: Path) -> None:
    write(feed_file, line(ref="a"), line(ref="b"))
    assert refs(feed.poll()[0]) == ["a", "b"]
    offset = feed.reader.offset
    assert offset == feed_file.stat().st_size
    write(feed_file, line(ref="c"))
    assert refs(feed.poll()[0]) == ["c"]
    assert feed.reader.offset == feed_file.stat().st_size > offset
    assert feed.reader.lines_read == 3


def test_a_partial_last_line_is_consumed_only_once_complete(feed: CallFeed, feed_file: Path) -> None:
    whole = line(ref="half", caller_name="李先生").encode("utf-8")
    cut = whole.index("李".encode()) + 1          # in the middle of a UTF-8 character, too
    write(feed_file, line(ref="a"), whole[:cut])
    assert refs(feed.poll()[0]) == ["a"]
    assert feed.reader.offset == len(line(ref="a").encode())
    assert feed.poll()[0] == []                   # still incomplete: nothing consumed
    write(feed_file, whole[cut:])
    [call] = feed.poll()[0]
    assert (call.call_ref, call.caller_name) == ("half", "李先生")
    assert feed.bad_lines == 0


def test_malformed_lines_are_skipped_and_counted_never_fatal(feed: CallFeed, feed_file: Path) -> None:
    write(feed_file,
          "not json at all\n",
          "[1, 2]\n",
          '{"v": 2, "type": "ring", "call_ref": "x", "at": "2026-11-28T06:00:00Z"}\n',
          line("transfer", ref="x"),
          line(ref=""),
          line(ref="x", at="2026-11-28 14:00"),         # no offset: ambiguous
          line(ref="x", at="yesterday"),
          b'{"v": 1, "type": "ring", "call_ref": "\xff\xfe"}\n',
          "\n",                                          # blank lines are not errors
          line(ref="good"))
    assert refs(feed.poll()[0]) == ["good"]
    assert feed.bad_lines == 8
    assert "not UTF-8" in feed.reader.last_error


def test_an_over_long_line_is_one_bad_line(feed: CallFeed, feed_file: Path) -> None:
    write(feed_file, "x" * (MAX_LINE_BYTES + 10))
    feed.poll()
    write(feed_file, "y" * 100 + "\n", line(ref="after"))
    assert refs(feed.poll()[0]) == ["after"]
    assert feed.bad_lines == 1


def test_parse_line_normalises_what_the_adapter_sends() -> None:
    event = parse_line('{"v":1,"type":"ring","call_ref":"r","phone":"+86 138-0000-0123","line":2,'
                       '"at":"2026-11-28T14:00:00+08:00","caller_name":"王\\u0007女士"}')
    assert (event.phone, event.line, event.at, event.caller_name) == ("13800000123", "2", T0, "王 女士")
    odd = parse_line(line(phone="10086"))             # a service number still rings
    assert odd.phone == "10086"
    assert parse_line(line(phone="")).phone == "" and parse_line(line(phone="hidden")).phone == ""
    with pytest.raises(FeedLineError, match="call_ref"):
        parse_line(line(ref="   "))
    assert parse_line(FeedEvent("hangup", "r", "", "1", T0).to_line()).type == "hangup"


def test_truncated_or_rotated_feed_is_read_from_its_start(feed: CallFeed, feed_file: Path) -> None:
    write(feed_file, line(ref="a"), line(ref="b"))
    feed.poll()
    feed_file.write_text(line(ref="c"), encoding="utf-8")          # copytruncate
    assert refs(feed.poll()[0]) == ["c"]
    rotated = feed_file.with_suffix(".1")
    os.replace(feed_file, rotated)
    write(feed_file, line(ref="d"), line(ref="e"), line(ref="f"))   # a new file, a new inode
    assert refs(feed.poll()[0]) == ["d", "e", "f"]


# -- restart ------------------------------------------------------------------------------------
def test_on_start_stale_rings_do_not_ring_again_but_recent_ones_do(feed_file: Path,
                                                                    clock: FakeClock) -> None:
    write(feed_file,
          line(ref="old", at="2026-11-28T05:58:00Z"),                 # 2 min ago: stale
          line(ref="done", at="2026-11-28T05:59:40Z"),
          line("answered", ref="done", at="2026-11-28T05:59:45Z"),    # answered before we started
          line(ref="live", at="2026-11-28T05:59:30Z"))                # 30 s ago: still ringing
    feed = CallFeed(feed_file, clock.now, TIMEOUT)
    new, _ = feed.poll()
    assert refs(new) == ["live"]
    assert feed.ringing()[0].since == parse_instant("2026-11-28T05:59:30Z")
    assert feed.tracker.stale_skipped == 1
    clock.advance(30)
    assert refs(feed.poll()[1]) == ["live"]        # it keeps its real age and times out on time


def test_on_start_only_the_tail_of_a_big_feed_is_read(feed_file: Path, clock: FakeClock) -> None:
    old = line(ref="x" * 40, at="2026-11-27T06:00:00Z")
    write(feed_file, old * (2 * CATCH_UP_BYTES // len(old)), line(ref="live"))
    feed = CallFeed(feed_file, clock.now, TIMEOUT)
    assert refs(feed.poll()[0]) == ["live"]
    assert feed.bad_lines == 0                     # the line cut by the window is not "bad"
    assert feed.reader.lines_read < CATCH_UP_BYTES // len(old) + 2


def test_a_feed_that_does_not_exist_yet_is_quiet_until_it_appears(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "later" / "callfeed.jsonl"
    feed = CallFeed(path, clock.now, TIMEOUT)
    assert feed.poll() == ([], [])
    append_events(path, [FeedEvent("ring", "r1", "13800000123", "1", T0)])
    assert refs(feed.poll()[0]) == ["r1"]


def test_feed_path_defaults_beside_the_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "linkage.db"
    assert feed_path("", db) == tmp_path / "data" / "callfeed.jsonl"
    assert feed_path("pbx/feed.jsonl", db) == tmp_path / "data" / "pbx" / "feed.jsonl"
    assert feed_path("/var/spool/pbx.jsonl", db) == Path("/var/spool/pbx.jsonl")
    assert feed_path("", ":memory:") is None


def test_callfeed_config_section(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[callfeed]\npath = "/srv/pbx.jsonl"\nring_timeout_seconds = 45\n', encoding="utf-8")
    assert load_config(cfg).callfeed.ring_timeout_seconds == 45
    for body, fragment in (("ring_timeout_seconds = 2", "between 5 and 3600"),
                           ('ring_timeout_seconds = "60"', "int"),
                           ("ringtimeout = 60", "unknown key")):
        cfg.write_text(f"[callfeed]\n{body}\n", encoding="utf-8")
        with pytest.raises(DataError, match=fragment):
            load_config(cfg)


# -- simulator ------------------------------------------------------------------------------------
@pytest.fixture
def profile(services: Services) -> simulator.SimProfile:
    return simulator.load_profile(services.data_dir / simulator.PROFILE_FILE)


def run_sim(profile: simulator.SimProfile, seed: int, count: int = 30, rate: float = 6.0,
            lang: str = "zh") -> list[FeedEvent]:
    return list(simulator.generate(profile, seed=seed, start=T0, rate=rate, count=count, lang=lang))


def test_simulator_is_a_pure_function_of_seed_and_clock(profile: simulator.SimProfile) -> None:
    a, b = run_sim(profile, 42), run_sim(profile, 42)
    assert a == b
    assert a != run_sim(profile, 43)
    rings = [e for e in a if e.type == "ring"]
    assert len(rings) == 30 and rings[0].at == T0
    assert [e.at for e in a] == sorted(e.at for e in a)
    assert {e.type for e in a} <= {"ring", "hangup", "answered"}
    follow = [e for e in a if e.type != "ring"]
    assert follow and {e.call_ref for e in follow} <= {e.call_ref for e in rings}
    assert all(e.say for e in rings) and not any(e.say for e in follow)
    # about 6 a minute: a mean gap near 10 s over 30 rings
    assert 5 < (rings[-1].at - rings[0].at).total_seconds() / 29 < 20
    english = run_sim(profile, 42, lang="en")
    assert [e.phone for e in english] == [e.phone for e in a]
    assert english[0].say != a[0].say and english[0].say.isascii()


def test_simulator_unbounded_is_a_lazy_stream(profile: simulator.SimProfile) -> None:
    stream = simulator.generate(profile, seed=1, start=T0, rate=60, count=None)
    first = [next(stream) for _ in range(200)]
    assert sum(e.type == "ring" for e in first) > 100


def test_shipped_simulation_callers_are_fictional_and_bilingual(profile: simulator.SimProfile) -> None:
    assert len(profile.callers) >= 15
    assert all(c.phone == "" or c.phone[3:7] == "0000" for c in profile.callers)
    assert any(c.phone == "" for c in profile.callers)
    assert 0 < profile.hangup_share < 1


def test_simulation_profile_refuses_a_real_looking_number(tmp_path: Path) -> None:
    path = tmp_path / "simulation.toml"
    path.write_text('[[caller]]\nphone = "13912345678"\nsay_zh = "喂"\nsay_en = "hello"\n',
                    encoding="utf-8")
    with pytest.raises(DataError, match="fictional"):
        simulator.load_profile(path)
    path.write_text('[[caller]]\nphone = ""\nsay_zh = "喂"\nsay_en = "hello"\nmood = "angry"\n',
                    encoding="utf-8")
    with pytest.raises(DataError, match="unknown key mood"):
        simulator.load_profile(path)


def test_paced_writing_waits_until_each_event_is_due(profile: simulator.SimProfile, tmp_path: Path,
                                                     clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real-clock path: sleeps the gap, then stamps each line with the time it was written."""
    slept: list[float] = []

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds + 0.25)        # a sleep always overshoots a little

    monkeypatch.setattr(simulator, "sleep", fake_sleep)
    events = run_sim(profile, 7, count=4, rate=60)
    path = tmp_path / "paced.jsonl"
    written = simulator.write_schedule(events, path, clock.now, paced=True)
    assert [e.call_ref for e in written] == [e.call_ref for e in events]
    assert len(slept) >= 3 and all(s > 0 for s in slept)
    on_file = [parse_line(raw) for raw in path.read_bytes().splitlines()]
    assert on_file == written
    assert all(w.at >= e.at for w, e in zip(written, events, strict=True))


def test_cli_simulate_calls_writes_rings_to_the_feed(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "sim" / "feed.jsonl"
    data = cli.ok("simulate-calls", "--count", "3", "--rate", "600", "--feed", str(path), "--seed", "5")
    on_file = [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines()]
    rings = [e for e in on_file if e["type"] == "ring"]
    assert len(rings) == 3 == data["rings"]
    assert data["feed"] == str(path) and data["seed"] == 5
    assert data["events"] == on_file
    assert all(e["v"] == 1 and e["call_ref"] and e["at"].endswith("Z") for e in on_file)
    assert rings[0]["at"] == "2026-11-28T06:00:00.000Z"
    again = tmp_path / "again.jsonl"
    cli.ok("simulate-calls", "--count", "3", "--rate", "600", "--feed", str(again), "--seed", "5")
    assert again.read_bytes() == path.read_bytes()          # deterministic through the CLI too
    human = cli("simulate-calls", "--count", "1", "--feed", str(again), "--seed", "5", as_json=False)
    assert human.code == 0 and "振铃" in human.out


@pytest.mark.parametrize("args", [("--rate", "0"), ("--rate", "-3"), ("--rate", "fast"),
                                  ("--rate", "nan"), ("--rate", "100000"), ("--count", "0"),
                                  ("--count", "2.5"), ("--seed", "abc"), ("--bogus", "1")])
def test_cli_simulate_calls_refuses_bad_options_and_writes_nothing(cli: Cli, tmp_path: Path,
                                                                   args: tuple[str, str]) -> None:
    path = tmp_path / "feed.jsonl"
    result = cli("simulate-calls", "--count", "3", "--feed", str(path), *args)
    assert result.code == 2
    assert result.json["ok"] is False
    assert not path.exists()


def test_cli_rate_refusal_names_the_option(cli: Cli, tmp_path: Path) -> None:
    result = cli("simulate-calls", "--rate", "0", "--count", "3", "--feed", str(tmp_path / "f"), "--lang", "en")
    assert result.code == 2
    assert result.json["error"]["code"] == "simulate.rate"
    assert "--rate" in result.err


def test_simulator_with_a_fixed_clock_needs_a_count(cli: Cli, tmp_path: Path) -> None:
    result = cli("simulate-calls", "--feed", str(tmp_path / "f.jsonl"))
    assert result.code == 2 and result.json["error"]["code"] == "simulate.unbounded"


def test_simulator_refuses_to_block_a_running_console(services: Services, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """From the TUI command bar (a running event loop) with a real clock it would freeze the UI."""
    import asyncio

    from console.commands.grammar import run
    from console.kernel.clock import SystemClock

    monkeypatch.setattr(services.ctx, "clock", SystemClock())
    path = tmp_path / "f.jsonl"

    async def in_loop() -> None:
        with pytest.raises(BadInput, match="another terminal"):
            run(services, ["simulate-calls", "--count", "2", "--feed", str(path)], "en")

    asyncio.run(in_loop())
    assert not path.exists()


def test_callfeed_check_reports_counts_and_bad_lines(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    write(path, line(ref="a"), "oops\n", line("hangup", ref="a"), line(ref="b")[:20])
    data = cli.ok("callfeed", "check", "--feed", str(path))
    assert data["lines"] == 3 and data["events"] == {"ring": 1, "answered": 0, "hangup": 1}
    assert data["bad"] == 1 and data["bad_lines"][0]["line"] == 2
    assert data["partial_last_line"] is True
    missing = cli("callfeed", "check", "--feed", str(tmp_path / "none.jsonl"))
    assert missing.code == 2 and missing.json["error"]["code"] == "callfeed.missing"


def test_simulator_write_failure_is_a_refusal(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    result = cli("simulate-calls", "--count", "2", "--feed", str(blocker / "feed.jsonl"))
    assert result.code == 2 and result.json["error"]["code"] == "simulate.write"


def test_simulate_calls_defaults_to_the_feed_beside_the_database(cli: Cli) -> None:
    data = cli.ok("simulate-calls", "--count", "2", "--rate", "60")
    assert Path(data["feed"]) == cli.db.parent / "callfeed.jsonl"
    assert Path(data["feed"]).exists()


# -- the phone state over a restart (console/calls/phone_state.py) -------------------------------------
def _session(feed_file: Path, clock: FakeClock, services: Services) -> CallFeed:
    from console.calls.phone_state import PhoneLog

    feed = CallFeed(feed_file, clock.now, TIMEOUT, log=PhoneLog(services.store))
    feed.poll()
    return feed


def test_phone_state_survives_a_restart(feed_file: Path, clock: FakeClock, services: Services) -> None:
    """Answered here: gone for good. Hung up unanswered: owed until called back. Still ringing
    at the restart: rings on, and is missed when its time is up. Answered elsewhere: not owed."""
    from console.calls.phone_state import PhoneLog

    write(feed_file, line(ref="here"), line(ref="gave-up", phone="13900000111"),
          line(ref="ringing", phone="13700000222"), line(ref="elsewhere", phone="13600000333"))
    feed = _session(feed_file, clock, services)
    assert feed.answer("here") is not None
    clock.advance(5)
    write(feed_file, line("hangup", "gave-up", "13900000111", at="2026-11-28T06:00:05Z"),
          line("answered", "elsewhere", "13600000333", at="2026-11-28T06:00:05Z"))
    feed.poll()
    clock.advance(10)                                    # the console restarts (15 s in)
    again = _session(feed_file, clock, services)
    assert [c.call_ref for c in again.ringing()] == ["ringing"]
    assert [c.call_ref for c in again.owed()] == ["gave-up"]
    clock.advance(60)                                    # the one still ringing times out
    again.poll()
    assert [(c.call_ref, c.reason) for c in again.owed()] == [("gave-up", "abandoned"),
                                                              ("ringing", "timeout")]
    log = PhoneLog(services.store)
    log.settle("gave-up", "called_back", clock.now())
    with pytest.raises(BadInput) as info:
        log.settle("gave-up", "dismissed", clock.now())
    assert info.value.code == "missed.settled"
    third = _session(feed_file, clock, services)
    assert [c.call_ref for c in third.owed()] == ["ringing"]
    states = {r[0]: r[1] for r in services.store.all("SELECT call_ref, state FROM phone_calls")}
    assert states == {"here": "answered", "gave-up": "missed", "ringing": "missed",
                      "elsewhere": "answered_elsewhere"}
