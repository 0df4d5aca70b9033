"""Matcher classes for tests: broken libcst and tree-sitter matchers, to show a broken matcher is isolated, and
tree-sitter matchers with and without patterns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

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


class FlagsEveryCall(TreeSitterRule):
    """Every call expression, unnarrowed."""

    LANGUAGE = "rust"

    def visit_call_expression(self, node) -> None:
        self.report(node)


class FlagsExitCalls(TreeSitterRule):
    """Calls of a function named ``exit``: its pattern narrows the calls it is given, and each contains the word."""

    LANGUAGE = "rust"
    PATTERNS: ClassVar[Mapping[str, str]] = {"call_expression": '(call_expression function: (identifier) @f (#eq? @f "exit"))'}
    WORDS = ("exit",)

    def visit_call_expression(self, node) -> None:
        self.report(node)


class ExitCallsUnderOtherWords(FlagsExitCalls):
    """The same, declaring a word its calls do not contain: it is given only calls around that word."""

    WORDS = ("other",)


class PatternForAnUnvisitedType(TreeSitterRule):
    """A pattern for a node type it has no visit method for."""

    LANGUAGE = "rust"
    PATTERNS: ClassVar[Mapping[str, str]] = {"macro_invocation": "(macro_invocation)"}

    def visit_call_expression(self, node) -> None:
        self.report(node)


class PatternOfAnotherType(TreeSitterRule):
    """A pattern whose outermost node is not the type it is given for."""

    LANGUAGE = "rust"
    PATTERNS: ClassVar[Mapping[str, str]] = {"call_expression": "(macro_invocation)"}

    def visit_call_expression(self, node) -> None:
        self.report(node)
