"""Strings of the contingency plan screen (ctrl+p on an incident) and the order phases."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "plan.title": ("警情 #{no} · 应急预案 · {grade}", "Incident #{no} · contingency plans · {grade}"),
    "plan.not_graded": ("未分级", "not graded"),
    "plan.list.head": ("匹配的预案（↑↓ 选择，Enter 查看启动方案）",
                       "matching plans (up/down selects, Enter shows the proposal)"),
    "plan.list.none": ("没有匹配的预案：警情须先分级为 Ⅰ–Ⅳ 级，且类别在预案的启动条件内",
                       "no matching plan: grade the incident I–IV first; its category must be"
                       " among a plan's triggers"),
    "plan.list.active": ("已启动 {done}/{total}", "active {done}/{total}"),
    "plan.proposal.head": ("启动方案：{plan}（Ctrl+Y 确认启动，一次下达 {n} 条派单；Esc 返回）",
                           "proposal: {plan} (ctrl+y activates it: {n} orders at once; Esc back)"),
    "plan.proposal.already": ("已派单 {no}", "already ordered: order {no}"),
    "plan.proposal.active": ("该预案已在本警情启动", "this plan is already active on the incident"),
    "plan.proposal.mismatch": ("注意：本预案的启动条件不包括该警情", "note: the plan's triggers do not"
                               " cover this incident"),
    "plan.checklist.head": ("{plan} · 启动于 {at} · 处置要点 {done}/{total}{overdue}（Enter 勾选/取消，"
                            "Ctrl+N 备注）",
                            "{plan} · activated {at} · checklist {done}/{total}{overdue} (Enter ticks"
                            " or unticks, ctrl+n note)"),
    "plan.checklist.overdue": (" · 超时 {n}", " · {n} overdue"),
    "plan.step.due": ("时限 {at}", "due {at}"),
    "plan.step.overdue": ("超时", "OVERDUE"),
    "plan.step.done_at": ("{who} {at} 完成", "done {at} by {who}"),
    "plan.activated": ("已启动 {plan}：下达派单 {n} 条", "activated {plan}: {n} orders issued"),
    "plan.checked": ("第 {n} 步：{state}", "step {n}: {state}"),
    "plan.state.done": ("已完成", "done"),
    "plan.state.undone": ("未完成", "not done"),
    "plan.note.placeholder": ("该步骤的备注（Enter 保存，Esc 取消）", "note for the step (Enter saves, Esc cancels)"),
    "plan.note.saved": ("第 {n} 步备注已保存", "note saved on step {n}"),
    "plan.phase.initial": ("[先期处置]", "[initial response]"),
    "plan.phase.plan": ("[预案]", "[plan]"),
    "binding.plan.select": ("选择/勾选", "select/tick"),
    "binding.plan.activate": ("确认启动", "activate"),
    "binding.plan.note": ("步骤备注", "step note"),
    "binding.plan.back": ("返回", "back"),
    "binding.incident.plan": ("预案", "plans"),
}
