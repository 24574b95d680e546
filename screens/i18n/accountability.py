"""Strings of the urge (催办), supervise (督办) and callback (回访) dialogs."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "binding.urge": ("催办", "urge"),
    "binding.supervise": ("督办", "supervise"),
    "binding.callback": ("回访", "callback"),
    "step.to": ("催办对象：单位值班人或电话（默认取值班表）", "urged whom: duty person or number (from the roster)"),
    "step.how": ("方式：phone 电话 / sms 短信 / radio 电台 / in_person 当面",
                 "how: phone / sms / radio / in_person"),
    "step.level": ("督办级别：一级（中心主任）/ 二级（县应急办）/ 三级（县政府）", "level: 1 center director / 2 county"
                   " emergency office / 3 county government"),
    "step.why": ("督办原因（必填）", "reason for supervising (required)"),
    "step.minutes": ("督办时限（分钟，留空按配置）", "its own deadline in minutes (empty: the profile's)"),
    "step.result": ("回访结果：满意 my / 基本满意 jbmy / 不满意 bmy",
                    "result: satisfied / basic / dissatisfied"),
    "step.reopen": ("不满意时重新打开警情？填 是 / y（留空为否）",
                    "reopen the incident if dissatisfied? y (empty: no)"),
    "step.handling": ("先期处置情况（必填，移交前本单位做了什么）",
                      "initial handling (required: what this unit did before handing over)"),
    "binding.review_return": ("审核退单", "review return"),
    "step.decision": ("同意 accept（之后 Ctrl+T 改派）/ 驳回 reject（单位继续办理，须写原因）",
                      "accept (then Ctrl+T reassigns) / reject (the unit carries on; give a reason)"),
    "review.reason": ("单位退单原因：{reason}", "the unit's reason: {reason}"),
    "urge.detail": ("已催办 {n} 次", "urged {n} times so far"),
    "supervise.levels": ("级别只能保持或提高", "a later supervise keeps or raises the level"),
    "callback.title": ("警情 #{no} · 回访", "Incident #{no} · callback"),
    "callback.saved": ("已回访 #{no}：{result}", "callback #{no}: {result}"),
    "callback.reopened": ("已回访 #{no}：{result}，警情已重新打开", "callback #{no}: {result}; incident reopened"),
    "callback.latest": ("回访", "callback"),
    "incident.order.urged": ("已催办 {n} 次，最近 {at}", "urged {n} times, last at {at}"),
    "board.mark.urged": ("催{n}", "U{n}"),
    "board.mark.supervised": ("督{n}", "S{n}"),
}
