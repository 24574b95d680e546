"""The unit registry travels with the county: an edit on one seat reaches every seat.

A seat loads its own data/ on first start (a "seed"); an administrator's ``catalog reload``
after editing units outranks every seed, so even a seat installed later with an older data/
directory adopts the edit instead of undoing it. The server serves the same winner.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from sync_harness import COUNTY, County

from console.catalog.loading import default_data_dir
from console.kernel.clock import FakeClock


def test_a_unit_edit_reaches_other_seats_and_new_ones(tmp_path: Path) -> None:
    county = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), seats=2)
    try:
        county.drain()
        a, b = county.seats["seat-01"], county.seats["seat-02"]
        edited = tmp_path / "data-edited"
        shutil.copytree(default_data_dir(), edited)
        units = edited / "units.toml"
        units.write_text(units.read_text(encoding="utf-8").replace('"0000-1010037"', '"0000-9999999"', 1),
                         encoding="utf-8")
        a.data_dir = edited
        assert a.reload_catalog()
        assert a.catalog.units["psb"].duty_phone == "0000-9999999"
        county.drain()
        assert b.catalog.units["psb"].duty_phone == "0000-9999999"

        # a third seat installed now, with the stock data/: its seed loses to the edit
        (tmp_path / "seat-03").mkdir()
        (tmp_path / "seat-03" / "config.toml").write_text(
            f'[center]\ncounty = "{COUNTY}"\nseat = "seat-03"\n[sync]\nserver = "http://central.test"\n',
            encoding="utf-8")
        county.names.append("seat-03")
        county.seats["seat-03"] = county.open("seat-03")
        county.seats["seat-03"].save_sync_token(county.central.add_token(COUNTY, "seat-03"))
        c = county.seats["seat-03"]
        assert c.catalog.units["psb"].duty_phone == "0000-1010037"
        county.drain()
        for s in (a, b, c):
            assert s.catalog.units["psb"].duty_phone == "0000-9999999"
        assert len({county.projection(n)["catalog"] for n in county.names}) == 1

        import asyncio

        async def registry() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=county.app),
                                         base_url="http://central.test") as client:
                return await client.get(f"/v1/streams/{COUNTY}/registry",
                                        headers={"authorization": f"Bearer {county.tokens['seat-02']}"})

        served = asyncio.run(registry()).json()["registry"]
        assert served["version"] == a.catalog.version
        assert '"0000-9999999"' in served["body"] or "0000-9999999" in served["body"]
    finally:
        county.close()
