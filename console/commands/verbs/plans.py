"""Verbs for contingency plans (预案): list and show the plans, propose and activate one for an
incident, tick its checklist, and see where the plan-led response stands
(see ``console/tiered/activation.py``)."""

from __future__ import annotations

from typing import Any

from console.commands import shapes
from console.commands.grammar import Invocation, Outcome, command
from console.commands.shapes import activation_lines
from console.kernel.vocab import level_label, type_label
from console.tiered.activation import Proposal, phase_label
from console.tiered.plans import Plan, role_label
from console.words import Words


def plan_json(p: Plan) -> dict[str, Any]:
    return {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en,
            "types": [t.value for t in p.types], "levels": [lv.value for lv in p.levels],
            "categories": list(p.categories), "reports": list(p.reports),
            "note_zh": p.note_zh, "note_en": p.note_en,
            "units": [{"code": u.code, "role": u.role, "task_zh": u.task_zh, "task_en": u.task_en,
                       "min_level": u.min_level.value if u.min_level else None} for u in p.units],
            "steps": [{"n": s.no, "text_zh": s.text_zh, "text_en": s.text_en, "role": s.role,
                       "unit": s.unit, "due_minutes": s.due_minutes} for s in p.steps]}


def plan_line(t: Words, p: Plan) -> str:
    levels = "/".join(lv.value for lv in p.levels)
    types = "、".join(type_label(k, t.lang) for k in p.types)
    cats = "、".join(t.category(c) for c in p.categories) or t.pick("任何类别", "any category")
    return f"  {p.code} · {p.name(t.lang)} · {types} · {levels} · {cats}"


def proposal_lines(t: Words, p: Proposal) -> list[str]:
    lines = [t.incident_line(p.incident),
             t.pick(f"预案：{p.plan.name_zh}（{level_label(p.grade.level, 'zh')}）",
                    f"plan: {p.plan.name_en} ({level_label(p.grade.level, 'en')})")]
    if not p.matches:
        lines.append(t.pick("  注意：本预案的启动条件不包括该警情，启动须 --force --reason",
                            "  note: the plan's triggers do not cover this incident; activating"
                            " needs --force --reason"))
    if p.already_active:
        lines.append(t.pick("  该预案已在本警情启动", "  this plan is already active on the incident"))
    for item in p.items:
        u = item.unit
        mark = (t.pick(f"（已派单 {item.existing.no}）", f" (already ordered: order {item.existing.no})")
                if item.existing else "")
        lines.append(f"  [{role_label(u.role, t.lang)}] {t.unit(u.code)}{mark}: "
                     f"{u.task_zh if t.zh() else u.task_en}")
    lines.append(t.pick(f"将派单 {len(p.to_order)} 个单位", f"{len(p.to_order)} units to order"))
    return lines




@command("plan list", aliases=("plans", "yalb"), args=("incident?",),
         zh="应急预案列表（给出警情时只列与其分级、类别匹配的预案）",
         en="contingency plans (with an incident: only those matching its grade and category)")
def _plan_list(inv: Invocation) -> Outcome:
    s = inv.services
    t = inv.text
    ref = inv.get("incident")
    incident = None
    if ref:
        incident = s.incident(ref).incident
        plans = s.matching_plans(incident)
    else:
        plans = list(s.tiered.plans.plans.values())
    lines = ([t.incident_line(incident)] if incident else []) + [plan_line(t, p) for p in plans]
    if not plans:
        lines.append(t.pick("没有匹配的预案（警情须先分级为 Ⅰ–Ⅳ 级）",
                            "no matching plan (the incident must be graded I–IV first)")
                     if incident else t.pick("没有预案", "no plans"))
    return inv.outcome({"incident": shapes.incident_json(incident) if incident else None,
                        "plans": [plan_json(p) for p in plans]}, lines)


@command("plan show", args=("code",), zh="预案详情：启动条件、单位及职责、处置要点、报告",
         en="a plan: triggers, units and their roles, checklist, reports")
