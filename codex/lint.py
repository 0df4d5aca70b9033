"""The base of libcst matchers, in the style of Fixit's LintRule.

A matcher is a ``BatchableCSTVisitor``: the engine parses a file once and visits it with every
matcher batched. Positions are computed after the visit and only for a file where a node was flagged:
most files have none, and positions cost about as much as the visit. The class docstring documents it; its rule id, message and examples come from
the RFC that names it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst
from libcst.metadata import ProviderT


@dataclass(frozen=True)
class Sighting:
    """What CPython's ``ast`` saw in a file, for the screens: about 10x cheaper than a libcst parse."""

    modules: frozenset[str]  # every module imported (``a.b`` gives ``a`` and ``a.b``), at any depth
    bound: frozenset[tuple[str, str]]  # (module, local name) for each ``from module import x [as name]``
    calls: frozenset[str]  # the last name of every callee: ``get`` for ``x.y.get(...)`` and for ``get(...)``
    nodes: frozenset[str]  # the ast node types present

    @classmethod
    def of(cls, tree: ast.AST) -> Sighting:
        modules: set[str] = set()
        bound: set[tuple[str, str]] = set()
        calls: set[str] = set()
        nodes: set[str] = set()
        for node in ast.walk(tree):
            nodes.add(type(node).__name__)
            if isinstance(node, ast.Call):
                func = node.func
                calls.add(func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else "")
            elif isinstance(node, ast.Import):
                modules |= {prefix for alias in node.names for prefix in _prefixes(alias.name)}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules |= _prefixes(node.module)
                bound |= {(node.module, alias.asname or alias.name) for alias in node.names}
        return cls(frozenset(modules), frozenset(bound), frozenset(calls), frozenset(nodes))


def _prefixes(dotted: str) -> set[str]:
    parts = dotted.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts) + 1)}


@dataclass(frozen=True)
class Screen:
    """What a file must contain for a rule to flag anything in it; a file without it never reaches libcst.

    ``modules``: it imports one of them or a submodule (``import m``, ``import m.x as y``, ``from m.x import z``).
    ``calls``: it calls a callee whose last name is one of them (``get`` in ``a.b.get(...)``), or a name it imports
    from those modules (``fetch`` after ``from requests import get as fetch``). ``nodes``: it has an ast node of
    one of these types. An empty part asks nothing.
    """

    modules: frozenset[str] = frozenset()
    calls: frozenset[str] = frozenset()
    nodes: frozenset[str] = frozenset()

    def passes(self, seen: Sighting) -> bool:
        if self.modules and not self.modules & seen.modules:
            return False
        if self.calls:
            imported = {name for module, name in seen.bound if _prefixes(module) & self.modules}
            if not (self.calls | imported) & seen.calls:
                return False
        return not self.nodes or bool(self.nodes & seen.nodes)


class LintRule(cst.BatchableCSTVisitor):
    """Declare in ``METADATA_DEPENDENCIES`` the metadata the rule reads (positions are not needed to report),
    and in ``SCREEN`` what a file must contain for the rule to flag anything (None: every file is visited)."""

    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = ()
    SCREEN: ClassVar[Screen | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.flagged: list[tuple[cst.CSTNode, str | None]] = []

    def report(self, node: cst.CSTNode, message: str | None = None) -> None:
        """Flag ``node``; the engine finds its position after the visit, only in files where something was flagged."""
        self.flagged.append((node, message))
