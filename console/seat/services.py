"""One seat session: opens the store, seeds the catalog, and offers every operation.

The CLI, the TUI and the tests all build one ``Services`` through ``open_services`` and call
the same methods, so there is exactly one way each action is carried out.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.calls import drills, intake, unit_reports
from console.catalog.registry import Catalog, Unit, default_data_dir, load_catalog
from console.catalog.repeats import Repeat, find_repeats
from console.catalog.triage import Triage, TriageResult
from console.duty import handover, operators, rosters
from console.duty.roster_csv import RosterFile, read_roster
from console.duty.rosters import Shift
from console.kernel.clock import Clock, clock_from_env
from console.kernel.config import Config, load_config
from console.kernel.errors import BadInput
from console.kernel.inputs import parse_phone
from console.kernel.model import Call, Incident, Order, ReturnRecord
from console.orders import accountability, dispatch
from console.orders.board import Board, compute_board
from console.orders.deadlines import OrderClock, load_rules, order_clock
from console.store.context import Context
from console.store.queries import (
    caller_history,
    calls_of,
    clean_record,
    get_incident,
    get_order,
    merged_into,
    orders_of,
    returns_of,
)
from console.store.transaction import EventRecord, Store
from console.sync.status import SyncStatus, read_status
from console.tiered import activation, grading, reports
from console.tiered.escalation import Suggestion

if TYPE_CHECKING:
    from console.assessment.model import Assessment
    from console.calls import stats as figures
    from console.schedule import Scheduler
    from console.sync.client import PassReport, SyncSettings
    from console.tiered.plans import Plan
    from console.tiered.rulebook import TieredData

DB_ENV = "LINKAGE_DB"


def default_db_path() -> Path:
    """The embedded default database: the user's data dir unless ``LINKAGE_DB`` says else."""
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV])
    from platformdirs import user_data_dir

    return Path(user_data_dir("linkage-console", appauthor=False)) / "linkage.db"


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


@dataclass(frozen=True)
class IncidentDetail:
    incident: Incident
    calls: list[Call]
    orders: list[tuple[Order, OrderClock]]
    timeline: list[EventRecord]
    history: list[Call]
    merged: list[Incident]       # repeat incidents merged into this one
    callback: accountability.Callback | None = None   # the latest callback (回访), if any
    urges: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # order id → (n, last)
    supervisions: dict[str, accountability.Supervision] = field(default_factory=dict)


