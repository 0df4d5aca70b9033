"""The history's schema as numbered migrations, applied in order, each once, recorded in ``schema_version``."""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: runs, what each rule saw in a run, the findings (as SQLite histories were written before versions were kept)
    (
        (
            "CREATE TABLE IF NOT EXISTS runs (id {id}, at {time} NOT NULL, command TEXT NOT NULL, ruleset TEXT, mode TEXT,"
            " files_checked INTEGER NOT NULL, blocking INTEGER NOT NULL)"
        ),
        (
            "CREATE TABLE IF NOT EXISTS rule_runs (run_id {ref} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " rule_id TEXT NOT NULL, files_seen INTEGER NOT NULL, files_hit INTEGER NOT NULL, held {flag} NOT NULL,"
            " PRIMARY KEY (run_id, rule_id))"
        ),
        (
            "CREATE TABLE IF NOT EXISTS findings (run_id {ref} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " rule_id TEXT NOT NULL, fingerprint TEXT NOT NULL, path TEXT NOT NULL, line INTEGER NOT NULL, stage TEXT NOT NULL,"
            " overridden {flag} NOT NULL, reason TEXT)"
        ),
        "CREATE INDEX IF NOT EXISTS findings_rule ON findings (rule_id, run_id)",
    ),
    # 2: which repository and which pipeline each run came from, for a history a fleet shares
    (
        "ALTER TABLE runs ADD COLUMN repository TEXT",
        "ALTER TABLE runs ADD COLUMN pipeline TEXT",
        "CREATE INDEX runs_repository ON runs (repository)",
        "CREATE INDEX runs_at ON runs (at)",
    ),
)

SCHEMA_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at {time} NOT NULL)"
