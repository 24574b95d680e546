"""The roll-call verbs (点名): ``rollcall list|record|report`` (see ``console/duty/rollcall.py``).

Importing this module registers them (``console/commands/__init__.py`` does, in help order).
In the TUI command bar ``rollcall`` or ``dm`` alone opens the roll-call screen instead.
"""

from __future__ import annotations

from console.commands.grammar import Invocation, Outcome, command
from console.commands.verbs.rosters import instant_arg
from console.duty.rollcall import (
    ROUND_PREFIX,
    Attempt,
    Callee,
    UnitRecord,
    day_report,
    find_round,
    record,
    result_text,
    roll_list,
)
from console.kernel.clock import iso
from console.kernel.inputs import parse_day
from console.words import Words


def _summary_line(t: Words, counts: dict[str, int]) -> str:
    return t.pick(f"已接听 {counts['answered']} · 未接听 {counts['no_answer']} · "
                  f"非值班人员 {counts['wrong_person']} · 未点名 {counts['not_called']}"
                  f"（共 {counts['total']}）",
                  f"answered {counts['answered']} · not answered {counts['no_answer']} · "
                  f"wrong person {counts['wrong_person']} · not called {counts['not_called']}"
                  f" (of {counts['total']})")


def _round(rid: str | None) -> str:
    """A round's id as people see it: its first 18 characters (the minting millisecond and the
    seat's counter, so unique on the seat that minted it), which ``--round`` accepts as a prefix."""
    return rid[:ROUND_PREFIX] if rid else "-"


def _contact(t: Words, phone: str, person: str) -> str:
    return f"{phone} {person or t.pick('（值班人未备案）', '(duty person not filed)')}"


def _callee_line(t: Words, c: Callee) -> str:
    line = (f"{c.unit.code:<14} {t.unit(c.unit.code)} · {_contact(t, c.duty_phone, c.duty_person)}"
            f" · {result_text(c.result, t.lang)}")
    if len(c.attempts) > 1:
        line += t.pick(f"（{len(c.attempts)} 次）", f" ({len(c.attempts)} calls)")
    return line


def _attempt_line(t: Words, a: Attempt) -> str:
    note = f" · {a.note}" if a.note else ""
    return (f"{t.time(a.at)} {result_text(a.result, t.lang)} · {_contact(t, a.duty_phone, a.duty_person)}"
            f" · {a.operator}@{a.seat}{note}")


@command("rollcall list", aliases=("rollcall",), options=("at", "round"),
         zh="点名名单：一级单位、此刻的值班人和值班电话、本轮点名结果",
         en="roll-call list: tier 1 units, who is on duty now and the duty phone, this round's results")
def _rollcall_list(inv: Invocation) -> Outcome:
    s = inv.services
    at = instant_arg(inv, "at", s.ctx.clock.now())
    rid = find_round(s.store, inv.need("round")) if inv.get("round") else None
    roll = roll_list(s, at, rid)
    t = inv.text
    head = t.pick(f"点名名单 {t.time(at, True)} · 轮次 {_round(roll.round_id)}",
                  f"roll-call list {t.time(at, True)} · round {_round(roll.round_id)}")
    lines = [head, *(_callee_line(t, c) for c in roll.callees), _summary_line(t, roll.counts())]
    return inv.outcome(roll.to_json(), lines)


@command("rollcall record", aliases=("dm",), args=("unit", "result"),
         options=("note", "at", "round"),
         zh="记录点名结果：answered 已接听 / no-answer 未接听 / wrong-person 非值班人员"
            "（--round new 开始新一轮，默认续当天最近一轮）",
         en="record a roll-call result: answered / no-answer / wrong-person"
            " (--round new starts a round; default: today's latest round)")
def _rollcall_record(inv: Invocation) -> Outcome:
    s = inv.services
    attempt, rid = record(s, inv.need("unit"), inv.need("result"), note=inv.get("note") or "",
                          at=inv.get("at"), round_id=inv.get("round"))
    roll = roll_list(s, attempt.at, rid)
    t = inv.text
    this = next(c for c in roll.callees if c.unit.code == attempt.unit)
    line = t.pick(f"已记录点名 {t.unit(attempt.unit)}：{result_text(attempt.result, 'zh')}"
                  f"（{_contact(t, attempt.duty_phone, attempt.duty_person)}，第 {len(this.attempts)} 次，"
                  f"轮次 {_round(rid)}）",
                  f"roll-call {t.unit(attempt.unit)}: {result_text(attempt.result, 'en')}"
                  f" ({_contact(t, attempt.duty_phone, attempt.duty_person)}, call {len(this.attempts)},"
                  f" round {_round(rid)})")
    nxt = roll.next_uncalled(roll.callees.index(this))
    lines = [line, _summary_line(t, roll.counts())]
    if nxt is not None:
        c = roll.callees[nxt]
        lines.append(t.pick("下一个：", "next: ")
                     + f"{t.unit(c.unit.code)} {_contact(t, c.duty_phone, c.duty_person)}")
    return inv.outcome({"call": attempt.to_json(), "round_id": rid, "attempts": len(this.attempts),
                        "summary": roll.counts(),
                        "next": roll.callees[nxt].unit.code if nxt is not None else None}, lines)


def _record_line(t: Words, u: UnitRecord) -> str:
    f = u.final
    if f is None:
        return f"{u.code:<14} {t.unit(u.code)} · {result_text(None, t.lang)}"
    tries = t.pick(f"（{len(u.attempts)} 次）", f" ({len(u.attempts)} calls)") if len(u.attempts) > 1 else ""
    return f"{u.code:<14} {t.unit(u.code)} · {_attempt_line(t, f)}{tries}"


@command("rollcall report", aliases=("dmjl",), options=("day", "round"),
         zh="当天点名记录：每个一级单位的最终结果、次数、时间、接警员、值班人和电话，汇总与未点名单位",
         en="the day's roll-call record: each tier 1 unit's final result, calls, time, operator,"
            " duty person and phone; summary and units not called")
def _rollcall_report(inv: Invocation) -> Outcome:
    s = inv.services
    day = parse_day(inv.need("day")) if inv.get("day") else None
    rid = find_round(s.store, inv.need("round")) if inv.get("round") else None
    report = day_report(s, day, rid)
    t = inv.text
    rounds = "、".join(f"{_round(r['id'])} ({r['calls']})" for r in report.rounds) or "-"
    lines = [t.pick(f"{report.day.isoformat()} 点名记录 · 轮次 {rounds}",
                    f"roll-call record {report.day.isoformat()} · rounds {rounds}")]
    lines += [_record_line(t, u) for u in report.units]
    lines.append(_summary_line(t, report.counts()))
    if report.not_called:
        lines.append(t.pick("未点名：", "not called: ")
                     + t.pick("、", ", ").join(t.unit(c) for c in report.not_called))
    data = report.to_json()
    data["at"] = iso(s.ctx.clock.now())
    return inv.outcome(data, lines)
