"""``codex import semgrep RULES.yaml``: existing semgrep rules (and their annotated tests) as an RFC."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codex_cli.commands._common import add_root, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument("tool", choices=["semgrep"], help="where the rules come from")
    parser.add_argument("rules_file", type=Path, metavar="RULES.yaml", help="a semgrep rules file")
    parser.add_argument(
        "--tests",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="an annotated test file (default: the rules file's name with a language's extension, as semgrep --test pairs them)",
    )
    parser.add_argument("--out", type=Path, help="the RFC directory to write into (default: the project's rfcs/)")
    parser.add_argument("--prefix", default="CX", help="rule id prefix for the imported rules (default: CX)")


def run(args: argparse.Namespace) -> int:
    from codex.config import load_config
    from codex.problems import Problem, ProblemError
    from codex.ruleset_source import extends_shipped, shipped_ruleset
    from codex.semgrep_import import import_semgrep

    root = find_root(args.root)
    config = load_config(root)
    out_dir = args.out or root / config.rfcs
    unreadable = [t for t in args.tests if not t.is_file()]
    if unreadable:
        raise ProblemError(*(Problem(path=str(t), message="test file not found", kind="usage") for t in unreadable))
    imported = import_semgrep(args.rules_file, args.tests, out_dir, args.prefix, shipped_ruleset() if extends_shipped(root, config) else None)
    clashes = [name for name in imported.files if (out_dir / name).exists()]
    for problem in imported.problems:
        print(problem, file=sys.stderr)
    if clashes:
        raise ProblemError(
            *(
                Problem(path=str(out_dir / name), message="already exists; nothing was written", hint="move it away or import into another --out", kind="usage")
                for name in clashes
            )
        )
    if not imported.files:
        print("codex import: no rule could be imported", file=sys.stderr)
        return 2
    for name, text in imported.files.items():
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    for semgrep_id, rule_id in imported.rule_ids.items():
        print(f"  {semgrep_id} → {rule_id}")
    if imported.draft:
        print("The RFC is a draft: its rules run in shadow until the [TODO: ...] statements are written and it is accepted.")
    print("Next: `codex compile`, then `codex test` to run the imported examples.")
    return 0
