"""The seat's part of tiered response: grading (分级), contingency plans (预案启动) and reports
upward (信息报送), each with the rules from ``data/`` (console/tiered/)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from console.kernel.lazy import lazy
from console.kernel.model import Incident, Order
from console.seat.session import SeatSession
from console.store.queries import get_incident

# The domains load on first use (console/kernel/lazy.py): the board's first frame needs
# none of them. Type checkers see the real modules.
if TYPE_CHECKING:
    from console.tiered import activation, grading, reports
    from console.tiered.escalation import Suggestion
    from console.tiered.plans import Plan
else:
    activation, grading, reports = (lazy(f"console.tiered.{m}") for m in ("activation", "grading", "reports"))


class TieredPart(SeatSession):
    """Tiered response: grading, plans and reports upward, with the rules read from ``data/``."""

    def grade(self, incident: str | int, level: str | int, *, type: str | None = None,
              deaths: str | int | None = None, injured: str | int | None = None,
              trapped: str | int | None = None, reason: str = "", rule: str = "",
              at: str | None = None) -> grading.Grade:
        """分级: type and level (and casualties); Ⅰ–Ⅳ raises it to plan level."""
        return grading.grade(self.ctx, incident, self.tiered.escalation, level=level, type=type,
                             deaths=deaths, injured=injured, trapped=trapped, reason=reason,
                             rule=rule, at=at)

    def grade_of(self, incident_id: str) -> grading.Grade | None:
        return grading.grade_of(self.store, incident_id)

    def grade_suggestions(self, incident: str | int, **casualties: str | int | None
                          ) -> tuple[Incident, list[Suggestion]]:
        """What the escalation rules suggest, with casualty counts the dispatcher is weighing."""
        found = get_incident(self.store, incident)
        counts = {k: grading.parse_count(v, k) for k, v in casualties.items()}
        return found, grading.suggestions(self.store, found, self.tiered.escalation, counts)

    def raised(self) -> list[tuple[Incident, grading.Grade]]:
        return grading.raised(self.store)

    def plan_proposal(self, incident: str | int, plan: str) -> activation.Proposal:
        return activation.propose(self.ctx, self.tiered.plans, incident, plan)

    def activate_plan(self, incident: str | int, plan: str, *, force: bool = False,
                      reason: str = "", at: str | None = None
                      ) -> tuple[activation.Activation, list[Order]]:
        """预案启动: the snapshot and every proposed order, in one transaction."""
        return activation.activate(self.ctx, self.tiered.plans, incident, plan, force=force,
                                   reason=reason, at=at)

    def check_plan_step(self, incident: str | int, step: str | int, *, done: bool = True,
                        note: str = "", plan: str | None = None,
                        at: str | None = None) -> activation.Activation:
        return activation.check(self.ctx, incident, step, done=done, note=note, plan=plan, at=at)

    def activations(self, incident_id: str) -> list[activation.Activation]:
        return activation.activations_of(self.store, incident_id)

    def matching_plans(self, incident: Incident) -> list[Plan]:
        return activation.matching_plans(self.store, self.tiered.plans, incident)

    def report_track(self, incident: str | int, now: datetime | None = None
                     ) -> tuple[Incident, reports.ReportTrack | None]:
        """The incident and its report track (``None`` if never raised to plan level)."""
        found = get_incident(self.store, incident)
        return found, reports.track_of(self.store, found, self.tiered.reports,
                                      now or self.ctx.clock.now(), self._soon(), self.config.tz)

    def report_tracks(self, now: datetime | None = None) -> list[reports.ReportTrack]:
        return reports.tracks(self.store, self.tiered.reports, now or self.ctx.clock.now(),
                             self._soon(), self.config.tz)

    def reports_overdue(self, now: datetime | None = None) -> int:
        """Report clocks past their deadline, drills (演练) left out; cheap when nothing was ever
        raised (no data read)."""
        if self.store.one("SELECT 1 FROM incident_grades WHERE level != 'daily' LIMIT 1") is None:
            return 0
        return sum(t.overdue for t in self.report_tracks(now) if not t.incident.drill)

    def file_report(self, incident: str | int, kind: str, to: str, via: str, body: str = "",
                    at: str | None = None) -> reports.FiledReport:
        return reports.file_report(self.ctx, incident, kind=kind, to=to, via=via, body=body, at=at)

    def report_draft(self, incident: str | int, kind: str | None = None, lang: str | None = None
                     ) -> tuple[str, str]:
        """(kind, text): the written report drafted from the record; the kind defaults to the
        one most urgently due."""
        from console.tiered import report_draft
        from console.words import Words

        found, track = self.report_track(incident)
        what = reports.parse_kind(kind) if kind else (track.next_kind() if track else "initial_written")
        language = lang or self.config.center.language
        center = self.config.center.name_zh if language == "zh" else self.config.center.name_en
        data = report_draft.read_input(self.store, found, center=center,
                                       operator=self.ctx.operator, now=self.ctx.clock.now())
        return what, report_draft.draft(Words(language, self.config.tz, self.catalog), what, data)
