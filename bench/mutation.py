"""Mutation testing of the modules whose loops decide what gets checked, with mutmut.

    python bench/mutation.py [--module reviewer/targets.py ...] [--jobs 2] [--min 0.9]

Each module is mutated in a copy of the working tree (tracked and untracked files, as git lists them) and
only the tests that mirror it run against each mutant. A mutant that changes no behaviour (an equivalent
mutant) is named in ``bench/mutation_equivalent.txt`` with the reason, and left out of the score.
Prints, per module: mutants, killed, survived, equivalent, and the share of non-equivalent mutants
killed; lists the survivors (``mutmut show NAME`` in the printed directory shows each); exits 1 when a
module scores below ``--min``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "bench" / "mutation_equivalent.txt"
MODULES = {  # the module mutated: the tests that mirror it
    "reviewer/changes.py": ["tests/test_changes.py"],
    "reviewer/unified_diff.py": ["tests/test_unified_diff.py"],
    "reviewer/git_changes.py": ["tests/test_git_changes.py", "tests/test_git.py"],
    "codex/git.py": ["tests/test_git.py", "tests/test_git_changes.py"],
    "reviewer/overrides.py": ["tests/test_overrides.py"],
    "reviewer/targets.py": ["tests/test_targets.py"],
    "reviewer/llm/plan.py": ["tests/test_llm_plan.py"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", choices=list(MODULES), help="mutate only this module (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--min", type=float, default=0.9, help="lowest acceptable share of non-equivalent mutants killed")
    parser.add_argument("--keep", action="store_true", help="keep the working copies (to inspect survivors)")
    args = parser.parse_args()
    equivalent = _equivalent()
    failed = False
    print(f"{'module':28} {'mutants':>7} {'killed':>6} {'survived':>8} {'equiv.':>6} {'score':>6}")
    for module in args.module or list(MODULES):
        work = Path(tempfile.mkdtemp(prefix="codex-mutation-"))
        stats, survivors = _run(module, MODULES[module], work, args.jobs)
        equal = [s for s in survivors if s in equivalent]
        real = [s for s in survivors if s not in equivalent]
        scored = stats["total"] - len(equal)
        score = stats["killed"] / scored if scored else 1.0
        failed |= score < args.min
        print(f"{module:28} {stats['total']:>7} {stats['killed']:>6} {len(real):>8} {len(equal):>6} {score:>6.1%}")
        for name in real:
            print(f"    survived: {name}")
        if args.keep:
            print(f"    copy kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def _run(module: str, tests: list[str], work: Path, jobs: int) -> tuple[dict[str, int], list[str]]:
    listed = (
        subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / rel)
    selection = "\n    ".join(tests)
    (work / "setup.cfg").write_text(
        f"[mutmut]\nsource_paths=\n    codex\n    reviewer\nonly_mutate=\n    {module}\n"
        f"pytest_add_cli_args_test_selection=\n    {selection}\npytest_add_cli_args=\n    -p no:xdist\n"
        "also_copy=\n    rfcs\n    rules\n    bench\n",
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)], cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=work, check=True, stdout=subprocess.DEVNULL)
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8"))
    results = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=work, check=True, capture_output=True, text=True).stdout
    survivors = [line.split(":")[0].strip() for line in results.splitlines() if line.strip().endswith(": survived")]
    return stats, survivors


def _equivalent() -> set[str]:
    """Mutant names listed as equivalent, one per line, each followed by ``# why it changes nothing``."""
    if not EQUIVALENT.is_file():
        return set()
    return {line.split("#")[0].strip() for line in EQUIVALENT.read_text(encoding="utf-8").splitlines() if line.split("#")[0].strip()}


if __name__ == "__main__":
    sys.exit(main())
