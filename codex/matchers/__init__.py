"""Matcher kinds, the configuration half of an engine: the ``kind`` a rule's ``yaml codex`` block names, its
config model, and its parsing and validation at compile time. The running half (start, collect, version, the
result cache's identity) is reviewer/engines, keyed by the same kind.

A matcher kind is a module here with a ``MATCHER_KIND`` object, listed in ``REGISTRY``; its running half is the
module of the same name in reviewer/engines, which reviewer's registry finds through this one. Modules import their
heavy libraries only when they parse, so listing them (reading a ruleset) costs nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, ClassVar, Protocol

from pydantic import Field

from codex.model import MatcherConfig
from codex.rule_class import NO_LINT_PACKAGES, LintPackages

if TYPE_CHECKING:
    from codex.problems import Problem
    from codex.rfc import Block

REGISTRY: dict[str, str] = {
    "semgrep": "codex.matchers.semgrep",
    "libcst": "codex.matchers.libcst",
    "tree-sitter": "codex.matchers.treesitter",
}


@dataclass(frozen=True)
class MatcherSource:
    """What a rule section gives its matcher kind to build the matcher from."""

    rule_id: str
    languages: tuple[str, ...]
    rule_class: str | None
    fences: list[Block]
    path: str  # the RFC file
    line: int  # the rule's heading
    lint_packages: LintPackages | None = NO_LINT_PACKAGES  # where matcher classes may be imported from besides codex.lints; None: none


class MatcherKind(Protocol):
    kind: ClassVar[str]
    matcher: ClassVar[type[MatcherConfig]]

    def parse(self, source: MatcherSource) -> tuple[MatcherConfig | None, list[Problem]]:
        """The rule's matcher, validated, or the problems (with the RFC's path and line) why not."""


def matcher_kind(kind: str) -> MatcherKind:
    """The matcher kind named ``kind``; KeyError when there is none."""
    return importlib.import_module(REGISTRY[kind]).MATCHER_KIND


def distribution_version(*names: str) -> str:
    """Installed versions of these distributions, for an engine's ``version`` (reviewer/engines)."""
    versions = []
    for name in names:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return ", ".join(versions)


class ClassMatcher(MatcherConfig):
    """A matcher that is a class: the config model of every matcher kind whose rules name one."""

    rule_class: str = Field(description="import path of a subclass of its kind's base class, as 'package.module:ClassName'")


class ClassMatcherKind:
    """The part matcher kinds whose matchers are classes (``rule_class: package.module:ClassName``) share."""

    kind: ClassVar[str]
    matcher: ClassVar[type[ClassMatcher]]
    base: ClassVar[str]  # the class every matcher class derives from, as 'package.module:ClassName'
    languages: ClassVar[tuple[str, ...]]

    def parse(self, source: MatcherSource) -> tuple[MatcherConfig | None, list[Problem]]:
        """The class is checked by importing it from where the configuration allows; with ``lint_packages=None``
        (a merge request's own RFCs) only its form is checked and nothing is imported."""
        from codex.problems import Problem
        from codex.rule_class import RuleClassError, check_form, load_rule_class

        def problem(message: str, hint: str) -> tuple[None, list[Problem]]:
            return None, [Problem(path=source.path, line=source.line, message=message, hint=hint)]

        if not set(source.languages) <= set(self.languages):
            names = " and ".join(name.capitalize() for name in self.languages)
            return problem(f"{self.kind} rules match {names} only", f"set languages: [{', '.join(self.languages)}]")
        if not source.rule_class:
            return problem(f"{self.kind} rule without rule_class", "name the class as 'package.module:ClassName'")
        try:
            if source.lint_packages is None:
                check_form(source.rule_class)
            else:
                load_rule_class(source.rule_class, self.base, source.lint_packages.packages)
        except RuleClassError as exc:
            return problem(f"cannot load {source.rule_class}: {exc}", (source.lint_packages or NO_LINT_PACKAGES).hint(self.base))
        return self.matcher.model_validate({"rule_class": source.rule_class}), []
