"""Strings for drills (演练): the seat's drill mode and the marks on drill calls and incidents."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "drill.mode": ("【演练】", "[DRILL]"),
    "drill.mark": ("[演练]", "[DRILL]"),
    "drill.counts": ("演练 {n}", "drill {n}"),
    "drill.intake_title": ("【演练】接警 · 新来电（记为演练，不计入真实统计）",
                           "[DRILL] New call (recorded as a drill, kept out of real figures)"),
}
