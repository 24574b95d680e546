"""Strings of the unit picker (派单): recommended and other units, search, selection."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "picker.title": ("派单 · 警情 #{no} {category} · {address}", "Dispatch · incident #{no} {category} · {address}"),
    "picker.search": ("搜索单位：代码、中文、拼音或首字母", "find a unit: code, name, pinyin or initials"),
    "picker.recommended": ("推荐单位", "Recommended"),
    "picker.others": ("其他单位", "Other units"),
    "picker.matches": ("搜索结果", "Matches"),
    "picker.no_match": ("没有匹配的单位", "no unit matches"),
    "picker.lead": ("主办", "lead"),
    "picker.co": ("协办", "co"),
    "picker.tier": ("{zh}级", "tier {n}"),
    "picker.state.on_duty": ("值班", "on duty"),
    "picker.state.off_duty": ("非值班", "off duty"),
    "picker.state.busy": ("忙 {n}单", "busy {n}"),
    "picker.ordered": ("已派", "ordered"),
    "picker.selected": ("已选 {n}：{names}", "selected {n}: {names}"),
    "picker.will_issue": ("Enter 派给：{names}", "Enter orders: {names}"),
    "picker.nothing": ("未选择单位（空格选择）", "nothing selected (space selects)"),
    "picker.already_ordered": ("{unit} 已有该警情的未结派单", "{unit} already has an open order here"),
    "picker.hint": ("空格 选择/取消 · Enter 派单 · Esc 取消 · 直接输入即搜索",
                    "space select · Enter issue · Esc cancel · type to search"),
    "picker.issued": ("警情 #{no} 已派单：{units}", "incident #{no}: orders issued to {units}"),
    "picker.cancelled": ("警情 #{no} 未派单（在看板选中后按 F8 派单）",
                         "incident #{no}: no order issued (select it on the board, F8 to dispatch)"),
    "binding.picker.issue": ("派单", "issue"),
    "binding.picker.toggle": ("选择", "select"),
    "binding.picker.cancel": ("取消", "cancel"),
    "binding.picker.list": ("单位列表", "unit list"),
}
