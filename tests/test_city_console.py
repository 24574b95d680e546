"""The city console's replica and board: three counties' seats write through a real server
(uvicorn on 127.0.0.1, both engines), the city pulls every county with its token and sees their
counts and overdue orders after one pull; a city 督办 reaches the county seat.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from central.storage import open_store
from central.store import CITY_SUPERVISE_SCOPES
from central.testing import push_body, serve_in_thread
from console.calls import intake
from console.city import supervise
from console.city.replica import CityReplica
from console.city.summary import city_board
from console.kernel.clock import FakeClock
from console.orders.accountability import CITY_LEVEL
from console.seat.services import Services, open_services

START = "2026-11-28T06:00:00Z"
COUNTIES = ("county-a", "county-b", "county-c")


@dataclass
class City:
    url: str
    clock: FakeClock
    seats: dict[str, Services]
    city_token: str
    replica: CityReplica


def _seat_board_lines(services: Services) -> list[str]:
    """The county seat's console (Pilot): the lines of its board's open orders."""
    import asyncio

    from screens.app import LinkageApp
    from screens.widgets.board_view import BoardView

    lines: list[str] = []

    async def scenario() -> None:
        app = LinkageApp(services, "zh")
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            view = app.screen.query_one(BoardView)
            lines.extend("".join(seg.text for seg in view.render_line(1 + i)) for i in range(len(view.rows)))

    asyncio.run(scenario())
    return lines


@pytest.fixture
def city(tmp_path: Path, central_spec: Path | str) -> Iterator[City]:
    clock = FakeClock(START)
    store = open_store(central_spec, clock)
    tokens = {c: store.add_token(c, "seat-01") for c in COUNTIES}
    city_token = store.add_token("*", "city-01", CITY_SUPERVISE_SCOPES)
    seats: dict[str, Services] = {}
    try:
        with serve_in_thread(store, clock=clock) as url:
            for county in COUNTIES:
                (tmp_path / county).mkdir()
                config = tmp_path / county / "config.toml"
                config.write_text(f'[center]\ncounty = "{county}"\nseat = "seat-01"\n[sync]\nserver = "{url}"\n',
                                  encoding="utf-8")
                seats[county] = open_services(tmp_path / county / "linkage.db", config_path=config, clock=clock)
                seats[county].save_sync_token(tokens[county])
            replica = CityReplica(tmp_path / "city", clock)
            yield City(url, clock, seats, city_token, replica)
            replica.close()
    finally:
        for services in seats.values():
            services.close()
        store.close()


def test_the_city_board_shows_every_countys_counts_and_overdue_orders(city: City) -> None:
    orders = {}
    for n, (county, seat) in enumerate(city.seats.items()):
        made = intake.new_call(seat.ctx, None, phone=f"1370000000{n}", text="燃气味很重", address=f"{county}小区",
                               category="public_order", dispatch=["housing"])
        orders[county] = made.orders[0]
        if county == "county-c":  # and an incident nobody has dispatched yet, raised to level IV
            waiting = intake.new_call(seat.ctx, None, phone="13900000009", text="路灯不亮", address="新街",
                                      category="public_order", dispatch=[])
            seat.grade(waiting.incident.no, "IV")
        assert seat.sync_once().ok
    city.clock.advance(3 * 3600)  # nobody acknowledged: every order is overdue
    report = city.replica.pull(city.url, city.city_token)
    assert report.ok and report.counties == 3, report
    counties, overdue = city_board(city.replica, city.clock.now())
    assert [(r.county, r.open_orders, r.overdue, r.waiting, r.raised) for r in counties] == [
        ("county-a", 1, 1, 0, 0), ("county-b", 1, 1, 0, 0), ("county-c", 1, 1, 1, 1)]
    assert all(r.age_s == 0 and r.last_event_at for r in counties)
    assert sorted(r.county for r in overdue) == list(COUNTIES)
    assert [r.overdue_s for r in overdue] == sorted((r.overdue_s for r in overdue), reverse=True)

    # the city supervises county-b's order; county-b's seat sees it on its next sync
    target = next(r for r in overdue if r.county == "county-b")
    event = supervise.supervision(target.order_id, target.incident_id, "市应急局督办：超时未签收", 30,
                                  seat="city-01", operator="city-duty", clock=city.clock)
    with httpx.Client(base_url=city.url, headers={"Authorization": f"Bearer {city.city_token}"}) as client:
        answer = client.post("/v1/streams/county-b/events:push", json=push_body([event], "city-01"))
        assert answer.status_code == 200 and answer.json()["acks"][0]["status"] == "accepted", answer.text
        created = client.post("/v1/streams/county-b/events:push",
                              json=push_body([{**event, "kind": "incident.created"}], "city-01"))
        assert created.status_code == 403
    assert city.seats["county-b"].sync_once().ok
    ruling = city.seats["county-b"].supervision(orders["county-b"].id)
    assert ruling is not None and ruling.level == CITY_LEVEL
    assert city.seats["county-a"].supervision(orders["county-a"].id) is None
    assert "督4" in _seat_board_lines(city.seats["county-b"])[0]  # on the county seat's own board
    assert "督" not in _seat_board_lines(city.seats["county-a"])[0]

    # the server goes away: the replica keeps its last data and says how old it is
    city.clock.advance(120)
    down = city.replica.pull("http://127.0.0.1:9", city.city_token, timeout=2)
    assert not down.ok
    counties, _ = city_board(city.replica, city.clock.now())
    assert [r.open_orders for r in counties] == [1, 1, 1] and all(r.age_s == 120 for r in counties)
    print(f"\ncity board: {[r.to_json() for r in counties]}; {len(overdue)} overdue, most overdue first")


def test_the_city_console_shows_counts_and_overdue_and_refreshes_on_ctrl_r(city: City) -> None:
    """Pilot: the city console over the replica; a new overdue order in county-a appears after
    one pull (ctrl+r here; every ``interval`` seconds in a real console)."""
    import asyncio

    from textual.widgets import DataTable, Static

    from screens.city import CityApp

    for n, seat in enumerate(city.seats.values()):
        intake.new_call(seat.ctx, None, phone=f"1360000000{n}", text="井盖丢失", address="东街",
                        category="public_order", dispatch=["housing"])
        assert seat.sync_once().ok
    city.clock.advance(2 * 3600)
    assert city.replica.pull(city.url, city.city_token).ok
    app = CityApp(city.replica, lambda: city.replica.pull(city.url, city.city_token), city.clock, lang="en",
                  interval=None)

    def cells(table: DataTable[object]) -> list[list[str]]:
        return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            counties = app.query_one("#counties", DataTable)
            overdue = app.query_one("#overdue", DataTable)
            assert [row[:4] for row in cells(counties)] == [
                ["county-a", "1", "1", "0"], ["county-b", "1", "1", "0"], ["county-c", "1", "1", "0"]]
            assert overdue.row_count == 3
            # county-a takes another call; nobody acknowledges it in time
            seat = city.seats["county-a"]
            intake.new_call(seat.ctx, None, phone="13600000009", text="水管爆裂", address="西街",
                            category="public_order", dispatch=["housing"])
            assert seat.sync_once().ok
            city.clock.advance(3 * 3600)
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert cells(counties)[0][:3] == ["county-a", "2", "2"]
            assert overdue.row_count == 4
            assert "3 counties synced, 4 overdue orders" in str(app.query_one("#status", Static).render())
            await pilot.press("ctrl+q")

    asyncio.run(scenario())
    assert app.return_value == 0


def test_city_board_and_overdue_on_the_command_line(city: City, tmp_path: Path) -> None:
    from central.testing import run_cli

    seat = city.seats["county-b"]
    intake.new_call(seat.ctx, None, phone="13500000001", text="燃气味", address="南街", category="public_order",
                    dispatch=["housing"])
    assert seat.sync_once().ok
    token_file = tmp_path / "city.token"
    token_file.write_text(city.city_token + "\n", encoding="utf-8")
    common = ("--server", city.url, "--token-file", str(token_file), "--dir", str(tmp_path / "cli-replica"))
    board = run_cli("city", "board", "--json", *common)
    assert board.returncode == 0, board.stderr
    data = json.loads(board.stdout)["data"]
    assert [(r["county"], r["open_orders"]) for r in data] == [("county-a", 0), ("county-b", 1), ("county-c", 0)]
    overdue = run_cli("city", "overdue", *common)
    # the CLI runs on the real clock, long after the fake morning the order was issued: overdue
    assert overdue.returncode == 0 and overdue.stdout.startswith("county-b\t1\thousing\tack\t"), overdue.stdout
    down = run_cli("city", "board", "--server", "http://127.0.0.1:9", "--token-file", str(token_file),
                   "--dir", str(tmp_path / "cli-replica"))
    assert down.returncode == 3 and "county-b\t1" in down.stdout and "服务器不可达" in down.stderr
