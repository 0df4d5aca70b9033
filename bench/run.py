"""The speed benchmark: codex against bare semgrep (and Fixit-style libcst passes) on real source trees.

Usage: python bench/run.py [--runs N] [--fixit-runs N] [--cache DIR]

Downloads the sdists of django (Python) and ruff (Rust) with pip into the cache directory (outside the
repository; default ~/.cache/codex-bench or $CODEX_BENCH_CACHE), copies both into one work tree and prints,
as medians over --runs runs, the five comparisons of issue 7 with each command's peak memory:

1. full tree: ``codex check --all --no-llm`` vs ``semgrep --config rules/semgrep.yml`` alone, and vs semgrep
   plus the libcst rules run as Fixit-style separate passes (one parse per rule per file);
2. diff mode: a 50-file change (25 Python, 25 Rust) vs one bare semgrep run on those 50 files; and the cost of
   comparing with the base versions: the same change vs a diff whose hunks do not match the tree (codex cannot
   reconstruct the base versions, says so, and keeps the line rule: the same work without the base versions);
3. a one-file pre-commit check vs bare semgrep on that file;
4. the warm re-run of the full tree with the result cache vs the cold run;
5. peak memory (largest process, RSS) of every command above.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from _common import DEFAULT_CACHE, DJANGO, REPO, RUFF, Sample, fetch, machine, measure, median

CODEX = [sys.executable, "-m", "codex", "check", "--no-llm", "--no-history", "--format", "json"]
SEMGREP = ["semgrep", "scan", "--config", str(REPO / "rules" / "semgrep.yml"), "--json", "--metrics=off", "--disable-version-check",
           "--quiet", "--no-git-ignore", "--x-ignore-semgrepignore-files"]


def workspace(cache: Path) -> Path:
    work = cache / "work"
    if not work.is_dir():
        for requirement, name in ((DJANGO, "django"), (RUFF, "ruff")):
            shutil.copytree(fetch(requirement, cache), work / name, symlinks=True)
    return work


def pick(work: Path, count: int) -> list[str]:
    """``count`` files, half Python from django and half Rust from ruff, evenly spaced in sorted order."""
    chosen = []
    for pattern, base in (("*.py", work / "django" / "django"), ("*.rs", work / "ruff" / "crates")):
        files = sorted(p.relative_to(work).as_posix() for p in base.rglob(pattern) if p.stat().st_size > 2000)
        step = max(1, len(files) // (count // 2))
        chosen += files[::step][: count // 2]
    return chosen


def patch(work: Path, paths: list[str], matching: bool = True) -> str:
    """A unified diff changing one line in the middle of each file (the post-change tree is ``work``); with
    ``matching=False`` its added lines are not the tree's, so the base versions cannot be reconstructed."""
    parts = []
    for path in paths:
        lines = (work / path).read_text(encoding="utf-8", errors="replace").splitlines()
        n = len(lines) // 2 + 1
        added = lines[n - 1] if matching else f"{lines[n - 1]} # not in the tree"
        parts.append(f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -{n},1 +{n},1 @@\n-{lines[n - 1]} \n+{added}\n")
    return "".join(parts)


def runs(command: list[str], cwd: Path, times: int, before=None) -> Sample:
    samples = []
    for _ in range(times):
        if before:
            before()
        samples.append(measure(command, cwd))
    return median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--fixit-runs", type=int, default=1, help="runs of the slow Fixit-style baseline (0: skip it)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where sdists and trees are kept")
    args = parser.parse_args()
    work = workspace(args.cache)
    print(f"machine: {machine()}", flush=True)
    cache_dir = work / ".codex"
    clear = lambda: shutil.rmtree(cache_dir, ignore_errors=True)  # noqa: E731
    clear()
    fifty = pick(work, 50)
    (args.cache / "fifty.patch").write_text(patch(work, fifty), encoding="utf-8")
    (args.cache / "fifty-no-base.patch").write_text(patch(work, fifty, matching=False), encoding="utf-8")
    one = "django/django/db/models/query.py"
    (args.cache / "one.patch").write_text(patch(work, [one]), encoding="utf-8")

    rows: list[tuple[str, str, Sample, str, Sample, str]] = []

    def row(name: str, ours: str, a: Sample, theirs: str, b: Sample, target: str) -> None:
        rows.append((name, ours, a, theirs, b, target))
        print(f"  {name}: {a.wall:.2f}s vs {b.wall:.2f}s", flush=True)

    full = runs([*CODEX, "--all", "--no-cache", "--root", str(work)], work, args.runs)
    semgrep_full = runs([*SEMGREP, "."], work, args.runs)
    row("1. full tree vs semgrep alone", "codex check --all", full, "semgrep (semgrep rules only)", semgrep_full, "≤ 1.3×")
    if args.fixit_runs:
        fixit = runs([sys.executable, str(REPO / "bench" / "fixit_style.py"), str(work)], work, args.fixit_runs)
        if fixit.code != 0:
            raise SystemExit(f"the Fixit-style baseline failed (exit {fixit.code}): run bench/fixit_style.py {work}")
        separate = Sample(semgrep_full.wall + fixit.wall, semgrep_full.cpu + fixit.cpu, max(semgrep_full.peak_mb, fixit.peak_mb), 0)
        row("1. full tree vs semgrep + Fixit-style passes", "codex check --all", full, "semgrep + libcst rule-by-rule", separate, "")
    diff = runs([*CODEX, "--no-cache", "--diff", str(args.cache / "fifty.patch"), "--root", str(work)], work, args.runs)
    semgrep_diff = runs([*SEMGREP, *fifty], work, args.runs)
    row("2. diff mode, 50 files", "codex check --diff", diff, "semgrep on the 50 files", semgrep_diff, "≤ 1.15×")
    no_base = runs([*CODEX, "--no-cache", "--diff", str(args.cache / "fifty-no-base.patch"), "--root", str(work)], work, args.runs)
    row("2. the base comparison, 50 files", "codex check --diff", diff, "the same without base versions", no_base, "")
    single = runs([*CODEX, "--no-cache", "--diff", str(args.cache / "one.patch"), "--root", str(work)], work, args.runs)
    semgrep_single = runs([*SEMGREP, one], work, args.runs)
    row("3. one-file pre-commit check", "codex check (1 file)", single, "semgrep on the file", semgrep_single, "")
    cold = runs([*CODEX, "--all", "--root", str(work)], work, args.runs, before=clear)
    measure([*CODEX, "--all", "--root", str(work)], work)  # fill the cache
    warm = runs([*CODEX, "--all", "--root", str(work)], work, args.runs)
    row("4. warm re-run (cache)", "warm codex check --all", warm, "cold codex check --all", cold, "≥ 5× faster")

    print("\n| comparison | codex | wall s | CPU s | peak MB | baseline | wall s | CPU s | peak MB | ratio (wall) | target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, ours, a, theirs, b, target in rows:
        ratio = f"{b.wall / a.wall:.1f}× faster" if name.startswith("4.") else f"{a.wall / b.wall:.2f}×"
        print(f"| {name} | {ours} | {a.wall:.2f} | {a.cpu:.2f} | {a.peak_mb:.0f} | {theirs} | {b.wall:.2f} | {b.cpu:.2f} | {b.peak_mb:.0f} | {ratio} | {target} |")
    print(f"| 5. peak memory, full tree | codex check --all | | | {full.peak_mb:.0f} | semgrep alone | | | {semgrep_full.peak_mb:.0f} | "
          f"{full.peak_mb / semgrep_full.peak_mb:.2f}× | |")
    results = {name: {"codex": vars(a), "baseline": vars(b)} for name, _, a, _, b, _ in rows}
    (args.cache / "results.json").write_text(json.dumps({"machine": machine(), "runs": args.runs, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