def _plan_show(inv: Invocation) -> Outcome:
    p = inv.services.tiered.plans.plan(inv.need("code").strip())
    t = inv.text
    lines = [plan_line(t, p).strip()]
    for u in p.units:
        lvl = (t.pick(f"（{u.min_level.value} 级及以上）", f" (level {u.min_level.value} and above)")
               if u.min_level else "")
        lines.append(f"  [{role_label(u.role, t.lang)}] {t.unit(u.code)}{lvl}: "
                     f"{u.task_zh if t.zh() else u.task_en}")
    for st in p.steps:
        due = t.pick(f"（{st.due_minutes} 分钟内）", f" (within {st.due_minutes} min)") if st.due_minutes else ""
        lines.append(f"  {st.no}. {st.text(t.lang)}{due}")
    return inv.outcome({"plan": plan_json(p)}, lines)


@command("plan propose", args=("incident", "code"),
         zh="预案启动预览：将派单的单位、职责和任务（已有派单的单位标出），不写入",
         en="preview a plan activation: the units it would order with roles and tasks (units"
            " already ordered marked); writes nothing")
def _plan_propose(inv: Invocation) -> Outcome:
    p = inv.services.plan_proposal(inv.need("incident"), inv.need("code"))
    return inv.outcome({"proposal": p.to_json()}, proposal_lines(inv.text, p))


@command("plan activate", aliases=("qdya",), args=("incident", "code"), options=("reason", "at"),
         flags=("force",),
         zh="启动预案：一次下达预案的全部派单并开始处置要点清单（不匹配的预案须 --force --reason）",
         en="activate a plan: issue all its orders at once and start its checklist (a plan that"
            " does not match needs --force --reason)")
def _plan_activate(inv: Invocation) -> Outcome:
    s = inv.services
    a, orders = s.activate_plan(inv.need("incident"), inv.need("code"), force=bool(inv.get("force")),
                                reason=inv.get("reason") or "", at=inv.get("at"))
    t = inv.text
    now = s.ctx.clock.now()
    clocks = [(o, s.clock_of(o)) for o in orders]
    lines = [t.pick("已启动 ", "activated ") + activation_lines(t, a, now)[0]]
    lines += [t.order_line(o, c) for o, c in clocks]
    return inv.outcome({"activation": a.to_json(now),
                        "orders": [shapes.order_json(o, c) for o, c in clocks]}, lines)


@command("plan check", args=("incident", "step"), options=("note", "plan", "at"), flags=("undo",),
         zh="处置要点打勾：标记预案清单的第 N 步已完成（--undo 取消，--note 备注，--plan 指定预案）",
         en="tick checklist step N of the activated plan (--undo unticks, --note, --plan picks"
            " the plan)")
def _plan_check(inv: Invocation) -> Outcome:
    s = inv.services
    a = s.check_plan_step(inv.need("incident"), inv.need("step"), done=not inv.get("undo"),
                          note=inv.get("note") or "", plan=inv.get("plan"), at=inv.get("at"))
    now = s.ctx.clock.now()
    return inv.outcome({"activation": a.to_json(now)}, activation_lines(inv.text, a, now))


@command("plan status", args=("incident",),
         zh="预案处置情况：已启动的预案、清单进度、超时步骤、先期处置与预案派单",
         en="plan response: activations, checklist progress, overdue steps, initial vs plan orders")
def _plan_status(inv: Invocation) -> Outcome:
    s = inv.services
    d = s.incident(inv.need("incident"))
    t = inv.text
    now = s.ctx.clock.now()
    found = s.activations(d.incident.id)
    lines = [t.incident_line(d.incident)]
    for a in found:
        lines += activation_lines(t, a, now)
    if not found:
        lines.append(t.pick("尚未启动预案", "no plan activated yet"))
    phases: dict[str, list[Any]] = {"daily": [], "initial": [], "plan": []}
    for o, c in d.orders:
        phases.setdefault(o.phase or "daily", []).append((o, c))
    for phase, orders in phases.items():
        if phase == "daily" and not orders:
            continue
        lines.append(f"{phase_label(phase, inv.lang)} ({len(orders)}):")
        lines += [t.order_line(o, c) for o, c in orders] or [t.pick("  （无）", "  (none)")]
    return inv.outcome(
        {"incident": shapes.incident_json(d.incident),
         "activations": [a.to_json(now) for a in found],
         "orders": {phase: [shapes.order_json(o, c) for o, c in orders]
                    for phase, orders in phases.items()}}, lines)
