"""Definitions: the line spans of a file's functions and methods, the unit the LLM pass sends when it can.

Python is read with ``ast``; Lua, Rust, Go, JavaScript and TypeScript with tree-sitter; another language, or a file
that does not parse, has none (its changes are sent as hunks).
"""

from __future__ import annotations

import ast
import functools
from typing import TYPE_CHECKING

from reviewer import python_ast
from reviewer.git_lines import GitLines

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

Span = tuple[int, int]  # first and last line, 1-based, as git numbers them

_JS_FUNCTIONS = frozenset(
    {"function_declaration", "generator_function_declaration", "method_definition", "arrow_function", "function_expression"}
)  # an arrow function or function expression: a callback, `const f = ...`
_FUNCTIONS = {  # language -> the node types of a function
    "lua": frozenset({"function_declaration", "function_definition"}),
    "rust": frozenset({"function_item"}),
    "go": frozenset({"function_declaration", "method_declaration", "func_literal"}),
    "javascript": _JS_FUNCTIONS,
    "typescript": _JS_FUNCTIONS,
}
_GRAMMARS = {  # (language, the file is TSX) -> (the grammar's module, its function returning the language)
    ("lua", False): ("tree_sitter_lua", "language"),
    ("rust", False): ("tree_sitter_rust", "language"),
    ("go", False): ("tree_sitter_go", "language"),
    ("javascript", False): ("tree_sitter_javascript", "language"),  # JSX included
    ("typescript", False): ("tree_sitter_typescript", "language_typescript"),
    ("typescript", True): ("tree_sitter_typescript", "language_tsx"),
}


def definition_spans(language: str, text: str, path: str = "") -> list[Span]:
    """The spans of the functions and methods not nested in another function (a method's class is no unit, a
    closure belongs to its function), in file order; a Python definition starts at its first decorator. ``path``
    tells TSX from TypeScript."""
    if language == "python":
        return _python(text)
    if language in _FUNCTIONS:
        return _tree_sitter(language, text, path.endswith(".tsx"))
    return []


def _python(text: str) -> list[Span]:
    try:
        tree = python_ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # not Python this version reads: hunks instead
        return []
    git = GitLines(text)  # ast counts a lone "\r" as a line end, git does not
    spans: list[Span] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                spans.append((git.line(first), git.line(child.end_lineno or child.lineno)))
            else:
                pending.append(child)
    return sorted(spans)


def _tree_sitter(language: str, text: str, tsx: bool) -> list[Span]:
    parser = _parser(language, tsx)
    if parser is None:
        return []
    kinds = _FUNCTIONS[language]
    spans: list[Span] = []
    pending: list[Node] = [parser.parse(text.encode("utf-8", "surrogateescape")).root_node]
    while pending:
        node = pending.pop()
        for child in node.children:
            if child.type in kinds:
                spans.append((child.start_point.row + 1, child.end_point.row + 1))
            else:
                pending.append(child)
    return sorted(spans)


@functools.cache
def _parser(language: str, tsx: bool) -> Parser | None:
    """The grammar's parser; ``None`` when its wheel is not installed (the file is then sent as hunks)."""
    from tree_sitter import Parser

    from reviewer.engines.treesitter import grammar

    try:
        return Parser(grammar(*_GRAMMARS[(language, tsx and language == "typescript")]))
    except ImportError:
        return None
