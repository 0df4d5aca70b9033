"""``codex test``: run every rule's examples and say, per rule, whether it finds what its RFC says."""

from __future__ import annotations

import argparse

from codex_cli.commands._common import add_root, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument("rules", nargs="*", metavar="RULE", help="only these rule ids")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every example's expected and flagged lines, not only failures")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from codex.config import load_config
    from codex.problems import Problem, ProblemError
    from codex.ruleset_source import load_active
    from reviewer.examples import run_examples

    root = find_root(args.root)
    config = load_config(root)
    loaded = load_active(root, config)
    ruleset = loaded.ruleset
    unknown = [r for r in args.rules if ruleset.rule(r) is None]
    if unknown:
        raise ProblemError(*(Problem(message=f"unknown rule {r}", hint="see `codex compile` output for the rule ids", kind="usage") for r in unknown))
    rules = [r for r in ruleset.rules if not args.rules or r.id in args.rules]
    run_ = run_examples(ruleset, rules, config.lint_sources)
    console = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"codex test — {loaded.origin}")
    for column in ("rule", "result", "examples", "known gaps"):
        table.add_column(column)
    failed_rules = 0
    for rule in rules:
        results = [r for r in run_.results if r.rule.id == rule.id]
        if rule in run_.skipped:
            table.add_row(rule.id, "[yellow]skipped[/]", str(len(rule.examples)), "judgment rule: its examples need an LLM endpoint")
            continue
        failed = [r for r in results if not r.passed]
        failed_rules += bool(failed)
        for result in results if args.verbose else failed:
            console.print(f"{'[green]pass[/]' if result.passed else '[red]FAIL[/]'} {rule.id} {escape(result.where)}")
            console.print(f"  expected lines {list(result.example.expected)}, flagged {list(result.actual)}")
            for line in result.mismatches():
                console.print(f"  {escape(line)}")
        gaps = [f"{r.example.source or r.example.verdict}: {', '.join(r.known_gaps())}" for r in results if r.known_gaps()]
        table.add_row(rule.id, "[red]FAIL[/]" if failed else "[green]pass[/]", str(len(results)), escape("; ".join(gaps)))
    console.print(table)
    for problem in run_.problems:
        console.print(f"[magenta]![/] {escape(str(problem))}")
    ran = len(rules) - len(run_.skipped)
    console.print(f"{ran - failed_rules} rule(s) passed, {failed_rules} failed" + (f", {len(run_.skipped)} skipped" if run_.skipped else ""))
    return 1 if failed_rules or run_.problems else 0
