"""``codex review``: check a merge request in CI and comment on it (GitHub Actions or GitLab CI).

The ruleset is the target branch's; the exit code is the check's result. A platform API that fails
is reported, never turned into a failed check by itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from codex_cli.commands._common import add_root, find_root, output_file, repo_prefix
from codex_cli.commands._ruleset_and_history import add_governance_arguments

if TYPE_CHECKING:
    from reviewer.platforms import MergeRequest
    from reviewer.platforms.merge_request import BaseRules
    from reviewer.platforms.review import ReviewInput


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument(
        "--max-comments", type=int, default=25, metavar="N", help="at most N new inline comments per run; the rest go into the summary (default: 25)"
    )
    parser.add_argument(
        "--code-quality", type=output_file, metavar="FILE", help="also write the GitLab Code Quality report to FILE (the job's codequality artifact)"
    )
    parser.add_argument("--dry-run", action="store_true", help="check and print the summary; post nothing")
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM pass for judgment rules")
    add_governance_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from codex.problems import Problem, ProblemError
    from codex.ruleset_source import ConfigError
    from codex_cli.commands._ruleset_and_history import history_to_record, record_history
    from reviewer.check import CheckOptions, run_check
    from reviewer.exclusion import AttributesAt
    from reviewer.formatters import get_formatter
    from reviewer.platforms import detect
    from reviewer.platforms.merge_request import merge_diff, rules_at
    from reviewer.platforms.review import Outcome, ReviewInput, explain_unlinked, link_rfcs, summary_body

    root = find_root(args.root)
    mr = detect(os.environ)
    if mr is None:
        raise ProblemError(
            Problem(
                message="no merge request to review: this is neither a GitHub Actions pull_request run nor a GitLab merge request pipeline",
                hint="use `codex check` elsewhere",
                kind="usage",
            )
        )
    diff = merge_diff(root, mr)
    try:
        base_rules = rules_at(root, mr.base_sha)
    except ConfigError:
        raise  # a configuration mistake is exit 2, not a broken codex to fail open on
    except ProblemError as exc:  # fail open on a broken target-branch ruleset, unless --strict
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"codex review: no usable ruleset on the target branch, nothing was checked; "
            f"{'failing (--strict)' if args.strict else 'not blocking by itself (use --strict to fail)'}",
            file=sys.stderr,
        )
        return 2 if args.strict else 0
    if base_rules.problems:
        print(f"codex review: {base_rules.problems[0]}", file=sys.stderr)
    config = base_rules.config  # the target branch's settings, like its rules
    history = history_to_record(root, config, args.no_history)
    report = run_check(
        base_rules.ruleset,
        diff.changes.excluding(config.rfcs),
        CheckOptions.configured(
            config,
            root,
            use_llm=not args.no_llm,
            ruleset_origin=base_rules.origin,
            today=args.today,
            trust_llm_base_url=True,
            attributes_from=AttributesAt(root, mr.base_sha),
        ),
    )  # the merge request cannot mark its own files generated
    report.errors[:0] = base_rules.problems
    record_history(history, root, report, "review")
    if base_rules.own:
        report = link_rfcs(report, mr.files_url, mr.base_sha, base_rules.shipped_rfcs)
    report = explain_unlinked(report, base_rules.ruleset)
    get_formatter("text", base_rules.ruleset).write(report, sys.stdout)
    if args.code_quality:
        with args.code_quality.open("w", encoding="utf-8") as out:
            get_formatter("gitlab", base_rules.ruleset, path_prefix=repo_prefix(root), docs_url=config.docs_url).write(report, out)
    notes = _rule_notes(root, base_rules) if diff.touches(config.rfcs, config.rules) else []
    review = ReviewInput(report, diff, base_rules.origin, notes, args.max_comments)
    if args.dry_run:
        print(summary_body(review, Outcome()))
    elif mr.token is None:
        print(f"codex review: nothing posted: no API token (set {mr.token_name})", file=sys.stderr)
    else:
        _post(mr, review)
    return report.exit_code


def _rule_notes(root: Path, base_rules: BaseRules) -> list[str]:
    """What this merge request changes in the rules, compared with the target branch's (its RFCs compiled
    without importing a matcher class they name: code of the merge request never runs)."""
    from codex.config import load_config
    from codex.problems import ProblemError
    from codex.ruleset_source import load_active
    from reviewer.platforms.merge_request import rule_changes

    try:
        return rule_changes(base_rules.ruleset, load_active(root, load_config(root), import_classes=False).ruleset)
    except ProblemError as exc:
        return [f"- this merge request's RFCs do not compile: {p}" for p in exc.problems]


def _post(mr: MergeRequest, review: ReviewInput) -> None:
    from reviewer.platforms import connect, redact
    from reviewer.platforms.review import publish

    platform, api_errors = connect(mr)
    outcome = publish(platform, review, api_errors)
    print(
        f"codex review: {len(outcome.posted)} new comment(s), {len(outcome.kept)} already there, "
        f"{outcome.resolved} closed as fixed, {len(outcome.unposted)} in the summary only"
    )
    for error in outcome.errors:
        print(redact(f"codex review: {mr.platform} API error (the check result stands): {error}", mr), file=sys.stderr)
