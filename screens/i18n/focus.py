"""Strings of the selection and focus model, toasts, layout limits and TUI words for refusals."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "too_small": ("终端太小，至少需要 80×24", "terminal too small (need 80×24)"),
    "binding.dismiss_toasts": ("清除提示", "dismiss toasts"),
    "binding.board_home": ("回到看板", "back to the board"),
    "board.from_command_bar": ("派单操作请在看板上选中派单后再按（已回到看板，选中：{selected}）",
                               "order keys act on the board: check the selected order and press again"
                               " (back on the board, selected: {selected})"),
    "board.selected": ("选中 派单 {no} · {unit}", "selected order {no} · {unit}"),
    "board.overdue_above": ("▲ 上方 {n} 条超时", "▲ {n} overdue above"),
    "board.waiting_focus": ("▶ 待派（F8 派单到高亮警情）", "▶ waiting (F8 dispatches the highlighted one)"),
    # labels in front of the step dialogs' fields (a filled-in field no longer shows its hint)
    "step.label.at": ("时间", "time"),
    "step.label.note": ("备注", "note"),
    "step.label.reason": ("原因", "reason"),
    "step.label.unit": ("单位", "unit"),
    "step.label.to": ("催办对象", "to whom"),   # fits the 9-cell label column
    "step.label.how": ("方式", "how"),
    "step.label.level": ("督办级别", "level"),
    "step.label.why": ("督办原因", "reason"),
    "step.label.minutes": ("督办时限", "deadline"),
    "step.label.decision": ("审核", "decision"),
    "step.label.handling": ("先期处置", "handling"),
    "step.label.result": ("回访结果", "result"),
    "step.label.reopen": ("重新打开", "reopen"),
    "step.callback_at": ("回访时间（留空为现在，如 14:05、-5m）", "time of the callback (empty = now, 14:05, -5m)"),
    "urge.how.phone": ("电话", "phone"),
    "supervise.level.1": ("一级督办", "level 1"),
    "supervise.level.2": ("二级督办", "level 2"),
    "supervise.level.3": ("三级督办", "level 3"),
    "supervise.level.4": ("市级督办", "city level"),
    # a refusal's CLI flag (--reason) shown as the dialog's field
    "refusal.field": ("“{label}”一栏", "the “{label}” field"),
}
