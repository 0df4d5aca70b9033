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
import builtins

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
        """Settled without libcst when ``requests`` is only ever the module imported: each call that could be flagged is
        then judged as the visit judges it (and when the name is bound nowhere, and nothing imported from the package can
        name what the rule looks for, nothing is flagged). ``requests.<method>(...)`` is flagged. When nothing else imported from the
        package can name a request function or a session class (``from requests.exceptions import HTTPError`` is fine,
        ``import requests as r`` is not), the qualified names the visit resolves are spelled in the source, and methods
        are judged too: of ``requests.Session()`` called on the spot, and of ``self.<attr>`` in a class that only ever
        assigns it new sessions, flagged; of a name no assignment can give a session, and of anything else, not. A name
        that may hold a session needs the scope analysis (None), as does any other call when names are not spelled."""
        imported = {i for i in seen.imports if i[0] == "requests" or i[0].startswith("requests.")} - {("requests", "", "requests")}
        spelled = not any(_may_name_a_target(".".join(filter(None, (module, name)))) for module, name, _ in imported)
        if not seen.only_imported("requests"):  # nothing resolves to a target when the name is not bound at all
            return [] if spelled and not seen.binders("requests") else None
        held: _Holdings | None = None  # read when a call is not requests.<method>
        direct: list[tuple[ast.expr, str | None]] = []  # reported as the visit meets them; the attributes' calls after all
        on_names: list[tuple[ast.expr, str | None]] = []
        on_attributes: list[tuple[ast.expr, str | None]] = []
        for call in _SCREEN.candidates(seen):
            problem = "with timeout=None" if any(keyword.arg == "timeout" for keyword in call.keywords) else "without timeout="
            if (called := _full_name(call.func)) in REQUESTS_CALLS:
                direct.append((call, f"{called}() {problem}"))
                continue
            if not spelled:
                return None
            held = held or _Holdings(seen)
            if not isinstance(call.func, ast.Attribute):  # a name imported from requests: none is a request function
                continue
            holder, message = call.func.value, f"requests.Session.{call.func.attr}() {problem}"
            if isinstance(holder, ast.Name) and holder.id in held.names:
                if (holds := held.holds(call, holder)) is None:
                    return None
                if holds:
                    on_names.append((call, message))
            elif isinstance(holder, ast.Call) and _new_session(holder):
                direct.append((call, message))
            elif (attr := _self_attribute_of(holder)) and held.attributes.get((held.placed[id(call)][1], attr)):
                on_attributes.append((call, message))
        return sorted(direct, key=_start) + sorted(on_names, key=_start) + sorted(on_attributes, key=_start)

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


