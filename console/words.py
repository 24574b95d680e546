"""Read models → words a person reads: one language, the center's time zone, the catalog's names.

The CLI's text lines (``console/commands/``) and every screen say things the same way because
they all say them through ``Words``. (It was ``render.Text``, imported as ``Words`` because it
collided with ``rich.text.Text``.)
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from console.catalog.registry import Catalog, Unit
from console.kernel.clean import one_line
from console.kernel.model import (
    AREA_LABELS,
    DISPOSITION_LABELS,
    INCIDENT_STATUS_LABELS,
    STATUS_LABELS,
    Area,
    Call,
    Incident,
    Order,
    OrderStatus,
    label,
    services_label,
)
from console.orders.board import Board
from console.orders.deadlines import STAGE_LABELS, OrderClock

#: How an order's phase is tagged in text (daily orders, the usual case, carry no tag).
PHASE_TAGS = {"initial": (" [先期处置]", " [initial response]"), "plan": (" [预案]", " [plan]")}


class Words:
    """Human-readable lines in one language and the center's time zone."""

    def __init__(self, lang: str, tz: ZoneInfo, catalog: Catalog) -> None:
        self.lang = lang
        self.tz = tz
        self.catalog = catalog

    def zh(self) -> bool:
        return self.lang == "zh"

    def pick(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def time(self, value: datetime | None, with_date: bool = False) -> str:
        if value is None:
            return "-"
        local = value.astimezone(self.tz)
        return local.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")

    def unit(self, code: str) -> str:
        u = self.catalog.units.get(code)
        if u is None:
            return code
        return u.name_zh if self.zh() else u.name_en

    def category(self, code: str) -> str:
        c = self.catalog.categories.get(code)
        if c is None:
            return code
        return c.name_zh if self.zh() else c.name_en

    def area(self, value: str) -> str:
        return label(AREA_LABELS, Area(value), self.lang)

    def remaining(self, clock: OrderClock) -> str:
        if clock.stage is None or clock.remaining_s is None:
            return self.pick("无时限", "no deadline")
        stage = label(STAGE_LABELS, clock.stage, self.lang)
        secs = int(abs(clock.remaining_s))
        span = f"{secs // 60:d}:{secs % 60:02d}"
        if clock.state == "overdue":
            return self.pick(f"{stage}超时 {span}", f"{stage} OVERDUE by {span}")
        return self.pick(f"{stage}剩余 {span}", f"{stage} in {span}")

    def drill_mark(self, drill: bool) -> str:
        """The mark every line showing a drill (演练) incident or order starts with."""
        return self.pick("[演练] ", "[DRILL] ") if drill else ""

    def incident_line(self, i: Incident) -> str:
        status = label(INCIDENT_STATUS_LABELS, i.status, self.lang)
        disp = (services_label(i.transfers, self.lang) if i.transfers
                else label(DISPOSITION_LABELS, i.disposition, self.lang))
        where = one_line(i.address) or self.pick("（未填地址）", "(no address)")
        source = (self.pick(f" · 单位上报：{self.unit(i.reporting_unit)}",
                            f" · reported by {self.unit(i.reporting_unit)}")
                  if i.source == "unit" else "")
        return (f"{self.drill_mark(i.drill)}#{i.no} {self.time(i.created_at, True)} {self.category(i.category)}"
                f" · {self.area(i.area)} · {where} · {status}/{disp}{source}")

    def order_status(self, o: Order) -> str:
        """The status as a person reads it: a return awaiting review (退单审核) and a handover
        the receiving unit has not acknowledged yet are told apart."""
        status = label(STATUS_LABELS, o.status, self.lang)
        if o.status == OrderStatus.RETURNED:
            status += (self.pick("（已同意）", " (accepted)") if o.return_decision == "accept"
                       else self.pick("（待审核）", " (awaiting review)"))
        elif o.awaiting_handover_ack:
            status += self.pick("（待接收单位签收）", " (awaiting the receiving unit's ack)")
        return status

    def off_duty_warning(self, units: list[Unit]) -> str:
        """The warning when Tier 2/3 units were ordered outside their duty: not refused."""
        zh = "、".join(u.name_zh for u in units)
        en = ", ".join(u.name_en for u in units)
        return self.pick(f"注意：{zh} 现为非值班时段（二、三级联动单位），已派单，请电话确认有人接收",
                         f"warning: {en} off duty now (tier 2/3); ordered anyway, phone to make sure"
                         " someone takes it")

    def order_line(self, o: Order, clock: OrderClock) -> str:
        status = self.order_status(o)
        first = self.pick(" [首接]", " [first contact]") if o.first_contact else ""
        first += PHASE_TAGS.get(o.phase, ("", ""))[0 if self.zh() else 1]
        return (f"  {self.drill_mark(o.drill)}{self.pick('派单', 'order')} {o.no} → {self.unit(o.unit)}"
                f"{first}: {status} · {self.remaining(clock)}")

    def call_line(self, c: Call) -> str:
        return f"  {self.time(c.received_at, True)} {one_line(c.phone) or '-'} {one_line(c.text)}"

    def board_lines(self, board: Board, marks: dict[str, str] | None = None) -> list[str]:
        """The board as text; ``marks`` adds a note to an order's line (order id → text)."""
        head = self.pick(
            f"看板 {self.time(board.at, True)} · 未结派单 {board.open_orders} · 超时 {board.overdue}"
            f" · 待派警情 {board.waiting_real}",
            f"Board {self.time(board.at, True)} · open orders {board.open_orders} · overdue"
            f" {board.overdue} · incidents waiting {board.waiting_real}",
        )
        drills = board.drills()
        if any(drills.values()):
            head += self.pick(
                f" · 演练：派单 {drills['open_orders']}，超时 {drills['overdue']}，待派 {drills['waiting']}",
                f" · drills: {drills['open_orders']} orders, {drills['overdue']} overdue,"
                f" {drills['waiting']} waiting")
        lines = [head]
        for r in board.rows:
            mark = self.pick("【超时】", "[OVERDUE] ") if r.clock.state == "overdue" else ""
            lines.append(
                f"{mark}{self.drill_mark(r.order.drill)}{self.pick('派单', 'order')} {r.order.no}"
                f" · #{r.order.incident_no} {self.category(r.category)}"
                + (f" ({services_label(r.transfers, self.lang)})" if r.transfers else "")
                + f" · {self.unit(r.order.unit)}"
                f" · {self.order_status(r.order)} · {self.remaining(r.clock)}"
                + (f" · {marks[r.order.id]}" if marks and r.order.id in marks else "")
            )
        for i in board.waiting:
            lines.append(self.pick("待派 ", "waiting ") + self.incident_line(i))
        return lines
