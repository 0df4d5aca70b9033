"""The libcst matcher kind: Python rules written as codex.lint.LintRule classes (Fixit's style)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from codex.matchers import ClassMatcherKind
from codex.model import ClassMatcher


class LibcstMatcher(ClassMatcher):
    kind: Literal["libcst"] = "libcst"
    rule_class: str = Field(description="import path, as 'package.module:ClassName'")


class LibcstKind(ClassMatcherKind):
    kind = "libcst"
    matcher = LibcstMatcher
    base = "codex.lint:LintRule"
    languages = ("python",)


MATCHER_KIND = LibcstKind()
