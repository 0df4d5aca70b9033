"""The base of tree-sitter matchers, in the style of Fixit's LintRule (codex/lint.py is libcst's).

A matcher is a class with ``visit_<node type>`` methods. The engine (reviewer/engines/treesitter.py) parses
a file once, finds the nodes of every type the file's matchers visit with one tree-sitter query, and hands
each matcher its nodes in source order. The class docstring documents it; its rule id, message and examples
come from the RFC that names it. Only ``tree_sitter`` types are touched here, never imported: a matcher
module stays cheap to load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from tree_sitter import Node


class TreeSitterRule:
    """Set ``LANGUAGE`` (a grammar the engine knows) and define ``visit_<node type>(node)`` methods."""

    LANGUAGE: ClassVar[str]

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.flagged: list[tuple[Node, Node, str | None]] = []  # (where the finding starts, where it ends, message)

    @classmethod
    def node_types(cls) -> tuple[str, ...]:
        return tuple(sorted(name.removeprefix("visit_") for name in dir(cls) if name.startswith("visit_")))

    def report(self, node: Node, message: str | None = None, end: Node | None = None) -> None:
        """Flag ``node`` (the finding's line and column); it spans to the end of ``end`` when given."""
        self.flagged.append((node, end or node, message))

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")
