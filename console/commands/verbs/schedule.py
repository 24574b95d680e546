"""``schedule list`` (each job's last and next run), ``schedule run`` (run what is due now,
catching up a missed run once) and ``agent`` (the same, every minute, for a machine that runs
unattended: the monthly report is written even when nobody opens the console)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

from console.commands.grammar import Invocation, Outcome, command
from console.commands.verbs import callfeed
from console.kernel.clock import FakeClock, iso
from console.kernel.errors import BadInput
from console.schedule import Ran
from console.seat.jobs import Reminder

AGENT_INTERVAL_S = 30.0


def ran_line(inv: Invocation, r: Ran) -> str:
    t = inv.text
    job = inv.services.scheduler.jobs[r.key]
    name = t.pick(job.name_zh, job.name_en)
    caught = t.pick(f"（补跑，跳过 {r.missed} 次）", f" (caught up; {r.missed} skipped)") if r.missed else ""
    if isinstance(r.result, Exception):
        return t.pick(f"{name} 失败{caught}：{r.result}", f"{name} failed{caught}: {r.result}")
    if isinstance(r.result, Reminder):
        return f"{name}{caught}{t.pick('：', ': ')}{t.pick(r.result.zh, r.result.en)}"
    if isinstance(r.result, list):
        files = ", ".join(str(p) for p in r.result if isinstance(p, Path))
        return t.pick(f"{name}{caught}：已写入 {files}", f"{name}{caught}: written {files}")
    return t.pick(f"{name}{caught}：无事可提醒", f"{name}{caught}: nothing to remind")


def ran_json(r: Ran) -> dict[str, Any]:
    result: Any = None
    if isinstance(r.result, Reminder):
        result = r.result.to_json()
    elif isinstance(r.result, list):
        result = [str(p) for p in r.result]
    elif isinstance(r.result, Exception):
        result = {"error": str(r.result)}
    return {"job": r.key, "due": iso(r.due), "at": iso(r.at), "missed": r.missed, "result": result}


@command("schedule list",
         zh="定时任务：每项的定时表达式、上次运行与下次运行时间（本中心时区）",
         en="scheduled jobs: each one's cron line, last run and next run (the center's zone)")
def _list(inv: Invocation) -> Outcome:
    t = inv.text
    sched = inv.services.scheduler
    rows = sched.listing()
    lines = [t.pick("定时任务（本中心时区）：", "scheduled jobs (the center's zone):")]
    data = []
    for job, last, nxt in rows:
        lines.append(f"  {t.pick(job.name_zh, job.name_en)} [{job.cron}] "
                     + t.pick(f"上次 {t.time(last, with_date=True)} · 下次 {t.time(nxt, with_date=True)}",
                              f"last {t.time(last, with_date=True)} · next {t.time(nxt, with_date=True)}"))
        data.append({"job": job.key, "cron": job.cron, "last_run": iso(last) if last else None,
                     "next_run": iso(nxt) if nxt else None})
    if not rows:
        lines.append(t.pick("  （无：[schedule] 全部为空）", "  (none: every [schedule] entry is empty)"))
    return inv.outcome({"jobs": data}, lines)


@command("schedule run",
         zh="立即运行到期的定时任务（错过的只补跑一次）", en="run the scheduled jobs that are due now"
            " (a missed run is caught up once)")
def _run(inv: Invocation) -> Outcome:
    ran = inv.services.scheduler.tick()
    lines = [ran_line(inv, r) for r in ran] or [inv.text.pick("没有到期的定时任务", "no job is due")]
    return inv.outcome({"ran": [ran_json(r) for r in ran]}, lines)


@command("agent",
         zh="无人值守：每 30 秒运行到期的定时任务（月度考核报告等），Ctrl-C 或 SIGTERM 结束",
         en="unattended: run the due scheduled jobs every 30 s (the monthly assessment and the"
            " rest) until Ctrl-C or SIGTERM")
def _agent(inv: Invocation) -> Outcome:
    if callfeed.in_event_loop():
        raise BadInput("agent.in_console", zh="控制台已在运行定时任务；agent 请在另一个终端运行",
                       en="the console runs the scheduled jobs itself; run `linkage agent` elsewhere")
    s = inv.services
    stop = threading.Event()
    once = isinstance(s.ctx.clock, FakeClock)   # a fixed clock never moves: one pass
    if not once:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    done: list[dict[str, Any]] = []
    try:
        while True:
            for r in s.scheduler.tick():
                done.append(ran_json(r))
                sys.stderr.write(ran_line(inv, r) + "\n")
                sys.stderr.flush()
            if once or stop.wait(AGENT_INTERVAL_S):
                break
    except KeyboardInterrupt:
        pass
    return inv.outcome({"ran": done}, [inv.text.pick(f"agent 结束：运行了 {len(done)} 项",
                                                     f"agent stopped: {len(done)} runs")])
