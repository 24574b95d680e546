"""The call feed over a whole shift: rotation while running and while closed, and a restart
that resumes from the saved position (console/calls/feed_tail.py). Real files renamed and
truncated under a real reader; the position is kept in a real seat database."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from console.calls.callfeed import CallFeed
from console.calls.feed_tail import MAX_READ_BYTES
from console.calls.phone_state import PhoneLog
from console.kernel.clock import FakeClock, iso
from console.seat.services import Services

TIMEOUT = timedelta(seconds=60)


def line(clock: FakeClock, ref: str, kind: str = "ring", **extra: Any) -> str:
    return json.dumps({"v": 1, "type": kind, "call_ref": ref, "phone": "13800000123", "line": "1",
                       "at": iso(clock.now()), **extra}) + "\n"


def write(path: Path, *lines: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        for text in lines:
            fh.write(text)


def refs(calls: list[Any]) -> list[str]:
    return [c.call_ref for c in calls]


def session(path: Path, clock: FakeClock, services: Services | None = None) -> CallFeed:
    return CallFeed(path, clock.now, TIMEOUT, log=PhoneLog(services.store) if services else None)


def test_lines_written_to_the_old_file_just_before_a_rename_are_not_lost(tmp_path: Path, clock: FakeClock) -> None:
    feed_file = tmp_path / "callfeed.jsonl"
    feed = session(feed_file, clock)
    write(feed_file, line(clock, "a"))
    assert refs(feed.poll()[0]) == ["a"]
    write(feed_file, line(clock, "b"))                      # after our last poll …
    os.replace(feed_file, tmp_path / "callfeed.jsonl.1")    # … the adapter's logrotate renames it
    write(feed_file, line(clock, "c"))                      # and starts a new file
    assert refs(feed.poll()[0]) == ["b", "c"]
    write(feed_file, line(clock, "d"))
    assert refs(feed.poll()[0]) == ["d"]
    feed.close()


def test_an_adapter_still_appending_to_the_renamed_file_is_followed_until_the_new_one_appears(
        tmp_path: Path, clock: FakeClock) -> None:
    feed_file = tmp_path / "callfeed.jsonl"
    old = tmp_path / "callfeed.jsonl.1"
    feed = session(feed_file, clock)
    write(feed_file, line(clock, "a"))
    feed.poll()
    os.replace(feed_file, old)
    write(old, line(clock, "b"))                            # the adapter has not reopened yet
    assert refs(feed.poll()[0]) == ["b"]
    write(old, line(clock, "c"))
    write(feed_file, line(clock, "d"))                      # now it has
    assert refs(feed.poll()[0]) == ["c", "d"]
    feed.close()


def test_copytruncate_and_a_rewrite_are_read_from_the_start(tmp_path: Path, clock: FakeClock) -> None:
    feed_file = tmp_path / "callfeed.jsonl"
    feed = session(feed_file, clock)
    write(feed_file, line(clock, "a"), line(clock, "b"))
    feed.poll()
    feed_file.write_text("", encoding="utf-8")              # copytruncate: cut to nothing …
    write(feed_file, line(clock, "c"))                      # … and written again
    assert refs(feed.poll()[0]) == ["c"]
    # rewritten in place with other contents that are longer than what was read: the head differs
    feed_file.write_text(line(clock, "x" * 30) * 3, encoding="utf-8")
    assert refs(feed.poll()[0]) == ["x" * 30]               # three lines, one call ref
    assert feed.reader.lines_read == 6
    feed.close()


def test_a_restart_resumes_from_the_saved_position(tmp_path: Path, clock: FakeClock, services: Services) -> None:
    """Nothing is read twice and nothing appended while the console was closed is lost."""
    feed_file = tmp_path / "callfeed.jsonl"
    first = session(feed_file, clock, services)
    write(feed_file, line(clock, "a"), line(clock, "b"))
    first.poll()
    first.answer("a")
    first.answer("b")
    first.close()
    clock.advance(5)
    write(feed_file, line(clock, "c"), line(clock, "d", kind="answered"))   # while it was closed
    second = session(feed_file, clock, services)
    assert refs(second.poll()[0]) == ["c"]
    assert second.reader.lines_read == 2                    # c and d only: a and b not read again
    assert second.reader.offset == feed_file.stat().st_size
    second.close()


def test_a_restart_after_the_feed_was_rotated_while_closed(tmp_path: Path, clock: FakeClock,
                                                          services: Services) -> None:
    feed_file = tmp_path / "callfeed.jsonl"
    first = session(feed_file, clock, services)
    write(feed_file, line(clock, "a"))
    first.poll()
    first.close()
    write(feed_file, line(clock, "b"))                      # appended after we stopped …
    os.replace(feed_file, tmp_path / "callfeed.jsonl.1")    # … then rotated
    write(feed_file, line(clock, "c"))
    second = session(feed_file, clock, services)
    assert refs(second.poll()[0]) == ["b", "c"]
    assert second.reader.lines_read == 2
    second.close()


def test_a_backlog_larger_than_one_read_is_caught_up_without_ringing_old_calls(
        tmp_path: Path, clock: FakeClock, services: Services) -> None:
    feed_file = tmp_path / "callfeed.jsonl"
    first = session(feed_file, clock, services)
    write(feed_file, line(clock, "first"))
    first.poll()
    first.answer("first")
    first.close()
    old = "".join(line(clock, f"old-{i:06d}") for i in range(2 * MAX_READ_BYTES // 120))
    write(feed_file, old)                                   # a long night with the console closed
    clock.advance(3600)
    write(feed_file, line(clock, "live"))
    second = session(feed_file, clock, services)
    rang: list[str] = []
    for _ in range(5):
        rang += refs(second.poll()[0])
    assert rang == ["live"]
    assert second.tracker.stale_skipped == old.count("\n")
    second.close()


def test_an_idle_poll_writes_no_position(tmp_path: Path, clock: FakeClock, services: Services) -> None:
    feed_file = tmp_path / "callfeed.jsonl"
    feed = session(feed_file, clock, services)
    write(feed_file, line(clock, "a"))
    feed.poll()
    stamp = services.store.change_stamp()
    for _ in range(10):
        clock.advance(1)
        feed.poll()
    assert services.store.change_stamp() == stamp
    feed.close()
