"""The static engines. Each returns raw matches per file; the caller turns them into findings."""

from __future__ import annotations

from typing import NamedTuple


class Match(NamedTuple):
    """One place a rule matched in one file: what an engine finds and what the result cache keeps."""

    rule_id: str
    line: int
    end_line: int
    column: int
    message: str | None
    engine: str
    fix: str | None = None  # lines line..end_line as the rule's fix rewrites them, when it has one
