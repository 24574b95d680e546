"""Strings of the sign-in screen (screens/signin.py)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "signin.title": ("{center} · 席位 {seat} · 值班员签到", "{center} · seat {seat} · operator sign-in"),
    "signin.login": ("登录名", "login"),
    "signin.pin": ("PIN（4-8 位数字）", "PIN (4-8 digits)"),
    "signin.hint": ("Tab 切换 · Enter 签到 · Ctrl+Q 退出", "tab next field · enter sign in · ctrl+q quit"),
    "signin.done": ("{name}（{login}）已签到", "{name} ({login}) signed in"),
}
