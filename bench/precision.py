"""Precision and recall of every shipped static rule on real code, line by line against the letter of each RFC.

Usage: python bench/precision.py [--cache DIR] [--codex CHECKOUT] [--report-only] [--list N] [--sample N]

Downloads pinned sdists with pip into the cache directory (outside the repository; default ~/.cache/codex-bench or
$CODEX_BENCH_CACHE): three Rust code bases shipped on PyPI (rust-just, jiter, ruff's Python parser crate) for CX0001,
and ten Python projects for CX0003–CX0007. An oracle independent of codex (tree-sitter-rust, Python's `ast`; see
bench/_rust_sites.py and bench/_python_sites.py) lists every candidate site (every `.unwrap(`/`.expect(`, requests
call, except handler, subprocess call, yaml load, assert) and labels it a violation or not per the letter of the RFC
as issue 11 states it; sites it cannot decide carry a manual label from bench/labels/<tree>.json. The script then runs
``codex check --all --no-llm --no-cache --no-history --format json`` on each tree, matches findings to sites by
(rule, path, line) and prints per rule: sites, violations, true positives, false positives, false negatives,
precision, recall, then every FP and FN (path:line and the source line). A file the oracle cannot parse as Python 3
is listed and not scored. ``--codex`` measures another checkout (a branch exported with ``git archive``).

Exit 0 when every rule reaches precision and recall 0.97, 1 when one misses (0 with --report-only), 2 when a site
has no verdict, a manual label matches no site, or codex fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from _common import DEFAULT_CACHE, REPO, fetch
from _python_sites import python_sites
from _rust_sites import rust_sites
from _sites import Label, Site
from pydantic import TypeAdapter

TARGET = 0.97
RUST_RULES = ("CX0001",)
PYTHON_RULES = ("CX0003", "CX0004", "CX0005", "CX0006", "CX0007")
LABELS = Path(__file__).resolve().parent / "labels"


@dataclass(frozen=True)
class Tree:
    requirement: str  # a pinned PyPI sdist
    language: str
    subdir: str = ""  # check only this directory of the sdist (it becomes the tree's root)

    @property
    def name(self) -> str:
        return self.requirement.replace("==", "-")


TREES = (
    Tree("rust-just==1.38.0", "rust"),  # a parser with its own `expect`, #[cfg(test)] mod x; files, tests/, examples/
    Tree("jiter==0.8.2", "rust"),  # build.rs, benches/, tests/
    Tree("ruff==0.8.4", "rust", "crates/ruff_python_parser"),  # `self.expect(TokenKind::…)`, #[cfg(test)] mod tests;
    Tree("conan==2.10.2", "python"),
    Tree("httpie==3.2.4", "python"),
    Tree("docker==7.1.0", "python"),
    Tree("pre-commit==4.0.1", "python"),
    Tree("bandit==1.8.0", "python"),  # examples/ written to exercise exactly these patterns
    Tree("cookiecutter==2.6.0", "python"),
    Tree("gdown==5.2.0", "python"),  # requests.session() methods
    Tree("mkdocs==1.6.1", "python"),
    Tree("omegaconf==2.3.0", "python"),  # yaml.unsafe_load, a SafeLoader subclass
    Tree("ansible-core==2.17.7", "python"),  # 240k lines; asserts under test/
)


def prepare(tree: Tree, cache: Path) -> Path:
    """The directory codex and the oracle read: the unpacked sdist, or a copy of its source files under ``subdir``."""
    unpacked = fetch(tree.requirement, cache)
    if not tree.subdir:
        return unpacked
    work = cache / "precision" / f"{tree.name}-{tree.subdir.replace('/', '-')}"
    if not work.is_dir():
        suffix = ".rs" if tree.language == "rust" else ".py"
        shutil.copytree(unpacked / tree.subdir, work, ignore=lambda d, names: [n for n in names if not (Path(d, n).is_dir() or n.endswith(suffix))])
    return work


def run_codex(root: Path, codex: Path) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(codex))
    done = subprocess.run(
        [sys.executable, "-m", "codex_cli", "check", "--all", "--no-llm", "--no-cache", "--no-history", "--format", "json", "--root", str(root)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"codex check failed on {root} (exit {done.returncode}):\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    stats = report["stats"]
    print(
        f"  codex: {stats['files_checked']} files checked with the {stats['ruleset']['origin']}, {stats['findings']} findings, {len(report['errors'])} errors"
    )
    if stats["ruleset"]["origin"] != "shipped codex":
        raise SystemExit(f"codex did not check {root} with the shipped codex: {stats['ruleset']}")
    for error in report["errors"]:
        print(f"    {error['path']}:{error['line']}: {error['message'][:150]}")
    return report["findings"]


def apply_labels(tree: Tree, root: Path, sites: list[Site]) -> list[str]:
    """Apply bench/labels/<tree>.json to ``sites`` (verdicts replaced, sites added); the errors (labels that do not fit)."""
    path = LABELS / f"{tree.name}.json"
    if not path.is_file():
        return []
    labels = TypeAdapter(list[Label]).validate_json(path.read_bytes())
    errors = []
    for label in labels:
        where = f"{path.name}: label {label.rule} {label.path}:{label.line}"
        matched = [s for s in sites if (s.rule, s.path, s.line) == (label.rule, label.path, label.line) and label.column in (None, s.column)]
        if label.add:
            if matched:
                errors.append(f"{where} adds a site the oracle already finds")
                continue
            lines = (root / label.path).read_text(encoding="utf-8", errors="replace").splitlines()
            sites.append(
                Site(
                    rule=label.rule,
                    path=label.path,
                    line=label.line,
                    column=label.column or 1,
                    verdict=label.verdict,
                    reason=f"manual: {label.note}",
                    snippet=lines[label.line - 1].strip()[:120],
                )
            )
        elif not matched:
            errors.append(f"{where} matches no candidate site")
        for site in matched:
            site.verdict, site.reason = label.verdict, f"manual: {label.note}"
    return errors


@dataclass
class Outcome:
    sites: int = 0
    violations: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0


def score(
    tree: Tree, sites: list[Site], findings: list[dict], skipped: set[str], outcomes: dict[str, Outcome], errors: list[tuple[str, str, str, Site | dict]]
) -> None:
    """Match findings to labelled sites by (rule, path, line) as multisets; FP/FN go to ``errors``."""
    rules = RUST_RULES if tree.language == "rust" else PYTHON_RULES
    by_key: dict[tuple[str, str, int], list[Site]] = defaultdict(list)
    for site in sites:
        by_key[(site.rule, site.path, site.line)].append(site)
    found = Counter((f["rule_id"], f["path"], f["line"]) for f in findings if f["rule_id"] in rules and f["path"] not in skipped)
    for key in set(by_key) | set(found):
        rule = key[0]
        here = by_key.get(key, [])
        outcome = outcomes[rule]
        violations = [s for s in here if s.verdict == "violation"]
        outcome.sites += len(here)
        outcome.violations += len(violations)
        matched = min(len(violations), found[key])
        outcome.tp += matched
        if found[key] > matched:
            outcome.fp += found[key] - matched
            example = here[0] if here else {"path": key[1], "line": key[2]}
            errors.extend([(rule, "FP", f"{tree.name}/", example)] * (found[key] - matched))
        if len(violations) > matched:
            outcome.fn += len(violations) - matched
            errors.extend((rule, "FN", f"{tree.name}/", site) for site in violations[matched:])


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _describe(prefix: str, item: Site | dict) -> str:
    if isinstance(item, Site):
        return f"{prefix}{item.path}:{item.line}  {item.snippet}  [{item.reason}]"
    return f"{prefix}{item['path']}:{item['line']}  (no candidate site on this line)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--codex", type=Path, default=REPO, help="the codex checkout to measure (default: this one)")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when a rule misses the 0.97 target")
    parser.add_argument("--list", type=int, default=40, metavar="N", help="list at most N FPs and N FNs per rule")
    parser.add_argument("--sample", type=int, default=0, metavar="N", help="also print N random labelled sites per rule (spot checks)")
    args = parser.parse_args()
    outcomes: dict[str, Outcome] = defaultdict(Outcome)
    errors: list[tuple[str, str, str, Site | dict]] = []
    config_errors: list[str] = []
    every_site: list[tuple[str, Site]] = []
    for tree in TREES:
        root = prepare(tree, args.cache)
        print(f"{tree.name}: {root}", flush=True)
        if tree.language == "rust":
            sites, skipped = rust_sites(root), set()
        else:
            sites, unparsable = python_sites(root)
            skipped = {entry.split(":", 1)[0] for entry in unparsable}
            if unparsable:
                print(f"  not valid Python 3, not scored ({len(unparsable)}): {', '.join(sorted(skipped))}")
        config_errors += apply_labels(tree, root, sites)
        undecided = [s for s in sites if s.verdict == "?"]
        config_errors += [f"{tree.name}: no verdict for {s.rule} {s.path}:{s.line} ({s.reason}): {s.snippet}" for s in undecided]
        sites = [s for s in sites if s.verdict != "?"]
        every_site += [(tree.name, s) for s in sites]
        score(tree, sites, run_codex(root, args.codex.resolve()), skipped, outcomes, errors)
    print(f"\n{'rule':7} {'sites':>6} {'viol.':>6} {'TP':>5} {'FP':>5} {'FN':>5} {'precision':>10} {'recall':>7}")
    missed = []
    for rule in (*RUST_RULES, *PYTHON_RULES):
        o = outcomes[rule]
        precision, recall = _ratio(o.tp, o.tp + o.fp), _ratio(o.tp, o.tp + o.fn)
        shown = [f"{v:.3f}" if v is not None else "n/a" for v in (precision, recall)]
        print(f"{rule:7} {o.sites:6} {o.violations:6} {o.tp:5} {o.fp:5} {o.fn:5} {shown[0]:>10} {shown[1]:>7}")
        if precision is None or recall is None or precision < TARGET or recall < TARGET:
            missed.append(rule)
    for rule in (*RUST_RULES, *PYTHON_RULES):
        for kind in ("FP", "FN"):
            items = [(p, i) for r, k, p, i in errors if (r, k) == (rule, kind)]
            if items:
                reasons = Counter(i.reason if isinstance(i, Site) else "no candidate site on the line" for _, i in items)
                print(
                    f"\n{rule} {kind} ({len(items)}), by the oracle's reason for the site: "
                    + "; ".join(f"{reason} {count}" for reason, count in reasons.most_common())
                )
                print("\n".join(_describe("  " + p, i) for p, i in items[: args.list]))
                if len(items) > args.list:
                    print(f"  … {len(items) - args.list} more (--list)")
    if args.sample:
        chooser = random.Random(11)
        for rule in (*RUST_RULES, *PYTHON_RULES):
            pool = [(name, s) for name, s in every_site if s.rule == rule]
            print(f"\nsample of {rule} ({min(args.sample, len(pool))} of {len(pool)}):")
            for name, site in chooser.sample(pool, min(args.sample, len(pool))):
                print(f"  {site.verdict:9} {name}/{site.path}:{site.line}  {site.snippet}  [{site.reason}]")
    if config_errors:
        print("\nbench configuration errors (sites without a verdict are not scored):", file=sys.stderr)
        print("\n".join(f"  {e}" for e in config_errors), file=sys.stderr)
        return 2
    if missed:
        print(f"\nbelow {TARGET} precision or recall: {', '.join(missed)}")
        return 0 if args.report_only else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
