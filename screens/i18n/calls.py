"""Strings of the incoming-calls panel (screens/widgets/calls_panel.py)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "calls.tag": ("来电", "CALL"),
    "calls.line": ("线路{line}", "line {line}"),
    "calls.rang": ("振铃 {span}", "ringing {span}"),
    "calls.withheld": ("未显示号码", "number withheld"),
    "calls.first_call": ("首次来电", "no earlier calls"),
    "calls.history": ("来过{n}次，上次 {when} {category}", "{n} earlier, last {when} {category}"),
    "calls.more": ("…另有 {n} 个来电在振铃，F6 依次接听", "…{n} more ringing; F6 answers the oldest first"),
    "calls.missed": ("未接 {n}（ctrl+b 回拨）：", "missed {n} (ctrl+b calls back): "),
    "calls.nothing_missed": ("没有待回拨的未接来电。", "No missed call is waiting for a call back."),
    "calls.withheld_missed": ("未接来电 #{no} 未显示号码，无法回拨；命令 missed dismiss {no} 清除",
                              "missed call #{no} has no number to call back; 'missed dismiss {no}' clears it"),
    "calls.calling_back": ("回拨 {phone}（未接来电 #{no} 已记为回拨）",
                           "calling back {phone} (missed call #{no} recorded as called back)"),
    "binding.calls.callback": ("回拨", "call back"),
    "calls.missed.timeout": ("无人接", "unanswered"),
    "calls.missed.abandoned": ("已挂断", "hung up"),
    "calls.bad_lines": ("（来电数据坏行 {n}）", "({n} bad feed lines)"),
    "calls.feed_error": ("来电数据读取失败：{error}", "call feed unreadable: {error}"),
    "calls.nothing_ringing": ("没有正在振铃的来电。F2 手动接警。", "No call is ringing. F2 opens a new call by hand."),
    "calls.ringing_toast": ("来电 {phone} {line}，F6 接听", "Call from {phone} on {line}, F6 to answer"),
    "calls.say_title": ("来电者说（培训模拟，请自己记录）", "The caller says (training; type it yourself)"),
}
