"""``codex compile``: rfcs/ → rules/ruleset.json and rules/semgrep.yml."""

from __future__ import annotations

import argparse
import sys

from codex_cli.commands._common import add_root, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when rules/ is stale")


def run(args: argparse.Namespace) -> int:
    from codex.changelog import update_changelog
    from codex.compiler import compile_rfcs
    from codex.config import load_config
    from codex.problems import Problem, ProblemError
    from codex.rules_dir import stale_files, write_rules
    from codex.ruleset_source import extends_shipped, id_collisions, shipped_ruleset
    from codex.semgrep_validate import validate_semgrep

    root = find_root(args.root)
    config = load_config(root)
    rfc_dir = root / config.rfcs
    if not rfc_dir.is_dir():
        raise ProblemError(Problem(path=config.rfcs, message="no RFC directory", hint="create it, or run `codex new`", kind="usage"))
    result = compile_rfcs(rfc_dir, root, config.rfc_base_url, config.lint_sources)
    problems = result.problems + validate_semgrep(result.rules, {**result.locations, **result.semgrep_blocks})
    if extends_shipped(root, config):
        problems += id_collisions(result.rules, result.locations, shipped_ruleset(), config)
    ruleset = result.ruleset
    if problems or ruleset is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"codex compile: {len(problems)} problem(s); rules/ left unchanged", file=sys.stderr)
        return 2
    rules_dir = root / config.rules
    if args.check:
        stale = stale_files(ruleset, rules_dir)
        if stale:
            print(f"codex compile --check: {config.rules}/ is stale ({', '.join(stale)}); run `codex compile` and commit it")
            return 1
        print(f"codex compile --check: {config.rules}/ is up to date (ruleset {ruleset.version})")
        return 0
    if update_changelog(root, rules_dir, ruleset):
        print(f"codex compile: {config.rules}/CHANGELOG.md updated")
    write_rules(ruleset, rules_dir)
    print(f"codex compile: {len(ruleset.rules)} rule(s) from {len(ruleset.rfcs)} RFC(s) → {config.rules}/ (ruleset {ruleset.version})")
    return 0
