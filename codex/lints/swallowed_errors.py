"""Exception handlers that hide errors: a bare ``except:``, or ``except Exception:`` /
``except BaseException:`` whose body only passes, continues or does nothing. Reported on the
``except`` line.
"""

from __future__ import annotations

import libcst as cst

from codex.lint import LintRule

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


class SwallowedErrors(LintRule):
    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None:
            self.report(node, "bare except: catches everything, including KeyboardInterrupt and SystemExit")
        elif isinstance(node.type, cst.Name) and node.type.value in _BROAD and _does_nothing(node.body):
            self.report(node, f"except {node.type.value}: that discards the error")
