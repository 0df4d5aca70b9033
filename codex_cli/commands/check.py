"""``codex check``: diff-scoped findings (or a whole-tree audit) against the codex."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from codex_cli.commands._common import add_root, find_root, output_file, repo_prefix
from codex_cli.commands._ruleset_and_history import add_governance_arguments

if TYPE_CHECKING:
    from codex.config import CodexConfig
    from reviewer.changes import ChangeSet
    from reviewer.fixes import FixOutcome


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from reviewer.formatters import FORMATS

    add_root(parser)
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--base", metavar="REF", help="compare the working tree with REF (default: merge-base with the default branch)")
    scope.add_argument("--staged", action="store_true", help="check what is staged, against HEAD (pre-commit)")
    scope.add_argument("--diff", metavar="FILE", type=Path, help="a unified diff ('-' for stdin) applying to the tree at --root")
    scope.add_argument("--all", action="store_true", help="check every file, every line (an audit)")
    parser.add_argument("--format", default="text", choices=list(FORMATS), help="output format (default: text)")
    parser.add_argument("--output", "-o", type=output_file, help="write the report to this file instead of stdout")
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM pass for judgment rules")
    add_governance_arguments(parser)
    parser.add_argument("--llm-budget", metavar="TOKENS", type=_tokens, help="cap the input tokens the LLM pass sends in this run")
    parser.add_argument("--require-llm", action="store_true", help="exit 1 when a judgment rule could not be reviewed (fail closed)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the per-file result cache nor the LLM answer cache")
    parser.add_argument(
        "--fix",
        action="store_true",
        help="apply the rules' safe fixes to the working tree, then report what remains (not with --staged or --diff: only the working tree is written)",
    )
    parser.add_argument(
        "--shard", metavar="I/N", type=_shard, help="check only the I-th of N deterministic parts of the files (CI matrix; combine with `codex merge`)"
    )
    parser.add_argument("paths", nargs="*", help="only these files (as pre-commit passes them)")


def run(args: argparse.Namespace) -> int:
    from codex.config import load_config
    from codex.problems import Problem, ProblemError
    from codex_cli.commands._ruleset_and_history import history_to_record, load_or_fail_open, record_history
    from reviewer.check import CheckOptions, run_check
    from reviewer.fixes import apply_to_tree, digests
    from reviewer.formatters import get_formatter

    root = find_root(args.root)
    if args.fix and (args.staged or args.diff):
        reason = "--staged checks the index" if args.staged else "--diff describes the tree before any fix"
        raise ProblemError(
            Problem(
                message=f"--fix writes the working tree, and {reason}: refused",
                kind="usage",
                hint="run `codex check --fix` (or with --base or --all), review the fixes, then stage them",
            )
        )
    config = load_config(root)
    history = history_to_record(root, config, args.no_history)
    loaded = load_or_fail_open(root, config, args.strict)
    if loaded is None:
        return 2 if args.strict else 0
    changes = _selected(args, root, config)
    checked = digests(changes.root, [f.path for f in changes.files]) if args.fix else {}
    options = CheckOptions.configured(
        config,
        root,
        cache=not args.no_cache,
        use_llm=not args.no_llm,
        ruleset_origin=loaded.origin,
        llm_budget=args.llm_budget,
        require_llm=args.require_llm,
        today=args.today,
        shard="{}/{}".format(*args.shard) if args.shard else None,
    )
    report = run_check(loaded.ruleset, changes, options)
    if args.fix:
        outcome = apply_to_tree(changes.root, report.findings, checked)
        _say_fixes(outcome)
        if outcome.applied:  # what remains, as a new check sees it
            report = run_check(loaded.ruleset, _selected(args, root, config), options)
    report.errors[:0] = loaded.problems
    record_history(history, root, report, "check")
    formatter = get_formatter(args.format, loaded.ruleset, path_prefix=repo_prefix(root), docs_url=config.docs_url)
    if args.output:
        with args.output.open("w", encoding="utf-8") as out:
            formatter.write(report, out)
    else:
        formatter.write(report, sys.stdout)
    return report.exit_code


def _selected(args: argparse.Namespace, root: Path, config: CodexConfig) -> ChangeSet:
    """The changes the arguments name."""
    changes = _changes(args, root, config).excluding(config.rfcs)
    if args.paths:
        changes = _only(changes, args.paths, root, whole_unless_staged=args.staged)
    if args.shard:
        from reviewer.shard import take_shard

        changes = take_shard(changes, *args.shard)
    return changes


def _say_fixes(outcome: FixOutcome) -> None:
    """What --fix applied and what it could not, on stderr (stdout holds the report in the chosen format)."""
    from reviewer.unified_diff import printable

    files = len({f.path for f in outcome.applied})
    lines = [f"codex: applied {len(outcome.applied)} fix(es) in {files} file(s)" + (":" if outcome.applied else "")]
    lines += [f"  {f.path}:{f.line}: {f.rule_id} {f.message}" for f in outcome.applied]
    if outcome.skipped:
        lines.append(f"codex: {len(outcome.skipped)} fix(es) not applied:")
        lines += [f"  {s}" for s in outcome.skipped]
    print("\n".join(printable(line) for line in lines), file=sys.stderr)


def _only(changes: ChangeSet, paths: list[str], root: Path, whole_unless_staged: bool) -> ChangeSet:
    """The changes to ``paths``; with ``--staged``, a path that is not a staged change is checked whole
    (``pre-commit run --all-files`` or ``--files``, and pre-push, pass files with nothing staged)."""
    from reviewer.git_changes import whole_tree

    selected = changes.only(paths)
    if whole_unless_staged:
        staged = {f.path for f in selected.files}
        selected.files += [f for f in whole_tree(root).only(paths).files if f.path not in staged]
    return selected


def _shard(value: str) -> tuple[int, int]:
    index, _, count = value.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise argparse.ArgumentTypeError(f"{value!r} is not a shard: give I/N with 1 <= I <= N, e.g. 2/8")
    return int(index), int(count)


def _tokens(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of tokens (a whole number, 0 or more)")
    return int(value)


def _changes(args: argparse.Namespace, root: Path, config: CodexConfig):
    from codex.problems import Problem, ProblemError
    from reviewer import git_changes, unified_diff

    if args.all:
        return git_changes.whole_tree(root)
    if args.staged:
        return git_changes.from_index(root)
    if args.diff:
        if str(args.diff) == "-":
            return unified_diff.from_patch(sys.stdin.read(), root, "<stdin>")
        try:
            raw = args.diff.read_bytes()
        except OSError as exc:
            raise ProblemError(Problem(path=str(args.diff), message=f"cannot read the diff: {exc.strerror}", kind="usage")) from exc
        utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")  # e.g. `git diff > x.patch` in Windows PowerShell
        return unified_diff.from_patch(raw.decode("utf-16" if utf16 else "utf-8", "replace"), root, str(args.diff))
    return git_changes.from_git(root, args.base, config)
