"""Verbs of triage's model (研判模型): ``triage train`` and ``triage report``.

``triage TEXT`` itself (a suggestion for one account) stays in ``incidents``; the grammar picks
the longest verb, so ``triage train`` and ``triage report`` are these.
"""

from __future__ import annotations

from datetime import timedelta

from console.catalog.triage_floor import confusion, corrections
from console.catalog.triage_train import train
from console.commands.grammar import Invocation, Outcome, command
from console.commands.verbs.rosters import instant_arg


@command("triage train", flags=("with-corrections",),
         zh="训练研判模型：data/triage_phrasings.csv 等 → data/triage_model.json.gz（相同输入得到相同文件；"
            "--with-corrections 加入本中心接警员更正过的来电）",
         en="train the triage model: data/triage_phrasings.csv etc. → data/triage_model.json.gz (same input,"
            " same file; --with-corrections adds the calls this center's call-takers corrected)")
def _triage_train(inv: Invocation) -> Outcome:
    s = inv.services
    fixed = ([(c.chosen, c.text) for c in corrections(s.store) if c.text]
             if inv.get("with-corrections") else [])
    report = train(s.data_dir, s.catalog, fixed)
    s.forget_triage()
    t = inv.text
    kb = report.size / 1024
    line = t.pick(f"研判模型已训练：{report.rows} 条语料（其中更正 {report.corrections} 条），"
                  f"{report.classes} 个类别，{report.grams} 个字片段，{kb:.0f} KB，sha256 {report.digest[:16]}",
                  f"triage model trained: {report.rows} rows ({report.corrections} corrections),"
                  f" {report.classes} categories, {report.grams} n-grams, {kb:.0f} KB, sha256 {report.digest[:16]}")
    return inv.outcome(report.to_json(), [line])


@command("triage report", options=("from", "to"),
         zh="研判更正统计：接警员改选的类别（建议 → 实际，次数），默认最近 30 天",
         en="triage corrections: categories call-takers chose instead (suggested → chosen, count);"
            " default the last 30 days")
def _triage_report(inv: Invocation) -> Outcome:
    s = inv.services
    now = s.ctx.clock.now()
    start = instant_arg(inv, "from", now - timedelta(days=30))
    end = instant_arg(inv, "to", now)
    rows = corrections(s.store, start, end)
    table = confusion(rows)
    t = inv.text
    lines = [t.pick(f"研判更正 {len(rows)} 次", f"{len(rows)} triage corrections")]
    for suggested, chosen, n in table:
        was = t.category(suggested) if suggested else t.pick("（请人工判断）", "(needs judgement)")
        lines.append(f"  {n:>4}  {was} → {t.category(chosen)}")
    data = {"from": start.isoformat(), "to": end.isoformat(), "corrections": len(rows),
            "confusion": [{"suggested": a or None, "chosen": b, "count": n} for a, b, n in table]}
    return inv.outcome(data, lines)
