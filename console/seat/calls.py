"""The seat's part of calls: triage, intake (new call, merge, transfer, note, recategorize),
the caller's history and repeats, a unit's own report (双轨上报), drill mode and the figures
drills are kept out of (console/calls/)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from console.kernel.errors import BadInput
from console.kernel.inputs import parse_phone
from console.kernel.lazy import lazy
from console.kernel.model import Call, Incident
from console.seat.session import SeatSession
from console.store.queries import caller_history

# The domains load on first use (console/kernel/lazy.py): the board's first frame needs
# none of them. Type checkers see the real modules.
if TYPE_CHECKING:
    from console.assessment.model import Assessment
    from console.calls import drills, intake, unit_reports
    from console.calls import stats as figures
    from console.catalog.repeats import Repeat
    from console.catalog.triage import TriageResult
    from console.schedule import Scheduler
else:
    drills, intake, unit_reports = (lazy(f"console.calls.{m}") for m in ("drills", "intake", "unit_reports"))


class CallsPart(SeatSession):
    """Calls: what the call-taker does while the phone is at their ear, and right after."""

    def triage(self, text: str) -> TriageResult:
        intake.check_text(self.ctx, text)
        return self.triage_engine.suggest(text, on_duty=self.on_duty)

    def new_call(self, *, phone: str, text: str, address: str = "", area: str | None = None,
                 category: str | None = None, caller_name: str = "", at: str | None = None,
                 merge_into: str | int | None = None, dispatch: list[str] | None = None,
                 transfer: str | list[str] | None = None, drill: bool = False,
                 shown: TriageResult | None = None) -> intake.IntakeResult:
        """Record a call, and what was decided about it, in one transaction
        (``console/calls/intake.py`` ``new_call`` says what each argument does)."""
        return intake.new_call(self.ctx, self.triage_engine, phone=phone, text=text,
                               address=address, area=area, category=category,
                               caller_name=caller_name, at=at, merge_into=merge_into,
                               dispatch=dispatch, transfer=transfer, drill=drill, shown=shown)

    def merge(self, duplicate: str | int, into: str | int, at: str | None = None) -> Incident:
        return intake.merge(self.ctx, duplicate, into, at)

    def transfer(self, ref: str | int, target: str, note: str = "",
                 at: str | None = None) -> Incident:
        return intake.transfer(self.ctx, ref, target, note, at)

    def note(self, ref: str | int, text: str, at: str | None = None) -> Incident:
        return intake.add_note(self.ctx, ref, text, at)

    def recategorize(self, ref: str | int, category: str) -> Incident:
        return intake.recategorize(self.ctx, ref, category)

    def history(self, phone: str) -> list[Call]:
        return caller_history(self.store, parse_phone(phone), self.config.intake.history_limit)

    def lookup_caller(self, phone: str) -> list[Call]:
        """History while the number is being typed: an incomplete number simply has none."""
        try:
            number = parse_phone(phone)
        except BadInput:
            return []
        return caller_history(self.store, number, self.config.intake.history_limit)

    def duplicates(self, phone: str, address: str, category: str) -> list[Incident]:
        """Live incidents a call being typed may repeat (nothing is written)."""
        return [r.incident for r in self.repeats(phone, address, category)]

    def repeats(self, phone: str, address: str, category: str) -> list[Repeat]:
        """The same, each with why it is offered (same number, same place, same road)."""
        try:
            number = parse_phone(phone) if phone.strip() else ""
        except BadInput:
            number = ""
        since = self.ctx.clock.now() - timedelta(minutes=self.config.intake.duplicate_window_minutes)
        from console.catalog.repeats import find_repeats

        return find_repeats(self.store, number, address, category, since)

    def report(self, unit: str, *, phone: str, text: str, address: str = "",
               area: str | None = None, category: str | None = None, status: str | None = None,
               caller_name: str = "", at: str | None = None) -> unit_reports.ReportResult:
        """双轨上报: a call a Tier 1 unit took itself, with its own order at ``status``."""
        return unit_reports.report(self.ctx, self.triage_engine, unit, phone=phone, text=text,
                                address=address, area=area, category=category, status=status,
                                caller_name=caller_name, at=at)

    def drill_mode(self) -> drills.DrillMode:
        return drills.seat_mode(self.store)

    def set_drill_mode(self, on: bool) -> drills.DrillMode:
        return drills.set_seat_mode(self.ctx, on)

    def stats(self, period: figures.Period, *, drills: bool = False) -> figures.Stats:
        """Real figures by default; ``drills`` gives the drills' alone, never a mix."""
        from console.calls import stats as figures

        return figures.compute(self.store, period, drills=drills, now=self.ctx.clock.now(),
                               due_soon=self._soon())

    @cached_property
    def scheduler(self) -> Scheduler:
        """The one scheduler, with the product's jobs (console/seat/jobs.py); other features
        add theirs to it."""
        from console.seat.jobs import build_scheduler

        return build_scheduler(self)  # type: ignore[arg-type]  # the part is always a Services

    def assess(self, period: figures.Period, *, unit: str | None = None) -> Assessment:
        """The assessment (考核) of a period as it stood at its end (or now, if sooner)."""
        from console.assessment import assess

        center = self.config.center.name_zh
        return assess(self.store, self.catalog, period, now=self.ctx.clock.now(), tz=self.config.tz,
                      center=center, seat=self.ctx.seat, unit=unit)

    def export_rows(self, period: figures.Period, *, drills: bool = False) -> list[dict[str, Any]]:
        from console.calls import stats as figures

        return figures.export_rows(self.store, period, drills=drills, tz=self.config.tz)
