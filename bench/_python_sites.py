"""Every candidate site of CX0003–CX0007 in a Python tree, with its verdict, found with the stdlib `ast` (not codex).

Names are resolved through the file's imports (`import requests as r`, `from subprocess import run`). The letter of
each rule, as issue 11 states it:

- CX0003: a call of `requests.get/post/put/patch/delete/head/options/request`, or of those methods on a
  `requests.Session()` (bound to a name in the same function, to an attribute in the same file, or used directly;
  a session handed over by a helper is a manual label), without `timeout=` or with
  `timeout=None`; a call forwarding `**kwargs` may carry a timeout and is not a violation.
- CX0004: a bare `except:`, or `except Exception` / `BaseException` (alone or in a tuple) whose body only passes or
  continues; the site is the `except` line.
- CX0005: a `subprocess` call whose `shell=` is not the default False: `True`, any truthy constant (`'False'` is a
  non-empty string), or an expression (`shell=run_thru_shell`); absent or a falsy constant is fine.
- CX0006: `yaml.load`/`load_all` without `Loader=yaml.SafeLoader`/`CSafeLoader` (keyword or second argument),
  `yaml.unsafe_load`, `yaml.full_load`; a loader named by a variable is left to a manual label.
- CX0007: every `assert` outside test files (`test_*.py`, `*_test.py`, `tests.py`, `conftest.py`, under `tests/`
  or `test/`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from _sites import Site

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
SAFE_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader", "yaml.loader.SafeLoader", "yaml.cyaml.CSafeLoader"}
UNSAFE_LOADS = {"yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load", "yaml.full_load_all"}
MODULES = {"requests", "subprocess", "yaml"}
SESSION_FACTORIES = {"requests.Session", "requests.session", "requests.sessions.Session", "requests.sessions.session"}


def is_test_file(relative: str) -> bool:
    parts = relative.split("/")
    name = parts[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name in {"tests.py", "conftest.py"} or any(part in {"tests", "test"} for part in parts[:-1])


def _aliases(module: ast.Module) -> dict[str, str]:
    names = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(node: ast.expr, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):  # a module used without its import (example files) is still that module
        return aliases.get(node.id, node.id if node.id in MODULES else None)
    if isinstance(node, ast.Attribute):
        base = _qualified(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _forwards_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)


def _scopes(module: ast.Module) -> dict[ast.AST, ast.AST]:
    """Each node's enclosing function (or the module)."""
    scope_of: dict[ast.AST, ast.AST] = {}
    stack: list[tuple[ast.AST, ast.AST]] = [(module, module)]
    while stack:
        node, scope = stack.pop()
        scope_of[node] = scope
        inner = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) else scope
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return scope_of


def _binding(target: ast.expr, scope: ast.AST) -> tuple[ast.AST | None, str]:
    """A name is bound in its function (or the module, for every function); an attribute (`self.session`) in the file."""
    return (scope if isinstance(target, ast.Name) else None), ast.unparse(target)


def _sessions(module: ast.Module, aliases: dict[str, str], scope_of: dict[ast.AST, ast.AST]) -> set[tuple[ast.AST | None, str]]:
    """The names and attributes a `requests.Session()` is bound to in this file."""
    bound = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            if _qualified(node.value.func, aliases) in SESSION_FACTORIES:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound |= {_binding(t, scope_of[node]) for t in targets}
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if (
                    isinstance(item.context_expr, ast.Call)
                    and item.optional_vars is not None
                    and _qualified(item.context_expr.func, aliases) in SESSION_FACTORIES
                ):
                    bound.add(_binding(item.optional_vars, scope_of[node]))
    return bound


def _requests(call: ast.Call, aliases: dict[str, str], sessions: set[tuple[ast.AST | None, str]], scope: ast.AST, module: ast.Module) -> tuple[str, str] | None:
    qualified = _qualified(call.func, aliases) or ""
    is_call = qualified.removeprefix("requests.api.").removeprefix("requests.") in HTTP_METHODS and qualified.startswith("requests.")
    if not is_call and isinstance(call.func, ast.Attribute) and call.func.attr in HTTP_METHODS:
        receiver = call.func.value
        is_call = (
            _binding(receiver, scope) in sessions
            or _binding(receiver, module) in sessions
            or (isinstance(receiver, ast.Call) and _qualified(receiver.func, aliases) in SESSION_FACTORIES)
        )
    if not is_call:
        return None
    timeout = _keyword(call, "timeout")
    if timeout is not None:
        if isinstance(timeout.value, ast.Constant) and timeout.value.value is None:
            return "violation", "timeout=None"
        return "ok", "explicit timeout"
    if _forwards_kwargs(call):
        return "ok", "forwards **kwargs"
    return "violation", "no timeout"


