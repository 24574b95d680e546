"""The one command grammar and its verbs, shared by the ``linkage`` CLI and the TUI command bar.

``grammar`` parses, completes and runs a line; it imports no verb. Each module of ``verbs/``
registers its commands into ``grammar.REGISTRY`` when it is imported, and this package imports
them here, once, in the order of ``VERB_MODULES``: that tuple is the order ``help``, F1 and
docs/keys.md list the commands in (tests/test_cli.py checks it). A verb module may use a helper
of a module listed before it, never one listed after.
"""

from __future__ import annotations

from importlib import import_module

#: The verb modules (``console/commands/verbs/<name>.py``), in help order.
VERB_MODULES: tuple[str, ...] = (
    "rosters",
    "incidents",
    "orders",
    "catalog",
    "help",
    "sync",
    "accountability",
    "audit",
    "plans",
    "returns",
    "rollcall",
    "callfeed",
    "drills",
    "grading",
    "operators",
    "phone",
    "reports",
    "triage",
    "assess",
    "schedule",
    "db",
)

for _name in VERB_MODULES:
    import_module(f"{__name__}.verbs.{_name}")
