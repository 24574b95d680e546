"""Helpers for tests that need a real city server: its own tests and the seat client's.

No mocks: ``serve_in_thread`` runs the real app under real uvicorn on 127.0.0.1 (an ephemeral
port) over a real SQLite file, and ``serve_subprocess`` runs ``linkage serve`` as its own
process, the way a deployment does. ``wire_event`` makes a valid event for a seat.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central.cli import listen
from central.longpoll import Holds
from central.store import CentralStore
from console.kernel.clock import Clock, SystemClock
from console.kernel.ids import uuid7

LOOPBACK = "127.0.0.1"


_ID = "01930000-0000-7000-8000-000000000000"
_AT = "2026-11-28T06:00:00.000Z"
# One valid payload per kind (console/store/payloads.py): the fields each kind requires.
SAMPLES: dict[str, dict[str, Any]] = {
    "incident.created": {"call_id": _ID, "incident_id": _ID, "phone": "13800000000", "caller_name": "",
                         "address": "", "area": "urban", "text": "x", "place_key": "", "category": "fire",
                         "disposition": "linkage"},
    "call.added": {"call_id": _ID, "incident_id": _ID, "phone": "", "caller_name": "", "address": "",
                   "area": "urban", "text": "x"},
    "incident.merged": {"incident_id": _ID, "into": _ID},
    "incident.recategorized": {"incident_id": _ID, "category": "fire"},
    "incident.triage_corrected": {"incident_id": _ID, "chosen": "fire", "suggested": "pollution",
                                  "confidence": 0.41, "abstained": False},
    "incident.transferred": {"incident_id": _ID, "disposition": "transfer_110"},
    "incident.noted": {"incident_id": _ID},
    "incident.closed": {"incident_id": _ID},
    "incident.reopened": {"incident_id": _ID},
    "incident.called_back": {"incident_id": _ID, "result": "satisfied"},
    "incident.graded": {"incident_id": _ID, "type": "accident", "level": "IV"},
    "order.issued": {"order_id": _ID, "incident_id": _ID, "unit": "psb", "unit_kind": "police", "area": "urban",
                     "first_contact": True},
    "order.stepped": {"order_id": _ID, "status": "acknowledged"},
    "order.return_reviewed": {"order_id": _ID, "return_event": _ID, "decision": "accept"},
    "order.urged": {"order_id": _ID, "to": "x", "how": "phone"},
    "order.supervised": {"order_id": _ID, "level": 1, "reason": "x", "due": _AT},
    "roster.filed": {"unit": "psb", "period_from": _AT, "period_to": _AT, "filed_at": _AT, "shifts": []},
    "rollcall.recorded": {"unit": "psb", "result": "answered", "round_id": "r1"},
    "operator.enrolled": {"login": "duty", "name": "x", "salt": "00", "pin_hash": "00", "iterations": 1},
    "operator.pin_changed": {"login": "duty", "salt": "00", "pin_hash": "00", "iterations": 1},
    "operator.disabled": {"login": "duty"},
    "operator.role_set": {"login": "duty", "role": "operator"},
    "operator.sign_in_failed": {"login": "duty"},
    "operator.signed_in": {"login": "duty"},
    "operator.signed_out": {"login": "duty"},
    "shift.handed_over": {"from_operator": "duty", "to_operator": "duty", "open_incidents": [],
                          "overdue_orders": []},
    "report.filed": {"incident_id": _ID, "kind": "follow_up", "to": "x", "via": "phone"},
    "plan.activated": {"incident_id": _ID, "plan": "p1", "level": "IV", "units": [], "steps": []},
    "plan.step_checked": {"incident_id": _ID, "activation": _ID, "step": 1, "done": True},
}


def registry_payload(unit_name: str = "县供电局", *, seed: bool = False) -> dict[str, Any]:
    """A ``catalog.loaded`` payload whose body loads as a (one-unit, one-category) catalog."""
    unit = {"code": "power", "name_zh": unit_name, "name_en": "Power", "policy_name": unit_name,
            "kind": "utility", "tier": 1, "regime": "four-fixed", "duty_phone": "0000-0000000",
            "duty_location": "", "duty_hours": "24h", "categories": ["power_supply"], "note": "",
            "pinyin": [], "initials": []}
    category = {"code": "power_supply", "name_zh": "供电", "name_en": "Power", "route": "linkage",
                "transfer_to": None, "severity": "normal", "emergency": False, "lead_unit": "power",
                "co_units": [], "keywords_zh": [["停电", 1.0]], "keywords_en": [], "examples_zh": [],
                "examples_en": [], "pinyin": [], "initials": []}
    body = json.dumps({"format": 1, "units": [unit], "categories": [category]}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))
    return {"version": hashlib.sha256(body.encode()).hexdigest()[:16], "body": body,
            **({"seed": True} if seed else {})}


def wire_event(seat: str = "seat-01", kind: str = "incident.noted", *, payload: dict[str, Any] | None = None,
               at: str = _AT, operator: str = "duty",
               subject: str | None = None) -> dict[str, Any]:
    """A valid wire event with a fresh UUIDv7; ``payload`` is laid over a valid sample of the kind."""
    body: dict[str, Any] = dict(registry_payload() if kind == "catalog.loaded" else SAMPLES[kind])
    body.update(payload or {})
    return {"id": uuid7(int(time.time() * 1000)), "kind": kind, "subject": subject, "happened_at": at,
            "recorded_at": at, "seat": seat, "operator": operator, "payload": body}


def push_body(events: list[dict[str, Any]], seat: str = "seat-01") -> dict[str, Any]:
    return {"protocol": 1, "seat": seat, "events": events}


def asgi_request(app: Any, method: str, url: str, **kwargs: Any) -> Any:
    """One request to the app in-process (httpx.ASGITransport), from synchronous test code."""
    import httpx

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://central.test") as client:
            response = await client.request(method, url, **kwargs)
            await response.aread()
            return response

    return asyncio.run(send())


@contextmanager
def serve_in_thread(store: CentralStore, *, clock: Clock | None = None, rate: float = 1000,
                    burst: int = 1000, holds: Holds | None = None) -> Iterator[str]:
    """Real uvicorn in a background thread; yields the base URL (``http://127.0.0.1:PORT``)."""
    import uvicorn

    from central.app import create_app

    app = create_app(store, clock=clock or SystemClock(), rate=rate, burst=burst, holds=holds)
    sock = listen(LOOPBACK, 0)
    from central.cli import _server_class

    server = _server_class()(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the in-thread server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{LOOPBACK}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class ServerProcess:
    """A running ``linkage serve``: its URL, the ready line it printed, the process, and its
    log (stderr) lines so far. The log is read by a thread as it comes: the server writes a
    line per request, and a pipe nobody reads would stall it after some 64 KiB."""

    url: str
    ready: dict[str, Any]
    process: subprocess.Popen[str]
    log: list[str]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m console.cli ARGS`` as a real process (exit code, stdout, stderr)."""
    return subprocess.run([sys.executable, "-m", "console.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=_child_env())


@contextmanager
def serve_subprocess(store_path: Path | str, *extra: str, timeout: float = 30,
                     on_log: Callable[[str], None] | None = None,
                     preexec_fn: Callable[[], None] | None = None) -> Iterator[ServerProcess]:
    """``linkage serve --port 0 --store sqlite:PATH`` on 127.0.0.1; terminated on exit. A
    ``postgresql://`` URL instead of a path serves that database.

    Each stderr line is kept in ``ServerProcess.log`` and handed to ``on_log`` as it arrives;
    ``preexec_fn`` runs in the child before it starts (say, to lower its open-file limit)."""
    cmd = [sys.executable, "-m", "console.cli", "serve", "--host", LOOPBACK, "--port", "0",
           "--store", _store_option(store_path), *extra]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_child_env(),
                               preexec_fn=preexec_fn)
    log: list[str] = []

    def drain() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.rstrip("\n")
            log.append(line)
            if on_log is not None:
                on_log(line)

    reader = threading.Thread(target=drain, name="serve-log", daemon=True)
    try:
        line = _read_line(process, timeout)
        ready = json.loads(line)
        reader.start()
        yield ServerProcess(ready["url"], ready, process, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if reader.is_alive():
            reader.join(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _store_option(spec: Path | str) -> str:
    text = str(spec)
    return text if text.startswith(("postgresql://", "postgres://")) else f"sqlite:{text}"


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise RuntimeError(f"linkage serve printed nothing in {timeout} s")
    line = process.stdout.readline()
    if not line:
        err = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"linkage serve exited ({process.wait()}): {err[-2000:]}")
    return line


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env
