"""Strings of the roll-call screen (点名, ctrl+k on the board)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "rollcall.title": ("一级单位点名 · {counts} · {at} · 轮次 {round}",
                       "Tier 1 roll-call · {counts} · {at} · round {round}"),
    "rollcall.counts": ("已接听 {answered} · 未接听 {no_answer} · 非值班 {wrong_person} · 未点名 {not_called}",
                        "answered {answered} · no answer {no_answer} · wrong {wrong_person}"
                        " · left {not_called}"),
    "rollcall.summary": ("已接听 {answered} / 未接听 {no_answer} / 非值班人员 {wrong_person}"
                         "（共 {total}，未点名 {not_called}）",
                         "answered {answered} / not answered {no_answer} / wrong person {wrong_person}"
                         " (of {total}, not called {not_called})"),
    "rollcall.done": ("本轮点名完成。今日点名汇总：{counts}", "Round complete. Today's roll-call: {counts}"),
    "rollcall.empty": ("没有一级单位可点名", "no tier 1 unit to call"),
    "rollcall.round.none": ("（首次记录时开始）", "(starts with the first call)"),
    "rollcall.round.new": ("新一轮", "new round"),
    "rollcall.round.started": ("下一次记录开始新一轮点名", "the next call starts a new round"),
    "rollcall.current.phone": ("值班电话", "duty phone"),
    "rollcall.current.person": ("值班人", "duty person"),
    "rollcall.current.no_person": ("值班表未备案", "not on a filed roster"),
    "rollcall.current.uncalled": ("本轮未点名 · Enter 已接听 · Ctrl+N 未接听 · Ctrl+X 非值班人员 · F7 备注",
                                  "not called · enter answered · ^n no answer · ^x wrong person · f7 note"),
    "rollcall.current.result": ("本轮结果：{result}（{at} {operator}，第 {n} 次）",
                                "this round: {result} ({at} {operator}, call {n})"),
    "rollcall.saved": ("已记录：{unit} {result}", "recorded: {unit} {result}"),
    "rollcall.note.placeholder": ("F7 备注（回车确认，随结果一起保存）",
                                  "f7 note (enter to keep; saved with the result)"),
    "rollcall.note.kept": ("备注已填写，按结果键保存", "note ready: press a result key to save it"),
    "rollcall.col.unit": ("单位", "unit"),
    "rollcall.col.phone": ("值班电话", "duty phone"),
    "rollcall.col.person": ("值班人", "duty person"),
    "rollcall.col.result": ("结果", "result"),
    "rollcall.col.time": ("时间", "time"),
    # bindings
    "binding.rollcall": ("点名", "roll-call"),
    "binding.rollcall.answered": ("已接听", "answered"),
    "binding.rollcall.no_answer": ("未接听", "not answered"),
    "binding.rollcall.wrong_person": ("非值班人员", "wrong person"),
    "binding.rollcall.note": ("备注", "note"),
    "binding.rollcall.new_round": ("新一轮", "new round"),
    "binding.rollcall.back": ("返回看板", "back to board"),
}
