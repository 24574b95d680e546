"""What the city board shows: per county counts and every overdue order in the city, most
overdue first. Computed from the replica's county databases with the seats' own board code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.city.replica import CityReplica
from console.kernel.model import IncidentStatus
from console.tiered.grading import raised


@dataclass(frozen=True)
class CountyRow:
    county: str
    open_orders: int
    overdue: int
    waiting: int
    raised: int  # open incidents graded at plan level (I–IV)
    last_event_at: str | None
    age_s: float | None  # since the county's stream was last reached

    def to_json(self) -> dict[str, Any]:
        return {"county": self.county, "open_orders": self.open_orders, "overdue": self.overdue,
                "waiting": self.waiting, "raised": self.raised, "last_event_at": self.last_event_at,
                "age_s": None if self.age_s is None else round(self.age_s)}


@dataclass(frozen=True)
class OverdueRow:
    county: str
    order_no: int
    order_id: str
    incident_no: int
    incident_id: str
    unit: str
    stage: str
    overdue_s: float

    def to_json(self) -> dict[str, Any]:
        return {"county": self.county, "order_no": self.order_no, "order_id": self.order_id,
                "incident_no": self.incident_no, "incident_id": self.incident_id, "unit": self.unit,
                "stage": self.stage, "overdue_s": round(self.overdue_s)}


def city_board(replica: CityReplica, now: datetime) -> tuple[list[CountyRow], list[OverdueRow]]:
    counties: list[CountyRow] = []
    overdue: list[OverdueRow] = []
    for county in replica.counties():
        board = replica.board(county, now)
        state = replica.states[county]
        store = replica.county(county).store
        lifted = sum(1 for incident, _ in raised(store)
                     if incident.status == IncidentStatus.OPEN and not incident.drill)
        counties.append(CountyRow(county, board.open_orders, board.overdue, board.waiting_real, lifted,
                                  state.last_event_at, replica.age_s(county, now)))
        for row in board.rows:
            if row.clock.state == "overdue" and not row.order.drill:
                overdue.append(OverdueRow(county, row.order.no, row.order.id, row.order.incident_no,
                                          row.order.incident_id, row.order.unit, row.clock.stage or "",
                                          -(row.clock.remaining_s or 0.0)))
    overdue.sort(key=lambda r: (-r.overdue_s, r.county, r.order_no))
    return counties, overdue
