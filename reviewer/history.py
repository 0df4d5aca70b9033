"""Run history in SQLite: what each check found, per rule, so rollouts can be judged on evidence."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from codex.governance_config import make_private_dir
from codex.problems import Problem, ProblemError
from reviewer.finding import Report
from reviewer.stats import RunStats

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, command TEXT NOT NULL, ruleset TEXT, mode TEXT,
    files_checked INTEGER NOT NULL, blocking INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rule_runs (
    run_id INTEGER NOT NULL REFERENCES runs(id), rule_id TEXT NOT NULL, files_seen INTEGER NOT NULL,
    files_hit INTEGER NOT NULL, held INTEGER NOT NULL, PRIMARY KEY (run_id, rule_id));
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER NOT NULL REFERENCES runs(id), rule_id TEXT NOT NULL, fingerprint TEXT NOT NULL, path TEXT NOT NULL,
    line INTEGER NOT NULL, stage TEXT NOT NULL, overridden INTEGER NOT NULL, reason TEXT);
CREATE INDEX IF NOT EXISTS findings_rule ON findings (rule_id, run_id);
"""

_STATUS = """
SELECT r.rule_id, COUNT(*) AS runs,
       SUM(r.held) AS held_runs,
       SUM(r.held = 0 AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.run_id = r.run_id AND f.rule_id = r.rule_id AND f.overridden)) AS clean_runs,
       (SELECT COUNT(*) FROM findings f WHERE f.rule_id = r.rule_id) AS hits,
       (SELECT COUNT(*) FROM findings f WHERE f.rule_id = r.rule_id AND f.overridden) AS overridden,
       MAX(u.at) AS last_run
FROM rule_runs r JOIN runs u ON u.id = r.run_id
WHERE r.files_seen > 0
GROUP BY r.rule_id ORDER BY r.rule_id
"""


@dataclass(frozen=True)
class RuleStatus:
    """A rule's record over every run in which it saw at least one file."""

    rule_id: str
    runs: int
    held_runs: int
    clean_runs: int  # neither held by the health guard nor overridden
    hits: int
    overridden: int
    last_run: str

    @property
    def override_rate(self) -> float:
        return self.overridden / self.hits if self.hits else 0.0


def history_path(root: Path, configured: str) -> Path:
    path = Path(configured)
    return path if path.is_absolute() else root / path


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30)
    connection.executescript(_SCHEMA)
    return connection


def record(path: Path, report: Report, command: str, now: dt.datetime | None = None) -> int:
    """Append one run with its findings and per-rule counts; returns the run's id."""
    make_private_dir(path.parent)
    stats = report.stats
    if not isinstance(stats, RunStats):
        raise TypeError("only the report of a check run is recorded, not a merged one")
    held = set(stats.governance.held)
    at = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    with closing(_connect(path)) as db, db:
        run_id = db.execute("INSERT INTO runs (at, command, ruleset, mode, files_checked, blocking) VALUES (?, ?, ?, ?, ?, ?)",
                            (at, command, stats.ruleset.version, stats.mode, stats.files_checked, len(report.blocking))).lastrowid
        db.executemany("INSERT INTO rule_runs VALUES (?, ?, ?, ?, ?)",
                       [(run_id, rule_id, counts.files_seen, counts.files_hit, rule_id in held)
                        for rule_id, counts in stats.governance.rules.items()])
        db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [(run_id, f.rule_id, f.fingerprint, f.path, f.line, f.stage.value, f.overridden, f.override_reason)
                        for f in report.findings])
    return run_id


def rule_statuses(path: Path) -> list[RuleStatus]:
    if not path.is_file():
        return []
    try:
        with closing(_connect(path)) as db:
            return [RuleStatus(*row) for row in db.execute(_STATUS)]
    except sqlite3.Error as exc:
        raise ProblemError([Problem(path=str(path), message=f"cannot read the run history: {exc}",
                                    hint="point --history at a file `codex check` wrote, or delete it to start afresh", kind="config")])
