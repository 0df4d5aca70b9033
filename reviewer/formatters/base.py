"""The formatter interface, and how every format names a finding's RFC."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TextIO

from codex.model import Ruleset, Stage
from reviewer.finding import Finding, Report


class Formatter(ABC):
    def __init__(self, ruleset: Ruleset | None = None, *, path_prefix: str = "", docs_url: str | None = None) -> None:
        """``ruleset``, when given, is the one that judged the report (rule metadata for SARIF); ``path_prefix`` is where
        the checked root lies in its repository (``services/api/``; empty at the top), for the formats a platform reads
        with repository-relative paths; ``docs_url`` is where the configuration says a ``codex docs`` catalog is."""
        self.ruleset = ruleset
        self.path_prefix = path_prefix
        self.docs_url = docs_url

    @abstractmethod
    def write(self, report: Report, out: TextIO) -> None:
        """Write the whole report to ``out``."""

    def repo_path(self, path: str) -> str:
        """A report path (relative to the checked root) relative to the repository's top instead."""
        return self.path_prefix + path


def shown(report: Report) -> list[Finding]:
    """The findings a user sees: shadow-stage ones are recorded, never shown."""
    return [f for f in report.findings if f.stage is not Stage.shadow]


def with_reason(text: str, f: Finding, separator: str = "\n", escape: Callable[[str], str] = str) -> str:
    """``text`` followed by the model's one-sentence reason (findings of the LLM pass), through ``escape``; other
    findings' text unchanged."""
    return f"{text}{separator}Model's reason: {escape(f.reason)}" if f.reason else text


def explain_command(f: Finding) -> str | None:
    """How to read the finding's rule in full on one's own machine (None for codex's own findings about overrides)."""
    return None if f.engine == "codex" else f"codex explain {f.rule_id}"


def why(f: Finding) -> str:
    """The finding's RFC in plain text: id and title, then its web address; without one, ``codex explain``. Never a
    file path: the RFC file is not in the reader's repository, nor on the reader's machine."""
    named = f"{f.rfc.id} {f.rfc.title}"
    if f.rfc.web_url:
        return f"{named} — {f.rfc.web_url}"
    command = explain_command(f)
    return f"{named} (`{command}` explains it)" if command else named
