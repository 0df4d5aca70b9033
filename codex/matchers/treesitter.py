"""The tree-sitter matcher kind: rules written as codex.treesitter_lint.TreeSitterRule classes, for the languages
whose grammar codex installs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from codex.matchers import ClassMatcherKind
from codex.model import ClassMatcher

GRAMMARS = {"rust": "tree_sitter_rust"}  # language -> the grammar's module (its wheel)


class TreeSitterMatcher(ClassMatcher):
    kind: Literal["tree-sitter"] = "tree-sitter"
    rule_class: str = Field(description="import path of a codex.treesitter_lint.TreeSitterRule, as 'package.module:ClassName'")


class TreeSitterKind(ClassMatcherKind):
    kind = "tree-sitter"
    matcher = TreeSitterMatcher
    base = "codex.treesitter_lint:TreeSitterRule"
    languages = tuple(GRAMMARS)


MATCHER_KIND = TreeSitterKind()
