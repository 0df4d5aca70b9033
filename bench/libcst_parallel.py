"""Where worker processes start to pay for the libcst engine: one process vs a pool, by amount of source.

Usage: python bench/libcst_parallel.py — on django files that the CX0004 prefilter lets through; the
smallest size at which the pool wins is what ``reviewer.engines.libcst.PARALLEL_MIN_BYTES`` is set from.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from _common import DEFAULT_CACHE, DJANGO, REPO, fetch

from codex.matchers.libcst import LibcstMatcher
from codex.model import Ruleset
from reviewer.engines import libcst as engine
from reviewer.targets import Target, applies


def timed(jobs, parallel: bool, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        if parallel:
            engine._in_workers(jobs, min(os.cpu_count() or 1, len(jobs)))
        else:
            for target, rules in jobs:
                engine.check_file(target, rules)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    tree = fetch(DJANGO, args.cache)
    rules = [r for r in Ruleset.load(REPO / "rules" / "ruleset.json").rules if isinstance(r.matcher, LibcstMatcher)]
    jobs = []
    for path in sorted(tree.rglob("*.py")):
        target = Target(path.name, path, "python", None, path.name)
        applicable = [r for r in rules if applies(r, target)]
        if applicable:
            jobs.append((target, applicable))
    print(f"{os.cpu_count()} CPUs\n| files | KB | one process s | pool s |\n|---|---|---|---|")
    for count in (1, 2, 4, 8, 16, 32):
        subset = jobs[:count]
        size = sum(len(t.text) for t, _ in subset) / 1000
        print(f"| {count} | {size:.0f} | {timed(subset, False, args.runs):.3f} | {timed(subset, True, args.runs):.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
