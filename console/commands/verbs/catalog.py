"""Verbs for the catalog: the linkage units, the categories, and a reload of ``data/``
(see ``console/catalog/registry.py``; the files are read by ``loading.py``)."""

from __future__ import annotations

from console.commands import shapes
from console.commands.grammar import Invocation, Outcome, command
from console.commands.verbs.rosters import stale_text
from console.kernel.errors import BadInput


@command("units", aliases=("u",), args=("query*",), options=("tier", "kind", "category"),
         flags=("stale",),
         zh="联动单位名录（可按名称、拼音、首字母查找；--stale 只列备案过期或一级单位24小时内有值班空档的）",
         en="linkage units (search by name, pinyin or initials; --stale: filing out of date or"
            " a tier 1 roster gap in the next 24 h)")
def _units(inv: Invocation) -> Outcome:
    s = inv.services
    query = inv.get("query")
    units = s.catalog.find_units(query) if query else list(s.catalog.units.values())
    stale = {x.unit: x for x in s.stale_units()}
    if inv.get("stale"):
        units = [u for u in units if u.code in stale]
    tier, kind, category = inv.get("tier"), inv.get("kind"), inv.get("category")
    if tier is not None:
        if tier not in ("1", "2", "3"):
            raise BadInput("units.tier", zh="层级只能是 1、2 或 3", en="tier must be 1, 2 or 3")
        units = [u for u in units if u.tier == int(tier)]
    if kind:
        units = [u for u in units if u.kind == kind]
    if category:
        codes = {c.code for c in s.catalog.find_categories(category)}
        units = [u for u in units if codes & set(u.categories)]
    t = inv.text
    live = {e.unit.code: e for e in s.roster()}
    lines = []
    rows = []
    for u in units:
        entry = live[u.code]
        duty = entry.on_duty
        state = t.pick("在岗" if duty else "不在岗", "on duty" if duty else "off duty")
        tier = t.pick("一二三"[u.tier - 1] + "级", f"tier {u.tier}")
        person = f" {entry.duty_person}" if entry.duty_person else ""
        line = f"{u.code:<14} {t.unit(u.code)} · {tier} · {entry.duty_phone}{person} · {state}"
        if u.code in stale:
            line += " · ⚠ " + stale_text(t, stale[u.code])
        lines.append(line)
        row = shapes.unit_json(u, duty)
        row.update({"duty_source": entry.source, "duty_person": entry.duty_person,
                    "current_phone": entry.duty_phone,
                    "stale": stale[u.code].to_json() if u.code in stale else None})
        rows.append(row)
    empty = t.pick("没有符合条件的单位", "no units match")
    if inv.get("stale") and not units:
        empty = t.pick("没有备案过期或有值班空档的单位", "no unit has an out-of-date filing or a roster gap")
    return inv.outcome({"units": rows}, lines or [empty])


@command("categories", aliases=("cats",), args=("query*",),
         zh="警情类别与分流规则", en="incident categories and routing")
def _categories(inv: Invocation) -> Outcome:
    s = inv.services
    query = inv.get("query")
    cats = s.catalog.find_categories(query) if query else list(s.catalog.categories.values())
    t = inv.text
    lines = [f"{c.code:<18} {t.category(c.code)} · {c.route}"
             f"{' → ' + c.transfer_to if c.transfer_to else ''} · {t.unit(c.lead_unit)}"
             for c in cats]
    return inv.outcome(
        {"categories": [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
                         "route": c.route, "transfer_to": c.transfer_to,
                         "severity": c.severity, "lead_unit": c.lead_unit,
                         "co_units": list(c.co_units)} for c in cats]},
        lines or [t.pick("没有符合条件的类别", "no categories match")])


@command("catalog reload", zh="重新读取 data/ 中的单位和类别",
         en="re-read units and categories from data/")
def _catalog_reload(inv: Invocation) -> Outcome:
    changed = inv.services.reload_catalog()
    version = inv.services.catalog.version
    line = inv.text.pick(f"目录版本 {version}" + ("（已更新）" if changed else "（无变化）"),
                         f"catalog {version}" + (" (updated)" if changed else " (unchanged)"))
    return inv.outcome({"changed": changed, "version": version}, [line])
