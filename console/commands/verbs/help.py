"""The ``help`` verb: every command, in the order of ``console.commands.grammar.VERB_MODULES``."""

from __future__ import annotations

from console.commands.grammar import REGISTRY, Invocation, Outcome, command


@command("help", aliases=("?",), args=("topic*",), zh="列出全部命令", en="list every command")
def _help(inv: Invocation) -> Outcome:
    rows = [{"name": c.name, "aliases": list(c.aliases), "usage": c.usage(),
             "summary_zh": c.summary_zh, "summary_en": c.summary_en} for c in REGISTRY]
    topic = (inv.get("topic") or "").lower()
    if topic:
        rows = [r for r in rows if topic in str(r["name"]) or topic in r["aliases"]]
    lines = [f"{r['usage']:<64} {'/'.join(r['aliases'])}  "
             f"{r['summary_zh'] if inv.lang == 'zh' else r['summary_en']}" for r in rows]
    return inv.outcome({"commands": rows}, lines)
