"""Verbs for grading (分级): set an incident's type and level, see what the rules suggest, and
list the incidents raised to plan level (see ``console/tiered/grading.py``)."""

from __future__ import annotations

from console.commands import shapes
from console.commands.grammar import Invocation, Outcome, command
from console.kernel.vocab import level_label, type_label
from console.tiered.grading import Grade
from console.words import Words


def grade_line(t: Words, g: Grade) -> str:
    counts = "，".join(f"{zh}{n}" for zh, n in (("死亡", g.deaths), ("受伤", g.injured),
                                                  ("被困", g.trapped)) if n is not None)
    counts_en = ", ".join(f"{n} {en}" for en, n in (("dead", g.deaths), ("injured", g.injured),
                                                    ("trapped", g.trapped)) if n is not None)
    raised = (t.pick(f" · 升级于 {t.time(g.raised_at, True)}", f" · raised {t.time(g.raised_at, True)}")
              if g.raised_at and g.plan_level else "")
    return t.pick(f"  分级：{g.label('zh')}" + (f"（{counts}）" if counts else "") + raised,
                  f"  grade: {g.label('en')}" + (f" ({counts_en})" if counts_en else "") + raised)


@command("incident grade", aliases=("grade", "fj"), args=("incident", "level"),
         options=("type", "deaths", "injured", "trapped", "reason", "rule", "at"),
         zh="分级：设定事件类型和级别 I 特别重大 / II 重大 / III 较大 / IV 一般 / daily 日常"
            "（Ⅰ–Ⅳ 为预案级，升级后开始信息报送计时；--deaths/--injured/--trapped 伤亡人数）",
         en="grade: set the incident type and level I / II / III / IV / daily (I–IV is plan"
            " level: raising starts the reporting clocks; --deaths/--injured/--trapped)")
def _incident_grade(inv: Invocation) -> Outcome:
    s = inv.services
    g = s.grade(inv.need("incident"), inv.need("level"), type=inv.get("type"),
                deaths=inv.get("deaths"), injured=inv.get("injured"), trapped=inv.get("trapped"),
                reason=inv.get("reason") or "", rule=inv.get("rule") or "", at=inv.get("at"))
    incident = s.incident(g.incident_id).incident
    t = inv.text
    head = (t.pick("已升级为预案级 ", "raised to plan level ") if g.plan_level and g.count and
            g.raised_at == g.at else t.pick("已分级 ", "graded "))
    return inv.outcome({"grade": g.to_json(), "incident": shapes.incident_json(incident)},
                       [head + t.incident_line(incident), grade_line(t, g)])


@command("incident suggest", aliases=("suggest", "jy"), args=("incident",),
         options=("deaths", "injured", "trapped"),
         zh="分级建议：按升级规则（伤亡人数、人员密集场所、关键词、同一区域一小时内多起）给出类型和级别",
         en="grading suggestions from the escalation rules (casualties, crowded places, keywords,"
            " several incidents in one area within an hour)")
def _incident_suggest(inv: Invocation) -> Outcome:
    s = inv.services
    incident, found = s.grade_suggestions(inv.need("incident"), deaths=inv.get("deaths"),
                                          injured=inv.get("injured"), trapped=inv.get("trapped"))
    t = inv.text
    lines = [t.incident_line(incident)]
    for n, sug in enumerate(found, start=1):
        kind = t.pick("类型待定", "type to decide") if sug.type is None else (
            type_label(sug.type, inv.lang))
        lines.append(f"{n}. {level_label(sug.level, inv.lang)} · {kind} · {sug.reason(inv.lang)}")
    if not found:
        lines.append(t.pick("没有规则触发：按日常警情处置", "no rule fired: handle it as daily help"))
    return inv.outcome({"incident": shapes.incident_json(incident),
                        "suggestions": [x.to_json() for x in found]}, lines)


@command("raised", aliases=("yaj",), zh="预案级事件：已升级为 Ⅰ–Ⅳ 级的警情及其分级",
         en="plan-level incidents: those raised to level I–IV, with their grade")
def _raised(inv: Invocation) -> Outcome:
    s = inv.services
    found = s.raised()
    t = inv.text
    lines = [t.incident_line(i) + "\n" + grade_line(t, g) for i, g in found] or [
        t.pick("没有预案级事件", "no plan-level incident")]
    return inv.outcome({"incidents": [{"incident": shapes.incident_json(i), "grade": g.to_json()}
                                      for i, g in found]}, lines)
