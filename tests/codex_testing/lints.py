"""Matcher classes for tests: broken libcst and tree-sitter matchers, to show a broken matcher is isolated."""

from __future__ import annotations

import libcst as cst

from codex.lint import LintRule
from codex.treesitter_lint import TreeSitterRule


class CrashesOnCalls(LintRule):
    """A deliberately broken matcher: raises inside the batched visit."""

    def visit_Call(self, node: cst.Call) -> None:
        raise RuntimeError("matcher bug")


class RaisesOnCalls(TreeSitterRule):
    """A deliberately broken matcher."""

    LANGUAGE = "rust"

    def visit_call_expression(self, node) -> None:
        raise RuntimeError("matcher bug")


class VisitsUnknownNodes(TreeSitterRule):
    """A matcher visiting a node type the grammar lacks."""

    LANGUAGE = "rust"

    def visit_no_such_node(self, node) -> None:
        pass
