"""Two seats file rosters for the same unit while cut off from each other, then sync.

The seats receive each other's filing in opposite orders; the newest filing covering an
instant rules it (by event id), so both show the same roster, and both filings stay in both
logs (docs/sync-protocol.md "Conflict rules").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import one_row
from sync_harness import County

from console.duty.rosters import effective_shifts
from console.kernel.clock import FakeClock, parse_instant

HEADER = "unit,start,end,person,phone,vehicle\n"


@pytest.fixture
def county(tmp_path: Path) -> Iterator[County]:
    c = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    yield c
    c.close()


def _file(county: County, seat: str, tmp_path: Path, body: str) -> str:
    path = tmp_path / f"{seat}.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    _, ids = county.seats[seat].import_roster(path)
    return ids[0]


def _roster_tables(county: County, seat: str) -> dict[str, list[tuple[object, ...]]]:
    store = county.seats[seat].store
    return {t: sorted(map(tuple, store.all(f"SELECT * FROM {t}"))) for t in ("roster_filings", "roster_shifts")}


def test_two_seats_filing_the_same_unit_converge_on_the_newest(county: County, tmp_path: Path) -> None:
    a, b = county.seats["seat-01"], county.seats["seat-02"]
    first = _file(county, "seat-01", tmp_path,
                  "power,2026-11-28 08:00,2026-11-28 20:00,甲,0000-1100001,示A1\n"
                  "power,2026-11-28 20:00,2026-11-29 20:00,乙,0000-1100002,示A2\n")
    county.clock.advance(30)
    second = _file(county, "seat-02", tmp_path,       # overlaps the first: Sat 18:00 → Sun 08:00
                   "power,2026-11-28 18:00,2026-11-29 08:00,丙,0000-1100003,示A3\n")
    assert second > first
    for name in ("seat-02", "seat-01", "seat-02"):     # 1 gets the newer filing after its own, 2 first
        assert county.sync(name).ok
    county.drain()
    assert _roster_tables(county, "seat-01") == _roster_tables(county, "seat-02")
    window = (parse_instant("2026-11-28T00:00:00Z"), parse_instant("2026-11-30T00:00:00Z"))
    assert effective_shifts(a.store, *window) == effective_shifts(b.store, *window)
    for s in (a, b):
        persons = [(x.person, x.start.isoformat(), x.end.isoformat()) for x in s.roster_shifts(*window)]
        assert persons == [("甲", "2026-11-28T00:00:00+00:00", "2026-11-28T10:00:00+00:00"),
                           ("丙", "2026-11-28T10:00:00+00:00", "2026-11-29T00:00:00+00:00"),
                           ("乙", "2026-11-29T00:00:00+00:00", "2026-11-29T12:00:00+00:00")]
        shift = s.duty(s.catalog.unit("power"), parse_instant("2026-11-28T12:00:00Z")).shift
        assert shift is not None and shift.person == "丙"
        assert one_row(s.store, "SELECT count(*) FROM events WHERE kind = 'roster.filed'")[0] == 2
        assert [f.id for f in s.filings("power")] == [second, first]
        assert county.projection("seat-01") == county.projection("seat-02")
