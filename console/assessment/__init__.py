"""The assessment (考核) for the joint meeting (联席会议): each unit's and each operator's record
over a center-local period, the three lists, and the trend against the previous period.

``assess`` is the one entry point; the CLI verb (``linkage assess``), the TUI screen, the
scheduled monthly report and the XLSX/PDF writers all read what it returns. The exact rule of
every figure is in docs/assessment.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from console.assessment.model import Assessment
from console.assessment.operators import operator_records
from console.assessment.units import listed_orders, unit_records
from console.calls.stats import Period
from console.catalog.registry import Catalog
from console.kernel.inputs import day_bounds
from console.store.queries import Reader

_TICK = timedelta(milliseconds=1)  # the store's resolution


def previous_period(p: Period, tz: ZoneInfo) -> Period:
    """The same number of days immediately before ``p``."""
    days = (p.last - p.first).days + 1
    first, last = p.first - timedelta(days=days), p.first - timedelta(days=1)
    return Period(first, last, day_bounds(first, tz)[0], day_bounds(last, tz)[1])


def assess(db: Reader, catalog: Catalog, p: Period, *, now: datetime, tz: ZoneInfo, center: str,
           seat: str, unit: str | None = None) -> Assessment:
    """The assessment of ``p`` as it stood at ``min(p.end, now)``: re-run later, the same."""
    # the SQL reads "before the cut-off": what was recorded at ``now`` itself counts
    cut = min(p.end, now + _TICK)
    prev = previous_period(p, tz)
    prev_cut = min(prev.end, now + _TICK)
    operators, figure = operator_records(db, seat, p.start, p.end, cut)
    return Assessment(
        center=center, period=p, cutoff=min(p.end, now),
        units=unit_records(db, catalog, p.start, p.end, cut, unit),
        lists=listed_orders(db, p.start, p.end, cut, unit),
        operators=operators, center_figure=figure, previous=prev,
        previous_units={u.unit: u for u in unit_records(db, catalog, prev.start, prev.end, prev_cut, unit)},
    )
