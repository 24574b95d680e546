"""Strings of the assessment screen (考核, screens/assessment.py)."""

STRINGS = {
    "binding.assessment": ("考核", "assessment"),
    "binding.assessment.sort": ("按此列排序", "sort by column"),
    "binding.assessment.previous": ("上月", "previous month"),
    "binding.assessment.next": ("下月", "next month"),
    "binding.assessment.back": ("返回", "back"),
    "assessment.title": ("考核 {first} — {last} · 截至 {at} · 不含演练 · 排序：{sort}",
                         "Assessment {first} — {last} · as of {at} · drills left out · sorted by {sort}"),
    "assessment.center": ("需派单警情 {n} · 60秒内派单 {s60} · 120秒内 {s120} · 有令不行 {ignored}"
                          " · 应而不急 {slow} · 联而不动 {idle}",
                          "incidents needing an order {n} · first order ≤60 s {s60} · ≤120 s {s120}"
                          " · not followed {ignored} · without urgency {slow} · not moving {idle}"),
    "assessment.chart": ("{col}（前 {n} 个单位，# = 5%）", "{col} (first {n} units, # = 5%)"),
    "assessment.detail": ("{unit} · {col}：{n} 单", "{unit} · {col}: {n} orders"),
    "assessment.detail.none": ("{unit} · {col}：没有清单上的派单", "{unit} · {col}: no listed order"),
    "assessment.hint": ("Enter 查看该数字背后的派单 · ctrl+s 按光标列排序 · ctrl+p/ctrl+n 上月/下月 · Esc 返回",
                        "Enter: the orders behind the figure · ctrl+s sort by the cursor's column"
                        " · ctrl+p/ctrl+n previous/next month · Esc back"),
}

STRINGS.update({
    "schedule.reminder": ("{what}（按 {keys} 打开）", "{what} (press {keys})"),
    "schedule.failed": ("定时任务「{job}」失败：{error}", "scheduled job '{job}' failed: {error}"),
    "schedule.written": ("已生成考核报告：{files}", "assessment report written: {files}"),
})
