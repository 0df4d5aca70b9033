"""The static engines: one protocol and one registry, as pre-commit's ``Language`` and ``all_languages``.

An engine is a module with an ``ENGINE`` object: the matcher ``kind`` a rule's ``yaml codex`` block names,
the matcher's config model and its parsing and validation at compile time, a version (part of the result
cache's key) and ``start``/``collect`` to run its rules over files. Adding a matcher kind is one module
here, one line in ``REGISTRY`` and its tests. Engine modules import their heavy libraries only when they
run, so listing them (loading a ruleset, keying the cache) costs nothing.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, NamedTuple, Protocol

if TYPE_CHECKING:
    from codex.model import MatcherConfig, Rule
    from codex.problems import Problem
    from codex.rfc import Block
    from reviewer.targets import Target

# Engines in the order they start: one that runs in another process first, so the others overlap with it.
REGISTRY: dict[str, str] = {
    "semgrep": "reviewer.engines.semgrep",
    "libcst": "reviewer.engines.libcst",
    "tree-sitter": "reviewer.engines.treesitter",
}


class Match(NamedTuple):
    """One place a rule matched in one file: what an engine finds and what the result cache keeps."""

    rule_id: str
    line: int
    end_line: int
    column: int
    message: str | None
    engine: str
    fix: str | None = None  # lines line..end_line as the rule's fix rewrites them, when it has one
    end_column: int | None = None  # 1-based, just past the match on ``end_line`` (None: unknown, to the line's end)


Job = tuple["Target", list["Rule"]]
Results = tuple[dict[str, list[Match]], list["Problem"]]  # matches by target path; problems (with a path: of that file)


@dataclass(frozen=True)
class MatcherSource:
    """What a rule section gives its engine to build the matcher from."""

    rule_id: str
    languages: tuple[str, ...]
    rule_class: str | None
    fences: list[Block]
    path: str  # the RFC file
    line: int  # the rule's heading
    lint_packages: tuple[str, ...] | None = ()  # where matcher classes may be imported from besides codex.lints; None: none


class Run(Protocol):
    transient: set[str]  # target paths with an error that may not recur (a timeout): never cached

    def collect(self) -> Results: ...


class Engine(Protocol):
    kind: ClassVar[str]
    matcher: ClassVar[type[MatcherConfig]]
    background: ClassVar[bool]  # ``start`` leaves it running elsewhere (a process): collected after the others

    def parse(self, source: MatcherSource) -> tuple[MatcherConfig | None, list[Problem]]:
        """The rule's matcher, validated, or the problems (with the RFC's path and line) why not."""

    def version(self) -> str: ...

    def identity(self, rule: Rule) -> str:
        """What decides the rule's matches besides the file: its content hash, and any code it names."""

    def start(self, jobs: list[Job], busy_cpus: int) -> Run:
        """Begin matching each job's rules over its target; ``busy_cpus`` are taken by engines already running."""


def engine(kind: str) -> Engine:
    """The engine of a matcher kind; KeyError when there is none."""
    return importlib.import_module(REGISTRY[kind]).ENGINE


def all_engines() -> list[Engine]:
    return [engine(kind) for kind in REGISTRY]


def distribution_version(*names: str) -> str:
    """Installed versions of these distributions, for an engine's ``version``."""
    versions = []
    for name in names:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return ", ".join(versions)


def crash_problem(rule: Rule, target: Target, exc: Exception) -> Problem:
    """A matcher that raised on a file: said plainly, and the other rules' results kept."""
    from codex.problems import Problem

    return Problem(path=target.path, message=f"rule {rule.id} failed on this file: {type(exc).__name__}: {exc}",
                   hint="report it to the rule's authors; the other rules still ran", kind="rule")


class ClassEngine:
    """The part engines whose matchers are classes (``rule_class: package.module:ClassName``) share."""

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
                load_rule_class(source.rule_class, self.base, source.lint_packages)
        except RuleClassError as exc:
            return problem(f"cannot load {source.rule_class}: {exc}",
                           f"name a {self.base.replace(':', '.')} subclass in codex.lints or in a package [tool.codex] lint_packages "
                           "lists, as 'package.module:ClassName'")
        return self.matcher(rule_class=source.rule_class), []

    def identity(self, rule: Rule) -> str:
        """The rule's content hash and the source of its matcher class's module."""
        from codex.rule_class import module_file

        try:
            origin = module_file(rule.matcher.rule_class.partition(":")[0])  # type: ignore[attr-defined]
            source = Path(origin).read_bytes() if origin else b""
        except (ImportError, ValueError, OSError):
            source = b""  # the engine reports the broken class; nothing of it is worth keying on
        return rule.content_hash() + hashlib.sha256(source).hexdigest()[:16]
