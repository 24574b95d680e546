"""Commands for the seat's missed calls (console/calls/phone_state.py): list, call back, dismiss."""

from __future__ import annotations

from console.calls.phone_state import PhoneCall, PhoneLog
from console.commands.grammar import Invocation, Outcome, command


def _line(inv: Invocation, c: PhoneCall) -> str:
    t = inv.text
    phone = c.phone or t.pick("未显示号码", "number withheld")
    why = t.pick({"timeout": "无人接", "abandoned": "已挂断"}.get(c.reason, c.reason),
                 {"timeout": "unanswered", "abandoned": "hung up"}.get(c.reason, c.reason))
    name = f" {c.caller_name}" if c.caller_name else ""
    return f"#{c.no} {phone}{name} {t.time(c.rang_at, True)} {why}"


@command("missed", aliases=("wj",),
         zh="未接来电：尚未回拨的来电（重启后仍保留）",
         en="missed calls still owed a call back (kept over restarts)")
def _missed(inv: Invocation) -> Outcome:
    calls = PhoneLog(inv.services.store).owed()
    lines = [_line(inv, c) for c in calls] or [inv.text.pick("没有待回拨的未接来电", "no missed calls")]
    return inv.outcome({"missed": [c.to_json() for c in calls]}, lines)


def _settle(inv: Invocation, how: str) -> Outcome:
    call = PhoneLog(inv.services.store).settle(inv.need("missed"), how, inv.services.ctx.clock.now())
    done = inv.text.pick("已回拨" if how == "called_back" else "已清除",
                         "called back" if how == "called_back" else "dismissed")
    return inv.outcome({"call": call.to_json()}, [f"{done} {_line(inv, call)}"])


@command("missed callback", aliases=("hb",), args=("missed",),
         zh="记录已回拨某个未接来电", en="record that a missed call was called back")
def _missed_callback(inv: Invocation) -> Outcome:
    return _settle(inv, "called_back")


@command("missed dismiss", args=("missed",),
         zh="清除某个无需回拨的未接来电（如未显示号码）",
         en="clear a missed call that needs no call back (a withheld number, say)")
def _missed_dismiss(inv: Invocation) -> Outcome:
    return _settle(inv, "dismissed")
