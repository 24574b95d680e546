"""The vocabulary of the core: order states, areas, dispositions, and the read models.

Read models are plain frozen dataclasses built from projection rows, so the UI and the CLI
receive values they cannot accidentally write back through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Area(StrEnum):
    URBAN = "urban"
    SUBURB = "suburb"
    RURAL = "rural"


AREA_LABELS = {
    Area.URBAN: ("城区", "urban core"),
    Area.SUBURB: ("郊区", "suburb"),
    Area.RURAL: ("农村", "rural"),
}
AREA_ALIASES = {
    "urban": Area.URBAN, "城区": Area.URBAN, "市区": Area.URBAN, "cq": Area.URBAN,
    "suburb": Area.SUBURB, "郊区": Area.SUBURB, "jq": Area.SUBURB,
    "rural": Area.RURAL, "农村": Area.RURAL, "乡村": Area.RURAL, "nc": Area.RURAL,
}


class OrderStatus(StrEnum):
    ISSUED = "issued"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    FEEDBACK = "feedback"
    COMPLETED = "completed"
    RETURNED = "returned"
    REASSIGNED = "reassigned"
    CANCELLED = "cancelled"
    HANDED_OVER = "handed_over"


STATUS_LABELS = {
    OrderStatus.ISSUED: ("已下达", "issued"),
    OrderStatus.DELIVERED: ("已送达", "delivered"),
    OrderStatus.ACKNOWLEDGED: ("已签收", "acknowledged"),
    OrderStatus.EN_ROUTE: ("已出动", "en route"),
    OrderStatus.ON_SCENE: ("已到场", "on scene"),
    OrderStatus.FEEDBACK: ("已反馈", "feedback"),
    OrderStatus.COMPLETED: ("已办结", "completed"),
    OrderStatus.RETURNED: ("已退单", "returned"),
    OrderStatus.REASSIGNED: ("已改派", "reassigned"),
    OrderStatus.CANCELLED: ("已取消", "cancelled"),
    OrderStatus.HANDED_OVER: ("已移交", "handed over"),
}

# The main line, in order; an order only moves forward along it (skipping is allowed, as a
# unit may first report when it is already on scene).
MAIN_LINE = (
    OrderStatus.ISSUED,
    OrderStatus.DELIVERED,
    OrderStatus.ACKNOWLEDGED,
    OrderStatus.EN_ROUTE,
    OrderStatus.ON_SCENE,
    OrderStatus.FEEDBACK,
    OrderStatus.COMPLETED,
)
CLOSED_STATUSES = frozenset(
    {OrderStatus.COMPLETED, OrderStatus.REASSIGNED, OrderStatus.CANCELLED, OrderStatus.HANDED_OVER}
)
# A returned order still needs the dispatcher (reassign or cancel), so it stays on the board.
OPEN_STATUSES = frozenset(set(OrderStatus) - CLOSED_STATUSES)


class Disposition(StrEnum):
    """How a call was resolved at intake (研判分流)."""

    LINKAGE = "linkage"            # the center orders linkage units
    TRANSFER_110 = "transfer_110"
    TRANSFER_119 = "transfer_119"
    TRANSFER_120 = "transfer_120"
    TRANSFER_12345 = "transfer_12345"
    ANSWERED = "answered"          # consultation answered on the spot (直接答复)


#: The emergency services a call may reach together, and alongside linkage orders.
EMERGENCY_DISPOSITIONS = frozenset(
    {Disposition.TRANSFER_110, Disposition.TRANSFER_119, Disposition.TRANSFER_120})

DISPOSITION_LABELS = {
    Disposition.LINKAGE: ("联动处置", "linkage"),
    Disposition.TRANSFER_110: ("转110", "transferred to 110"),
    Disposition.TRANSFER_119: ("转119", "transferred to 119"),
    Disposition.TRANSFER_120: ("转120", "transferred to 120"),
    Disposition.TRANSFER_12345: ("转12345", "transferred to 12345"),
    Disposition.ANSWERED: ("当场答复", "answered on the spot"),
}


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    TRANSFERRED = "transferred"
    MERGED = "merged"


INCIDENT_STATUS_LABELS = {
    IncidentStatus.OPEN: ("处置中", "open"),
    IncidentStatus.CLOSED: ("已办结", "closed"),
    IncidentStatus.TRANSFERRED: ("已转出", "transferred"),
    IncidentStatus.MERGED: ("已合并", "merged"),
}


def label(table: dict, key: object, lang: str) -> str:
    """The person-facing name of an enum value in ``lang``."""
    pair = table.get(key)
    if pair is None:
        return str(key)
    return pair[0] if lang == "zh" else pair[1]


@dataclass(frozen=True)
class Call:
    no: int
    id: str
    incident_id: str
    phone: str
    caller_name: str
    received_at: datetime
    text: str
    address: str
    area: str


@dataclass(frozen=True)
class Incident:
    no: int
    id: str
    created_at: datetime
    phone: str
    caller_name: str
    address: str
    area: str
    category: str
    text: str
    status: IncidentStatus
    disposition: Disposition
    merged_into: str | None
    closed_at: datetime | None
    seat: str
    source: str = "center"        # "unit": reported by a Tier 1 unit that took the call (双轨)
    reporting_unit: str = ""      # the unit code when source is "unit"
    drill: bool = False           # a drill (演练): kept out of real counts, exports and sync
    #: The services it went to (``("110", "120")``), in order; filled by ``get_incident``.
    transfers: tuple[str, ...] = ()


def services_label(services: tuple[str, ...] | list[str], lang: str) -> str:
    """``转110+120`` / ``to 110+120``: every service an incident went to, in one word."""
    joined = "+".join(services)
    return f"转{joined}" if lang == "zh" else f"to {joined}"


@dataclass(frozen=True)
class Order:
    no: int
    id: str
    incident_id: str
    incident_no: int
    unit: str
    unit_kind: str
    area: str
    status: OrderStatus
    first_contact: bool
    handover_from: str | None
    reassigned_from: str | None
    issued_at: datetime
    steps: dict[str, datetime]
    ack_due: datetime | None
    depart_due: datetime | None
    arrive_due: datetime | None
    feedback_due: datetime | None
    return_reason: str
    return_event: str = ""        # the return (退单) now standing: its event id, "" if none
    return_decision: str = ""     # "" awaiting review (退单审核), "accept" once accepted
    initial_handling: str = ""    # on a handed-over-to order: the first unit's initial handling
    handed_to: str | None = None  # the order this one was handed over to (filled on read)
    handover_acked_at: datetime | None = None  # when the receiving unit acknowledged
    phase: str = ""               # daily / initial (先期处置) / plan; "" before phases were kept
    activation: str = ""          # the plan activation (预案启动) that issued it, if any
    drill: bool = False           # its incident is a drill (演练)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def in_handover(self) -> bool:
        """Either end of a handover (移交): handed to another order, or handed over from one."""
        return self.handed_to is not None or self.handover_from is not None

    @property
    def awaiting_handover_ack(self) -> bool:
        """Handed over but the receiving unit has not acknowledged yet: until it does,
        first-contact responsibility stays with this order's unit."""
        return self.handed_to is not None and self.handover_acked_at is None


@dataclass(frozen=True)
class ReturnRecord:
    """One return (退单) by a unit and the dispatcher's review of it (退单审核), if any."""

    event_id: str
    order_id: str
    returned_at: datetime
    reason: str
    operator: str
    decision: str                 # "" not reviewed yet, "accept" or "reject"
    note: str
    reviewed_at: datetime | None
    reviewer: str


# Steps that show a unit has taken an order on (签收 or anything after it on the main line).
TAKEN_ON = (*(s.value for s in MAIN_LINE[2:]), OrderStatus.HANDED_OVER.value)


def acked_at(steps: dict[str, datetime]) -> datetime | None:
    """When an order was first taken on by its unit: its earliest step from 签收 onwards."""
    times = [steps[s] for s in TAKEN_ON if s in steps]
    return min(times) if times else None
