"""Outbound HTTP calls through ``requests`` that pass no ``timeout=``, or ``timeout=None``.

Names are resolved through imports, so ``import requests as r; r.get(url)`` and
``from requests import get; get(url)`` are found too. Session methods are found on a session the
code can be seen to hold: ``requests.Session().get(url)``, a name every assignment of which in its
scope is ``requests.Session()`` / ``requests.session()`` (``s = ...``, ``with ... as s``,
``s: T = ...``, ``(s := ...)``), and ``self.<attr>`` when every ``self.<attr> = ...`` in the class
assigns a new session, and a name that receives what a function of the same module returns when
every return of that shape hands out such a session (``s = make()`` when each ``return`` of
``make`` gives a session name; ``s, jar = make()`` when each two-element ``return`` gives one
first). A session that arrives as a parameter, from another module, from a class attribute or
through another name is not followed. A call that forwards ``**kwargs`` may carry a
timeout and is not flagged.
"""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from codex.lint import LintRule, Screen, Sighting

_METHODS = ("request", "get", "options", "head", "post", "put", "patch", "delete")
REQUESTS_CALLS = frozenset(f"requests.{m}" for m in _METHODS) | frozenset(f"requests.api.{m}" for m in _METHODS)
SESSION_CONSTRUCTORS = frozenset({"requests.Session", "requests.session", "requests.sessions.Session", "requests.sessions.session"})


# every call flagged is requests.<method>, a name imported from requests, or <session>.<method>, without a timeout
_SCREEN = Screen(modules=frozenset({"requests"}), calls=frozenset(_METHODS), holders=frozenset({"Session", "session"}), keyword="timeout")


class RequestsWithoutTimeout(LintRule):
    METADATA_DEPENDENCIES = (ScopeProvider,)
    SCREEN = _SCREEN

    def __init__(self) -> None:
        super().__init__()
        self._session_names: set[cst.Name] = set()  # assignment targets that receive a new session
        self._classes: list[cst.ClassDef] = []
        self._attributes: dict[tuple[cst.ClassDef, str], bool] = {}  # (class, self.<attr>): every assignment a session
        self._on_names: list[tuple[cst.Call, cst.Name, str]] = []  # name.method(...) calls, judged once all is seen
        self._on_attributes: list[tuple[cst.Call, cst.ClassDef, str, str]] = []
        self._functions: list[cst.FunctionDef] = []
        self._returns: dict[str, list[cst.BaseExpression | None]] = {}  # module-level function: what its returns give
        self._from_calls: list[tuple[cst.Name, str, int | None, int]] = []  # name, function, element of a tuple of n

    @classmethod
    def decided(cls, seen: Sighting) -> list[tuple[ast.expr, str | None]] | None:
        """Settled without libcst when every call that could be flagged is ``requests.<method>(...)`` (``requests.api`` too)
        and ``requests`` is only ever the module imported: each is then flagged."""
        if not seen.only_imported("requests"):
            return None
        found: list[tuple[ast.expr, str | None]] = []
        for call in _SCREEN.candidates(seen):
            called = _dotted(call.func)
            if called not in REQUESTS_CALLS:
                return None
            timeout = any(keyword.arg == "timeout" for keyword in call.keywords)  # a candidate's timeout is None
            found.append((call, f"{called}() {'with timeout=None' if timeout else 'without timeout='}"))
        return found

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._functions and not self._classes:
            self._returns.setdefault(node.name.value, [])
        self._functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Return(self, node: cst.Return) -> None:
        if len(self._functions) == 1 and not self._classes:
            self._returns[self._functions[0].name.value].append(node.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assigned(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._assigned(node.target, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._assigned(node.target, node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._assigned(node.asname.name, node.item)

    def visit_Call(self, node: cst.Call) -> None:
        if any(arg.star == "**" for arg in node.args):
            return
        timeout = next((arg for arg in node.args if arg.keyword is not None and arg.keyword.value == "timeout"), None)
        if timeout is not None and not (isinstance(timeout.value, cst.Name) and timeout.value.value == "None"):
            return
        problem = "with timeout=None" if timeout else "without timeout="
        called = next((name for name in sorted(self.qualified_names(node.func)) if name in REQUESTS_CALLS), None)
        if called:
            self.report(node, f"{called}() {problem}")
            return
        if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in _METHODS):
            return
        holder, method = node.func.value, node.func.attr.value
        if isinstance(holder, cst.Call) and self._is_new_session(holder):
            self.report(node, f"requests.Session.{method}() {problem}")
        elif isinstance(holder, cst.Name):
            self._on_names.append((node, holder, problem))
        elif self._classes and (attr := _self_attribute(holder)):
            self._on_attributes.append((node, self._classes[-1], attr, problem))

    def leave_Module(self, original_node: cst.Module) -> None:
        for name, function, index, size in self._from_calls:
            if self._returns_session(function, index, size):
                self._session_names.add(name)
        for call, name, problem in self._on_names:
            if self._holds_session(name):
                self.report(call, f"requests.Session.{_method(call)}() {problem}")
        for call, cls, attr, problem in self._on_attributes:
            if self._attributes.get((cls, attr)):
                self.report(call, f"requests.Session.{_method(call)}() {problem}")

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        session = value is not None and self._is_new_session(value)
        if isinstance(target, cst.Name) and session:
            self._session_names.add(target)
        elif self._classes and (attr := _self_attribute(target)):
            key = (self._classes[-1], attr)
            self._attributes[key] = self._attributes.get(key, True) and session
        elif isinstance(target, cst.Name) and (function := _called_name(value)):
            self._from_calls.append((target, function, None, 1))
        elif isinstance(target, (cst.Tuple, cst.List)):  # unpacking: followed only from a function of this module
            function = _called_name(value)
            for index, element in enumerate(target.elements):
                if function and isinstance(element.value, cst.Name):
                    self._from_calls.append((element.value, function, index, len(target.elements)))
                else:
                    self._assigned(element.value, None)

    def _is_new_session(self, value: cst.BaseExpression) -> bool:
        return isinstance(value, cst.Call) and any(name in SESSION_CONSTRUCTORS for name in self.qualified_names(value.func))

    def _returns_session(self, function: str, index: int | None, size: int) -> bool:
        """Does every return of ``function`` (of this module) with the shape the caller takes give a session name
        (at ``index`` of a tuple of ``size``; the whole value when ``index`` is None)? And is there one?"""
        returns = self._returns.get(function, [])
        taken = returns if index is None else [r.elements[index].value for r in returns if isinstance(r, cst.Tuple) and len(r.elements) == size]
        return bool(taken) and all(isinstance(value, cst.Name) and self._holds_session(value) for value in taken)

    def _holds_session(self, name: cst.Name) -> bool:
        """Every assignment the name can refer to in its scope stores a new session (and there is one)."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return False
        referents = {r for access in scope.accesses[name] for r in access.referents}
        return bool(referents) and all(isinstance(r, Assignment) and r.node in self._session_names for r in referents)


def _self_attribute(node: cst.BaseExpression) -> str | None:
    """``x`` for ``self.x``."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _called_name(value: cst.BaseExpression | None) -> str | None:
    """``f`` for a call ``f(...)`` of a plain name."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value
    return None


def _method(call: cst.Call) -> str:
    return cst.ensure_type(call.func, cst.Attribute).attr.value


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for that attribute chain on a name; None for anything else."""
    if isinstance(node, ast.Attribute):
        return None if (value := _dotted(node.value)) is None else f"{value}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else None
