"""Strings of grading (ctrl+a) and reporting upward (信息报送, ctrl+x) on the incident screen."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "status.reports_overdue": ("报送超时 {n}", "reports overdue {n}"),
    # grading dialog (StepDialog fields step.<name>)
    "grade.title": ("警情 #{no} 分级", "Grade incident #{no}"),
    "grade.current": ("当前：{grade}", "now: {grade}"),
    "grade.none": ("当前：未分级（日常）", "now: not graded (daily)"),
    "grade.suggestions": ("规则建议：", "the rules suggest:"),
    "grade.no_suggestion": ("没有规则触发（按日常警情处置）", "no rule fired (daily help)"),
    "grade.suggestions_unavailable": ("升级规则不可用：{error}", "escalation rules unavailable: {error}"),
    "grade.levels": ("级别：I 特别重大 · II 重大 · III 较大 · IV 一般 · 日常（Ⅰ–Ⅳ 为预案级，开始信息报送计时）",
                     "levels: I · II · III · IV · daily (I–IV is plan level: the report clocks start)"),
    "grade.saved": ("已分级：{grade}", "graded: {grade}"),
    "step.grade_level": ("级别（I / II / III / IV / 日常）", "level (I / II / III / IV / daily)"),
    "step.grade_type": ("事件类型（自然灾害 / 事故灾难 / 公共卫生事件 / 社会安全事件；空 = 按类别）",
                        "type (natural disaster / accident / public health / social safety; empty:"
                        " by category)"),
    "step.deaths": ("死亡人数（空 = 不变）", "dead (empty: unchanged)"),
    "step.injured": ("受伤人数（空 = 不变）", "injured (empty: unchanged)"),
    "step.trapped": ("被困人数（空 = 不变）", "trapped (empty: unchanged)"),
    "step.grade_reason": ("原因（降级必填）", "reason (required to lower)"),
    # report clocks on the incident header and the report screen
    "upward.head": ("信息报送", "reports upward"),
    "upward.grade": ("分级", "grade"),
    "upward.lowered": ("（已降至预案级以下，不再计时）", " (lowered below plan level: no clock runs)"),
    "upward.not_raised": ("警情 #{no} 未定为预案级别（Ⅰ–Ⅳ），无须向上报送；Ctrl+A 分级",
                          "incident #{no} is not at plan level (I–IV): nothing to report; ctrl+a grades it"),
    "upward.title": ("信息报送 · 警情 #{no} · {grade}", "Report upward · incident #{no} · {grade}"),
    "upward.filed": ("已报送：", "filed:"),
    "upward.label.kind": ("类型", "kind"),
    "upward.label.to": ("报送对象", "to"),
    "upward.label.via": ("方式", "via"),
    "upward.label.at": ("报送时间", "at"),
    "upward.kind": ("报送类型（电话首报 / 书面首报 / 续报 / 终报）",
                    "kind (initial_phone / initial_written / follow_up / final)"),
    "upward.to": ("报送对象（如 县应急办值班室）", "to (e.g. the county emergency office duty room)"),
    "upward.via": ("方式（电话 / 传真 / 系统 / 当面）", "via (phone / fax / system / in_person)"),
    "upward.at": ("报送时间（留空为现在，如 14:05、-5m）", "reported at (empty: now; 14:05, -5m)"),
    "upward.body": ("报告正文（可修改；电话报告可空）：", "report text (edit it; may be empty for a phone report):"),
    "upward.default_to": ("县应急办值班室", "county emergency office duty room"),
    "upward.hint": ("Ctrl+S 报送 · Esc 取消 · Tab 下一项", "ctrl+s files · esc cancels · tab next field"),
    "upward.saved": ("已记录：{kind} -> {to}", "recorded: {kind} -> {to}"),
    # timeline
    # bindings
    "binding.incident.grade": ("分级", "grade"),
    "binding.incident.report": ("信息报送", "report upward"),
    "binding.report.save": ("报送", "file"),
}