class Services:
    def __init__(self, ctx: Context, data_dir: Path) -> None:
        self.ctx = ctx
        self.data_dir = data_dir
        self._triage: Triage | None = None
        self._triage_lock = threading.Lock()
        # Where a verb that needs a PIN reads it (prompt → PIN): the CLI sets one that asks the
        # terminal or reads stdin (console/duty/pin_input.py); PINs never come from the command line.
        self.pin_reader: Callable[[str], str] | None = None

    @property
    def triage_engine(self) -> Triage:
        """Built on first use (a few hundred ms: keyword index and character tables), so the
        board opens without it; the console warms it in a worker thread after the first frame."""
        with self._triage_lock:
            if self._triage is None:
                self._triage = Triage(self.ctx.catalog)
            return self._triage

    @cached_property
    def tiered(self) -> TieredData:
        """Escalation rules, contingency plans and report deadlines from ``data/``, read and
        checked on first use only, so the board opens without them."""
        from console.tiered.rulebook import load_tiered

        return load_tiered(self.data_dir, self.ctx.catalog)

    # -- session ---------------------------------------------------------------------------
    @property
    def config(self) -> Config:
        return self.ctx.config

    @property
    def catalog(self) -> Catalog:
        return self.ctx.catalog

    @property
    def store(self) -> Store:
        return self.ctx.store

    def close(self) -> None:
        self.ctx.store.close()

    def reload_catalog(self) -> bool:
        """Re-read ``data/``; records a catalog event only when something changed."""
        fresh = load_catalog(self.data_dir)
        if fresh.version == self.ctx.catalog.version:
            return False
        with self.ctx.transaction() as tx:
            tx.append("catalog.loaded", {"version": fresh.version, "body": fresh.to_json()})
        self.ctx.catalog = fresh
        with self._triage_lock:
            self._triage = None
        return True

    def refresh_catalog(self) -> bool:
        """Adopt a registry another seat loaded (it arrived by sync into the snapshot)."""
        row = self.store.one("SELECT version, body FROM catalog_snapshot WHERE id = 1")
        if row is None or row["version"] == self.ctx.catalog.version:
            return False
        self.ctx.catalog = Catalog.from_json(row["body"])
        with self._triage_lock:
            self._triage = None
        return True

    # -- sync (docs/sync-protocol.md) ----------------------------------------------------------
    def sync_settings(self) -> SyncSettings | None:
        # httpx and the client load only when sync is used: plain CLI commands stay quick.
        from console.sync.worker import settings_for

        return settings_for(self.config, self.store.path)

    def sync_status(self) -> SyncStatus:
        return read_status(self.store, configured=bool(self.config.sync.server))

    def sync_once(self, transport: Any = None) -> PassReport:
        """One pass, headless, on this session's connection (``linkage sync``)."""
        settings = self.sync_settings()
        if settings is None:
            raise BadInput("sync.no_server", zh="未配置同步服务器（config.toml [sync] server）",
                           en="no sync server configured (config.toml [sync] server)")
        if not settings.token:
            raise BadInput("sync.no_token", zh="本席位还没有同步令牌：linkage sync token FILE",
                           en="this seat has no sync token yet: linkage sync token FILE")
        from console.sync.client import SyncClient

        report = SyncClient(self.store, settings, self.ctx.clock, transport=transport).run_pass()
        self.refresh_catalog()
        return report

    def save_sync_token(self, token: str) -> str:
        from console.sync.worker import save_token

        return str(save_token(self.config, self.store.path, token))

    # -- operators and shift handover (console/duty/operators.py, console/duty/handover.py) -------------------
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

    # -- triage and intake -----------------------------------------------------------------
    def triage(self, text: str) -> TriageResult:
        intake.check_text(self.ctx, text)
        return self.triage_engine.suggest(text, on_duty=self.on_duty)

    def on_duty(self, unit: Unit, at: datetime | None = None) -> bool:
        """On duty at ``at`` (now): the filed roster where one covers it, else duty hours."""
        return self.duty(unit, at).on_duty

    def duty(self, unit: Unit, at: datetime | None = None) -> rosters.Duty:
        at = at or self.ctx.clock.now()
        found = rosters.duty_at(self.store, at, [unit.code])
        return rosters.duty_of(unit, found, at.astimezone(self.config.tz))

    def new_call(self, **kwargs: object) -> intake.IntakeResult:
        return intake.new_call(self.ctx, self.triage_engine, **kwargs)  # type: ignore[arg-type]

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
        return find_repeats(self.store, number, address, category, since)

    # -- orders ----------------------------------------------------------------------------
    def issue_order(self, incident: str | int, unit: str, at: str | None = None,
                    note: str = "") -> Order:
        return dispatch.issue(self.ctx, incident, unit, at=at, note=note)

    def off_duty(self, codes: list[str]) -> list[Unit]:
        """Tier 2/3 units among ``codes`` that are off duty now: an order to one is not refused
        (someone may still pick it up), but the dispatcher is told to phone and make sure."""
        units = [self.catalog.units[c] for c in codes if c in self.catalog.units]
        return [u for u in units if u.tier > 1 and not self.on_duty(u)]

    def issue_orders(self, incident: str | int, units: list[str], at: str | None = None,
                     note: str = "") -> list[Order]:
        """Order several units at once, in one transaction: all are saved or none."""
        return dispatch.issue_many(self.ctx, incident, units, at=at, note=note)

    def step(self, order: str | int, verb: str, at: str | None = None, note: str = "",
             reason: str = "") -> Order:
        return dispatch.step(self.ctx, order, verb, at=at, note=note, reason=reason)

    def step_many(self, orders: list[str], verb: str, at: str | None = None, note: str = "",
                  reason: str = "") -> list[Order]:
        """One step for several orders, all or nothing (``ack 5 6 7``)."""
        return dispatch.step_many(self.ctx, list(orders), verb, at=at, note=note, reason=reason)

    def handover(self, order: str | int, unit: str, at: str | None = None,
                 note: str = "") -> Order:
        return dispatch.handover(self.ctx, order, unit, at=at, note=note)

    def reassign(self, order: str | int, unit: str, at: str | None = None,
                 note: str = "") -> Order:
        return dispatch.reassign(self.ctx, order, unit, at=at, note=note)

    def grade(self, incident: str | int, level: str | int, **kwargs: Any) -> grading.Grade:
        """分级: type and level (and casualties); Ⅰ–Ⅳ raises it to plan level."""
        return grading.grade(self.ctx, incident, self.tiered.escalation, level=level, **kwargs)

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

    # -- contingency plans (预案启动, console/tiered/activation.py) ----------------------------------
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

    # -- reports upward (信息报送, console/tiered/reports.py) -----------------------------------------
    def _soon(self) -> timedelta:
        return timedelta(minutes=self.config.deadlines.due_soon_minutes)

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

    def review_return(self, order: str | int, decision: str, note: str = "",
                      at: str | None = None) -> Order:
        """退单审核: ``decision`` accept (stays returned: reassign or cancel it next) or reject
        (back to the unit where it stood; needs ``note``)."""
        return dispatch.review_return(self.ctx, order, decision, note=note, at=at)

    def returns(self, order_id: str) -> list[ReturnRecord]:
        """Every return of an order with its review, oldest first."""
        return returns_of(self.store, order_id)

    def report(self, unit: str, *, phone: str, text: str, address: str = "",
               area: str | None = None, category: str | None = None, status: str | None = None,
               caller_name: str = "", at: str | None = None) -> unit_reports.ReportResult:
        """双轨上报: a call a Tier 1 unit took itself, with its own order at ``status``."""
        return unit_reports.report(self.ctx, self.triage_engine, unit, phone=phone, text=text,
                                address=address, area=area, category=category, status=status,
                                caller_name=caller_name, at=at)

    # -- reads -----------------------------------------------------------------------------
    # -- accountability: urge (催办), supervise (督办), callback (回访) ----------------------
    def urge(self, order: str | int, to: str, how: str = "phone", note: str = "",
             at: str | None = None) -> accountability.Urge:
        return accountability.urge(self.ctx, order, to=to, how=how, note=note, at=at)

    def supervise(self, order: str | int, level: str | int, reason: str,
                  minutes: str | int | None = None, at: str | None = None) -> accountability.Supervision:
        return accountability.supervise(self.ctx, order, level=level, reason=reason,
                                        minutes=minutes, at=at)

    def callback(self, incident: str | int, result: str, note: str = "", reopen: bool = False,
                 at: str | None = None) -> accountability.Callback:
        return accountability.callback(self.ctx, incident, result, note=note, reopen=reopen, at=at)

    def urges(self, order_id: str) -> list[accountability.Urge]:
        return accountability.urges_of(self.store, order_id)

    def urge_counts(self, order_ids: list[str]) -> dict[str, tuple[int, datetime]]:
        return accountability.urge_counts(self.store, order_ids)

    def supervision(self, order_id: str) -> accountability.Supervision | None:
        return accountability.supervision_of(self.store, order_id)

    def supervisions(self, order_ids: list[str]) -> dict[str, accountability.Supervision]:
        return accountability.supervisions_of(self.store, order_ids)

    def callbacks(self, incident_id: str) -> list[accountability.Callback]:
        return accountability.callbacks_of(self.store, [incident_id])

    def board(self, now: datetime | None = None) -> Board:
        return compute_board(self.ctx, now)

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

    # -- duty rosters and filing (值班表 / 备案) ------------------------------------------------
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

    def order(self, ref: str | int) -> tuple[Order, OrderClock]:
        order = get_order(self.store, ref)
        return order, self.clock_of(order)

    def clock_of(self, order: Order, now: datetime | None = None) -> OrderClock:
        soon = timedelta(minutes=self.config.deadlines.due_soon_minutes)
        return order_clock(order, now or self.ctx.clock.now(), soon)

    def incident(self, ref: str | int) -> IncidentDetail:
        incident = get_incident(self.store, ref)
        merged = merged_into(self.store, incident.id)
        ids = [incident.id, *(m.id for m in merged)]
        orders = [(o, self.clock_of(o)) for o in orders_of(self.store, ids)]
        history = [c for c in caller_history(self.store, incident.phone, 50)
                   if c.incident_id not in ids][: self.config.intake.history_limit]
        order_ids = [o.id for o, _ in orders]
        return IncidentDetail(incident, calls_of(self.store, ids), orders,
                              [clean_record(e) for e in self.store.events_for(ids)], history, merged,
                              accountability.latest_callback(self.store, incident.id),
                              accountability.urge_counts(self.store, order_ids),
                              accountability.supervisions_of(self.store, order_ids))

    # -- drills (演练) and the figures they are kept out of (console/calls/drills.py, stats.py) --------
    def drill_mode(self) -> drills.DrillMode:
        return drills.seat_mode(self.store)

    def set_drill_mode(self, on: bool) -> drills.DrillMode:
        return drills.set_seat_mode(self.ctx, on)

    def stats(self, period: figures.Period, *, drills: bool = False) -> figures.Stats:
        """Real figures by default; ``drills`` gives the drills' alone, never a mix."""
        from console.calls import stats as figures

        return figures.compute(self.store, period, drills=drills, now=self.ctx.clock.now(),
                               due_soon=timedelta(minutes=self.config.deadlines.due_soon_minutes))

    @cached_property
    def scheduler(self) -> Scheduler:
        """The one scheduler, with the product's jobs (console/seat/jobs.py); other features
        add theirs to it."""
        from console.seat.jobs import build_scheduler

        return build_scheduler(self)

    def assess(self, period: figures.Period, *, unit: str | None = None) -> Assessment:
        """The assessment (考核) of a period as it stood at its end (or now, if sooner)."""
        from console.assessment import assess

        center = self.config.center.name_zh
        return assess(self.store, self.catalog, period, now=self.ctx.clock.now(), tz=self.config.tz,
                      center=center, seat=self.ctx.seat, unit=unit)

    def export_rows(self, period: figures.Period, *, drills: bool = False) -> list[dict[str, Any]]:
        from console.calls import stats as figures

        return figures.export_rows(self.store, period, drills=drills, tz=self.config.tz)


