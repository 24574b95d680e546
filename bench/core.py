"""Timing, statistics and the table every measure reports into.

A measure is a function ``(env: Env) -> list[Row]``. Timed rows are built from two lists of
samples taken *interleaved* in the same run (subject, baseline, subject, baseline, ... with
the order swapped every other pair), so a noisy neighbour or a thermal dip hits both sides
alike and the ratio stays meaningful.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter_ns
from typing import Any, TypeVar

T = TypeVar("T")


# -- sampling -----------------------------------------------------------------------------------


def paired(
    subject: Callable[[T], Any],
    baseline: Callable[[T], Any],
    inputs: Sequence[T],
    *,
    warmup: Sequence[T] = (),
) -> tuple[list[int], list[int]]:
    """Time ``subject(x)`` and ``baseline(x)`` for every ``x`` in ``inputs``, interleaved.

    Returns the two lists of durations in nanoseconds. ``warmup`` inputs run both sides
    untimed first (caches, lazy tables, the page cache, the JIT-less interpreter's own caches).
    """
    for x in warmup:
        subject(x)
        baseline(x)
    gc.collect()
    subj: list[int] = []
    base: list[int] = []
    for i, x in enumerate(inputs):
        if i % 2 == 0:
            t0 = perf_counter_ns()
            subject(x)
            t1 = perf_counter_ns()
            baseline(x)
            t2 = perf_counter_ns()
            subj.append(t1 - t0)
            base.append(t2 - t1)
        else:
            t0 = perf_counter_ns()
            baseline(x)
            t1 = perf_counter_ns()
            subject(x)
            t2 = perf_counter_ns()
            base.append(t1 - t0)
            subj.append(t2 - t1)
    return subj, base


def median(samples: Sequence[int | float]) -> float:
    return float(statistics.median(samples))


def p95(samples: Sequence[int | float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return float(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)])


# -- rows ---------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table. ``ok`` is ``None`` for a line that only informs."""

    name: str
    n: int
    value: str
    p95: str
    base_value: str
    base_p95: str
    vs_base: str
    target: str
    vs_target: str
    ok: bool | None
    notes: list[str] = field(default_factory=list)
    crashed: bool = False


def fmt_ns(ns: float) -> str:
    if ns < 1_000_000:
        return f"{ns / 1000:.0f} µs"
    if ns < 100_000_000:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e6:.0f} ms"


def latency_row(
    name: str,
    samples: Sequence[int],
    base: Sequence[int],
    *,
    max_ms: float | None = None,
    max_x: float | None = None,
    base_label: str = "",
    notes: Iterable[str] = (),
) -> Row:
    """A timed row. ``max_ms`` is an absolute target (judged on p95); ``max_x`` a ratio
    target against the baseline (judged on median / baseline median)."""
    med, high = median(samples), p95(samples)
    bmed, bhigh = median(base), p95(base)
    ratio = med / bmed if bmed else math.inf
    if max_x is not None:
        vs_target = ratio / max_x
        target = f"≤ {max_x:g}× {base_label or 'baseline'}"
    elif max_ms is not None:
        vs_target = high / (max_ms * 1e6)
        target = f"p95 ≤ {max_ms:g} ms"
    else:
        vs_target = math.nan
        target = "–"
    return Row(
        name=name, n=len(samples), value=fmt_ns(med), p95=fmt_ns(high),
        base_value=fmt_ns(bmed), base_p95=fmt_ns(bhigh), vs_base=f"{ratio:.2f}×",
        target=target, vs_target="–" if math.isnan(vs_target) else f"{vs_target:.2f}",
        ok=None if math.isnan(vs_target) else vs_target <= 1.0, notes=list(notes),
    )


def score_row(
    name: str,
    value: float,
    base_value: float | None,
    *,
    n: int,
    unit: str = "%",
    at_least: float | None = None,
    at_most: float | None = None,
    notes: Iterable[str] = (),
) -> Row:
    """A row for a count or a percentage (accuracy), with an optional bound."""

    def show(v: float) -> str:
        return f"{v:.1f} %" if unit == "%" else f"{v:g}"

    if at_least is not None:
        target, ok = f"≥ {show(at_least)}", value >= at_least
        vs_target = f"{value / at_least:.2f}" if at_least else "–"
    elif at_most is not None:
        target, ok = f"≤ {show(at_most)}", value <= at_most
        vs_target = f"{value / at_most:.2f}" if at_most else ("0" if value == 0 else "∞")
    else:
        target, ok, vs_target = "–", None, "–"
    if base_value is None:
        vs_base = "–"
    elif base_value:
        vs_base = f"{value / base_value:.2f}×"
    else:
        vs_base = "–"
    return Row(
        name=name, n=n, value=show(value), p95="", base_value="–" if base_value is None else show(base_value),
        base_p95="", vs_base=vs_base, target=target, vs_target=vs_target, ok=ok, notes=list(notes),
    )


def crash_row(name: str, error: BaseException) -> Row:
    return Row(name=name, n=0, value="", p95="", base_value="", base_p95="", vs_base="", target="",
               vs_target="", ok=False, notes=[f"{name}: CRASHED — {type(error).__name__}: {error}"],
               crashed=True)


# -- the environment a measure runs in ---------------------------------------------------------


class Env:
    """A scratch directory on disk (fsync must be real) that is removed at the end."""

    def __init__(self, parent: str | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="linkage-bench-", dir=parent))

    def dir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def drop(self, name: str) -> None:
        shutil.rmtree(self.root / name, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# -- machine info -------------------------------------------------------------------------------


def _filesystem(path: Path) -> str:
    """The mount type holding ``path`` (from /proc/mounts; '?' elsewhere)."""
    try:
        best, kind = "", "?"
        target = str(path.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and (target == parts[1] or target.startswith(parts[1].rstrip("/") + "/")) \
                    and len(parts[1]) >= len(best):
                best, kind = parts[1], parts[2]
        return kind
    except OSError:
        return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_rev() -> str:
    try:
        root = Path(__file__).resolve().parent.parent
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                               text=True, timeout=5).stdout.strip()
        return f"{rev}{' (uncommitted changes)' if dirty else ''}" if rev else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_info(env: Env) -> list[str]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return [
        f"machine   {platform.node()} · {platform.system()} {platform.release()} · {platform.machine()}",
        f"cpu       {_cpu_model()} · {os.cpu_count()} cores ({affinity} usable) · load {load}",
        f"python    {sys.version.split()[0]} ({platform.python_implementation()}) · sqlite {sqlite3.sqlite_version}",
        f"scratch   {env.root} ({_filesystem(env.root)})",
        f"code      {_git_rev()}",
    ]


# -- the table ----------------------------------------------------------------------------------

HEADERS = ("measure", "n", "median", "p95", "base med", "base p95", "×base", "target", "×target", "result")


def result_word(row: Row) -> str:
    if row.crashed:
        return "CRASH"
    if row.ok is None:
        return "info"
    return "PASS" if row.ok else "MISS"


def render_table(rows: Sequence[Row]) -> list[str]:
    cells = [
        (r.name, str(r.n) if r.n else "", r.value, r.p95, r.base_value, r.base_p95, r.vs_base, r.target,
         r.vs_target, result_word(r))
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(HEADERS)]
    left = {0, 7, 9}

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) if i in left else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths,
                                                                                              strict=True)))

    out = [line(HEADERS), "  ".join("-" * w for w in widths)]
    out += [line(c).rstrip() for c in cells]
    return out
