"""Answers already paid for: sqlite in the cache directory, one entry per (model, prompt, rule, hunk).

Each entry records when it was last used (written, or hit); entries unused for longer than the configured age
are dropped whenever answers are stored, so the file does not grow forever.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from codex.model import Rule
from reviewer.llm import prompt
from reviewer.llm.hunks import Hunk
from reviewer.llm.schema import Confidence

CachedFinding = tuple[int, str, Confidence]  # line offset in the hunk, reason, confidence

FILENAME = "llm.sqlite"


def rule_hash(rule: Rule) -> str:
    """What the rule finds and what the model is told about it."""
    return hashlib.sha256(f"{rule.content_hash()}\n{prompt.render_rule(rule)}".encode()).hexdigest()


def cache_key(model: str, rule: Rule, hunk: Hunk, context: tuple[Hunk, ...] = ()) -> str:
    """The entry of one rule on one hunk, as judged with the helpers in ``context`` shown (``reviewer.llm.helpers``)."""
    parts = (model, prompt.PROMPT_VERSION, rule_hash(rule), hunk.content_hash, *(c.content_hash for c in context))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class AnswerCache:
    """``get``/``put`` the kept findings of one rule on one hunk, as (line offset in the hunk, reason, confidence).

    ``put`` also marks the entries ``get`` returned as used now, and drops those unused for ``max_age_days``.
    """

    def __init__(self, directory: Path, max_age_days: float = 30, clock: Callable[[], float] = time.time):
        directory.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(directory / FILENAME, check_same_thread=False, timeout=10)
        self._lock = threading.Lock()
        self._max_age = max_age_days * 86_400  # seconds
        self._clock = clock
        self._hits: set[str] = set()
        with self._lock, self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, findings TEXT NOT NULL, used REAL NOT NULL)")
            if "used" not in {column[1] for column in self._db.execute("PRAGMA table_info(answers)")}:  # made before entries aged
                self._db.execute("ALTER TABLE answers ADD COLUMN used REAL NOT NULL DEFAULT 0")
                self._db.execute("UPDATE answers SET used = ?", (clock(),))

    def get(self, key: str) -> list[CachedFinding] | None:
        with self._lock:
            row = self._db.execute("SELECT findings FROM answers WHERE key = ?", (key,)).fetchone()
            if row is not None:
                self._hits.add(key)
        return None if row is None else [(int(offset), str(reason), _confidence(level)) for offset, reason, level in json.loads(row[0])]

    def put(self, entries: dict[str, list[CachedFinding]]) -> None:
        now = self._clock()
        with self._lock, self._db:
            self._db.executemany("UPDATE answers SET used = ? WHERE key = ?", [(now, key) for key in self._hits])
            self._db.executemany(
                "INSERT OR REPLACE INTO answers (key, findings, used) VALUES (?, ?, ?)", [(key, json.dumps(found), now) for key, found in entries.items()]
            )
            self._db.execute("DELETE FROM answers WHERE used < ?", (now - self._max_age,))
            self._hits.clear()

    def close(self) -> None:
        self._db.close()


def _confidence(level: object) -> Confidence:
    if level not in ("high", "medium"):
        raise ValueError(f"not a kept confidence: {level!r}")  # a damaged entry: a miss
    return level
