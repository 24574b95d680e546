"""Verbs for operators and shift handover (值班员 / 交接班), see ``console/duty/operators.py`` and
``console/duty/handover.py``. Importing this module registers them (``console/commands/__init__.py``).

A PIN typed here is checked and hashed, never echoed back, stored or sent. PINs are never
options (the grammar refuses ``--pin``, console/commands/grammar.py): each one a verb needs is read in
turn from ``services.pin_reader`` (the CLI asks the terminal or reads the next line of stdin,
console/duty/pin_input.py). Acts of an administrator name them with ``--admin LOGIN``, whose PIN is read
first.
"""

from __future__ import annotations

from datetime import date

from console.commands.grammar import Invocation, Outcome, command
from console.duty.handover import Handover, ShiftSummary
from console.duty.operators import Operator
from console.kernel.errors import BadInput
from console.kernel.inputs import parse_day
from console.orders.accountability import supervise_text
from console.words import Words


def _who(t: Words, o: Operator) -> str:
    state = "" if o.active else t.pick("（已停用）", " (disabled)")
    return f"{o.login} {o.name}{state}"


def _pin(inv: Invocation, zh: str, en: str) -> str:
    """The next PIN from the front end's reader, prompted in the user's language."""
    reader = inv.services.pin_reader
    if reader is None:
        raise BadInput("operator.pin_prompt",
                       zh="此处无法输入 PIN：请用签到或交接班界面，或在终端运行 linkage 命令",
                       en="no PIN can be typed here: use the sign-in or handover screen, or run"
                          " the linkage command in a terminal")
    return reader(inv.text.pick(zh, en))


def _admin(inv: Invocation) -> tuple[str | None, str | None]:
    """``--admin LOGIN`` and that administrator's PIN (read first), or (None, None)."""
    admin = inv.get("admin")
    if admin is None or not admin.strip():
        return None, None
    return admin, _pin(inv, f"管理员 {admin} 的 PIN", f"PIN of administrator {admin}")


@command("operator add", args=("login",), options=("name", "role", "admin"),
         zh="登记值班员：登录名、姓名（--name）、角色（--role admin|operator）；须管理员 --admin"
            "（先输入其 PIN），再输入新值班员的 4-8 位 PIN（只保存其散列）。首个值班员无须管理员，"
            "自动成为管理员",
         en="enrol an operator: login, --name, --role admin|operator; an administrator --admin"
            " (their PIN is read first), then the new 4-8 digit PIN (only its hash is kept). The"
            " first operator needs no administrator and becomes one")
def _operator_add(inv: Invocation) -> Outcome:
    login = inv.need("login")
    admin, admin_pin = _admin(inv)
    pin = _pin(inv, f"{login} 的新 PIN", f"new PIN for {login}")
    who = inv.services.enrol_operator(login, inv.get("name") or "", pin,
                                      role=inv.get("role") or "operator", admin=admin,
                                      admin_pin=admin_pin)
    t = inv.text
    return inv.outcome({"operator": who.to_json()},
                       [t.pick(f"已登记值班员 {_who(t, who)}", f"enrolled operator {_who(t, who)}")])


@command("operator list", zh="值班员名单（含已停用）及本席位当前签到的值班员",
         en="the enrolled operators (disabled ones too) and who is signed in at this seat")
def _operator_list(inv: Invocation) -> Outcome:
    s = inv.services
    found = s.operator_list()
    t = inv.text
    lines = [t.pick(f"值班员 {len(found)} 名 · 本席位 {s.config.center.seat} 当前：{s.ctx.operator}",
                    f"{len(found)} operators · seat {s.config.center.seat} now: {s.ctx.operator}")]
    lines += [f"  {_who(t, o)}" for o in found] or [t.pick("  （尚未登记值班员）", "  (none enrolled)")]
    return inv.outcome({"operators": [o.to_json() for o in found], "seat": s.config.center.seat,
                        "signed_in": s.ctx.operator}, lines)


