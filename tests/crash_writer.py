"""The writer that ``test_crash.py`` kills with SIGKILL, again and again.

Usage: ``python tests/crash_writer.py DB SEED``. Opens the real store through
``open_services`` and works like a busy seat for ever: takes calls, issues orders and steps
them (and now and then adds a repeat call, returns and reassigns an order, or completes one,
which also closes the incident). After every service call returns, i.e. after its COMMIT, it
prints ``saved ID ...`` with the ids of the events that call stored and flushes, so every id
the parent reads was confirmed to a user. Only this process writes, so "the events this call
stored" are exactly the events with a ``seq`` above the last one it reported.
"""

from __future__ import annotations

import random
import sys

from console.seat.services import Services, open_services

# (what the caller says, category, the unit ordered first, a unit to reassign to)
CALLS = (
    ("小区门口的自来水管爆了，水哗哗往外喷", "water_supply", "water_co", "urban_mgmt"),
    ("整个小区都停电了，冰箱里的东西都要坏了", "power_supply", "power", "urban_mgmt"),
    ("路灯坏了一整排，晚上黑漆漆的", "streetlight", "urban_mgmt", "power"),
    ("楼下广场舞音响开到半夜，吵得睡不着", "noise", "env", "urban_mgmt"),
    ("马路中间有个井盖没了，怕有人掉下去", "manhole", "urban_mgmt", "housing"),
)


class Writer:
    def __init__(self, db: str, seed: int) -> None:
        self.svc: Services = open_services(db)
        self.rnd = random.Random(seed)
        row = self.svc.store.one("SELECT coalesce(max(seq), 0) FROM events")
        self.last_seq = int(row[0]) if row else 0

    def report(self) -> None:
        """Print the ids of the events committed since the last report (one line, one write)."""
        rows = self.svc.store.all("SELECT seq, id FROM events WHERE seq > ? ORDER BY seq", (self.last_seq,))
        if rows:
            self.last_seq = int(rows[-1][0])
            sys.stdout.write("saved " + " ".join(r[1] for r in rows) + "\n")
            sys.stdout.flush()

    def phone(self) -> str:
        return f"1{self.rnd.randrange(3, 10)}{self.rnd.randrange(10**9):09d}"

    def one_incident(self) -> None:
        text, category, unit, other = self.rnd.choice(CALLS)
        svc, rnd = self.svc, self.rnd
        phone = self.phone()
        taken = svc.new_call(phone=phone, text=text, address=f"人民路{rnd.randrange(1, 300)}号",
                             area=rnd.choice(("urban", "suburb", "rural")), category=category)
        self.report()
        incident = taken.incident.no
        if rnd.random() < 0.2:
            svc.new_call(phone=self.phone(), text="我也看到了，" + text, merge_into=incident)
            self.report()
        order = svc.issue_order(incident, unit)
        self.report()
        if rnd.random() < 0.15:
            svc.step(order.no, "return", reason="不属我单位职责")
            self.report()
            order = svc.reassign(order.no, other)      # order.stepped + order.issued, one tx
            self.report()
        for verb in ("deliver", "ack"):
            svc.step(order.no, verb)
            self.report()
        if rnd.random() < 0.5:
            for verb in ("arrive", "feedback", "complete"):  # complete also closes the incident
                svc.step(order.no, verb)
                self.report()
        elif rnd.random() < 0.3:
            svc.note(incident, "单位已在现场处置")
            self.report()


def main() -> None:
    writer = Writer(sys.argv[1], int(sys.argv[2]))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        writer.one_incident()


if __name__ == "__main__":
    main()
