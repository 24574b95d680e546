"""The data of tiered command (分级指挥), loaded together on first use.

Escalation rules (``data/escalation.toml``), contingency plans (``data/plans/``) and reporting
deadlines (``data/report_deadlines.toml``) are only needed once an incident is graded, so a
seat reads them lazily (``Services.tiered``) and the board opens without paying for them.
All three are checked against the seat's catalog: a plan naming a unit the registry lacks is
refused with the file and the entry named.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console.catalog.registry import Catalog
from console.tiered.escalation import EscalationRules, load_escalation
from console.tiered.plans import PlanBook, load_plans
from console.tiered.report_deadlines import ReportRules, load_report_rules


@dataclass(frozen=True)
class TieredData:
    escalation: EscalationRules
    plans: PlanBook
    reports: ReportRules


def load_tiered(data_dir: Path, catalog: Catalog) -> TieredData:
    data = Path(data_dir)
    return TieredData(
        escalation=load_escalation(data / "escalation.toml", catalog),
        plans=load_plans(data / "plans", catalog),
        reports=load_report_rules(data / "report_deadlines.toml"),
    )
