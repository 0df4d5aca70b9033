"""The LLM answer cache ages: an entry unused for the configured days is dropped when answers are next stored,
a hit counts as a use, and a file written before entries aged opens and keeps its answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reviewer.llm.cache import FILENAME, AnswerCache, CachedFinding

DAY = 86_400.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def run(directory: Path, clock: Clock, asked: list[str], answered: dict[str, list[CachedFinding]]) -> dict:
    """One LLM pass's use of the cache: open it, look ``asked`` up, store the new answers, close it."""
    cache = AnswerCache(directory, 30, clock)
    found = {key: cache.get(key) for key in asked}
    cache.put(answered)
    cache.close()
    return found


def test_an_entry_unused_past_the_limit_is_gone_after_the_next_put(tmp_path) -> None:
    clock = Clock()
    run(tmp_path, clock, [], {"old": [(1, "why", "high")], "recent": []})
    clock.now += 20 * DAY
    run(tmp_path, clock, [], {"new": []})
    clock.now += 11 * DAY  # "old" unused for 31 days, "new" for 11
    assert run(tmp_path, clock, [], {}) == {}
    assert run(tmp_path, clock, ["old", "recent", "new"], {}) == {"old": None, "recent": None, "new": []}


def test_a_recently_used_old_entry_survives(tmp_path) -> None:
    clock = Clock()
    run(tmp_path, clock, [], {"hit": [(2, "why", "medium")], "unused": []})
    clock.now += 25 * DAY
    assert run(tmp_path, clock, ["hit"], {}) == {"hit": [(2, "why", "medium")]}
    clock.now += 10 * DAY  # written 35 days ago, hit 10 days ago
    run(tmp_path, clock, [], {})
    assert run(tmp_path, clock, ["hit", "unused"], {}) == {"hit": [(2, "why", "medium")], "unused": None}


def test_a_file_of_the_previous_schema_opens_and_its_entries_age_from_then(tmp_path) -> None:
    with sqlite3.connect(tmp_path / FILENAME) as db:  # as codex wrote it before entries aged
        db.execute("CREATE TABLE answers (key TEXT PRIMARY KEY, findings TEXT NOT NULL)")
        db.execute("INSERT INTO answers VALUES ('kept', '[[3, \"why\", \"high\"]]')")
    db.close()
    clock = Clock()
    run(tmp_path, clock, [], {})  # migrated: its entries count as used now
    clock.now += 29 * DAY
    run(tmp_path, clock, [], {})
    assert run(tmp_path, clock, ["kept"], {}) == {"kept": [(3, "why", "high")]}
    clock.now += 31 * DAY
    run(tmp_path, clock, [], {})
    assert run(tmp_path, clock, ["kept"], {}) == {"kept": None}
