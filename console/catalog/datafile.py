"""Reading and checking any TOML file in ``data/``: the unit registry, the categories, the
escalation rules, the contingency plans and the report deadlines.

Every file fails the same way, with a ``DataError`` that names the file and the entry in both
languages, so an administrator's typo stops the console at start with words, never with a
traceback. ``index`` 0 names an entry without a number (a plan file holds one plan).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from console.kernel.errors import DataError

CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,23}")
#: Marks a field without a default: missing, it fails with the entry's name.
REQUIRED = object()


def display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_toml(path: Path) -> dict[str, Any]:
    where = display_path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise DataError(where, zh="文件不存在", en="file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(where, zh="TOML 语法错误：{detail}", en="TOML syntax error: {detail}",
                        detail=str(exc)) from None
    except UnicodeDecodeError:
        raise DataError(where, zh="文件不是 UTF-8 编码", en="file is not UTF-8 text") from None
    except OSError as exc:
        raise DataError(where, zh="无法读取：{detail}", en="cannot read: {detail}",
                        detail=exc.strerror or str(exc)) from None


def table_entries(doc: dict[str, Any], table: str, where: str) -> list[Any]:
    extra = sorted(set(doc) - {table})
    if extra:
        raise DataError(where, zh="未知的顶层键 {keys}（只允许 [[{table}]] 表）",
                        en="unknown top-level key(s) {keys} (only [[{table}]] tables)",
                        keys=", ".join(extra), table=table)
    entries = doc.get(table)
    if not isinstance(entries, list) or not entries:
        raise DataError(where, zh="没有任何 [[{table}]] 条目", en="no [[{table}]] entries",
                        table=table)
    return entries


def fail_entry(file: str, kind: str, index: int, code: str | None, zh: str, en: str,
          **params: Any) -> NoReturn:
    label = kind + (f" #{index}" if index else "") + (f" ({code})" if code else "")
    raise DataError(f"{file}: {label}", zh=zh, en=en, **params)


class DataEntry:
    """Typed access to one ``[[table]]`` entry; each accessor fails with the entry's name."""

    def __init__(self, raw: Any, kind: str, index: int, file: str, allowed: Iterable[str]):
        self.file, self.kind, self.index = file, kind, index
        self.code: str | None = None
        if not isinstance(raw, dict):
            self.fail("条目必须是一个表", "entry must be a table")
        self.raw: dict[str, Any] = raw
        code = raw.get("code")
        if isinstance(code, str):
            self.code = code
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            self.fail("未知字段 {f}", "unknown field(s) {f}", f=", ".join(unknown))

    def fail(self, zh: str, en: str, **params: Any) -> NoReturn:
        fail_entry(self.file, self.kind, self.index, self.code, zh, en, **params)

    def _get(self, key: str, default: Any) -> Any:
        if key not in self.raw:
            if default is REQUIRED:
                self.fail("缺少字段 {k}", "missing field {k}", k=key)
            return default
        return self.raw[key]

    def text(self, key: str, default: Any = None, *, empty: bool = False) -> str:
        value = self._get(key, REQUIRED if default is None else default)
        if not isinstance(value, str):
            self.fail("{k} 必须是字符串", "{k} must be a string", k=key)
        value = value.strip()
        if not value and not empty:
            self.fail("{k} 不能为空", "{k} must not be empty", k=key)
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            self.fail("{k} 必须是 {a} 之一，而不是 {v!r}", "{k} must be one of {a}, not {v!r}",
                      k=key, a=", ".join(allowed), v=value)
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key, REQUIRED)
        if not isinstance(value, bool):
            self.fail("{k} 必须是 true 或 false", "{k} must be true or false", k=key)
        return value

    def code_value(self, key: str) -> str:
        value = self.text(key)
        if not CODE_RE.fullmatch(value):
            self.fail("{k} 必须是小写字母开头的短编码（a-z、0-9、_，不超过 24 个字符），而不是 {v!r}",
                      "{k} must be a short lowercase code (a-z, 0-9, _; at most 24), not {v!r}",
                      k=key, v=value)
        return value

    def code_list(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self._get(key, REQUIRED if required else [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("{k} 必须是字符串列表", "{k} must be a list of strings", k=key)
        codes = tuple(v.strip() for v in value)
        for c in codes:
            if not CODE_RE.fullmatch(c):
                self.fail("{k} 中的编码 {v!r} 格式不对", "{k} has a malformed code {v!r}",
                          k=key, v=c)
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            self.fail("{k} 中有重复的编码 {d}", "{k} repeats {d}", k=key, d=", ".join(dupes))
        return codes