class _Holdings:
    """What the visit learns from assignments (``_assigned``), read from CPython's ast: ``self.<attr>`` per class, whether
    every assignment gives a new session; the names an assignment may give one (a superset: a name assigned what a
    function of this module returns counts) and where; the scope (as libcst's ``ScopeProvider`` places it) and the
    innermost class around each call."""

    def __init__(self, seen: Sighting) -> None:
        self.seen = seen
        self.attributes: dict[tuple[ast.ClassDef | None, str], bool] = {}
        self.names: set[str] = set()
        self.placed: dict[int, tuple[ast.AST, ast.ClassDef | None]] = {}  # id of a call: its scope and class
        self._parents: dict[ast.AST, ast.AST] = {}  # a scope: the one around it
        self._sessions: dict[str, dict[ast.AST, list[tuple[int, int]]]] = {}  # name: scope: where statements giving it a session end
        self._targets: set[int] = set()  # ids of those statements' targets
        self._walrus: set[str] = set()  # names ``(name := requests.Session())`` gives a session
        self._functions = {
            node.name
            for kind in ("FunctionDef", "AsyncFunctionDef")
            for node in seen.nodes.get(kind, ())
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        pending: list[tuple[ast.AST, ast.AST, ast.ClassDef | None]] = [(module, module, None) for module in seen.nodes.get("Module", ())]
        while pending:  # the visit's stack of classes holds a class's decorators and bases too
            node, scope, inner = pending.pop()
            if isinstance(node, ast.Call):
                self.placed[id(node)] = scope, inner
            for target, value, end in _assignments(node):
                self._assigned(target, value, inner, (scope, end) if end else None)
            children = _scoped_children(node, scope)
            if node is not scope and any(child_scope is node for _, child_scope in children):  # it opens a scope
                self._parents[node] = scope
            around = node if isinstance(node, ast.ClassDef) else inner
            pending.extend((child, child_scope, around) for child, child_scope in children)

    def holds(self, call: ast.Call, holder: ast.Name) -> bool | None:
        """The visit's ``_holds_session`` for the name a method is called on, when every binding of the name in the file
        is a statement giving it a new session (else None: the scope analysis decides). The call is then flagged when
        the name's scope assigns it before the call, or has no binding of it and a scope around it (not a class) has."""
        name = holder.id
        if name in self._walrus or hasattr(builtins, name) or any(id(node) not in self._targets for node in self.seen.binders(name)):
            return None
        scope, _ = self.placed[id(call)]
        sessions = self._sessions.get(name, {})
        if scope in sessions:  # the name's own scope: bound before the call (libcst orders a scope's own bindings)
            return True if any(end <= (holder.lineno, holder.col_offset) for end in sessions[scope]) else None
        around = self._parents.get(scope)
        while around is not None:
            if not isinstance(around, ast.ClassDef) and around in sessions:  # a class's names are seen from its body alone
                return True
            around = self._parents.get(around)
        return False

    def _assigned(self, target: ast.expr, value: ast.expr | None, inner: ast.ClassDef | None, statement: tuple[ast.AST, tuple[int, int]] | None) -> None:
        session = value is not None and _new_session(value)
        if isinstance(target, ast.Name) and session:
            self.names.add(target.id)
            if statement is None:
                self._walrus.add(target.id)
            else:
                self._sessions.setdefault(target.id, {}).setdefault(statement[0], []).append(statement[1])
                self._targets.add(id(target))
        elif inner is not None and (attr := _self_attribute_of(target)):
            self.attributes[inner, attr] = self.attributes.get((inner, attr), True) and session
        elif isinstance(target, ast.Name) and (function := _called_name_of(value)):
            if function in self._functions:
                self.names.add(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            function = _called_name_of(value)
            for element in (e.value if isinstance(e, ast.Starred) else e for e in target.elts):
                if function and isinstance(element, ast.Name):
                    if function in self._functions:
                        self.names.add(element.id)
                else:
                    self._assigned(element, None, inner, statement)


def _assignments(node: ast.AST) -> list[tuple[ast.expr, ast.expr | None, tuple[int, int] | None]]:
    """The (target, value) pairs the visit hands to ``_assigned``, and where the statement that assigns ends (None for
    ``:=``, an expression)."""
    if isinstance(node, ast.Assign):
        return [(target, node.value, _end(node)) for target in node.targets]
    if isinstance(node, ast.AnnAssign):
        return [(node.target, node.value, _end(node))]
    if isinstance(node, ast.NamedExpr):
        return [(node.target, node.value, None)]
    if isinstance(node, ast.AugAssign):
        return [(node.target, None, _end(node))]
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return [(node.optional_vars, node.context_expr, _end(node.optional_vars))]
    return []


def _end(node: ast.stmt | ast.expr) -> tuple[int, int]:
    return node.end_lineno or node.lineno, node.end_col_offset or 0


def _scoped_children(node: ast.AST, scope: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    """The nodes under ``node`` to walk next, each with its scope as libcst's ``ScopeProvider`` gives it: a function, a
    lambda, a class and a comprehension open one for their own nodes; their decorators, defaults, annotations, bases
    and first iterable stay in the scope around them."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        arguments = node.args
        parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, *filter(None, (arguments.vararg, arguments.kwarg))]
        outside: list[ast.AST] = [*arguments.defaults, *filter(None, arguments.kw_defaults), *filter(None, (a.annotation for a in parameters))]
        if isinstance(node, ast.Lambda):
            return [(n, scope) for n in outside] + [(node.body, node)]
        return [(n, scope) for n in (*node.decorator_list, *outside, *filter(None, [node.returns]))] + [(n, node) for n in node.body]
    if isinstance(node, ast.ClassDef):
        return [(n, scope) for n in (*node.decorator_list, *node.bases, *node.keywords)] + [(n, node) for n in node.body]
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        first, *rest = node.generators
        produced = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        return [(first.iter, scope)] + [(n, node) for n in (first.target, *first.ifs, *rest, *produced)]
    return [(child, scope) for child in ast.iter_child_nodes(node)]


def _new_session(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and _full_name(value.func) in SESSION_CONSTRUCTORS


def _may_name_a_target(imported: str) -> bool:
    """Can a name imported as ``imported`` (``requests.exceptions.HTTPError``) lead to a request function or a session class?"""
    return any(target == imported or target.startswith(f"{imported}.") for target in REQUESTS_CALLS | SESSION_CONSTRUCTORS)


def _full_name(node: ast.expr) -> str | None:
    """The name libcst's ``get_full_name_for_node`` gives an expression (a call stands for what it calls, a subscript
    for what it subscripts), from which it resolves qualified names."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_full_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _full_name(node.func)
    if isinstance(node, ast.Subscript):
        return _full_name(node.value)
    return None


def _self_attribute_of(node: ast.expr) -> str | None:
    """``x`` for ``self.x``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _called_name_of(value: ast.expr | None) -> str | None:
    """``f`` for a call ``f(...)`` of a plain name."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id
    return None


def _start(found: tuple[ast.expr, str | None]) -> tuple[int, int]:
    return found[0].lineno, found[0].col_offset


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
