"""Entry point: machine info, then every measure, then the table and its notes."""

from __future__ import annotations

import argparse
import sys
import textwrap
import traceback
from time import perf_counter

from bench.core import Env, Row, crash_row, machine_info, render_table, result_word
from bench.measures import MEASURES, timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated measure keys (default: all)")
    parser.add_argument("--dir", default=None, help="parent directory for the scratch databases (default: $TMPDIR)")
    parser.add_argument("--list", action="store_true", help="list the measure keys and exit")
    args = parser.parse_args(argv)
    if args.list:
        for m in MEASURES:
            print(f"{m.key:10} {m.title}")
        return 0
    wanted = {k.strip() for k in args.only.split(",") if k.strip()}
    unknown = wanted - {m.key for m in MEASURES}
    if unknown:
        parser.error(f"unknown measure(s): {', '.join(sorted(unknown))}")

    started = perf_counter()
    env = Env(args.dir)
    rows: list[Row] = []
    try:
        print("Linkage Console benchmarks")
        for line in machine_info(env):
            print(line)
        print(flush=True)
        for measure in MEASURES:
            if wanted and measure.key not in wanted:
                continue
            print(f"… {measure.title}", end="", flush=True)
            try:
                got, seconds = timed(measure, env)
            except Exception as exc:  # a crash is reported, and the other measures still run
                print(" CRASHED", flush=True)
                traceback.print_exc()
                rows.append(crash_row(measure.key, exc))
                continue
            print(f" ({seconds:.1f} s)", flush=True)
            rows.extend(got)
    finally:
        env.close()

    print()
    for line in render_table(rows):
        print(line)
    print()
    print("×base = median / baseline median (both sampled interleaved in this run). ×target: p95 / target for")
    print("absolute targets, ×base / limit for ratio targets; ≤ 1.00 is PASS. A MISS does not fail the run.")
    notes = [note for row in rows for note in row.notes]
    if notes:
        print()
        for note in notes:
            print(textwrap.fill(note, 118, subsequent_indent="    ") if len(note) > 118 else note)
    crashed = [r for r in rows if result_word(r) == "CRASH"]
    print()
    print(f"{sum(r.ok is True for r in rows)} PASS, {sum(r.ok is False and not r.crashed for r in rows)} MISS,"
          f" {len(crashed)} CRASH · {perf_counter() - started:.0f} s")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
