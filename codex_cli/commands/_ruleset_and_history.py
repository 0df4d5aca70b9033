"""What `codex check` and `codex review` share for governance: the date, fail-stale loading, recording history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from codex_cli.commands._common import add_today

if TYPE_CHECKING:
    from codex.config import CodexConfig
    from codex.ruleset_source import LoadedRuleset
    from reviewer.finding import Report


def add_governance_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true", help="exit 2 when no usable ruleset exists (default: report it and exit 0)")
    add_today(parser)
    parser.add_argument("--no-history", action="store_true", help="do not record this run in the history file")


def load_or_fail_open(root: Path, config: "CodexConfig", strict: bool) -> "LoadedRuleset | None":
    """The active ruleset, stale if rfcs/ does not compile; ``None`` (problems printed) when there is none at all."""
    from codex.problems import ProblemError
    from codex.ruleset_source import ConfigError, load_active

    try:
        loaded = load_active(root, config, stale_ok=True)
    except ConfigError:
        raise  # a configuration mistake is exit 2, not a broken codex to fail open on
    except ProblemError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        verdict = "failing (--strict)" if strict else "not blocking by itself (use --strict to fail)"
        print(f"codex: no usable ruleset, nothing was checked; {verdict}", file=sys.stderr)
        return None
    if loaded.problems:
        print(f"codex: {loaded.problems[0]}", file=sys.stderr)
    return loaded


def record_history(root: Path, config: "CodexConfig", report: "Report", command: str, disabled: bool) -> None:
    """Record the run where ``[tool.codex.governance] history`` says; a failure to write is reported, never fatal."""
    import sqlite3

    from reviewer.history import history_path, record

    if disabled or not config.governance.history:
        return
    path = history_path(root, config.governance.history)
    try:
        record(path, report, command)
    except (OSError, sqlite3.Error) as exc:
        print(f"codex: run not recorded in {path}: {exc}", file=sys.stderr)
