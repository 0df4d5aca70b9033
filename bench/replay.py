"""How `codex replay` scales with processes: the same history replayed with --jobs 1 and --jobs N.

    python bench/replay.py [--commits 24] [--jobs N] [--keep DIR]

Builds a git repository whose history adds and edits Rust and Python files (every fourth commit
adds an `.unwrap()`), then times `codex replay --fresh` over it with one process and with N
(default: the usable cores), and checks both runs agree on which commits would have been blocked.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@codex.invalid", "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@codex.invalid"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def build_history(repo: Path, commits: int) -> None:
    git(repo, "init", "-q", "-b", "main")
    for n in range(commits):
        body = "    let v = read(path).unwrap();\n" if n % 4 == 3 else "    let v = read(path)?;\n"
        (repo / "src").mkdir(exist_ok=True)
        (repo / "src" / f"m{n}.rs").write_text(f"fn load{n}(path: &str) -> Result<u32, E> {{\n{body}    Ok(v)\n}}\n")
        (repo / f"svc_{n}.py").write_text(f"import subprocess\n\ndef run{n}(args):\n    return subprocess.run(args, check=True)\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"change {n}")


def replay(repo: Path, jobs: int) -> tuple[float, list[str]]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "codex_cli", "replay", "--fresh", "--format", "json", "--jobs", str(jobs), "--root", str(repo)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return time.perf_counter() - started, json.loads(out)["summary"]["blocked"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codex-bench-replay-") as tmp:
        repo = args.keep or Path(tmp)
        repo.mkdir(parents=True, exist_ok=True)
        build_history(repo, args.commits)
        serial, blocked_serial = replay(repo, 1)
        parallel, blocked_parallel = replay(repo, args.jobs)
    if blocked_serial != blocked_parallel:
        raise SystemExit("the parallel replay disagrees with the serial one")
    print(f"{args.commits} commits, {len(blocked_serial)} would have been blocked")
    print(f"--jobs 1: {serial:.1f} s ({serial / args.commits:.2f} s per commit)")
    print(f"--jobs {args.jobs}: {parallel:.1f} s ({serial / parallel:.2f}x)")


if __name__ == "__main__":
    main()
