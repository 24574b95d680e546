"""The city server against its own OpenAPI description, with schemathesis' default checks.

In-process (ASGI), over a real store: a SQLite file in tmp_path, then a PostgreSQL database
(the fixture is parametrized over both engines). Each generated request is sent with
a real token minted for the county in its path and the seat in its body, as a deployed seat
would hold. Two adjustments, and why:

* A pushed event's ``seat`` must be the token's seat. JSON Schema cannot say "equal to a
  field of the credential", so for *positive* cases the events' seats are set to the body's
  seat (which the token was minted for). Negative cases are sent exactly as generated.
* Likewise an event id may not run ahead of the server's clock by more than the allowed skew
  (``future_id``), and a ``catalog.loaded`` body is a string that must hold a unit registry
  (``bad_registry``): neither can a generator be told, so positive cases get a fresh id for
  each event and a real registry for each ``catalog.loaded`` payload. The instant pattern is
  as near the calendar as a pattern gets, but 29 February of a common year still matches it
  (``bad_time``): a positive case's event times that are no real instant become real ones.
* ``negative_data_rejection`` also accepts 413 and 426: the protocol answers an oversized
  batch with ``too_large`` and a protocol version it does not speak with
  ``unsupported_protocol`` (docs/sync-protocol.md). Both are refusals that store nothing;
  the check's default list simply does not know them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import Case

from central.app import create_app
from central.storage import open_store
from central.testing import registry_payload
from console.kernel.clock import FakeClock, parse_instant
from console.kernel.ids import uuid7
from console.sync.protocol import valid_name

START = "2026-11-28T06:00:00Z"
FALLBACK = ("county-1", "seat-01")
TOKENS: dict[tuple[str, str], str] = {}
CALLS: dict[str, int] = {}
STARTED = time.monotonic()

CONFIG = schemathesis.Config.from_dict({
    "seed": 20261128,
    "generation": {"max-examples": 40},
    "checks": {"negative_data_rejection": {
        "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "426",
                              "428", "429", "5xx"]}},
})


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path: Path | str = tmp_path_factory.mktemp("central") / "central.db"
    if request.param == "postgresql":
        path = request.getfixturevalue("pg_cluster").new_database()
    TOKENS.clear()  # tokens live in the store: a new store mints its own
    store = open_store(path, FakeClock(START))
    app = create_app(store, clock=FakeClock(START), rate=10_000, burst=10_000)
    yield schemathesis.openapi.from_asgi("/v1/openapi.json", app, config=CONFIG)
    store.close()


schema = schemathesis.pytest.from_fixture("api")


@schema.auth(refresh_interval=None)
class SeatToken:
    """A real token for (the path's county, the body's seat), minted in the server's store."""

    def get(self, case: Case, ctx: schemathesis.AuthContext) -> str:
        county = (case.path_parameters or {}).get("county")
        seat = case.body.get("seat") if isinstance(case.body, dict) else None
        key = (county if valid_name(county) else FALLBACK[0], seat if valid_name(seat) else FALLBACK[1])
        if key not in TOKENS:
            assert ctx.app is not None
            TOKENS[key] = ctx.app.state.store.add_token(*key)
        return TOKENS[key]

    def set(self, case: Case, data: str, ctx: schemathesis.AuthContext) -> None:
        case.headers = CaseInsensitiveDict({**case.headers, "Authorization": f"Bearer {data}"})


def _real_instant(value: Any) -> bool:
    try:
        parse_instant(str(value))
    except ValueError:
        return False
    return True


@schema.parametrize()
def test_the_server_keeps_its_openapi_description(case: Case) -> None:
    if case.meta is not None and case.meta.generation.mode.is_positive and isinstance(case.body, dict):
        seat = case.body.get("seat")
        events = case.body.get("events")
        for event in events if isinstance(events, list) else []:
            if isinstance(event, dict) and "seat" in event:
                event["seat"] = seat
            if isinstance(event, dict) and "id" in event:
                event["id"] = uuid7(int(time.time() * 1000))
            for key in ("happened_at", "recorded_at"):
                if isinstance(event, dict) and not _real_instant(event.get(key)):
                    event[key] = "2026-11-28T06:00:00.000Z"
            if isinstance(event, dict) and event.get("kind") == "catalog.loaded":
                event["payload"] = registry_payload()
    response = case.call_and_validate()
    key = f"{case.method} {case.operation.path} {response.status_code}"
    CALLS[key] = CALLS.get(key, 0) + 1


def test_zz_print_what_was_exercised() -> None:
    """Figures: how many generated requests each operation answered with each status."""
    for key in sorted(CALLS):
        print(f"{key}: {CALLS[key]}")
    print(f"tokens minted: {len(TOKENS)}; {sum(CALLS.values())} requests in {time.monotonic() - STARTED:.1f} s")
