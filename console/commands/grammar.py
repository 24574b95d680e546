"""The one command grammar, shared by the ``linkage`` CLI and the TUI command bar.

A command is a verb path (``order ack``) with short aliases for the command bar (``ack``),
positional arguments and ``--options``. ``run(services, tokens)`` parses, executes and returns
an ``Outcome`` holding both the ``--json`` data and the human lines, so the two front ends can
never disagree about what a command means. The help text (CLI ``help``, TUI F1) is generated
from ``REGISTRY``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from console.kernel.clean import multi_line
from console.kernel.errors import BadInput, LinkageError
from console.kernel.inputs import normalize
from console.seat.services import Services
from console.words import Words


@dataclass(frozen=True)
class Outcome:
    command: str
    data: dict[str, Any]
    lines: list[str]
    exit_code: int = 0  # 4: a check ran and found problems (``audit verify``); docs/cli-json.md

    def to_json(self) -> dict[str, Any]:
        return {"ok": True, "command": self.command, "data": self.data}


Handler = Callable[["Invocation"], Outcome]


@dataclass(frozen=True)
class Command:
    name: str                          # "order ack"
    aliases: tuple[str, ...]           # "ack"
    positionals: tuple[str, ...]       # names; a trailing "?" marks optional, "*" the rest
    options: tuple[str, ...]           # long option names without "--"
    summary_zh: str
    summary_en: str
    handler: Handler
    flags: tuple[str, ...] = ()        # options that take no value

    def usage(self) -> str:
        parts = [self.name]
        for p in self.positionals:
            name = p.rstrip("?*").upper()
            parts.append(f"[{name}]" if p.endswith(("?", "*")) else name)
        parts += [f"[--{o} …]" for o in self.options] + [f"[--{f}]" for f in self.flags]
        return " ".join(parts)

    def summary(self, lang: str) -> str:
        return self.summary_zh if lang == "zh" else self.summary_en


@dataclass
class Invocation:
    services: Services
    command: Command
    args: dict[str, str]
    lang: str
    text: Words = field(init=False)

    def __post_init__(self) -> None:
        s = self.services
        self.text = Words(self.lang, s.config.tz, s.catalog)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.args.get(name, default)

    def need(self, name: str) -> str:
        value = self.args.get(name)
        if value is None or not value.strip():
            raise BadInput("command.missing", zh="缺少参数 {a}。用法：{u}",
                           en="missing {a}. Usage: {u}", a=name.upper(), u=self.command.usage())
        return value

    def outcome(self, data: dict[str, Any], lines: list[str]) -> Outcome:
        return Outcome(self.command.name, data, lines)


REGISTRY: list[Command] = []
#: options no command takes, because their value would be a PIN in shell history and ``ps``
#: (PINs are read from a prompt or stdin: console/duty/pin_input.py); refused with that reason
SECRET_OPTIONS = ("pin", "new-pin", "admin-pin")


def command(name: str, *, aliases: tuple[str, ...] = (), args: tuple[str, ...] = (),
            options: tuple[str, ...] = (), flags: tuple[str, ...] = (), zh: str, en: str
            ) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        REGISTRY.append(Command(name, aliases, args, options, zh, en, fn, flags))
        return fn

    return register


# -- parsing ------------------------------------------------------------------------------
def tokenize(line: str) -> list[str]:
    """Split a command-bar line; a full-width IME colon or slash at the start is dropped.

    The structure (verbs, numbers, flags, times) is read NFKC-folded, so an IME's full-width
    digits and letters work; but a word of free text (one holding Chinese, as a note does)
    keeps the punctuation it was typed with: ``，`` stays ``，``."""
    text = normalize(line).lstrip(":/：、")
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise BadInput("command.quote", zh="引号不配对：{e}", en="unbalanced quotes: {e}",
                       e=exc) from exc
    try:  # the same split of the line as typed (only spaces and quotes folded)
        typed = shlex.split(line.translate(_SPLIT_FOLD).strip().lstrip(":/：、"))
    except ValueError:
        return tokens
    if len(typed) == len(tokens):
        tokens = [raw if _CJK.search(raw) else tok for tok, raw in zip(tokens, typed, strict=True)]
    return tokens


_SPLIT_FOLD = str.maketrans({"\u3000": " ", "＂": '"', "＇": "'"})
_CJK = re.compile(r"[\u3400-\u9fff]")


def find_command(tokens: list[str]) -> tuple[Command, list[str]]:
    if not tokens:
        raise BadInput("command.empty", zh="请输入命令，help 查看全部命令",
                       en="type a command; 'help' lists them all")
    best: tuple[Command, int] | None = None
    for cmd in REGISTRY:
        words = cmd.name.split()
        if [t.lower() for t in tokens[: len(words)]] == words and (
            best is None or len(words) > best[1]
        ):
            best = (cmd, len(words))
        if tokens[0].lower() in cmd.aliases and best is None:
            best = (cmd, 1)
    if best is None:
        raise BadInput("command.unknown", zh="未知命令：{c}（help 查看全部命令）",
                       en="unknown command: {c} (try 'help')", c=tokens[0][:40])
    return best[0], tokens[best[1]:]


def _dashes(cmd: Command, token: str) -> str:
    """A Chinese IME types ``--`` as ``——`` (or one long ``—``): read ``——note`` as ``--note``
    when what follows names one of the command's options, so a note starting with a dash
    stays text."""
    if not token.startswith("—"):
        return token
    name = token.lstrip("—").partition("=")[0]
    return "--" + token.lstrip("—") if name in cmd.options or name in cmd.flags else token


def parse_args(cmd: Command, rest: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(rest):
        token = _dashes(cmd, rest[i])
        if token.startswith("--") and len(token) > 2:
            name, eq, value = token[2:].partition("=")
            if name in SECRET_OPTIONS:
                raise BadInput("operator.pin_argv",
                               zh="PIN 不能写在命令行上（会留在命令历史和进程列表中）：去掉 --{o}，"
                                  "在提示时输入，或从标准输入逐行传入",
                               en="a PIN is never given on the command line (it would stay in"
                                  " the shell history and the process list): drop --{o} and type"
                                  " it when asked, or pipe it on stdin, one per line", o=name)
            if name in cmd.flags:
                args[name] = "1"
            elif name in cmd.options:
                if not eq:
                    i += 1
                    if i >= len(rest):
                        raise BadInput("command.option_value", zh="选项 --{o} 需要一个值",
                                       en="option --{o} needs a value", o=name)
                    value = rest[i]
                args[name.replace("-", "_")] = value
            else:
                raise BadInput("command.unknown_option", zh="{c} 没有选项 --{o}。用法：{u}",
                               en="{c} has no option --{o}. Usage: {u}", c=cmd.name, o=name,
                               u=cmd.usage())
        else:
            positional.append(token)
        i += 1
    names = list(cmd.positionals)
    for n, name in enumerate(names):
        key = name.rstrip("?*").replace("-", "_")
        if name.endswith("*"):
            if positional[n:]:
                # the words themselves, and whether --KEY was given too, for verbs that read
                # both (``ack 5 6 14:05`` and ``ack 5 6 --at 14:05``)
                args["_rest"] = " ".join(positional[n:])
                if key in args:
                    args[f"_{key}_option"] = "1"
                args.setdefault(key, args["_rest"])
            positional = positional[:n]
            break
        if n < len(positional):
            if key in args:
                raise BadInput("command.twice", zh="{a} 给了两次", en="{a} given twice",
                               a=key.upper())
            args[key] = positional[n]
    else:
        if len(positional) > len(names):
            raise BadInput("command.extra", zh="多余的参数：{x}。用法：{u}",
                           en="unexpected argument: {x}. Usage: {u}",
                           x=positional[len(names)][:40], u=cmd.usage())
    for name in names:
        if not name.endswith(("?", "*")) and name.replace("-", "_") not in args:
            raise BadInput("command.missing", zh="缺少参数 {a}。用法：{u}",
                           en="missing {a}. Usage: {u}", a=name.upper(), u=cmd.usage())
    return args


def run(services: Services, tokens: list[str] | str, lang: str | None = None) -> Outcome:
    """Parse and execute one command; refusals raise ``LinkageError`` with nothing written."""
    if isinstance(tokens, str):
        tokens = tokenize(tokens)
    cmd, rest = find_command(tokens)
    args = parse_args(cmd, rest)
    outcome = cmd.handler(Invocation(services, cmd, args, lang or services.config.center.language))
    # the last line of defence: whatever a verb put in a line, no escape sequence, control or
    # bidi mark reaches a terminal (one-line fields were already made one line where rendered)
    return Outcome(outcome.command, outcome.data, [multi_line(line) for line in outcome.lines], outcome.exit_code)




def complete(services: Services, line: str) -> str | None:
    """The command-bar line with its last word completed, or None.

    Completes verbs (``ord`` → ``order``, ``order a`` → ``order ack``, aliases too) and, where
    the grammar expects a unit, unit codes, pinyin initials or pinyin (``dp 12 gd`` →
    ``dp 12 gdj``). The UI shows the rest dimmed; → accepts it.
    """
    if not line or line.endswith(" "):
        return None
    words = line.split(" ")
    last = words[-1].lower()
    done = [w.lower() for w in words[:-1]]
    verbs = sorted({*(c.name for c in REGISTRY), *(a for c in REGISTRY for a in c.aliases)})
    if not done or (len(done) == 1 and any(c.name.startswith(done[0] + " ") for c in REGISTRY)):
        prefix = " ".join([*done, last])
        names = [v for v in verbs if v.startswith(prefix) and v != prefix]
        if not names:
            return None
        word = names[0][len(" ".join(done)) + (1 if done else 0):].split(" ")[0]
        return line + word[len(last):] if word != last else None
    try:
        cmd, rest = find_command([w for w in words[:-1] if w])
    except LinkageError:
        return None
    positionals = [w for w in rest if not w.startswith("--")]
    slot = len(positionals)
    if slot >= len(cmd.positionals) or cmd.positionals[slot].rstrip("?*") != "unit":
        return None
    units = list(services.catalog.units.values())
    for forms in (([u.code] for u in units), (u.initials for u in units), (u.pinyin for u in units),
                  (u.aliases for u in units)):
        for group in forms:
            for form in group:
                if form.startswith(last) and form != last:
                    return line + form[len(last):]
    return None
