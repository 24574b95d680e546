"""Strings of the city console (screens/city.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    "city.title": ("市级联动总览", "City linkage overview"),
    "city.col.county": ("县", "County"),
    "city.col.open": ("在办派单", "Open orders"),
    "city.col.overdue": ("超时", "Overdue"),
    "city.col.waiting": ("待派事件", "Waiting"),
    "city.col.raised": ("分级事件", "Raised I-IV"),
    "city.col.fresh": ("同步", "Synced"),
    "city.col.order": ("派单", "Order"),
    "city.col.unit": ("单位", "Unit"),
    "city.col.stage": ("环节", "Stage"),
    "city.col.late": ("超时(分)", "Late (min)"),
    "city.never": ("从未", "never"),
    "city.age": ("{s} 秒前", "{s} s ago"),
    "city.status.ok": ("已同步 {n} 个县，共超时派单 {o} 件", "{n} counties synced, {o} overdue orders"),
    "city.status.down": ("服务器不可达，显示最后数据：{err}", "server unreachable, showing the last data: {err}"),
    "binding.city_refresh": ("刷新", "Refresh"),
    "binding.city_quit": ("退出", "Quit"),
}
