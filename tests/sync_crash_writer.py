"""The seat that ``test_sync_crash.py`` kills with SIGKILL while it writes and while it syncs.

Usage: ``python tests/sync_crash_writer.py DB CONFIG SEED [POINT:N]``. Opens the real store through
``open_services(DB, config_path=CONFIG)`` (a seat of a county with ``[sync] server`` set and
its token beside the database) and works like a busy seat for ever: takes calls (most with a
unit dispatched in the same transaction), issues and steps orders, its own and those other
seats made (pulled from the server), adds repeat calls and notes, recategorizes now and then;
and every few actions runs one real sync pass (``Services.sync_once``: hello, push the outbox,
pull and apply every page) against the real server.

Protocol on stdout, one line per write, flushed at once:

* ``ready`` once the store is open;
* ``saved ID ...`` after a service call's COMMIT, with the ids of the events this seat wrote
  since the last report (only events with ``origin = 'local'``: pulled ones are not "saved by
  this seat"), so every id the parent reads was confirmed to a user;
* ``syncing`` just before a pass starts, and ``synced PUSHED PULLED OK CODE WHY`` after it
  (``-`` for no error; WHY is the exception's class for ``unreachable``), so the parent can aim
  kills into passes (pushing acks being recorded, pulled pages being applied).

Only this process writes to DB, so "what a call stored" is exactly the rows with a ``seq``
above the last one reported.

A random SIGKILL from the parent rarely lands inside the few milliseconds a sync transaction
is open, so with ``POINT:N`` the writer also kills *itself* (SIGKILL, no clean-up, exactly like
the parent's kill) the N-th time it reaches one of these points, after printing
``crashpoint POINT``:

* ``write-tx``: inside a local write transaction, every statement run, before its COMMIT;
* ``ack-lost``: the server answered a push (it has stored the batch), before the seat looked
  at the acks: the seat never learns the outcome;
* ``ack-tx`` / ``ack-done``: inside the transaction recording acks (outbox rows deleted,
  server seqs set) before its COMMIT / just after it;
* ``pull-tx`` / ``pull-done``: inside the transaction applying a pulled page that carried
  events (remote ones applied, echoes given their seq, cursor moved) before its COMMIT / just
  after it.

The points wrap ``Store.transaction`` and two ``SyncClient`` methods from outside; nothing in
``console`` is changed.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from console.kernel.errors import BadInput
from console.seat.services import Services, open_services
from console.store.transaction import Store, Transaction
from console.sync.client import SYNC_OPERATOR, PassReport, SyncClient
from console.sync.pulling import Puller

# (what the caller says, category, the unit ordered first, a unit to reassign to)
CALLS = (
    ("小区门口有人聚众吵架，快打起来了", "public_order", "housing", "urban_mgmt"),
    ("小区门口的自来水管爆了，水哗哗往外喷", "water_supply", "water_co", "urban_mgmt"),
    ("整个小区都停电了，冰箱里的东西都要坏了", "power_supply", "power", "urban_mgmt"),
    ("路灯坏了一整排，晚上黑漆漆的", "streetlight", "urban_mgmt", "power"),
    ("楼下广场舞音响开到半夜，吵得睡不着", "noise", "env", "urban_mgmt"),
    ("马路中间有个井盖没了，怕有人掉下去", "manhole", "urban_mgmt", "housing"),
)
RECATEGORIZE = ("noise", "public_order", "streetlight", "manhole")
# the next step on the main line for an order in this status
NEXT_VERB = {
    "issued": "deliver", "delivered": "ack", "acknowledged": "depart", "en_route": "arrive",
    "on_scene": "feedback", "feedback": "complete",
}
OPEN = ("issued", "delivered", "acknowledged", "en_route", "on_scene", "feedback", "returned")


POINTS = ("write-tx", "ack-lost", "ack-tx", "ack-done", "pull-tx", "pull-done")


def out(line: str) -> None:
    sys.stdout.write(line + "\n")   # one write per line: a kill never leaves half of one
    sys.stdout.flush()


def arm(spec: str) -> None:
    """Kill this process with SIGKILL the N-th time it reaches the point ``spec`` names."""
    point, _, nth = spec.partition(":")
    assert point in POINTS, f"unknown crash point {point!r}"
    left = [int(nth or 1)]
    inside = [""]   # which sync step is running: "acks", "pull" or ""

    def reach(name: str) -> None:
        if name == point:
            left[0] -= 1
            if left[0] == 0:
                out(f"crashpoint {name}")
                os.kill(os.getpid(), signal.SIGKILL)

    plain_transaction = Store.transaction

    @contextmanager
    def transaction(self: Store, seat: str, operator: str) -> Iterator[Transaction]:
        label = ""
        with plain_transaction(self, seat, operator) as tx:
            before = self.conn.total_changes
            yield tx
            if operator != SYNC_OPERATOR:
                label = "write"
            elif inside[0] == "acks":
                label = "ack"
            elif inside[0] == "pull" and self.conn.total_changes - before > 1:
                label = "pull"   # more than the cursor moved: the page carried events
            if label:
                reach(f"{label}-tx")
        if label:
            reach(f"{label}-done")

    plain_take_acks = SyncClient._take_acks
    plain_pull_all = SyncClient._pull_all

    def take_acks(self: SyncClient, ids: list[str], answer: dict[str, Any], report: PassReport) -> bool:
        reach("ack-lost")
        inside[0] = "acks"
        try:
            return plain_take_acks(self, ids, answer, report)
        finally:
            inside[0] = ""

    async def pull_all(self: Puller, client: httpx.AsyncClient, report: PassReport) -> None:
        inside[0] = "pull"
        try:
            await plain_pull_all(self, client, report)
        finally:
            inside[0] = ""

    Store.transaction = transaction  # type: ignore[method-assign]
    SyncClient._take_acks = take_acks  # type: ignore[method-assign]
    SyncClient._pull_all = pull_all  # type: ignore[method-assign]


class Writer:
    def __init__(self, db: str, config: str, seed: int) -> None:
        self.svc: Services = open_services(db, config_path=Path(config))
        self.rnd = random.Random(seed)
        row = self.svc.store.one("SELECT coalesce(max(seq), 0) FROM events")
        self.last_seq = int(row[0]) if row else 0

    def report(self) -> None:
        """Print the ids of the local events committed since the last report."""
        rows = self.svc.store.all("SELECT seq, id, origin FROM events WHERE seq > ? ORDER BY seq",
                                  (self.last_seq,))
        if rows:
            self.last_seq = int(rows[-1][0])
            local = [r[1] for r in rows if r[2] == "local"]
            if local:
                out("saved " + " ".join(local))

    def phone(self) -> str:
        return f"1{self.rnd.randrange(3, 10)}{self.rnd.randrange(10**9):09d}"

    def pick(self, sql: str) -> str | None:
        rows = self.svc.store.all(sql)
        return str(self.rnd.choice(rows)[0]) if rows else None

    def open_order(self) -> tuple[str, str] | None:
        marks = ",".join(f"'{s}'" for s in OPEN)
        rows = self.svc.store.all(f"SELECT id, status FROM orders WHERE status IN ({marks})"
                                  " ORDER BY no DESC LIMIT 40")
        if not rows:
            return None
        row = self.rnd.choice(rows)
        return str(row[0]), str(row[1])

    def live_incident(self) -> str | None:
        return self.pick("SELECT id FROM incidents WHERE status IN ('open', 'reopened')"
                         " ORDER BY no DESC LIMIT 40")

    def act(self) -> None:
        """One thing a dispatcher does; a refusal (another seat got there first) is normal."""
        svc, rnd = self.svc, self.rnd
        text, category, unit, other = rnd.choice(CALLS)
        roll = rnd.random()
        try:
            if roll < 0.30:     # incident + call + order, one transaction
                svc.new_call(phone=self.phone(), text=text, address=f"人民路{rnd.randrange(1, 300)}号",
                             area=rnd.choice(("urban", "suburb", "rural")), category=category,
                             dispatch=[unit])
            elif roll < 0.40:   # a call now, the order as a second transaction
                taken = svc.new_call(phone=self.phone(), text=text, address=f"解放路{rnd.randrange(1, 300)}号",
                                     category=category)
                self.report()
                svc.issue_order(taken.incident.no, unit)
            elif roll < 0.50:   # a repeat call, maybe on an incident another seat took
                incident = self.live_incident()
                if incident is not None:
                    svc.new_call(phone=self.phone(), text="我也看到了，" + text, merge_into=incident)
            elif roll < 0.85:   # step an order, maybe one another seat issued or is stepping too
                picked = self.open_order()
                if picked is not None:
                    order, status = picked
                    if status == "returned":
                        svc.reassign(order, other)        # order.stepped + order.issued, one tx
                    elif status in ("delivered", "acknowledged") and rnd.random() < 0.1:
                        svc.step(order, "return", reason="不属我单位职责")
                    else:
                        svc.step(order, NEXT_VERB[status])  # complete also closes the incident
            elif roll < 0.95:
                incident = self.live_incident()
                if incident is not None:
                    svc.note(incident, rnd.choice(("单位已在现场处置", "来电人再次催促", "已电话回访")))
            else:               # last-writer-wins on category, across seats
                incident = self.live_incident()
                if incident is not None:
                    svc.recategorize(incident, rnd.choice(RECATEGORIZE))
        except BadInput:
            pass  # e.g. the order moved on at another seat and the step went backwards
        self.report()

    def sync(self) -> None:
        out("syncing")
        report = self.svc.sync_once()
        self.report()   # pulled events move last_seq; none of them is reported as saved
        why = report.error_detail.split(":")[0].split()[0] if report.error_detail.strip() else "-"
        out(f"synced {report.pushed} {report.pulled} {int(report.ok)} {report.error_code or '-'} {why}")


def main() -> None:
    if len(sys.argv) > 4:
        arm(sys.argv[4])
    writer = Writer(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    out("ready")
    while True:
        for _ in range(writer.rnd.randrange(3, 16)):
            writer.act()
        writer.sync()


if __name__ == "__main__":
    main()
