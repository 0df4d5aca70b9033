"""How to hand semgrep its targets: every file path on the command line (what codex does) vs the directory.

Usage: python bench/semgrep_targets.py [--runs N] — on the django tree of bench/run.py (semgrep issue 11404
reports slowness with many paths). Prints median wall and CPU seconds of each way over the same files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _common import DEFAULT_CACHE, DJANGO, fetch, measure, median
from run import SEMGREP


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    tree = fetch(DJANGO, args.cache)
    paths = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.py"))
    ways = {
        f"{len(paths)} paths as arguments": [*SEMGREP, *paths],
        "the directory, --include '*.py'": [*SEMGREP, "--include", "*.py", "."],
    }
    print("| targets | wall s | CPU s | peak MB |\n|---|---|---|---|")
    for name, command in ways.items():
        sample = median([measure(command, tree) for _ in range(args.runs)])
        print(f"| {name} | {sample.wall:.2f} | {sample.cpu:.2f} | {sample.peak_mb:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
