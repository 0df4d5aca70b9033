"""YAML loaded with a loader that constructs Python objects: CX0006.

Flagged: ``yaml.unsafe_load`` and ``yaml.full_load`` (and their ``_all`` forms), and ``yaml.load`` /
``yaml.load_all`` with no loader, or with a loader that may be one of PyYAML's object-constructing
loaders. Names are resolved through imports (``import yaml as y``, ``from yaml import Loader``). A
loader given by a name or a call is followed within the module: a name is unsafe when any assignment
to it in its scope (a parameter's default included) may give an unsafe loader; a class when one of
its bases is; a call of a function of this module when one of its returns is, its parameters bound
to the call's arguments (or their defaults). So ``yaml.load(f, Loader=get_loader())`` is flagged
when ``get_loader`` returns a subclass of ``yaml.Loader``, and left alone when it returns a subclass
of ``yaml.SafeLoader``. A loader from another module, an attribute of an object, or a call with
``*args`` / ``**kwargs`` is not followed.

The fix, offered only where it reads every document a safe loader accepts exactly as before:
``<yaml>.safe_load(stream)`` (``safe_load_all``) for a PyYAML loader named directly, and
``Loader=<yaml>.CSafeLoader`` for ``<yaml>.CLoader`` / ``CFullLoader`` / ``CUnsafeLoader``. A loader
of your own (a subclass, a factory's result) gets no fix: its extra constructors would be lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from codex.lint import LintRule, Screen

_PACKAGES = ("yaml.", "yaml.loader.", "yaml.cyaml.")
UNSAFE_LOADERS = frozenset(p + n for p in _PACKAGES for n in ("Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader")) | frozenset(
    f"yaml.constructor.{n}" for n in ("Constructor", "FullConstructor", "UnsafeConstructor")
)
UNSAFE_CALLS = {"yaml.unsafe_load": "safe_load", "yaml.unsafe_load_all": "safe_load_all", "yaml.full_load": "safe_load", "yaml.full_load_all": "safe_load_all"}
LOAD_CALLS = {"yaml.load": "safe_load", "yaml.load_all": "safe_load_all"}
_C_LOADERS = frozenset({"CLoader", "CFullLoader", "CUnsafeLoader"})
_LOADERS = frozenset({"Loader", "FullLoader", "UnsafeLoader"})

Bindings = dict[cst.Param, tuple[cst.BaseExpression, "Bindings"]]  # a parameter → the argument a call gives it, in the caller's bindings


class UnsafeYamlLoad(LintRule):
    METADATA_DEPENDENCIES = (ScopeProvider,)
    # every call flagged is one of these functions, imported from yaml or on a name imported from it
    SCREEN = Screen(modules=frozenset({"yaml"}), calls=frozenset(name.removeprefix("yaml.") for name in (*UNSAFE_CALLS, *LOAD_CALLS)))

    def __init__(self) -> None:
        super().__init__()
        self._values: dict[cst.Name, cst.BaseExpression | None] = {}  # assignment target → the value it gets (None: unknown)
        self._functions: list[cst.FunctionDef] = []
        self._returns: dict[cst.FunctionDef, list[cst.BaseExpression]] = {}
        self._loads: list[tuple[cst.Call, str, cst.Arg]] = []  # yaml.load calls with a loader, judged once all is seen

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        self._returns[node] = []

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Return(self, node: cst.Return) -> None:
        if self._functions and node.value is not None:
            self._returns[self._functions[-1]].append(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assigned(node.target, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._assigned(node.target, node.value)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self._values[target] = value

    def visit_Call(self, node: cst.Call) -> None:
        called = self.qualified_names(node.func)
        if name := next((q for q in called if q in UNSAFE_CALLS), None):
            self.report(node, f"{name}()", self._renamed(node, UNSAFE_CALLS[name], list(node.args)))
            return
        name = next((q for q in called if q in LOAD_CALLS), None)
        if name is None:
            return
        loader = _argument(node.args, "Loader", 1)
        if loader is not None:
            self._loads.append((node, name, loader))
        elif len(node.args) == 1 and not node.args[0].star and (node.args[0].keyword is None or node.args[0].keyword.value == "stream"):
            self.report(node, f"{name}() without a Loader", self._renamed(node, LOAD_CALLS[name], list(node.args)))

    def leave_Module(self, original_node: cst.Module) -> None:
        for call, name, loader in self._loads:
            origin = self._unsafe_origin(loader.value, {}, set())
            if origin is None:
                continue
            direct = origin in self.qualified_names(loader.value)
            shown = origin if direct else f"{cst.Module([]).code_for_node(loader.value)} (from {origin})"
            self.report(call, f"{name}() with Loader={shown}", self._fix(call, name, loader, origin) if direct else None)

    def _fix(self, call: cst.Call, name: str, loader: cst.Arg, origin: str) -> cst.Call | None:
        """``safe_load`` without the loader, or the C loader's safe twin (None when the call's shape is not plain)."""
        stream = _argument(call.args, "stream", 0)
        if stream is None or len(call.args) != 2 or any(arg.star for arg in call.args):
            return None
        kind, value = origin.rpartition(".")[2], loader.value
        if kind in _C_LOADERS:  # imported by name, its safe twin may not be imported
            return call.with_deep_changes(value, attr=cst.Name("CSafeLoader")) if isinstance(value, cst.Attribute) else None
        if kind not in _LOADERS:
            return None
        return self._renamed(call, LOAD_CALLS[name], [stream])

    def _renamed(self, call: cst.Call, function: str, args: list[cst.Arg]) -> cst.Call | None:
        """The call as ``<the same yaml>.<function>(args)``; None when the callee is not an attribute of the yaml module
        (``from yaml import load``: ``safe_load`` may not be imported)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or "yaml" not in self.qualified_names(func.value):
            return None
        kept = [*args[:-1], args[-1].with_changes(comma=call.args[-1].comma)] if args else []  # a trailing comma stays
        return call.with_changes(func=func.with_changes(attr=cst.Name(function)), args=kept)

    def _unsafe_origin(self, expr: cst.BaseExpression, bindings: Bindings, seen: set[int]) -> str | None:
        """The unsafe PyYAML loader ``expr`` may be or derive from, followed through this module; None when none is seen."""
        if id(expr) in seen:
            return None
        seen = seen | {id(expr)}
        names = self.qualified_names(expr)
        if unsafe := sorted(names & UNSAFE_LOADERS):
            return unsafe[0]
        if any(n == "yaml" or n.startswith("yaml.") for n in names):
            return None  # another PyYAML name: a safe loader, or not a loader
        if isinstance(expr, cst.BooleanOperation):
            return self._first(self._unsafe_origin(side, bindings, seen) for side in (expr.left, expr.right))
        if isinstance(expr, cst.IfExp):
            return self._first(self._unsafe_origin(side, bindings, seen) for side in (expr.body, expr.orelse))
        if isinstance(expr, cst.Name):
            return self._first(self._referent_origin(referent, bindings, seen) for referent in self._referents(expr))
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and not any(arg.star for arg in expr.args):
            functions = [r.node for r in self._referents(expr.func) if isinstance(r.node, cst.FunctionDef) and r.node in self._returns]
            return self._first(
                self._unsafe_origin(value, {**bindings, **_bind(function, expr.args, bindings)}, seen)
                for function in functions
                for value in self._returns[function]
            )
        return None

    def _referent_origin(self, referent: Assignment, bindings: Bindings, seen: set[int]) -> str | None:
        node = referent.node
        if isinstance(node, cst.Param):
            argument, caller = bindings.get(node, (node.default, {}))
            return self._unsafe_origin(argument, caller, seen) if argument is not None else None
        if isinstance(node, cst.ClassDef):
            return self._first(self._unsafe_origin(base.value, bindings, seen) for base in node.bases if base.keyword is None)
        if isinstance(node, cst.Name) and (value := self._values.get(node)) is not None:
            return self._unsafe_origin(value, bindings, seen)
        return None

    def _referents(self, name: cst.Name) -> list[Assignment]:
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return []
        return [r for access in scope.accesses[name] for r in access.referents if isinstance(r, Assignment)]

    @staticmethod
    def _first(origins: Iterator[str | None]) -> str | None:
        return next((origin for origin in origins if origin is not None), None)


def _argument(args: Sequence[cst.Arg], keyword: str, position: int) -> cst.Arg | None:
    """The argument given by ``keyword``, else the one at ``position`` among the positional ones."""
    named = next((arg for arg in args if arg.keyword is not None and arg.keyword.value == keyword), None)
    positional = [arg for arg in args if arg.keyword is None and not arg.star]
    return named or (positional[position] if position < len(positional) else None)


def _bind(function: cst.FunctionDef, args: Sequence[cst.Arg], caller: Bindings) -> Bindings:
    """The function's parameters bound to a call's arguments (by position, then by keyword); those not given keep their default."""
    params = function.params
    positional = [*params.posonly_params, *params.params]
    bound: Bindings = {}
    given = [arg for arg in args if arg.keyword is None]
    for param, arg in zip(positional, given, strict=False):
        bound[param] = (arg.value, caller)
    by_name = {p.name.value: p for p in [*positional, *params.kwonly_params]}
    for arg in args:
        if arg.keyword is not None and arg.keyword.value in by_name:
            bound[by_name[arg.keyword.value]] = (arg.value, caller)
    return bound
