"""Every string the UI shows, in Chinese (default) and English."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("社会应急联动指挥台", "Linkage Console"),
    "status.seat": ("席位", "seat"),
    "status.operator": ("接警员", "operator"),
    "status.overdue": ("超时", "overdue"),
    "status.open_orders": ("未结派单", "open orders"),
    "status.waiting": ("待派", "waiting"),
    "status.sync": ("同步：离线", "sync: offline"),
    "board.empty": ("暂无未结派单。F2 打开命令栏，输入 help 查看命令。",
                    "No open orders. F2 opens the command bar; type help for commands."),
    "board.col.order": ("派单", "order"),
    "board.col.incident": ("警情", "incident"),
    "board.col.category": ("类别", "category"),
    "board.col.unit": ("单位", "unit"),
    "board.col.status": ("状态", "status"),
    "board.col.countdown": ("倒计时", "countdown"),
    "board.overdue_mark": ("超时", "LATE"),
    "command.placeholder": ("命令（help 查看全部）例如：dp 12 gdj · ack 34 14:05",
                            "command (help lists all), e.g. dp 12 gdj · ack 34 14:05"),
    "binding.help": ("帮助", "help"),
    "binding.command": ("命令栏", "command"),
    "binding.board": ("看板", "board"),
    "binding.quit": ("退出", "quit"),
    "help.title": ("按键与命令（F1 / ctrl+h）", "Keys and commands (F1 / ctrl+h)"),
}


def tr(key: str, lang: str) -> str:
    zh, en = STRINGS[key]
    return zh if lang == "zh" else en
