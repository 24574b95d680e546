"""Strings of the selection and focus model, toasts, layout limits and TUI words for refusals."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "too_small": ("终端太小，至少需要 80×24", "terminal too small (need 80×24)"),
    "binding.dismiss_toasts": ("清除提示", "dismiss toasts"),
    "binding.board_home": ("回到看板", "back to the board"),
    "board.from_command_bar": ("派单操作请在看板上选中派单后再按（已回到看板，选中：{selected}）",
                               "order keys act on the board: check the selected order and press again"
                               " (back on the board, selected: {selected})"),
    "board.selected_none": ("无", "none"),
    "board.selected": ("选中 派单 {no} · {unit}", "selected order {no} · {unit}"),
    "board.overdue_above": ("▲ 上方 {n} 条超时", "▲ {n} overdue above"),
    "board.waiting_focus": ("▶ 待派（F8 派单到高亮警情）", "▶ waiting (F8 dispatches the highlighted one)"),
}