def _swallows(handler: ast.ExceptHandler) -> tuple[str, str] | None:
    if handler.type is None:
        return "violation", "bare except"
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    broad = any(ast.unparse(t) in {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"} for t in types)
    if not broad:
        return None
    if all(isinstance(s, ast.Pass | ast.Continue) for s in handler.body):
        return "violation", "broad except whose body only passes or continues"
    if all(isinstance(s, ast.Pass | ast.Continue) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in handler.body):
        return "?", "broad except whose body is only constants (`...`, a string) besides pass/continue"
    return "ok", "broad except that does something"


def _shell(call: ast.Call, aliases: dict[str, str]) -> tuple[str, str] | None:
    if not (_qualified(call.func, aliases) or "").startswith("subprocess."):
        return None
    shell = _keyword(call, "shell")
    if shell is None:
        return "ok", "default shell=False"
    try:
        value = ast.literal_eval(shell.value)
    except (ValueError, TypeError, SyntaxError):
        return "violation", "shell=<expression>, not the default False"
    return ("violation", "shell=<truthy constant>") if value else ("ok", "shell=<falsy constant>")


def _yaml(call: ast.Call, aliases: dict[str, str]) -> tuple[str, str] | None:
    qualified = _qualified(call.func, aliases)
    if qualified in UNSAFE_LOADS:
        return "violation", qualified
    if qualified not in {"yaml.load", "yaml.load_all"}:
        return None
    loader = _keyword(call, "Loader")
    loader_node = loader.value if loader is not None else (call.args[1] if len(call.args) > 1 else None)
    if loader_node is None:
        return ("?", "loader forwarded in **kwargs") if _forwards_kwargs(call) else ("violation", "default loader")
    resolved = _qualified(loader_node, aliases)
    if resolved in SAFE_LOADERS:
        return "ok", f"Loader={resolved}"
    if resolved is not None and resolved.startswith("yaml."):
        return "violation", f"Loader={resolved}"
    return "?", f"Loader={ast.unparse(loader_node)}"


def _file_sites(relative: str, source: str) -> Iterator[tuple[str, int, int, str, str]]:
    module = ast.parse(source)
    aliases = _aliases(module)
    scope_of = _scopes(module)
    sessions = _sessions(module, aliases, scope_of)
    test_file = is_test_file(relative)
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            for rule, verdict in (
                ("CX0003", _requests(node, aliases, sessions, scope_of[node], module)),
                ("CX0005", _shell(node, aliases)),
                ("CX0006", _yaml(node, aliases)),
            ):
                if verdict:
                    yield rule, node.lineno, node.col_offset + 1, *verdict
        elif isinstance(node, ast.ExceptHandler) and (verdict := _swallows(node)):
            yield "CX0004", node.lineno, node.col_offset + 1, *verdict
        elif isinstance(node, ast.Assert):
            verdict = ("ok", "assert in a test file") if test_file else ("violation", "assert outside tests")
            yield "CX0007", node.lineno, node.col_offset + 1, *verdict


def python_sites(tree: Path) -> tuple[list[Site], list[str]]:
    """Every candidate site under ``tree``, and the files that are not valid Python 3 (listed, never skipped quietly)."""
    sites, unparsable = [], []
    for path in sorted(tree.rglob("*.py")):
        relative = path.relative_to(tree).as_posix()
        source = path.read_text(encoding="utf-8", errors="replace")
        lines = source.splitlines()
        try:
            found = list(_file_sites(relative, source))
        except (SyntaxError, ValueError) as error:
            unparsable.append(f"{relative}: {error}")
            continue
        sites += [
            Site(rule=rule, path=relative, line=line, column=column, verdict=verdict, reason=reason, snippet=lines[line - 1].strip()[:120])
            for rule, line, column, verdict, reason in found
        ]
    return sites, unparsable
