"""Answers already paid for: sqlite in the cache directory, one entry per (model, prompt, rule, hunk)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

from codex.model import Rule
from reviewer.llm import prompt
from reviewer.llm.hunks import Hunk

FILENAME = "llm.sqlite"


def rule_hash(rule: Rule) -> str:
    """What the rule finds and what the model is told about it."""
    return hashlib.sha256(f"{rule.content_hash()}\n{prompt.render_rule(rule)}".encode()).hexdigest()


def cache_key(model: str, rule: Rule, hunk: Hunk) -> str:
    return hashlib.sha256("\x1f".join((model, prompt.PROMPT_VERSION, rule_hash(rule), hunk.content_hash)).encode()).hexdigest()


class AnswerCache:
    """``get``/``put`` the kept findings of one rule on one hunk, as (line offset in the hunk, reason) pairs."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(directory / FILENAME, check_same_thread=False, timeout=10)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, findings TEXT NOT NULL)")

    def get(self, key: str) -> list[tuple[int, str]] | None:
        with self._lock:
            row = self._db.execute("SELECT findings FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else [(int(offset), str(reason)) for offset, reason in json.loads(row[0])]

    def put(self, entries: dict[str, list[tuple[int, str]]]) -> None:
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO answers (key, findings) VALUES (?, ?)",
                                 [(key, json.dumps(found)) for key, found in entries.items()])

    def close(self) -> None:
        self._db.close()
