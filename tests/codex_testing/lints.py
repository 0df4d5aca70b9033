"""Matcher classes for tests: a libcst matcher that fails, to show a broken matcher is isolated."""

from __future__ import annotations

import libcst as cst

from codex.lint import LintRule


class CrashesOnCalls(LintRule):
    """A deliberately broken matcher: raises inside the batched visit."""

    def visit_Call(self, node: cst.Call) -> None:
        raise RuntimeError("matcher bug")