def open_services(
    db: Path | str | None = None,
    *,
    config_path: Path | None = None,
    clock: Clock | None = None,
    data_dir: Path | None = None,
    operator: str | None = None,
) -> Services:
    """Open (creating and seeding on first start) the database and build a seat session."""
    config = load_config(config_path)
    clock = clock or clock_from_env()
    data = data_dir or default_data_dir()
    store = Store(db or default_db_path(), clock, push_drills=config.sync.include_drills,
                  busy_timeout_ms=config.store.busy_timeout_ms, check=config.store.check_on_open)
    try:
        rules = load_rules(config, data / "deadlines.toml")
        row = store.one("SELECT body FROM catalog_snapshot WHERE id = 1")
        seat, who = config.center.seat, operator or config.center.operator
        if row is None:
            catalog = load_catalog(data)
            with store.transaction(seat, who) as tx:
                tx.append("catalog.loaded", {"version": catalog.version, "body": catalog.to_json(),
                                             "seed": True})
        else:
            catalog = Catalog.from_json(row["body"])
        if operator is not None:  # never someone else's name once operators are enrolled
            operators.may_act_as(store, seat, operator)
    except BaseException:
        store.close()
        raise
    ctx = Context(store=store, config=config, clock=clock, catalog=catalog, rules=rules,
                  seat=seat, operator=who)
    if operator is None:  # the operator signed in at this seat, if any (console/duty/operators.py)
        ctx.operator = operators.signed_in(store, seat) or who
    return Services(ctx, data)
