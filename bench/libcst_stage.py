"""The libcst stage of a whole-tree check, timed: wall and CPU seconds of the engine's collect, and its findings.

Usage: python bench/libcst_stage.py ROOT [--runs 3] [--alone N] [--findings FILE] [--profile FILE]

Runs ``codex check --all --no-llm --no-history --no-cache`` on ROOT in this process (semgrep and tree-sitter run as
in a real check, so libcst shares the CPUs as it does there) and prints, per run, the libcst stage's wall seconds
(``stats.seconds["libcst"]``) and CPU seconds (this thread's, plus worker processes' when there are any), then the
medians and the load average. ``--findings`` writes the sorted (rule, path, line, column, end line, end column) of
every finding as JSON lines, to compare two checkouts; ``--profile`` writes a cProfile of the stage (one run).
``--alone N`` then runs the first run's libcst jobs N more times by themselves (no semgrep beside them, so less
disturbed by the load), with the workers as a check would start them.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from codex_cli.main import main as codex_main
from reviewer.engines import Results, libcst as engine


@contextlib.contextmanager
def _timed(samples: list[tuple[float, float]], profile: cProfile.Profile | None, runs: list[engine.LibcstRun]) -> Iterator[None]:
    """Wraps the libcst run's collect: its wall and CPU seconds are appended to ``samples``, the run to ``runs``."""
    original = engine.LibcstRun.collect

    def collect(run: engine.LibcstRun) -> Results:
        runs.append(run)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, cpu = time.perf_counter(), time.thread_time()
        if profile:
            profile.enable()
        try:
            return original(run)
        finally:
            if profile:
                profile.disable()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, reaped when the pool closes (semgrep still runs)
            workers = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
            samples.append((time.perf_counter() - wall, time.thread_time() - cpu + workers))

    engine.LibcstRun.collect = collect  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        engine.LibcstRun.collect = original  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--alone", type=int, default=0)
    parser.add_argument("--findings", type=Path)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    samples: list[tuple[float, float]] = []
    runs: list[engine.LibcstRun] = []
    profile = cProfile.Profile() if args.profile else None
    for run in range(args.runs):
        out = io.StringIO()
        with _timed(samples, profile if run == 0 else None, runs), contextlib.redirect_stdout(out):
            codex_main(["check", "--all", "--no-llm", "--no-history", "--no-cache", "--format", "json", "--root", str(args.root)])
        report = json.loads(out.getvalue())
        print(f"run {run + 1}: libcst {samples[-1][0]:.2f} s wall, {samples[-1][1]:.2f} s CPU; findings {len(report['findings'])}", flush=True)
        if run == 0 and args.findings:
            rows = sorted(
                (f["rule_id"], f["path"], f["line"], f.get("column"), f.get("end_line"), f.get("end_column"), f["message"], f.get("fix"))
                for f in report["findings"]
            )
            args.findings.write_text("".join(json.dumps(row) + "\n" for row in rows))
    if profile and args.profile:
        profile.dump_stats(args.profile)
    _summary(f"median of {args.runs}", samples)
    if args.alone:
        alone: list[tuple[float, float]] = []
        for _ in range(args.alone):
            with _timed(alone, None, []):
                engine.LibcstRun(runs[0].jobs, runs[0].busy_cpus).collect()
        _summary(f"{len(runs[0].jobs)} files alone, median of {args.alone}", alone)
    return 0


def _summary(what: str, samples: list[tuple[float, float]]) -> None:
    walls, cpus = zip(*samples, strict=True)
    print(f"{what}: {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU; load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
