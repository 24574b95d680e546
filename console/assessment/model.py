"""The assessment's read models: a unit's record, an operator's, an order on one of the three
lists, and the whole assessment of a period. Plain frozen dataclasses, so the CLI, the TUI and
the XLSX/PDF writers read the same figures (docs/assessment.md defines each one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.calls.stats import Period
from console.kernel.clock import iso

#: The stages a unit is assessed on, in the order of the tables.
STAGES = ("ack", "arrive", "feedback")
STAGE_NAMES = {"ack": ("签收", "ack"), "depart": ("出动", "depart"), "arrive": ("到场", "arrive"),
               "feedback": ("反馈", "feedback")}

#: The three lists (三张清单), in the policy's words.
LISTS = ("ignored", "slow", "idle")
LIST_NAMES = {
    "ignored": ("有令不行", "orders not followed"),
    "slow": ("应而不急", "responded without urgency"),
    "idle": ("联而不动", "linked but not moving"),
}
#: Why an order is on a list → (zh, en).
REASONS = {
    "never_acked": ("超时未签收", "never acknowledged within its deadline"),
    "return_rejected": ("退单被驳回", "returned, and the return was rejected"),
    "depart_late": ("出动超时", "departure overdue"),
    "arrive_late": ("到场超时", "arrival overdue"),
    "feedback_late": ("反馈超时", "feedback overdue"),
    "no_movement": ("签收后未到场也未反馈", "acknowledged, then neither arrived nor fed back"),
}
SUPERVISE_LEVELS = (1, 2, 3)
CALLBACK_RESULTS = ("satisfied", "basic", "dissatisfied")


@dataclass(frozen=True)
class StageFigure:
    """One stage of one unit: orders on time, late, and the spread of the times met."""

    on_time: int = 0
    late: int = 0
    p50_s: float | None = None
    p90_s: float | None = None

    @property
    def judged(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        """The share on time of the orders judged on this stage; None when none was."""
        return self.on_time / self.judged if self.judged else None

    def to_json(self) -> dict[str, Any]:
        return {"on_time": self.on_time, "late": self.late,
                "rate": None if self.rate is None else round(self.rate, 4),
                "p50_s": _r(self.p50_s), "p90_s": _r(self.p90_s)}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class UnitRecord:
    unit: str
    name_zh: str
    name_en: str
    received: int = 0
    stages: dict[str, StageFigure] = field(default_factory=dict)
    returns_accepted: int = 0
    returns_rejected: int = 0
    returns_pending: int = 0
    reassigned_away: int = 0
    handed_over: int = 0
    cancelled: int = 0
    urges: int = 0
    supervisions: dict[int, int] = field(default_factory=dict)
    callbacks: dict[str, int] = field(default_factory=dict)

    def stage(self, name: str) -> StageFigure:
        return self.stages.get(name, StageFigure())

    @property
    def satisfaction(self) -> float | None:
        """Satisfied or basically satisfied, of the incidents called back."""
        total = sum(self.callbacks.values())
        if not total:
            return None
        return (self.callbacks.get("satisfied", 0) + self.callbacks.get("basic", 0)) / total

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "name_zh": self.name_zh, "name_en": self.name_en,
                "received": self.received,
                "stages": {s: self.stage(s).to_json() for s in STAGES},
                "returns": {"accepted": self.returns_accepted, "rejected": self.returns_rejected,
                            "pending": self.returns_pending},
                "reassigned_away": self.reassigned_away, "handed_over": self.handed_over,
                "cancelled": self.cancelled, "urges": self.urges,
                "supervisions": {str(k): self.supervisions.get(k, 0) for k in SUPERVISE_LEVELS},
                "callbacks": {k: self.callbacks.get(k, 0) for k in CALLBACK_RESULTS},
                "satisfaction": None if self.satisfaction is None else round(self.satisfaction, 4)}


@dataclass(frozen=True)
class ListedOrder:
    """An order on one of the three lists, with the times that put it there."""

    rule: str                      # ignored | slow | idle
    reasons: tuple[str, ...]       # keys of REASONS
    order_no: int
    order_id: str
    incident_no: int
    unit: str
    status: str
    issued_at: datetime
    taken_at: datetime | None
    arrived_at: datetime | None
    fed_back_at: datetime | None
    ended_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        def t(v: datetime | None) -> str | None:
            return None if v is None else iso(v)
        return {"rule": self.rule, "reasons": list(self.reasons), "order_no": self.order_no,
                "order_id": self.order_id, "incident_no": self.incident_no, "unit": self.unit,
                "status": self.status, "issued_at": iso(self.issued_at), "taken_at": t(self.taken_at),
                "arrived_at": t(self.arrived_at), "fed_back_at": t(self.fed_back_at),
                "ended_at": t(self.ended_at)}


@dataclass(frozen=True)
class OperatorRecord:
    login: str
    name: str
    calls: int = 0
    answered: int = 0                  # calls from the phone feed answered at this seat
    ring_answer_p50_s: float | None = None
    ring_answer_p90_s: float | None = None
    dispatched: int = 0                # incidents taken that needed an order
    answer_order_p50_s: float | None = None
    answer_order_p90_s: float | None = None
    within_60: int = 0
    within_120: int = 0
    transfers: int = 0
    merges: int = 0
    recategorized: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"login": self.login, "name": self.name, "calls": self.calls,
                "answered": self.answered,
                "ring_answer_p50_s": _r(self.ring_answer_p50_s),
                "ring_answer_p90_s": _r(self.ring_answer_p90_s), "dispatched": self.dispatched,
                "answer_order_p50_s": _r(self.answer_order_p50_s),
                "answer_order_p90_s": _r(self.answer_order_p90_s), "within_60": self.within_60,
                "within_120": self.within_120, "transfers": self.transfers,
                "merges": self.merges, "recategorized": self.recategorized}


@dataclass(frozen=True)
class CenterFigure:
    """The center's own figure in the style of NFPA 1225: of the incidents that needed a
    linkage order, the share whose first order left within 60 s and 120 s of the answer."""

    dispatched: int
    within_60: int
    within_120: int

    def share(self, n: int) -> float | None:
        return n / self.dispatched if self.dispatched else None

    def to_json(self) -> dict[str, Any]:
        s60, s120 = self.share(self.within_60), self.share(self.within_120)
        return {"dispatched": self.dispatched, "within_60": self.within_60,
                "within_120": self.within_120,
                "share_60": None if s60 is None else round(s60, 4),
                "share_120": None if s120 is None else round(s120, 4)}


@dataclass(frozen=True)
class Assessment:
    center: str
    period: Period
    cutoff: datetime                   # min(period end, now): nothing later is seen
    units: list[UnitRecord]
    lists: dict[str, list[ListedOrder]]
    operators: list[OperatorRecord]
    center_figure: CenterFigure
    previous: Period
    previous_units: dict[str, UnitRecord]

    def to_json(self) -> dict[str, Any]:
        return {"center": self.center, "period": self.period.to_json(), "cutoff": iso(self.cutoff),
                "units": [u.to_json() for u in self.units],
                "lists": {k: [o.to_json() for o in v] for k, v in self.lists.items()},
                "operators": [o.to_json() for o in self.operators],
                "center_figure": self.center_figure.to_json(),
                "previous": {"period": self.previous.to_json(),
                             "units": {k: v.to_json() for k, v in self.previous_units.items()}}}
