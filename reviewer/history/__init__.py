"""Run history in a SQLite file or in PostgreSQL: ``open_history(location, root, timeout)`` gives the one interface."""

from __future__ import annotations

from pathlib import Path

from codex.history_location import HistoryLocation
from reviewer.history.backends import HistoryUnavailable, PostgresBackend, SqliteBackend
from reviewer.history.origin import RunOrigin, repository_identity, run_origin
from reviewer.history.store import History, RuleStatus

__all__ = ["History", "HistoryUnavailable", "RuleStatus", "RunOrigin", "open_history", "repository_identity", "run_origin"]


def open_history(location: HistoryLocation, root: Path, timeout: float) -> History:
    """The history at ``location`` (a SQLite path relative to ``root``); nothing is opened until it is read or written."""
    if location.kind == "postgresql":
        return History(PostgresBackend(location.target, timeout))
    return History(SqliteBackend(location.path(root), timeout))
