"""The base of libcst matchers, in the style of Fixit's LintRule.

A matcher is a ``BatchableCSTVisitor``: the engine parses a file once and visits it with every
matcher batched. Positions are computed after the visit, for the flagged nodes only (see
reviewer.engines.libcst_positions). The class docstring documents it; its rule id, message and examples come from
the RFC that names it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst
from libcst.metadata import ProviderT, ScopeProvider


@dataclass(frozen=True)
class Sighting:
    """What CPython's ``ast`` saw in a file, for the screens: about 10x cheaper than a libcst parse."""

    imports: frozenset[tuple[str, str, str]]  # (module, name, local): ``import a.b`` gives ("a.b", "", "a"),
    # ``import a.b as c`` ("a.b", "", "c"), ``from a import b as c`` ("a", "b", "c"); at any depth of the file
    nodes: dict[str, list[ast.AST]]  # every node, by type name

    @classmethod
    def of(cls, tree: ast.AST) -> Sighting:
        nodes: dict[str, list[ast.AST]] = {}
        queue = [tree]  # ast.walk's order (breadth first), without its generators: about twice as fast
        for node in queue:
            name = type(node).__name__
            if (found := nodes.get(name)) is None:
                nodes[name] = [node]
            else:
                found.append(node)
            for field in node._fields:
                value = getattr(node, field, None)
                if value.__class__ is list:
                    queue.extend([item for item in value if isinstance(item, ast.AST)])
                elif isinstance(value, ast.AST):
                    queue.append(value)
        imports = {
            (alias.name, "", alias.asname or alias.name.split(".")[0])
            for node in nodes.get("Import", ())
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imports |= {
            (node.module, alias.name, alias.asname or alias.name)
            for node in nodes.get("ImportFrom", ())
            if isinstance(node, ast.ImportFrom) and node.module and not node.level
            for alias in node.names
        }
        return cls(frozenset(imports), nodes)

    def only_imported(self, module: str) -> bool:
        """Is the name ``module`` bound in this file only by ``import <module>`` at module level (and once at least)?
        Then libcst resolves ``<module>.x`` to the qualified name ``<module>.x`` wherever it is read. A star import
        makes it unknown."""
        bindings = [
            alias
            for kind in ("Import", "ImportFrom")
            for node in self.nodes.get(kind, ())
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
            if alias.name == "*" or (alias.asname or alias.name.split(".")[0]) == module
        ]
        at_module_level = {id(alias) for node in _module_level(self.nodes.get("Module", [])) if isinstance(node, ast.Import) for alias in node.names}
        if not bindings or any(alias.name != module or id(alias) not in at_module_level for alias in bindings):
            return False
        return not any(_binds(node, module) for kind in _BINDING for node in self.nodes.get(kind, ()))

    def binders(self, name: str) -> list[ast.AST]:
        """Every node that binds ``name`` anywhere in the file: an import of it (a star import too), an assignment's or a
        loop's target, a parameter, a definition, an exception or a pattern it captures, ``del``, ``global``, ``nonlocal``."""
        imports = [
            node
            for kind in ("Import", "ImportFrom")
            for node in self.nodes.get(kind, ())
            if isinstance(node, (ast.Import, ast.ImportFrom)) and any(a.name == "*" or (a.asname or a.name.split(".")[0]) == name for a in node.names)
        ]
        return imports + [node for kind in _BINDING for node in self.nodes.get(kind, ()) if _binds(node, name)]


# ast nodes that bind a name other than by import
_BINDING = ("Name", "arg", "FunctionDef", "AsyncFunctionDef", "ClassDef", "ExceptHandler", "MatchAs", "MatchStar", "MatchMapping", "Global", "Nonlocal")


def _binds(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Name):
        return node.id == name and not isinstance(node.ctx, ast.Load)
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return name in node.names
    return name in (getattr(node, "name", None), getattr(node, "arg", None), getattr(node, "rest", None))


def _module_level(modules: list[ast.AST]) -> Iterator[ast.stmt]:
    """The statements of the module's own scope: in its body and in the blocks of its compound statements, not in
    functions or classes."""
    pending = [statement for module in modules if isinstance(module, ast.Module) for statement in module.body]
    while pending:
        statement = pending.pop()
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            pending.extend(getattr(statement, field, []))
        pending.extend(inner for block in getattr(statement, "handlers", []) + getattr(statement, "cases", []) for inner in block.body)


def _within(module: str, modules: frozenset[str]) -> bool:
    return any(module == m or module.startswith(f"{m}.") for m in modules)


def _root(node: ast.expr) -> str | None:
    """The name an attribute chain starts from (``a`` for ``a.b.c``); None when it starts elsewhere (a call)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


@dataclass(frozen=True)
class Screen:
    """What a file must contain for a rule to flag anything in it; a file without it never reaches libcst.
    Each part is a necessary condition; an empty part asks nothing.

    ``modules``: the file imports one of them or a submodule (``import m``, ``import m.x as y``, ``from m.x import z``).
    ``calls``: it has a call that can reach them: a name imported from ``modules`` called (``fetch(...)`` after
    ``from requests import get as fetch``), or a method whose name is in ``calls`` on a chain that starts from a
    name imported from ``modules`` (``requests.api.get``, ``r.get``) — or on anything at all once the file calls
    one of ``holders`` (``Session()``, also under an imported alias), whose objects the rule follows.
    ``keyword``: a call passing this keyword with a value other than None, or ``**kwargs``, cannot be flagged.
    ``nodes``: the file has an ast node of one of these types, passing ``node_test`` when one is given.
    """

    modules: frozenset[str] = frozenset()
    calls: frozenset[str] = frozenset()
    holders: frozenset[str] = frozenset()
    keyword: str | None = None
    nodes: frozenset[str] = frozenset()
    node_test: Callable[[ast.AST], bool] | None = None

    def passes(self, seen: Sighting) -> bool:
        imported = [(name, local) for module, name, local in seen.imports if _within(module, self.modules)]
        if self.modules and not imported:
            return False
        if self.calls and not any(self.candidates(seen)):
            return False
        return not self.nodes or any(self.node_test is None or self.node_test(node) for kind in self.nodes for node in seen.nodes.get(kind, ()))

    def candidates(self, seen: Sighting) -> Iterator[ast.Call]:
        """The calls that can reach ``calls`` (see above): every call the rule can flag is one of them."""
        imported = [(name, local) for module, name, local in seen.imports if _within(module, self.modules)]
        return (call for call in seen.nodes.get("Call", ()) if isinstance(call, ast.Call) and self._candidate(call, imported, seen))

    def _candidate(self, call: ast.Call, imported: list[tuple[str, str]], seen: Sighting) -> bool:
        if self.keyword and any(k.arg is None or (k.arg == self.keyword and not _is_none(k.value)) for k in call.keywords):
            return False
        func = call.func
        if isinstance(func, ast.Name):
            return any(func.id == local and name for name, local in imported)
        if not isinstance(func, ast.Attribute) or func.attr not in self.calls:
            return False
        if _root(func) in {local for _, local in imported}:
            return True
        return self._holds(imported, seen)

    def _holds(self, imported: list[tuple[str, str]], seen: Sighting) -> bool:
        """Does the file call a holder (``Session()``, ``requests.session()``, an imported alias of one)?"""
        names = self.holders | {local for name, local in imported if name in self.holders}
        return any(
            (isinstance(f := c.func, ast.Name) and f.id in names) or (isinstance(f, ast.Attribute) and f.attr in names)
            for c in seen.nodes.get("Call", ())
            if isinstance(c, ast.Call)
        )


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


class LintRule(cst.BatchableCSTVisitor):
    """Declare in ``METADATA_DEPENDENCIES`` the metadata the rule reads (positions are not needed to report),
    and in ``SCREEN`` what a file must contain for the rule to flag anything (None: every file is visited).
    A rule that knows a safe fix reports the node with its ``replacement`` (as Fixit's rules do)."""

    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = ()
    SCREEN: ClassVar[Screen | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.flagged: list[tuple[cst.CSTNode, str | None, cst.CSTNode | None]] = []  # (node, message, replacement)

    def report(self, node: cst.CSTNode, message: str | None = None, replacement: cst.CSTNode | None = None) -> None:
        """Flag ``node``; the engine finds its position after the visit, only in files where something was flagged.
        ``replacement``: the node that fixes it, put in ``node``'s place (the finding's ``fix``)."""
        self.flagged.append((node, message, replacement))

    @classmethod
    def decided(cls, seen: Sighting) -> Sequence[tuple[ast.expr | ast.excepthandler, str | None]] | None:
        """The nodes the rule flags and their messages, in the order the visit reports them, when CPython's ``ast`` alone
        settles them exactly as the visit would (then libcst never looks at the file for this rule); None when it does
        not (the default)."""
        return None

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """What ``node`` may name, resolved through imports: exactly what libcst's ``QualifiedNameProvider`` gives it, but
        computed for this node alone (the provider walks the whole module, about as costly as the scope analysis itself).
        Needs ``ScopeProvider`` in ``METADATA_DEPENDENCIES``."""
        scope = self.get_metadata(ScopeProvider, node, None)
        return {q.name for q in scope.get_qualified_names_for(node)} if scope is not None else set()
