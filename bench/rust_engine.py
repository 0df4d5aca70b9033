"""What the tree-sitter engine and the test-code model cost on real Rust: CX0001 over ruff's crates.

Usage: python bench/rust_engine.py [--runs 3] — a full-tree audit (every .rs file) and a 50-file diff (every
28th file), each with the test-code model (CX0001 as shipped, ``tests: exempt``) and without it (the same rule
with ``tests: checked``); medians of ``--runs``, and the findings each keeps. Then a recall check against a
plain text scan: every line outside test code with ``.unwrap()`` or ``.expect(`` (not a ``//`` line) that
CX0001 did not flag is listed for a person to judge (``--show``); on ruff 0.8.4 all are its parser's own
``expect(TokenKind::...)``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from _common import DEFAULT_CACHE, REPO, RUFF, fetch

from codex.model import Ruleset
from reviewer.matching import run_matchers
from reviewer.targets import Target
from reviewer.test_code import TestCodeModel

TEXTUAL = re.compile(r"\.\s*(unwrap\(\)|expect\()")


def timed(ruleset: Ruleset, targets: list[Target], root: Path, runs: int) -> tuple[float, int]:
    samples, found = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        findings, problems, _ = run_matchers(ruleset, targets, test_code=TestCodeModel(root=root))
        samples.append(time.perf_counter() - started)
        found = len(findings)
        if problems:
            print(f"{len(problems)} problem(s), first: {problems[0]}", file=sys.stderr)
    return statistics.median(samples), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--show", action="store_true", help="list the lines the text scan found and CX0001 did not flag")
    args = parser.parse_args()
    root = fetch(RUFF, args.cache) / "crates"
    shipped = Ruleset.load(REPO / "rules" / "ruleset.json")
    rule = shipped.rule("CX0001")
    if rule is None or rule.tests != "exempt":
        raise SystemExit("CX0001 with tests: exempt is not in rules/ruleset.json: run codex compile")
    with_model = shipped.model_copy(update={"rules": (rule,)})
    without_model = shipped.model_copy(update={"rules": (rule.model_copy(update={"tests": "checked"}),)})
    files = sorted(p for p in root.rglob("*.rs") if p.is_file())
    everything = [Target(p.relative_to(root).as_posix(), p, "rust", None, p.relative_to(root).as_posix()) for p in files]
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"ruff crates: {len(files)} .rs files, {size:.1f} MB, {args.runs} run(s) each")
    print("| targets | tests: checked | tests: exempt (model) | model's share | findings checked → exempt |")
    print("|---|---|---|---|---|")
    for name, targets in (("full tree", everything), ("50 files", everything[::28][:50])):
        plain, found_all = timed(without_model, targets, root, args.runs)
        modelled, found_production = timed(with_model, targets, root, args.runs)
        print(f"| {name} ({len(targets)}) | {plain:.2f} s | {modelled:.2f} s | {(modelled - plain) / modelled:.0%} | {found_all} → {found_production} |")
    findings, _, _ = run_matchers(with_model, everything, test_code=(model := TestCodeModel(root=root)))
    flagged = {(f.path, f.line) for f in findings}
    unflagged = [
        f"{t.path}:{n}: {text.strip()}"
        for t in everything
        for n, text in enumerate(t.text.splitlines(), 1)
        if TEXTUAL.search(text) and not text.lstrip().startswith("//") and (t.path, n) not in flagged and not model.is_test(t, n)
    ]
    print(f"text scan: {len(unflagged)} line(s) outside test code with .unwrap() or .expect( not flagged")
    if args.show:
        print("\n".join(unflagged))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
