"""The libcst matcher kind: Python rules written as codex.lint.LintRule classes (Fixit's style)."""

from __future__ import annotations

from typing import Literal

from codex.matchers import ClassMatcher, ClassMatcherKind


class LibcstMatcher(ClassMatcher):
    kind: Literal["libcst"] = "libcst"


class LibcstKind(ClassMatcherKind):
    kind = "libcst"
    matcher = LibcstMatcher
    base = "codex.lint:LintRule"
    languages = ("python",)


MATCHER_KIND = LibcstKind()
