"""Cross-file context: the definition of a repository-local Python function that a changed line calls, shown to the
model after the code it judges (unchanged, never judged itself), when it is short.

Only what the file imports at its top level is followed (``from pkg.mod import helper``, ``from . import mod``
then ``mod.helper(...)``, ``import pkg.mod as m`` then ``m.helper(...)``), to a module file inside the repository
(at its root or under ``src/``); a function at that module's top level of at most MAX_HELPER_LINES lines, at most
MAX_HELPERS per hunk.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from reviewer import python_ast
from reviewer.llm.hunks import Hunk
from reviewer.targets import Target

MAX_HELPER_LINES = 40
MAX_HELPERS = 2  # per hunk, in the order its added lines call them
MAX_MODULE_BYTES = 1_000_000
_CALL = re.compile(r"(?<![\w.])(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\s*\(")


def helpers_of(hunk: Hunk, root: Path) -> tuple[Hunk, ...]:
    """The definitions of the repository-local functions the hunk's added lines call, each a hunk without added
    lines; none for a language other than Python or a file that does not parse."""
    target = hunk.target
    if target.language != "python":
        return ()
    names = _imported(target.text, Path(target.path).parent)
    code = dict(hunk.lines)
    found: list[Hunk] = []
    for n in sorted(hunk.added):
        for owner, name in _CALL.findall(code[n]):
            called = (*names[owner], name) if owner in names else names.get(name) if not owner else None
            unit = _definition(root, target.path, called) if called else None
            if unit is not None and all((u.path, u.start) != (unit.path, unit.start) for u in found):
                found.append(unit)
                if len(found) == MAX_HELPERS:
                    return tuple(found)
    return tuple(found)


@functools.lru_cache(maxsize=16)  # a file's hunks ask in turn: parsed once
def _imported(text: str, package: Path) -> dict[str, tuple[str, ...]]:
    """What each name imported at the file's top level stands for, as dotted parts relative to the repository root:
    ``{"helper": ("pkg", "mod", "helper"), "m": ("pkg", "mod")}`` (``package``: the file's directory, for relative
    imports)."""
    try:
        tree = python_ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    names: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            above = package.parts[: len(package.parts) - node.level + 1] if node.level else ()
            base = (*above, *(node.module.split(".") if node.module else ()))
            names |= {alias.asname or alias.name: (*base, alias.name) for alias in node.names if alias.name != "*"}
        elif isinstance(node, ast.Import):
            names |= {alias.asname: tuple(alias.name.split(".")) for alias in node.names if alias.asname}
    return names


def _definition(root: Path, own: str, parts: tuple[str, ...]) -> Hunk | None:
    """The top-level function ``parts[-1]`` of the module ``parts[:-1]``, when that is a file of the repository other
    than ``own`` and the function is at most MAX_HELPER_LINES long (decorators included)."""
    module, function = parts[:-1], parts[-1]
    if not module or any(part in ("", "..") for part in module):
        return None
    inside = root.resolve()
    for base in (root, root / "src"):
        for file in (base.joinpath(*module[:-1], f"{module[-1]}.py"), base.joinpath(*module, "__init__.py")):
            if not file.is_file() or not file.resolve().is_relative_to(inside) or file.stat().st_size > MAX_MODULE_BYTES:
                continue
            path = file.resolve().relative_to(inside).as_posix()
            stat = file.stat()
            span = None if path == own else _functions(file, stat.st_mtime_ns, stat.st_size).get(function)
            if span is None or span[1] - span[0] >= MAX_HELPER_LINES:
                return None
            return Hunk(Target(path, file, "python", frozenset(), path), *span, frozenset())
    return None


@functools.lru_cache(maxsize=256)  # per file version (its mtime and size): many hunks call the same helpers
def _functions(file: Path, _mtime_ns: int, _size: int) -> dict[str, tuple[int, int]]:
    """The first and last line (decorators included) of each function at the module's top level."""
    try:
        tree = python_ast.parse(file.read_bytes().decode("utf-8", "replace"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    return {
        node.name: (min([node.lineno, *(d.lineno for d in node.decorator_list)]), node.end_lineno or node.lineno)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
