"""The base of libcst matchers, in the style of Fixit's LintRule.

A matcher is a ``BatchableCSTVisitor``: the engine parses a file once and visits it with every
matcher batched. The class docstring documents it; its rule id, message and examples come from
the RFC that names it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider, ProviderT


@dataclass(frozen=True)
class Report:
    line: int
    end_line: int
    column: int
    message: str | None


class LintRule(cst.BatchableCSTVisitor):
    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[Report] = []

    def report(self, node: cst.CSTNode, message: str | None = None) -> None:
        pos = self.get_metadata(PositionProvider, node)
        self.reports.append(Report(pos.start.line, pos.end.line, pos.start.column + 1, message))


def load_rule_class(path: str) -> type:
    """Import ``package.module:ClassName`` from installed packages only."""
    module_name, sep, class_name = path.partition(":")
    if not sep or not module_name or not class_name:
        raise ValueError("expected 'package.module:ClassName'")
    return getattr(importlib.import_module(module_name), class_name)
