"""Exception handlers that hide errors: a bare ``except:``, or ``except Exception:`` /
``except BaseException:`` (alone or in a tuple such as ``except (ValueError, Exception):``) whose
body only passes, continues or does nothing. Reported on the ``except`` line.
"""

from __future__ import annotations

import ast
from typing import cast

import libcst as cst

from codex.lint import LintRule, Screen, Sighting

_BROAD = frozenset({"Exception", "BaseException"})
_BARE = "bare except: catches everything, including KeyboardInterrupt and SystemExit"


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


def _broad_in(caught: ast.expr) -> str | None:
    """What ``_broad_name`` says of the same handler (a starred element counts by its value, as libcst's elements do)."""
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    values = [n.value if isinstance(n, ast.Starred) else n for n in names]
    return next((n.id for n in values if isinstance(n, ast.Name) and n.id in _BROAD), None)


def _nothing_done(body: list[ast.stmt]) -> bool | None:
    """What ``_does_nothing`` says of the same body, or None when ``ast`` cannot tell: a string statement, which libcst
    takes only when it is one literal (``"a" "b"`` is one constant to ``ast``)."""
    strings = False
    for statement in body:
        if isinstance(statement, (ast.Pass, ast.Continue)):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            if statement.value.value is Ellipsis:
                continue
            if isinstance(statement.value.value, (str, bytes)):
                strings = True
                continue
        return False
    return None if strings else True


class SwallowedErrors(LintRule):
    SCREEN = Screen(nodes=frozenset({"ExceptHandler"}), node_test=lambda handler: _could_swallow(cast(ast.ExceptHandler, handler)))

    @classmethod
    def decided(cls, seen: Sighting) -> list[tuple[ast.expr | ast.excepthandler, str | None]] | None:
        """Settled without libcst unless a broad handler's body holds a string: every handler is flagged as the visit
        flags it (those of ``except*``, which the visit does not meet, are left alone)."""
        starred = {id(h) for t in seen.nodes.get("TryStar", ()) if isinstance(t, ast.TryStar) for h in t.handlers}
        found: list[tuple[ast.expr | ast.excepthandler, str | None]] = []
        handlers = sorted(seen.nodes.get("ExceptHandler", ()), key=lambda h: (h.lineno, h.col_offset))
        for handler in handlers:  # in source order, as the visit meets them
            if not isinstance(handler, ast.ExceptHandler) or id(handler) in starred:
                continue
            if handler.type is None:
                found.append((handler, _BARE))
            elif broad := _broad_in(handler.type):
                nothing = _nothing_done(handler.body)
                if nothing is None:
                    return None
                if nothing:
                    found.append((handler, f"except {broad}: that discards the error"))
        return found

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None:
            self.report(node, _BARE)
        elif (broad := _broad_name(node.type)) and _does_nothing(node.body):
            self.report(node, f"except {broad}: that discards the error")
