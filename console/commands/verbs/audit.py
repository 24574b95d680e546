"""The ``audit verify`` verb: the seat database's hash chains, checked end to end."""

from __future__ import annotations

from console.commands.grammar import Invocation, Outcome, command
from console.store.audit import verify_seat

PROBLEMS_FOUND = 4  # exit code: the check ran and found tampering (docs/cli-json.md)
FINDINGS = {
    "hash_mismatch": ("内容或链字段在记录后被改动", "content or chain fields changed after it was recorded"),
    "fork": ("与另一事件接在同一环之后（历史被改写）", "follows the same link as another event (history rewritten)"),
    "gap": ("前一事件不在本库中（被删除？）", "the event before it is not in this database (deleted?)"),
    "second_start": ("链出现第二个起点", "a second start of the chain"),
    "unchained": ("链建立后仍无链字段（被抹去）", "no chain link after the chain began (wiped)"),
}


@command("audit verify", zh="核验本席位数据库的事件哈希链：找出被改动、删除或替换的事件",
         en="verify this seat database's event hash chains: find edited, deleted or replaced events")
def _audit_verify(inv: Invocation) -> Outcome:
    report = verify_seat(inv.services.store)
    t = inv.text
    lines = [t.pick(f"共 {report.events} 条事件；链外 {report.unchained} 条（链建立之前或未上传的演练）",
                    f"{report.events} events; {report.unchained} outside any chain"
                    " (from before it, or drills kept home)")]
    for chain in report.seats:
        whose = t.pick("本席位" if chain.origin == "local" else "下载", "own" if chain.origin == "local" else "pulled")
        lines.append(f"  {chain.seat} ({whose}): " + t.pick(
            f"{chain.links} 环，缺口 {chain.gaps}，问题 {chain.problems}",
            f"{chain.links} links, {chain.gaps} gaps, {chain.problems} problems"))
    for finding in report.problems:
        zh, en = FINDINGS.get(finding.code, (finding.detail, finding.detail))
        lines.append(f"  ✗ {finding.seat} {finding.event_id} {finding.code}: {t.pick(zh, en)}")
    lines.append(t.pick("核验通过：没有发现改动" if report.ok else f"核验失败：发现 {len(report.problems)} 处问题",
                        "verified: no changes found" if report.ok
                        else f"verification failed: {len(report.problems)} problems"))
    outcome = inv.outcome(report.to_json(), lines)
    if report.ok:
        return outcome
    return Outcome(outcome.command, outcome.data, outcome.lines, PROBLEMS_FOUND)
