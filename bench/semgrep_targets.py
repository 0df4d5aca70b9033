"""How to hand semgrep its targets (semgrep issue 11404 reports slowness with many paths on the command line).

Usage: python bench/semgrep_targets.py [--runs N] [--sample N] — on the django and ruff trees of bench/run.py:
a sample of files as absolute paths from another directory vs relative paths from the tree, then every file
as relative paths vs the directory itself. Median wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _common import DEFAULT_CACHE, DJANGO, RUFF, fetch, measure, median
from run import SEMGREP


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    elsewhere = Path(tempfile.mkdtemp())
    print("| tree | targets | files | wall s | CPU s |\n|---|---|---|---|---|")
    for requirement, suffixes in ((DJANGO, (".py",)), (RUFF, (".rs", ".py"))):
        tree = fetch(requirement, args.cache)
        paths = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.suffix in suffixes and p.is_file())
        sample = paths[:: max(1, len(paths) // args.sample)][: args.sample]
        ways = [
            ("absolute paths, run from another directory", len(sample), [*SEMGREP, *(str(tree / p) for p in sample)], elsewhere),
            ("relative paths, run from the tree", len(sample), [*SEMGREP, *sample], tree),
            ("relative paths, run from the tree", len(paths), [*SEMGREP, *paths], tree),
            ("the directory", len(paths), [*SEMGREP, "."], tree),
        ]
        for name, count, command, cwd in ways:
            sample_ = median([measure(command, cwd) for _ in range(args.runs)])
            print(f"| {requirement} | {name} | {count} | {sample_.wall:.2f} | {sample_.cpu:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
