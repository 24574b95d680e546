"""``linkage city``: the city console. Per county: open orders, overdue, waiting incidents and
how fresh its data is; below, every overdue order in the city, most overdue first.

It reads the city replica (console/city/replica.py) and pulls every ``interval`` seconds in a
thread worker (``exit_on_error=False``: an unreachable server must not end the console; the
board stays on the last data and the status line says so). Tests pass ``interval=None`` and
pull by hand (ctrl+r pulls inline then), so no thread runs under Pilot.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from console.city.replica import CityReplica, PullReport
from console.city.summary import city_board
from console.kernel.clock import Clock
from screens.i18n import tr


class CityApp(App[int]):
    CSS = """
    #counties { height: 1fr; }
    #overdue { height: 2fr; }
    #status { height: 1; }
    """
    BINDINGS = [
        Binding("ctrl+r", "pull", "binding.city_refresh", priority=True),
        Binding("ctrl+q", "quit_city", "binding.city_quit", priority=True),
    ]

    def __init__(self, replica: CityReplica, pull: Callable[[], PullReport], clock: Clock, *, lang: str = "zh",
                 interval: float | None = 10.0) -> None:
        super().__init__()
        self.replica = replica
        self.pull = pull
        self.clock = clock
        self.lang = lang
        self.interval = interval
        self.last: PullReport | None = None
        self.title = tr("city.title", lang)

    def compose(self) -> ComposeResult:
        yield DataTable(id="counties", cursor_type="row")
        yield DataTable(id="overdue", cursor_type="row")
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        t = self.lang
        self.query_one("#counties", DataTable).add_columns(
            *(tr(k, t) for k in ("city.col.county", "city.col.open", "city.col.overdue", "city.col.waiting",
                                 "city.col.raised", "city.col.fresh")))
        self.query_one("#overdue", DataTable).add_columns(
            *(tr(k, t) for k in ("city.col.county", "city.col.order", "city.col.unit", "city.col.stage",
                                 "city.col.late")))
        self.show()
        if self.interval is not None:
            self.action_pull()
            self.set_interval(self.interval, self.action_pull)

    def action_pull(self) -> None:
        if self.interval is None:
            self.last = self.pull()
            self.show()
            return
        self.run_worker(self._pull_in_thread, thread=True, exclusive=True, exit_on_error=False)

    def _pull_in_thread(self) -> None:
        report = self.pull()
        self.call_from_thread(self._pulled, report)

    def _pulled(self, report: PullReport) -> None:
        self.last = report
        self.show()

    def action_quit_city(self) -> None:
        self.exit(0)

    def show(self) -> None:
        """Repaint both tables from the replica (cheap: a handful of counties)."""
        now = self.clock.now()
        counties, overdue = city_board(self.replica, now)
        table = self.query_one("#counties", DataTable)
        table.clear()
        for row in counties:
            fresh = tr("city.never", self.lang) if row.age_s is None else tr("city.age", self.lang, s=round(row.age_s))
            table.add_row(Text(row.county), str(row.open_orders), str(row.overdue), str(row.waiting),
                          str(row.raised), fresh, key=row.county)
        late = self.query_one("#overdue", DataTable)
        late.clear()
        for item in overdue:
            late.add_row(Text(item.county), str(item.order_no), Text(item.unit), Text(item.stage),
                         str(round(item.overdue_s / 60)), key=f"{item.county}/{item.order_id}")
        status = self.query_one("#status", Static)
        if self.last is not None and not self.last.ok:
            status.update(tr("city.status.down", self.lang, err=self.last.error[:80]))
        else:
            status.update(tr("city.status.ok", self.lang, n=len(counties), o=len(overdue)))
