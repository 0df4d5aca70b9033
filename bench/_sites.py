"""What a labelled candidate site is, shared by the Rust and Python oracles of bench/precision.py."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Verdict = Literal["violation", "ok", "?"]


class Site(BaseModel):
    """One place a rule could fire: the oracle's verdict against the letter of the RFC, and why."""

    rule: str
    path: str
    line: int
    column: int  # 1-based, of the token the finding belongs to (`unwrap`, `except`, the call)
    verdict: Verdict  # "?": the oracle cannot decide; a manual label in bench/labels/ must
    reason: str
    snippet: str


class Label(BaseModel):
    """A manual verdict (bench/labels/*.json) for sites the oracle cannot decide, or overrides after a check by hand."""

    repo: str
    version: str
    path: str
    line: int
    rule: str
    verdict: Literal["violation", "ok"]
    note: str
    column: int | None = None  # only the site at this column; all sites of the rule on the line otherwise
    add: bool = False  # a site the oracle does not find (e.g. a session a helper returns); it must not find it
