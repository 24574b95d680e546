"""A refusal from the core, worded for the screen it is shown on.

The core's messages serve the CLI and the command bar too, so they name the CLI flag that
was missing (``退单必须填写原因（--reason）``). In a dialog the call-taker sees fields, not
flags: each ``--flag`` becomes the name of the dialog's field ("“原因”一栏"), and the
refusal's code picks the field where the flag is ambiguous (a handover's ``--note`` is the
first unit's initial handling).
"""

from __future__ import annotations

import re

from console.kernel.errors import LinkageError
from screens.i18n import STRINGS, tr

_FLAG = re.compile(r"--([a-z][a-z-]*)")
# flag → the dialog field it is typed into
_FIELDS = {"reason": "reason", "note": "note", "to": "to", "how": "how", "level": "level",
           "reopen": "reopen", "at": "at", "unit": "unit", "minutes": "minutes"}
# refusal code → the field its flag stands for in a dialog
_BY_CODE = {"order.handover_note": "handling", "supervise.reason": "why", "order.reject_note": "note"}


def tui_message(exc: LinkageError, lang: str, fields: tuple[str, ...] = ()) -> str:
    """``exc``'s message with every ``--flag`` named as the dialog's field."""
    message = exc.message(lang)

    def field(match: re.Match[str]) -> str:
        name = _BY_CODE.get(exc.code) or _FIELDS.get(match.group(1), match.group(1))
        if fields and name not in fields and _FIELDS.get(match.group(1)) in fields:
            name = _FIELDS[match.group(1)]
        key = f"step.label.{name}"
        label = tr(key, lang) if key in STRINGS else name
        return tr("refusal.field", lang, label=label)

    return _FLAG.sub(field, message)
