"""The seat's part of duty: operators and sign-in, shift handover (交接班), the live roster and
duty rosters with their filing (值班表 / 备案) (console/duty/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from console.catalog.registry import Unit
from console.kernel.errors import BadInput
from console.kernel.lazy import lazy
from console.seat.session import SeatSession

# The domains load on first use (console/kernel/lazy.py): the board's first frame needs
# none of them. Type checkers see the real modules.
if TYPE_CHECKING:
    from console.duty import handover, operators, rosters
    from console.duty.roster_csv import RosterFile
    from console.duty.rosters import Shift
else:
    handover, operators, rosters = (lazy(f"console.duty.{m}") for m in ("handover", "operators", "rosters"))


@dataclass(frozen=True)
class RosterEntry:
    """A unit as the live roster shows it at one instant.

    ``source`` says where ``on_duty`` comes from: ``roster`` (a filed duty roster covers the
    instant; ``shift`` is the shift on, if any) or ``hours`` (no filing covers it: the unit's
    published duty hours).
    """

    unit: Unit
    on_duty: bool
    open_orders: int
    source: str = "hours"
    shift: Shift | None = None

    @property
    def duty_phone(self) -> str:
        """The phone to ring now: the shift's if the roster names one, else the registry's."""
        return self.shift.phone if self.shift else self.unit.duty_phone

    @property
    def duty_person(self) -> str:
        return self.shift.person if self.shift else ""

    @property
    def state(self) -> str:
        """``busy`` (on duty with open orders), ``on_duty`` or ``off_duty``."""
        if not self.on_duty:
            return "off_duty"
        return "busy" if self.open_orders else "on_duty"


class DutyPart(SeatSession):
    """Duty: who sits at the seat, who is on duty at each unit, and the rosters that say so."""

    def enrol_operator(self, login: str, name: str, pin: str, *, role: str = "operator",
                       admin: str | None = None, admin_pin: str | None = None) -> operators.Operator:
        return operators.enrol(self.ctx, login, name, pin, role=role, admin=admin, admin_pin=admin_pin)

    def change_pin(self, login: str, old_pin: str | None, new_pin: str, *, admin: str | None = None,
                   admin_pin: str | None = None) -> operators.Operator:
        return operators.change_pin(self.ctx, login, old_pin, new_pin, admin=admin, admin_pin=admin_pin)

    def disable_operator(self, login: str, *, admin: str | None = None,
                         admin_pin: str | None = None) -> operators.Operator:
        return operators.disable(self.ctx, login, admin=admin, admin_pin=admin_pin)

    def set_operator_role(self, login: str, role: str, *, admin: str | None = None,
                          admin_pin: str | None = None) -> operators.Operator:
        return operators.set_role(self.ctx, login, role, admin=admin, admin_pin=admin_pin)

    def operator_list(self) -> list[operators.Operator]:
        return operators.operators(self.store)

    def sign_in_required(self) -> bool:
        """The console asks for a sign-in as soon as one operator is enrolled and active."""
        return operators.active_count(self.store) > 0

    def sign_in(self, login: str, pin: str) -> operators.Operator:
        return operators.sign_in(self.ctx, login, pin)

    def sign_out(self) -> str:
        return operators.sign_out(self.ctx, self.config.center.operator)

    def shift_summary(self, now: datetime | None = None) -> handover.ShiftSummary:
        return handover.summary(self.ctx, now)

    def hand_over_shift(self, to: str, pin: str, note: str = "") -> handover.Handover:
        return handover.hand_over(self.ctx, to, pin, note)

    def shift_log(self, day: date) -> list[handover.Handover]:
        return handover.log(self.ctx, day)

    def roster(self, at: datetime | None = None) -> list[RosterEntry]:
        """Every unit with its duty state at ``at`` (now) and current load: two queries, one
        for the filed rosters covering the instant and one grouped count of open orders."""
        at = at or self.ctx.clock.now()
        local = at.astimezone(self.config.tz)
        filed = rosters.duty_at(self.store, at)
        load = {r[0]: r[1] for r in self.store.all(
            "SELECT unit, count(*) FROM orders WHERE status NOT IN"
            " ('completed', 'reassigned', 'cancelled', 'handed_over') GROUP BY unit")}
        entries = []
        for u in self.catalog.units.values():
            duty = rosters.duty_of(u, filed, local)
            entries.append(RosterEntry(u, duty.on_duty, load.get(u.code, 0), duty.source, duty.shift))
        return entries

    def stale_units(self, at: datetime | None = None) -> list[rosters.Staleness]:
        """Units to chase for their filing: latest filing older than ``[duty]
        filing_max_age_days``, or a Tier 1 roster with a gap in the next ``gap_horizon_hours``."""
        duty = self.config.duty
        return rosters.stale_units(self.store, self.catalog, at or self.ctx.clock.now(),
                                   timedelta(days=duty.filing_max_age_days),
                                   timedelta(hours=duty.gap_horizon_hours))

    def file_roster(self, shifts: dict[str, list[rosters.Shift]], *,
                    period: tuple[datetime, datetime] | None = None,
                    filed_at: datetime | None = None, source: str = "") -> list[str]:
        """Record filings (one per unit) in one transaction; returns the event ids."""
        return rosters.file_roster(self.ctx, shifts, period=period, filed_at=filed_at, source=source)

    def import_roster(self, path: Path, *, period: tuple[datetime, datetime] | None = None,
                      filed_at: datetime | None = None) -> tuple[RosterFile, list[str]]:
        """Check a whole roster CSV, then file it in one transaction (nothing if any row is bad)."""
        if period and period[1] <= period[0]:
            raise BadInput("roster.period", zh="--to 必须晚于 --from", en="--to must be after --from")
        from console.duty.roster_csv import read_roster

        checked = read_roster(path, self.catalog, self.config.tz, period)
        ids = self.file_roster(checked.shifts, period=period, filed_at=filed_at,
                               source=f"import:{path.name}"[:120])
        return checked, ids

    def roster_shifts(self, start: datetime, end: datetime,
                      units: list[str] | None = None) -> list[rosters.Shift]:
        """The shifts in force between ``start`` and ``end`` (superseded parts left out)."""
        found = rosters.effective_shifts(self.store, start, end, units)
        order = {code: n for n, code in enumerate(self.catalog.units)}
        return sorted((s for pieces in found.values() for s in pieces),
                      key=lambda s: (order.get(s.unit, len(order)), s.unit, s.start))

    def filings(self, unit: str, limit: int = 20) -> list[rosters.Filing]:
        return rosters.filings_of(self.store, unit, limit)
