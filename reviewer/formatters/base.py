"""The formatter interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TextIO

from codex.model import Ruleset, Stage
from reviewer.finding import Finding, Report


class Formatter(ABC):
    def __init__(self, ruleset: Ruleset | None = None) -> None:
        """``ruleset``, when given, is the one that judged the report (rule metadata for SARIF)."""
        self.ruleset = ruleset

    @abstractmethod
    def write(self, report: Report, out: TextIO) -> None:
        """Write the whole report to ``out``."""


def shown(report: Report) -> list[Finding]:
    """The findings a user sees: shadow-stage ones are recorded, never shown."""
    return [f for f in report.findings if f.stage is not Stage.shadow]


def with_reason(text: str, f: Finding, separator: str = "\n", escape: Callable[[str], str] = str) -> str:
    """``text`` followed by the model's one-sentence reason (findings of the LLM pass), through ``escape``; other
    findings' text unchanged."""
    return f"{text}{separator}Model's reason: {escape(f.reason)}" if f.reason else text
