"""The static engines, the running half: one protocol and one registry, as pre-commit's ``Language`` and
``all_languages``.

An engine is a module with an ``ENGINE`` object: the matcher ``kind`` it runs (its configuration half, the config
model and its parsing and validation at compile time, is codex/matchers under the same kind), a version (part of
the result cache's key) and ``start``/``collect`` to run its rules over files. Adding a matcher kind is one
module here and one of the same name in codex/matchers, one line in codex/matchers' ``REGISTRY`` (this one follows
it) and its tests. Engine modules import their
heavy libraries only when they run, so listing them (keying the cache) costs nothing.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, cast

from codex.matchers import REGISTRY as MATCHER_KINDS

if TYPE_CHECKING:
    from codex.matchers import ClassMatcher
    from codex.model import MatcherConfig, Rule
    from codex.problems import Problem
    from reviewer.targets import Target

# The running half of each matcher kind: the module of the same name as its configuration half in codex/matchers.
REGISTRY: dict[str, str] = {kind: f"{__name__}.{module.rpartition('.')[2]}" for kind, module in MATCHER_KINDS.items()}


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


class Run(Protocol):
    transient: set[str]  # target paths with an error that may not recur (a timeout): never cached

    def collect(self) -> Results: ...


class Engine(Protocol):
    kind: ClassVar[str]
    matcher: ClassVar[type[MatcherConfig]]  # the config model its kind's codex/matchers module defines
    background: ClassVar[bool]  # ``start`` leaves it running elsewhere (a process): collected after the others

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


def crash_problem(rule: Rule, target: Target, exc: Exception) -> Problem:
    """A matcher that raised on a file: said plainly, and the other rules' results kept."""
    from codex.problems import Problem

    return Problem(
        path=target.path,
        message=f"rule {rule.id} failed on this file: {type(exc).__name__}: {exc}",
        hint="report it to the rule's authors; the other rules still ran",
        kind="rule",
    )


class ClassEngine:
    """The part engines whose matchers are classes (``rule_class: package.module:ClassName``) share."""

    base: ClassVar[str]  # the class every matcher class derives from (its kind's, in codex/matchers)
    background: ClassVar[bool] = False  # matcher classes run in this process

    def matcher_class(self, rule: Rule) -> type[Any]:
        """The rule's matcher class, imported when the ruleset was loaded (or a shipped one)."""
        from codex.rule_class import loaded_rule_class

        return loaded_rule_class(cast("ClassMatcher", rule.matcher).rule_class, self.base)

    def identity(self, rule: Rule) -> str:
        """The rule's content hash and the source of its matcher class's module."""
        from codex.rule_class import module_file

        try:
            origin = module_file(cast("ClassMatcher", rule.matcher).rule_class.partition(":")[0])
            source = Path(origin).read_bytes() if origin else b""
        except (ImportError, ValueError, OSError):
            source = b""  # the engine reports the broken class; nothing of it is worth keying on
        return rule.content_hash() + hashlib.sha256(source).hexdigest()[:16]
