"""CPython's ``ast``, one tree at a time per process.

CPython 3.11 keeps the AST constructor's recursion counter in the interpreter, not in the thread, and an
error mid-construction leaves it unbalanced (CPython gh-106905): with the LLM pass reading definitions in
its thread while the libcst engine screens files, a parse could fail with ``SystemError: AST constructor
recursion depth mismatch`` and end the run with an internal error. Every parse codex makes goes through
:func:`parse`, under one lock, and a mismatch left by an earlier failure is retried once.
"""

from __future__ import annotations

import ast
import threading
import warnings

_ONE_AT_A_TIME = threading.Lock()


def parse(source: str | bytes) -> ast.Module:
    """``source`` as CPython's ast; raises what ``compile`` raises (SyntaxError, ValueError, RecursionError, MemoryError)."""
    with _ONE_AT_A_TIME, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes and the like: no parser's business here
        try:
            return _compile(source)
        except SystemError:  # the counter an earlier failed construction left behind: the next one starts afresh
            return _compile(source)


def _compile(source: str | bytes) -> ast.Module:
    return ast.parse(source, "<source>")
