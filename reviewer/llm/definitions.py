"""Definitions: the line spans of a file's functions and methods, the unit the LLM pass sends when it can.

Python is read with ``ast``, Lua and Rust with tree-sitter; another language, or a file that does not parse,
has none (its changes are sent as hunks).
"""

from __future__ import annotations

import ast
import functools
import importlib
from typing import TYPE_CHECKING

from reviewer import python_ast

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

Span = tuple[int, int]  # first and last line, 1-based, as git numbers them

_TREE_SITTER = {  # language -> (the grammar's module, the node types of a function)
    "lua": ("tree_sitter_lua", frozenset({"function_declaration", "function_definition"})),
    "rust": ("tree_sitter_rust", frozenset({"function_item"})),
}


def definition_spans(language: str, text: str) -> list[Span]:
    """The spans of the functions and methods not nested in another function (a method's class is no unit, a
    closure belongs to its function), in file order; a Python definition starts at its first decorator."""
    if language == "python":
        return _python(text)
    if language in _TREE_SITTER:
        return _tree_sitter(language, text)
    return []


def _python(text: str) -> list[Span]:
    try:
        tree = python_ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # not Python this version reads: hunks instead
        return []
    spans: list[Span] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                spans.append((first, child.end_lineno or child.lineno))
            else:
                pending.append(child)
    return sorted(spans)


def _tree_sitter(language: str, text: str) -> list[Span]:
    parser = _parser(language)
    if parser is None:
        return []
    kinds = _TREE_SITTER[language][1]
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
def _parser(language: str) -> Parser | None:
    """The grammar's parser; ``None`` when its wheel is not installed (the file is then sent as hunks)."""
    from tree_sitter import Language, Parser

    try:
        grammar = importlib.import_module(_TREE_SITTER[language][0])
    except ImportError:
        return None
    return Parser(Language(grammar.language()))
