"""The base of libcst matchers, in the style of Fixit's LintRule.

A matcher is a ``BatchableCSTVisitor``: the engine parses a file once and visits it with every
matcher batched. Positions are computed after the visit and only for a file where a node was flagged:
most files have none, and positions cost about as much as the visit. The class docstring documents it; its rule id, message and examples come from
the RFC that names it.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from libcst.metadata import ProviderT


class LintRule(cst.BatchableCSTVisitor):
    """Declare in ``METADATA_DEPENDENCIES`` the metadata the rule reads (positions are not needed to report)."""

    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.flagged: list[tuple[cst.CSTNode, str | None]] = []

    def report(self, node: cst.CSTNode, message: str | None = None) -> None:
        """Flag ``node``; the engine finds its position after the visit, only in files where something was flagged."""
        self.flagged.append((node, message))
