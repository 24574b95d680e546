"""The city console's local replica: one seat database per county, filled by pulling that
county's stream with a city token, so the city's screens read what a county seat reads.

Why a seat database per county: the county's board (open orders, overdue, waiting incidents,
raised incidents) is computed by the same code a seat runs (``console.orders.board``) over the
same projections, fed by the same ``receive``/``apply_pending`` a seat's pull uses; the city
only never writes into them. The replica works on with its last data when the server cannot be
reached, and ``status`` says when each county was last heard from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from console.kernel.clock import Clock, iso, parse_instant
from console.orders.board import Board, compute_board
from console.seat.services import Services, open_services
from console.store.transaction import select_in
from console.sync.protocol import check_event, from_wire, valid_name

CITY_SEAT = "city-replica"
PAGE = 1000
STATE_FILE = "replica.json"


@dataclass
class CountyState:
    """What the replica knows of one county's stream."""

    county: str
    epoch: str = ""
    after: int = 0
    high: int = 0
    last_ok_at: str | None = None  # the last pull that reached the server
    last_event_at: str | None = None  # received_at of the newest event held


@dataclass
class PullReport:
    ok: bool
    pulled: int = 0
    counties: int = 0
    error: str = ""
    per_county: dict[str, int] = field(default_factory=dict)


class CityReplica:
    """``root`` holds ``<county>.db`` seat databases and ``replica.json`` (cursors, epochs, times)."""

    def __init__(self, root: Path, clock: Clock) -> None:
        self.root = root
        self.clock = clock
        root.mkdir(parents=True, exist_ok=True)
        self.states: dict[str, CountyState] = {}
        path = root / STATE_FILE
        if path.exists():
            for row in json.loads(path.read_text(encoding="utf-8")):
                self.states[row["county"]] = CountyState(**row)
        self._services: dict[str, Services] = {}

    def close(self) -> None:
        for services in self._services.values():
            services.close()
        self._services.clear()

    def _save(self) -> None:
        rows = [vars(s) for s in sorted(self.states.values(), key=lambda s: s.county)]
        partial = self.root / (STATE_FILE + ".partial")
        partial.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        partial.replace(self.root / STATE_FILE)

    def county(self, name: str) -> Services:
        """The county's replica database (a seat store the city only reads)."""
        if name not in self._services:
            config = self.root / f"{name}.toml"
            if not config.exists():
                config.write_text(f'[center]\ncounty = "{name}"\nseat = "{CITY_SEAT}"\n', encoding="utf-8")
            self._services[name] = open_services(self.root / f"{name}.db", config_path=config, clock=self.clock)
        return self._services[name]

    def counties(self) -> list[str]:
        return sorted(self.states)

    # -- pulling --------------------------------------------------------------------------
    def pull(self, server: str, token: str, *, transport: httpx.BaseTransport | None = None,
             timeout: float = 10.0) -> PullReport:
        """Every county's new events, each county in its own transactions; a failure keeps
        what was pulled so far and the last data (``ok`` False, ``error`` says why)."""
        report = PullReport(ok=True)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.Client(base_url=server, headers=headers, timeout=timeout, transport=transport) as client:
                listing = client.get("/v1/streams")
                listing.raise_for_status()
                streams = [s for s in listing.json().get("streams", [])
                           if isinstance(s, dict) and valid_name(s.get("county"))]
                for stream in streams:
                    county = str(stream["county"])
                    state = self.states.setdefault(county, CountyState(county))
                    if state.epoch and stream.get("epoch") != state.epoch:
                        state.after = 0  # a restored server: pull again; ids already held are skipped
                    report.per_county[county] = self._pull_county(client, state)
                    state.epoch = str(stream.get("epoch") or "")
                    state.last_ok_at = iso(self.clock.now())
                    report.pulled += report.per_county[county]
                report.counties = len(streams)
        except (httpx.HTTPError, ValueError) as exc:
            report.ok, report.error = False, f"{type(exc).__name__}: {str(exc)[:200]}"
        finally:
            self._save()
        return report

    def _pull_county(self, client: httpx.Client, state: CountyState) -> int:
        services = self.county(state.county)
        pulled = 0
        while True:
            page = client.get(f"/v1/streams/{state.county}/events", params={"after": state.after, "limit": PAGE})
            page.raise_for_status()
            body = page.json()
            events: list[dict[str, Any]] = body.get("events") or []
            next_after, high = int(body["next_after"]), int(body["high_watermark"])
            with services.store.transaction(CITY_SEAT, "sync") as tx:
                have = {r[0] for r in select_in(tx.conn, "SELECT id FROM events WHERE id IN ({ids})",
                                                [w["id"] for w in events])}
                for wire in events:
                    seq = wire.pop("seq")
                    received = wire.pop("received_at", None)
                    if isinstance(received, str):
                        state.last_event_at = received
                    if wire["id"] in have or check_event(wire, check_size=False) is not None:
                        continue
                    tx.receive(from_wire(wire), seq)
                tx.apply_pending()
            pulled += len(events)
            state.after, state.high = max(state.after, next_after), high
            if not events or next_after >= high:
                return pulled

    # -- what the screens show ------------------------------------------------------------
    def board(self, county: str, now: datetime | None = None) -> Board:
        return compute_board(self.county(county).ctx, now)

    def age_s(self, county: str, now: datetime) -> float | None:
        """Seconds since the county's stream was last reached (None: never)."""
        state = self.states.get(county)
        if state is None or state.last_ok_at is None:
            return None
        return (now - parse_instant(state.last_ok_at)).total_seconds()
