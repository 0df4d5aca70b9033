"""The tree-sitter matcher kind: rules written as codex.treesitter_lint.TreeSitterRule classes, for the languages
whose grammar codex installs."""

from __future__ import annotations

from typing import Literal

from codex.matchers import ClassMatcher, ClassMatcherKind

GRAMMARS = {"rust": "tree_sitter_rust"}  # language -> the grammar's module (its wheel)


class TreeSitterMatcher(ClassMatcher):
    kind: Literal["tree-sitter"] = "tree-sitter"


class TreeSitterKind(ClassMatcherKind):
    kind = "tree-sitter"
    matcher = TreeSitterMatcher
    base = "codex.treesitter_lint:TreeSitterRule"
    languages = tuple(GRAMMARS)


MATCHER_KIND = TreeSitterKind()
