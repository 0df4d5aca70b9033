"""Exception handlers that hide errors: a bare ``except:``, or ``except Exception:`` /
``except BaseException:`` (alone or in a tuple such as ``except (ValueError, Exception):``) whose
body only passes, continues or does nothing. Reported on the ``except`` line.
"""

from __future__ import annotations

import ast
from typing import cast

import libcst as cst

from codex.lint import LintRule, Screen

_BROAD = frozenset({"Exception", "BaseException"})


def _does_nothing(body: cst.BaseSuite) -> bool:
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for line in statements:
        if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        for small in line.body:
            if isinstance(small, (cst.Pass, cst.Continue)):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString)):
                continue
            return False
    return True


def _broad_name(caught: cst.BaseExpression) -> str | None:
    """``Exception`` or ``BaseException`` when the handler catches it, by itself or in a tuple."""
    names = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    return next((n.value for n in names if isinstance(n, cst.Name) and n.value in _BROAD), None)


def _could_swallow(handler: ast.ExceptHandler) -> bool:
    """The ast screen: a bare handler, or one naming a broad class whose body is only pass, continue or constants."""
    if handler.type is None:
        return True
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in _BROAD for n in caught) and all(
        isinstance(s, (ast.Pass, ast.Continue)) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in handler.body
    )


class SwallowedErrors(LintRule):
    SCREEN = Screen(nodes=frozenset({"ExceptHandler"}), node_test=lambda handler: _could_swallow(cast(ast.ExceptHandler, handler)))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None:
            self.report(node, "bare except: catches everything, including KeyboardInterrupt and SystemExit")
        elif (broad := _broad_name(node.type)) and _does_nothing(node.body):
            self.report(node, f"except {broad}: that discards the error")
