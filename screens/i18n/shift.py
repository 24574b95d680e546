"""Strings of the shift handover screen (screens/shift_handover.py)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "binding.shift_handover": ("交接班", "shift handover"),
    "shift.title": ("交接班 · 席位 {seat} · 交班人 {operator}", "Shift handover · seat {seat} · from {operator}"),
    "shift.to": ("接班人登录名", "receiving operator's login"),
    "shift.pin": ("接班人 PIN", "receiver's PIN"),
    "shift.note": ("交接说明（可不填）", "handover note (optional)"),
    "shift.hint": ("Tab 切换 · Enter 交接 · Esc 取消", "tab next field · enter hand over · esc cancel"),
    "shift.done": ("已交接班：{giver} → {receiver}", "shift handed over: {giver} → {receiver}"),
}
