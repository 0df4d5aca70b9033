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
    from reviewer.history import History


def add_governance_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true", help="exit 2 when no usable ruleset exists (default: report it and exit 0)")
    add_today(parser)
    parser.add_argument("--no-history", action="store_true", help="do not record this run in the run history")


def load_or_fail_open(root: Path, config: CodexConfig, strict: bool) -> LoadedRuleset | None:
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


def history_to_record(root: Path, config: CodexConfig, disabled: bool) -> History | None:
    """The history this run records into (``None``: none); a bad CODEX_HISTORY_URL is a configuration problem,
    raised before anything is checked."""
    from codex.history_location import configured_location

    location = None if disabled else configured_location(config)
    if not location:
        return None
    from reviewer.history import open_history  # here: a run that records nothing never loads sqlite3 and the backends

    return open_history(location, root, config.governance.history_timeout)


def record_history(history: History | None, root: Path, report: Report, command: str) -> None:
    """Record the run; a history that cannot be written (a database down, slow, refusing the credentials) is
    reported and changes nothing else: fail open."""
    if history is None:
        return
    from reviewer.history import HistoryUnavailable, run_origin

    try:
        history.record(report, run_origin(root), command)
    except HistoryUnavailable as exc:
        print(f"codex: run not recorded in {history.description}: {exc}", file=sys.stderr)
