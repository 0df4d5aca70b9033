"""The base of tree-sitter matchers, in the style of Fixit's LintRule (codex/lint.py is libcst's).

A matcher is a class with ``visit_<node type>`` methods. The engine (reviewer/engines/treesitter.py) parses
a file once, finds the nodes every matcher of the file wants with one tree-sitter query, and hands each
matcher its nodes in source order. ``PATTERNS`` narrows which nodes of a type a matcher is given, with
tree-sitter's own query language, so nodes it would pass over never reach Python; ``WORDS`` lets the query
look only where those words occur instead of over the whole tree. The class docstring
documents it; its rule id, message and examples come from the RFC that names it. Only ``tree_sitter`` types
are touched here, never imported: a matcher module stays cheap to load.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from tree_sitter import Node


class TreeSitterRule:
    """Set ``LANGUAGE`` (a grammar the engine knows) and define ``visit_<node type>(node)`` methods; optionally
    ``PATTERNS``, for a visited type, a query pattern that starts with ``(<that type>`` (predicates inside its
    parentheses, e.g. ``(call_expression function: (identifier) @f (#eq? @f "panic"))``): only the nodes it
    matches are visited. Every node of a type without a pattern is. ``WORDS``: set it only when every node the class
    visits contains one of these words in its text (as CX0001's calls contain ``unwrap`` or ``expect``); the engine
    then searches just the parts of the tree around them, and files without any not at all."""

    LANGUAGE: ClassVar[str]
    PATTERNS: ClassVar[Mapping[str, str]] = {}
    WORDS: ClassVar[tuple[str, ...]] = ()  # empty: the whole tree is searched

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.flagged: list[tuple[Node, Node, str | None]] = []  # (where the finding starts, where it ends, message)

    @classmethod
    def node_types(cls) -> tuple[str, ...]:
        return tuple(sorted(name.removeprefix("visit_") for name in dir(cls) if name.startswith("visit_")))

    @classmethod
    @functools.cache  # per class: the engine asks for every file
    def patterns(cls) -> tuple[tuple[str, str], ...]:
        """(node type, the query pattern finding the nodes its ``visit_`` method is given) for every visited type;
        ValueError for a pattern of a type the class does not visit, or one that does not start with its type."""
        types = cls.node_types()
        for node_type, pattern in cls.PATTERNS.items():
            if node_type not in types:
                raise ValueError(f"PATTERNS names {node_type}, which {cls.__name__} has no visit_{node_type} method for")
            if not re.match(rf"\(\s*{re.escape(node_type)}[\s)]", pattern):
                raise ValueError(f"the pattern for {node_type} must start with ({node_type}: {pattern}")
        return tuple((t, cls.PATTERNS.get(t, f"({t})")) for t in types)

    def report(self, node: Node, message: str | None = None, end: Node | None = None) -> None:
        """Flag ``node`` (the finding's line and column); it spans to the end of ``end`` when given."""
        self.flagged.append((node, end or node, message))

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")