@command("operator passwd", args=("login",), options=("admin",),
         zh="修改 PIN：依次输入原 PIN 和新 PIN；或由管理员 --admin 重置（先输入管理员 PIN，再输入新 PIN）",
         en="change a PIN: type the old PIN, then the new one; or an administrator resets it"
            " (--admin: their PIN, then the new one)")
def _operator_passwd(inv: Invocation) -> Outcome:
    login = inv.need("login")
    admin, admin_pin = _admin(inv)
    old = None if admin else _pin(inv, f"{login} 的原 PIN", f"current PIN of {login}")
    new = _pin(inv, f"{login} 的新 PIN", f"new PIN for {login}")
    who = inv.services.change_pin(login, old, new, admin=admin, admin_pin=admin_pin)
    t = inv.text
    return inv.outcome({"operator": who.to_json(), "by": admin},
                       [t.pick(f"{who.login} 的 PIN 已修改", f"{who.login}'s PIN changed")])


@command("operator disable", args=("login",), options=("admin",),
         zh="停用值班员（不能再签到；历史记录保留）；须管理员 --admin 并输入其 PIN",
         en="disable an operator (no more sign-ins; their records stay); needs --admin and that"
            " administrator's PIN")
def _operator_disable(inv: Invocation) -> Outcome:
    login = inv.need("login")
    admin, admin_pin = _admin(inv)
    who = inv.services.disable_operator(login, admin=admin, admin_pin=admin_pin)
    t = inv.text
    return inv.outcome({"operator": who.to_json()},
                       [t.pick(f"已停用值班员 {_who(t, who)}", f"disabled operator {_who(t, who)}")])


@command("operator role", args=("login", "role"), options=("admin",),
         zh="设定角色：admin（管理员：登记、停用、重置 PIN）或 operator；须管理员 --admin 并输入其 PIN",
         en="set a role: admin (enrols, disables, resets PINs) or operator; needs --admin and"
            " that administrator's PIN")
def _operator_role(inv: Invocation) -> Outcome:
    login, role = inv.need("login"), inv.need("role")
    admin, admin_pin = _admin(inv)
    who = inv.services.set_operator_role(login, role, admin=admin, admin_pin=admin_pin)
    t = inv.text
    return inv.outcome({"operator": who.to_json()},
                       [t.pick(f"{who.login} 的角色：{who.role}", f"{who.login} is now {who.role}")])


@command("operator signin", aliases=("signin",), args=("login",),
         zh="值班员签到（随后输入 PIN）：此后本席位的每条记录都记在该值班员名下",
         en="sign in (the PIN is asked for): every later record of this seat carries this operator")
def _operator_signin(inv: Invocation) -> Outcome:
    s = inv.services
    login = inv.need("login")
    who = s.sign_in(login, _pin(inv, f"{login} 的 PIN", f"PIN of {login}"))
    t = inv.text
    return inv.outcome({"operator": who.to_json(), "seat": s.config.center.seat},
                       [t.pick(f"{who.name}（{who.login}）已在席位 {s.config.center.seat} 签到",
                               f"{who.name} ({who.login}) signed in at seat {s.config.center.seat}")])


@command("operator signout", zh="值班员签退（本席位恢复为配置中的默认值班员名）",
         en="sign out (the seat goes back to the configured default operator name)")
def _operator_signout(inv: Invocation) -> Outcome:
    s = inv.services
    login = s.sign_out()
    t = inv.text
    return inv.outcome({"signed_out": login, "operator": s.ctx.operator},
                       [t.pick(f"{login} 已签退", f"{login} signed out")])


