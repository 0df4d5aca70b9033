"""``codex rules``: every rule of the active ruleset with the stages in force today (or on --today)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import TypedDict

from codex_cli.commands._common import add_root, add_today, find_root


class _Row(TypedDict):
    """One rule, as --format json prints it."""

    rule_id: str
    title: str
    rfc: str
    link: str
    severity: str
    matcher: str
    stage: str
    stages: list[str]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    add_today(parser)
    parser.add_argument("--format", default="text", choices=["text", "json"], help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from codex.config import load_config
    from codex.ruleset_source import load_active
    from reviewer.rollout import describe

    root = find_root(args.root)
    loaded = load_active(root, load_config(root), stale_ok=True)
    today = args.today or dt.date.today()
    rows: list[_Row] = [
        {
            "rule_id": r.id,
            "title": r.title,
            "rfc": r.rfc.id,
            "link": r.rfc.link,
            "severity": r.severity.value,
            "matcher": r.matcher.kind,
            "stage": r.stage.value,
            "stages": describe(r, today),
        }
        for r in loaded.ruleset.rules
    ]
    for problem in loaded.problems:
        print(problem, file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"date": today.isoformat(), "origin": loaded.origin, "rules": rows}, indent=2))
        return 0
    table = Table(title=f"codex rules — {escape(loaded.origin)}, stages in force on {today.isoformat()}")
    for column in ("rule", "RFC", "severity", "matcher", "stages"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["rule_id"], f"{row['rfc']} {escape(row['title'])}", row["severity"], row["matcher"], escape("\n".join(row["stages"])))
    Console(highlight=False, soft_wrap=True).print(table)
    return 0
