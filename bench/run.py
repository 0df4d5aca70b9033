"""The speed benchmark: codex against bare semgrep (and Fixit-style libcst passes) on real source trees.

Usage: python bench/run.py [--runs N] [--fixit-runs N] [--cache DIR] [--replay-baseline CHECKOUT]

Downloads the sdists of django (Python), ruff (Rust) and a requests-heavy SDK with pip into the cache
directory (outside the repository; default ~/.cache/codex-bench or $CODEX_BENCH_CACHE), copies django and
ruff into one work tree and prints, for each target of issues 7 and 13, codex and its baseline run in
turn (alternated, so a load spike hits both) --runs times: the median of the per-pair ratios with their
spread, each command's median wall and CPU seconds and peak memory:

1. full tree: ``codex check --all --no-llm`` (semgrep and libcst rules) vs bare ``semgrep scan --config
   rules/semgrep.yml``, and vs semgrep plus the libcst rules run as Fixit-style separate passes;
2. diff mode: a 50-file change (25 Python, 25 Rust) vs one bare semgrep run on those 50 files; and the cost of
   comparing with the base versions (the same change vs a diff whose hunks do not match the tree);
3. a one-file pre-commit check vs bare semgrep on that file;
4. the requests-heavy SDK (every file checked by CX0003's qualified-name pass) vs bare semgrep on it;
5. the warm re-run of the full tree with the result cache vs the cold run;
6. ``codex replay`` per commit (bench/replay.py's history), vs the checkout given by --replay-baseline;
7. peak memory (largest process, RSS) of the full-tree commands.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import DEFAULT_CACHE, DJANGO, REPO, REQUESTS_HEAVY, RUFF, Sample, fetch, machine, measure, median
from replay import build_history

CODEX = [sys.executable, "-m", "codex_cli", "check", "--no-llm", "--no-history", "--format", "json"]
SEMGREP = [
    "semgrep",
    "scan",
    "--config",
    str(REPO / "rules" / "semgrep.yml"),
    "--json",
    "--metrics=off",
    "--disable-version-check",
    "--quiet",
    "--no-git-ignore",
    "--x-ignore-semgrepignore-files",
]
REPLAY_COMMITS = 24


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


@dataclass
class Pair:
    """codex and its baseline, measured in turn: medians of each, and the per-pair ratios (codex / baseline)."""

    ours: Sample
    theirs: Sample
    ratios: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def spread(self) -> str:
        return f"{min(self.ratios):.2f}–{max(self.ratios):.2f}"


def alternated(ours: list[str], theirs: list[str], cwd: Path, times: int, before_theirs=None) -> Pair:
    a, b = [], []
    for _ in range(times):
        a.append(measure(ours, cwd))
        if before_theirs:
            before_theirs()
        b.append(measure(theirs, cwd))
    return Pair(median(a), median(b), [x.wall / y.wall for x, y in zip(a, b, strict=True)])


def replay_per_commit(repo: Path, pythonpath: Path) -> float:
    """Seconds per commit of ``codex replay --fresh --jobs 1`` over ``repo``, with codex imported from ``pythonpath``."""
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    module = "codex_cli" if (pythonpath / "codex_cli").is_dir() else "codex"  # a checkout from before the split: `python -m codex`
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", module, "replay", "--fresh", "--format", "json", "--jobs", "1", "--root", str(repo)],
        check=True,
        capture_output=True,
        env=env,
        cwd=repo,
    )  # not here: `-m` imports codex from the working directory first
    return (time.perf_counter() - started) / REPLAY_COMMITS


def byte_compile(*checkouts: Path) -> None:
    """Write the bytecode of each checkout's packages, as ``pip install`` does: a checkout never imported with
    bytecode writing on (PYTHONDONTWRITEBYTECODE set, or edited since) costs every run the compiling of its modules
    (about 70 on a check: 55 ms), which an installed codex never pays."""
    for checkout in dict.fromkeys(checkouts):
        for package in ("codex", "reviewer", "codex_cli"):
            if (checkout / package).is_dir():
                compileall.compile_dir(checkout / package, quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--fixit-runs", type=int, default=1, help="runs of the slow Fixit-style baseline (0: skip it)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where sdists and trees are kept")
    parser.add_argument("--replay-baseline", type=Path, help="a checkout of an earlier codex to compare replay's cost with")
    args = parser.parse_args()
    work = workspace(args.cache)
    sdk = fetch(REQUESTS_HEAVY, args.cache)
    print(f"machine: {machine()}", flush=True)
    installed = importlib.util.find_spec("codex_cli")  # what `python -m codex_cli` imports in the work tree
    byte_compile(REPO, *([Path(installed.origin).parent.parent] if installed and installed.origin else []), *filter(None, [args.replay_baseline]))
    cache_dir = work / ".codex"
    clear = lambda: shutil.rmtree(cache_dir, ignore_errors=True)  # noqa: E731
    clear()
    fifty = pick(work, 50)
    (args.cache / "fifty.patch").write_text(patch(work, fifty), encoding="utf-8")
    (args.cache / "fifty-no-base.patch").write_text(patch(work, fifty, matching=False), encoding="utf-8")
    one = "django/django/db/models/query.py"
    (args.cache / "one.patch").write_text(patch(work, [one]), encoding="utf-8")

    rows: list[tuple[str, str, Pair, str, str]] = []

    def row(name: str, ours: str, pair: Pair, theirs: str, target: str) -> None:
        rows.append((name, ours, pair, theirs, target))
        print(f"  {name}: {pair.ours.wall:.2f}s vs {pair.theirs.wall:.2f}s, ratio {pair.ratio:.2f} ({pair.spread()})", flush=True)

    full = alternated([*CODEX, "--all", "--no-cache", "--root", str(work)], [*SEMGREP, "."], work, args.runs)
    row("1. full tree (django + ruff)", "`codex check --all`", full, "semgrep alone", "≤ 0.6×")
    if args.fixit_runs:
        fixit = median([measure([sys.executable, str(REPO / "bench" / "fixit_style.py"), str(work)], work) for _ in range(args.fixit_runs)])
        if fixit.code != 0:
            raise SystemExit(f"the Fixit-style baseline failed (exit {fixit.code}): run bench/fixit_style.py {work}")
        separate = Sample(full.theirs.wall + fixit.wall, full.theirs.cpu + fixit.cpu, max(full.theirs.peak_mb, fixit.peak_mb), 0)
        row(
            "1. the same, with the libcst rules",
            "`codex check --all`",
            Pair(full.ours, separate, [full.ours.wall / separate.wall]),
            "semgrep + Fixit-style libcst passes",
            "",
        )
    diff = alternated([*CODEX, "--no-cache", "--diff", str(args.cache / "fifty.patch"), "--root", str(work)], [*SEMGREP, *fifty], work, args.runs)
    row("2. diff mode, 50 files", "`codex check --diff`", diff, "semgrep on the 50 files", "≤ 1.15×")
    no_base = alternated(
        [*CODEX, "--no-cache", "--diff", str(args.cache / "fifty.patch"), "--root", str(work)],
        [*CODEX, "--no-cache", "--diff", str(args.cache / "fifty-no-base.patch"), "--root", str(work)],
        work,
        args.runs,
    )
    row("2. the base comparison, 50 files", "`codex check --diff`", no_base, "the same without base versions", "")
    single = alternated([*CODEX, "--no-cache", "--diff", str(args.cache / "one.patch"), "--root", str(work)], [*SEMGREP, one], work, args.runs)
    row("3. one-file pre-commit check", "`codex check` (1 file)", single, "semgrep on the file", "≤ 0.5×")
    heavy = alternated([*CODEX, "--all", "--no-cache", "--root", str(sdk)], [*SEMGREP, "."], sdk, args.runs)
    row(f"4. requests-heavy SDK ({REQUESTS_HEAVY})", "`codex check --all`", heavy, "semgrep alone", "≤ 1.0×")
    measure([*CODEX, "--all", "--root", str(work)], work)  # fill the cache; each cold run (cleared first) fills it again
    warm = alternated([*CODEX, "--all", "--root", str(work)], [*CODEX, "--all", "--root", str(work)], work, args.runs, before_theirs=clear)
    row("5. warm re-run (cache)", "warm `codex check --all`", warm, "cold `codex check --all`", "≥ 5× faster")
    with tempfile.TemporaryDirectory(prefix="codex-bench-replay-") as tmp:
        build_history(Path(tmp), REPLAY_COMMITS)
        ours = [replay_per_commit(Path(tmp), REPO) for _ in range(args.runs)]
        theirs = [replay_per_commit(Path(tmp), args.replay_baseline) for _ in range(args.runs)] if args.replay_baseline else []
    replay_row = f"| 6. `codex replay`, per commit ({REPLAY_COMMITS} commits, --jobs 1) | {statistics.median(ours):.2f} s |"
    if theirs:
        ratios = [t / o for o, t in zip(ours, theirs, strict=True)]
        replay_row += (
            f" {args.replay_baseline.name}: {statistics.median(theirs):.2f} s | {statistics.median(ratios):.1f}× faster "
            f"({min(ratios):.1f}–{max(ratios):.1f}) | ≥ 4× faster |"
        )
    print(f"  replay: {ours} vs {theirs}", flush=True)

    print("\n| comparison | codex | wall s | CPU s | peak MB | baseline | wall s | CPU s | peak MB | ratio (wall, spread) | target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, ours_name, pair, theirs_name, target in rows:
        a, b = pair.ours, pair.theirs
        if name.startswith("5."):
            ratio = f"{1 / pair.ratio:.1f}× faster ({1 / max(pair.ratios):.1f}–{1 / min(pair.ratios):.1f})"
        else:
            ratio = f"{pair.ratio:.2f}× ({pair.spread()})"
        print(
            f"| {name} | {ours_name} | {a.wall:.2f} | {a.cpu:.2f} | {a.peak_mb:.0f} | "
            f"{theirs_name} | {b.wall:.2f} | {b.cpu:.2f} | {b.peak_mb:.0f} | {ratio} | {target} |"
        )
    print(
        f"| 7. peak memory, full tree | `codex check --all` | | | {full.ours.peak_mb:.0f} | semgrep alone | | | {full.theirs.peak_mb:.0f} | "
        f"{full.ours.peak_mb / full.theirs.peak_mb:.2f}× | ≤ 1.2× |"
    )
    print(replay_row)
    results = {name: {"codex": vars(p.ours), "baseline": vars(p.theirs), "ratios": p.ratios} for name, _, p, _, _ in rows}
    results["replay"] = {"codex": ours, "baseline": theirs}
    (args.cache / "results.json").write_text(json.dumps({"machine": machine(), "runs": args.runs, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