def summary_lines(t: Words, sm: ShiftSummary) -> list[str]:
    """The handover summary as text: the CLI's ``shift show`` and the handover screen."""
    since = t.time(sm.since, True) if sm.since else t.pick("未签到", "no sign-in")
    lines = [t.pick(f"交接班 {t.time(sm.at, True)} · 交班人 {sm.operator} · 本班自 {since}",
                    f"handover {t.time(sm.at, True)} · from {sm.operator} · shift since {since}")]
    lines.append(t.pick(f"未结警情 {len(sm.open_incidents)}：", f"open incidents ({len(sm.open_incidents)}):"))
    lines += [f"  {t.incident_line(i)}" for i in sm.open_incidents] or [t.pick("  （无）", "  (none)")]
    lines.append(t.pick(f"超时派单 {len(sm.overdue)}：", f"overdue orders ({len(sm.overdue)}):"))
    lines += [f"  #{r.order.incident_no} {t.order_line(r.order, r.clock).strip()}" for r in sm.overdue] or [
        t.pick("  （无）", "  (none)")]
    if sm.supervised:
        lines.append(t.pick(f"督办中 {len(sm.supervised)}：", f"supervised ({len(sm.supervised)}):"))
        lines += [f"  {t.pick('派单', 'order')} {r.order.no} → {t.unit(r.order.unit)}: "
                  f"{supervise_text(t, s, sm.at)}" for r, s in sm.supervised]
    if sm.notes:
        lines.append(t.pick(f"本班备注 {len(sm.notes)}：", f"notes this shift ({len(sm.notes)}):"))
        lines += [f"  {t.time(n.at)} #{n.incident_no} {n.operator}: {n.text}" for n in sm.notes]
    return lines


@command("shift show", zh="交接班内容：未结警情、超时派单、督办中派单、本班备注",
         en="what a shift handover would pass on now: open incidents, overdue orders,"
            " supervised orders, this shift's notes")
def _shift_show(inv: Invocation) -> Outcome:
    sm = inv.services.shift_summary()
    return inv.outcome({"summary": sm.to_json()}, summary_lines(inv.text, sm))


def handover_line(t: Words, h: Handover) -> str:
    note = f" · {h.note}" if h.note else ""
    return t.pick(
        f"{t.time(h.at, True)} 席位 {h.seat} {h.from_operator} → {h.to_operator} · 未结警情"
        f" {len(h.open_incidents)} · 超时派单 {len(h.overdue_orders)}{note}",
        f"{t.time(h.at, True)} seat {h.seat} {h.from_operator} → {h.to_operator} · open incidents"
        f" {len(h.open_incidents)} · overdue orders {len(h.overdue_orders)}{note}")


@command("shift handover", aliases=("jjb",), options=("to", "note"),
         zh="交接班：接班人 --to 登录名（随后输入接班人本人 PIN；--note 交接说明）；此后记录记在接班人名下",
         en="hand over the shift: the receiver's --to login (then the receiver's PIN; --note);"
            " later records carry the receiver")
def _shift_handover(inv: Invocation) -> Outcome:
    s = inv.services
    to = inv.need("to")
    h = s.hand_over_shift(to, _pin(inv, f"接班人 {to} 的 PIN", f"PIN of {to}, the receiver"),
                          inv.get("note") or "")
    t = inv.text
    return inv.outcome({"handover": h.to_json()},
                       [t.pick("已交接班：", "shift handed over: ") + handover_line(t, h)])


def _day(inv: Invocation) -> date:
    raw = inv.get("day")
    if raw is None or not raw.strip():
        return inv.services.ctx.clock.now().astimezone(inv.services.config.tz).date()
    return parse_day(raw)


@command("shift log", options=("day",), zh="交接班记录：某天（本地日期，默认今天）的全部交接班",
         en="the shift log: every handover of a day (center local date, default today)")
def _shift_log(inv: Invocation) -> Outcome:
    day = _day(inv)
    found = inv.services.shift_log(day)
    t = inv.text
    lines = [t.pick(f"{day.isoformat()} 交接班 {len(found)} 次", f"{day.isoformat()}: {len(found)} handovers")]
    lines += [f"  {handover_line(t, h)}" for h in found]
    return inv.outcome({"day": day.isoformat(), "handovers": [h.to_json() for h in found]}, lines)

