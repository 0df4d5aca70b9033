"""Run history: what each check found, per rule and per repository, so rollouts can be judged on evidence."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from reviewer.finding import Report
from reviewer.history.backends import Backend, HistoryUnavailable
from reviewer.history.migrations import MIGRATIONS, SCHEMA_VERSION_TABLE
from reviewer.history.origin import RunOrigin
from reviewer.stats import RunStats

T = TypeVar("T")
GRACE = 0.5  # seconds past the timeout a record or read may take, so a step's own timeout can say which step it was

_STATUS = """
WITH scoped AS (SELECT id, at, COALESCE(repository, '') AS repository FROM runs WHERE CAST(? AS TEXT) IS NULL OR repository = ?),
     tallies AS (SELECT f.run_id, f.rule_id, COUNT(*) AS hits, COUNT(*) FILTER (WHERE f.overridden) AS overridden
                 FROM findings f JOIN scoped s ON s.id = f.run_id GROUP BY f.run_id, f.rule_id)
SELECT r.rule_id, COUNT(*), COUNT(DISTINCT s.repository), COUNT(*) FILTER (WHERE r.held),
       COUNT(*) FILTER (WHERE NOT r.held AND COALESCE(t.overridden, 0) = 0),
       CAST(COALESCE(SUM(t.hits), 0) AS BIGINT), CAST(COALESCE(SUM(t.overridden), 0) AS BIGINT), MAX(s.at)
FROM rule_runs r JOIN scoped s ON s.id = r.run_id LEFT JOIN tallies t ON t.run_id = r.run_id AND t.rule_id = r.rule_id
WHERE r.files_seen > 0
GROUP BY r.rule_id
"""


@dataclass(frozen=True)
class RuleStatus:
    """A rule's record over every run in which it saw at least one file."""

    rule_id: str
    runs: int
    repositories: int  # the runs came from this many repositories (runs from an unknown one count as one)
    held_runs: int
    clean_runs: int  # neither held by the health guard nor overridden
    hits: int
    overridden: int
    last_run: str

    @property
    def override_rate(self) -> float:
        return self.overridden / self.hits if self.hits else 0.0


class History:
    """One history interface over either backend; every driver failure becomes ``HistoryUnavailable``."""

    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def description(self) -> str:
        return self.backend.description

    def record(self, report: Report, origin: RunOrigin, command: str, now: dt.datetime | None = None) -> int:
        """Append one run with its findings and per-rule counts, within the deadline; returns the run's id."""
        stats = report.stats
        if not isinstance(stats, RunStats):
            raise TypeError("only the report of a check run is recorded, not a merged one")
        return self._within_deadline(lambda: self._record(report, stats, origin, command, now))

    def _record(self, report: Report, stats: RunStats, origin: RunOrigin, command: str, now: dt.datetime | None) -> int:
        held = set(stats.governance.held)
        at = self.backend.timestamp(now or dt.datetime.now(dt.UTC))
        with self._connection() as connection:
            self._migrate(connection)
            with self.backend.transaction(connection, migrating=False) as cursor:
                cursor.execute(
                    self._sql(
                        "INSERT INTO runs (at, command, ruleset, mode, files_checked, blocking, repository, pipeline)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                    ),
                    (at, command, stats.ruleset.version, stats.mode, stats.files_checked, len(report.blocking), origin.repository, origin.pipeline),
                )
                run_id = cursor.fetchone()[0]
                cursor.executemany(
                    self._sql("INSERT INTO rule_runs (run_id, rule_id, files_seen, files_hit, held) VALUES (?, ?, ?, ?, ?)"),
                    [(run_id, rule_id, counts.files_seen, counts.files_hit, rule_id in held) for rule_id, counts in stats.governance.rules.items()],
                )
                cursor.executemany(
                    self._sql("INSERT INTO findings (run_id, rule_id, fingerprint, path, line, stage, overridden, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                    [(run_id, f.rule_id, f.fingerprint, f.path, f.line, f.stage.value, f.overridden, f.override_reason) for f in report.findings],
                )
        return run_id

    def rule_statuses(self, repository: str | None = None) -> list[RuleStatus]:
        """Per rule, its record over every run (of ``repository`` alone when given), within the deadline. A read writes
        nothing (a read-only role will do): a schema older than this codex's is a ``HistoryUnavailable`` saying so."""
        if not self.backend.exists():
            return []
        rows = self._within_deadline(lambda: self._read_statuses(repository))
        statuses = [
            RuleStatus(rule_id, runs, repositories, held_runs, clean_runs, hits, overridden, self.backend.read_time(last_run))
            for rule_id, runs, repositories, held_runs, clean_runs, hits, overridden, last_run in rows
        ]
        return sorted(statuses, key=lambda s: s.rule_id)

    def _read_statuses(self, repository: str | None) -> list[tuple[Any, ...]]:
        with self._connection() as connection, self.backend.read_only(connection) as cursor:
            tables = self.backend.tables(cursor)
            if "runs" not in tables:
                return []  # nothing recorded yet
            if "schema_version" in tables:
                cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                version = cursor.fetchone()[0]
            else:
                version = 0  # written before schema versions were kept
            if version != len(MIGRATIONS):
                raise HistoryUnavailable(_version_problem(version))
            cursor.execute(self._sql(_STATUS), (repository, repository))
            return list(cursor.fetchall())

    def _within_deadline(self, work: Callable[[], T]) -> T:
        """``work`` on a thread of its own, given up after the timeout (and a moment's grace): a host name that resolves
        to several silent addresses costs one timeout, not one per address. An abandoned thread holds nothing anyone
        waits for (its connection goes with the process)."""
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(work())
            except BaseException as exc:  # handed to the caller as it is
                done.set_exception(exc)

        threading.Thread(target=run, name="codex-history", daemon=True).start()
        try:
            return done.result(timeout=self.backend.timeout + GRACE)
        except TimeoutError:
            raise HistoryUnavailable(f"no answer within {self.backend.timeout:g} s") from None

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection; a driver error (connecting or later) as ``HistoryUnavailable``."""
        try:
            with self.backend.connect() as connection:
                yield connection
        except HistoryUnavailable:
            raise
        except Exception as exc:
            if (failure := self.backend.failure(exc)) is None:
                raise
            raise failure from None

    def _migrate(self, connection: Any) -> None:
        """Apply the migrations this history lacks, in one transaction under the backend's lock, so that concurrent
        first runs create the schema once."""
        with self.backend.transaction(connection, migrating=True) as cursor:
            cursor.execute(SCHEMA_VERSION_TABLE.format(**self.backend.types))
            cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            current = cursor.fetchone()[0]
            if current > len(MIGRATIONS):
                raise HistoryUnavailable(_version_problem(current))
            now = self.backend.timestamp(dt.datetime.now(dt.UTC))
            for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in statements:
                    cursor.execute(statement.format(**self.backend.types))
                cursor.execute(self._sql("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"), (version, now))

    def _sql(self, query: str) -> str:
        return self.backend.sql(query)


def _version_problem(version: int) -> str:
    needed = len(MIGRATIONS)
    if version > needed:
        return f"its schema is version {version}, newer than this codex knows ({needed}); upgrade codex"
    return f"schema version {version}, this codex needs {needed}: run a check to migrate"
