"""Every string the UI shows, in Chinese (default) and English.

One catalog module per screen (``screens/i18n/<screen>.py`` defines ``STRINGS``), merged here,
so screens can be written in parallel without editing one shared file. A key is defined once;
a duplicate is an error at import.
"""

from __future__ import annotations

import importlib
import pkgutil

STRINGS: dict[str, tuple[str, str]] = {}

for _info in pkgutil.iter_modules(__path__):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _key, _pair in getattr(_module, "STRINGS", {}).items():
        if _key in STRINGS:
            raise RuntimeError(f"i18n key defined twice: {_key} ({_info.name})")
        STRINGS[_key] = _pair


def tr(key: str, lang: str, **params: object) -> str:
    """The text for ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``params``."""
    zh, en = STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**params) if params else text
