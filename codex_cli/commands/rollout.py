"""``codex rollout status|plan``: each rule's record from run history, and the stage changes it argues for."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from codex_cli.commands._common import add_root, add_today, find_root, output_file

if TYPE_CHECKING:
    from codex.governance_config import GovernanceConfig
    from codex.history_location import HistoryLocation
    from codex.model import Ruleset
    from reviewer.history import RuleStatus


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="per rule: runs, hits, override rate, stage in force")
    plan = actions.add_parser("plan", help="promotions and demotions, as a patch to RFC front matter (apply with `git apply`)")
    for sub in (status, plan):
        add_root(sub)
        sub.add_argument(
            "--history",
            metavar="PATH_OR_URL",
            type=_location,
            help="a SQLite file or a postgresql:// URL (default: CODEX_HISTORY_URL, else [tool.codex.governance] history)",
        )
        sub.add_argument("--repo", type=_repository, help="only the runs of this repository (host/path, or its remote URL)")
        add_today(sub)
    status.add_argument("--format", default="text", choices=["text", "json"], help="output format (default: text)")
    plan.add_argument("--output", "-o", type=output_file, help="write the patch to this file instead of stdout")


def run(args: argparse.Namespace) -> int:
    from codex.config import load_config
    from codex.history_location import configured_location
    from codex.problems import Problem, ProblemError
    from codex.ruleset_source import load_active
    from reviewer.history import HistoryUnavailable, open_history

    root = find_root(args.root)
    config = load_config(root)
    loaded = load_active(root, config, stale_ok=True)
    location = args.history or configured_location(config)
    if location is None:
        raise ProblemError(config.problem(f"no run history is configured ({config.governance.key('history')} is empty)", hint="pass --history PATH_OR_URL"))
    history = open_history(location, root, config.governance.history_timeout)
    try:
        statuses = history.rule_statuses(args.repo)
    except HistoryUnavailable as exc:
        raise ProblemError(
            Problem(
                path=history.description, message=f"cannot read the run history: {exc}", hint="point --history at a history `codex check` wrote", kind="config"
            )
        ) from None
    today = args.today or dt.date.today()
    if not statuses:
        of = f" of {args.repo}" if args.repo else ""
        print(f"codex rollout: no runs{of} recorded in {history.description}; `codex check` records each run there", file=sys.stderr)
    if args.action == "status":
        return _status(loaded.ruleset, statuses, today, args.format)
    return _plan(root, loaded.ruleset, statuses, config.governance, today, args.output)


class _StatusRow(TypedDict):
    """One rule's record, as ``codex rollout status --format json`` prints it."""

    rule_id: str
    runs: int
    repositories: int
    clean_runs: int
    held_runs: int
    hits: int
    overridden: int
    override_rate: float
    last_run: str
    stages: list[str]


def _status(ruleset: Ruleset, statuses: list[RuleStatus], today: dt.date, fmt: str) -> int:
    from rich.console import Console
    from rich.table import Table

    from reviewer.rollout import describe

    rows: list[_StatusRow] = [
        {
            "rule_id": s.rule_id,
            "runs": s.runs,
            "repositories": s.repositories,
            "clean_runs": s.clean_runs,
            "held_runs": s.held_runs,
            "hits": s.hits,
            "overridden": s.overridden,
            "override_rate": round(s.override_rate, 3),
            "last_run": s.last_run,
            "stages": describe(rule, today) if (rule := ruleset.rule(s.rule_id)) else ["not in the active ruleset"],
        }
        for s in statuses
    ]
    if fmt == "json":
        print(json.dumps({"date": today.isoformat(), "rules": rows}, indent=2))
        return 0
    table = Table(title=f"codex rollout status on {today.isoformat()}")
    for column in ("rule", "runs", "repos", "clean", "held", "hits", "overridden", "override rate", "stages"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["rule_id"],
            str(row["runs"]),
            str(row["repositories"]),
            str(row["clean_runs"]),
            str(row["held_runs"]),
            str(row["hits"]),
            str(row["overridden"]),
            f"{row['override_rate']:.0%}",
            "\n".join(row["stages"]),
        )
    Console(highlight=False, soft_wrap=True).print(table)
    return 0


def _plan(root: Path, ruleset: Ruleset, statuses: list[RuleStatus], limits: GovernanceConfig, today: dt.date, output: Path | None) -> int:
    from reviewer.rollout_plan import front_matter_patch, propose

    proposals = propose(ruleset, statuses, limits, today)
    for p in proposals:
        print(f"{p.verb} {p.rule.id} ({p.rule.rfc.path}): {p.current.value} → {p.proposed.value} everywhere — {p.why}", file=sys.stderr)
    if not proposals:
        print("codex rollout plan: no change proposed", file=sys.stderr)
        return 0
    patch, missing = front_matter_patch(root, proposals, today)
    for rel in missing:
        print(f"{rel}: cannot edit its front matter (missing or without one); change its rollout by hand", file=sys.stderr)
    if output:
        output.write_text(patch, encoding="utf-8")
        print(f"codex rollout plan: patch written to {output}; review it, `git apply` it, run `codex compile` and commit", file=sys.stderr)
    else:
        sys.stdout.write(patch)
    return 0


def _location(value: str) -> HistoryLocation:
    from codex.history_location import parse_location

    try:
        return parse_location(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _repository(value: str) -> str:
    from reviewer.history.origin import repository_identity

    return repository_identity(value)
