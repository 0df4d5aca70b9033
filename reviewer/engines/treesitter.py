"""The tree-sitter engine: one parse per file, every applicable matcher fed by one query for the nodes it visits
(its patterns, codex/treesitter_lint.py). The test-code model gets what it needs of a parsed file from here rather
than parsing it again. Grammars come from their wheels (``tree-sitter-rust``); tree-sitter and a grammar are
imported when a file of that language is checked, not when the engine is listed.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from codex.matchers import distribution_version
from codex.matchers.treesitter import GRAMMARS, TreeSitterKind, TreeSitterMatcher
from codex.model import Rule
from codex.problems import Problem
from reviewer.engines import ClassEngine, Job, Match, Results, crash_problem
from reviewer.targets import Target
from reviewer.test_code import forget_shared, share_tree

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

    from codex.treesitter_lint import TreeSitterRule


class TreeSitterEngine(ClassEngine):
    """Rules written as TreeSitterRule classes, batched over one parse per file."""

    kind = "tree-sitter"
    matcher = TreeSitterMatcher
    base = TreeSitterKind.base

    def version(self) -> str:
        return distribution_version("tree-sitter", *(module.replace("_", "-") for module in GRAMMARS.values()))

    def start(self, jobs: list[Job], busy_cpus: int) -> TreeSitterRun:
        return TreeSitterRun(jobs)


class TreeSitterRun:
    """The files are parsed and matched in this process when collected (tree-sitter parses in C, about 10 MB/s)."""

    def __init__(self, jobs: list[Job]):
        self.jobs = jobs
        self.transient: set[str] = set()

    def collect(self) -> Results:
        matches: dict[str, list[Match]] = {}
        problems: list[Problem] = []
        missing = _missing_grammars({t.language for t, _ in self.jobs})
        if missing:  # a broken install: said once for the run, never a quiet pass
            problems.append(
                Problem(
                    message=f"tree-sitter cannot run ({missing}); tree-sitter rules were not run",
                    kind="engine",
                    hint="install codex with its dependencies (pip install codex-rfc)",
                )
            )
            return matches, problems
        forget_shared()
        for target, rules in self.jobs:
            matches[target.path], file_problems = check_file(target, rules)
            problems += file_problems
        return matches, problems


ENGINE = TreeSitterEngine()


def parse(language: str, source: bytes) -> Tree:
    """``source`` parsed by the grammar of ``language`` (one of GRAMMARS)."""
    return _parser(language).parse(source)


def check_file(target: Target, rules: list[Rule]) -> tuple[list[Match], list[Problem]]:
    """Run ``rules`` (all tree-sitter-matched, in ``target``'s language) over one file."""
    from tree_sitter import QueryCursor

    source = target.data
    tree = parse(target.language, source)
    problems: list[Problem] = []
    if tree.root_node.has_error:
        line = _first_error_line(tree)
        problems.append(
            Problem(
                path=target.path,
                line=line,
                kind="parse",
                hint="the rest of the file was checked",
                message=f"tree-sitter could not parse this part of the file (from line {line}); tree-sitter rules may miss something in it",
            )
        )
    matchers: list[tuple[Rule, TreeSitterRule, tuple[tuple[str, str], ...]]] = []
    for rule in rules:
        try:
            matcher_class = ENGINE.matcher_class(rule)
            patterns = matcher_class.patterns()
            _query(target.language, tuple(p for _, p in patterns))  # a node type the grammar lacks or a bad pattern raises here, for this rule only
            matchers.append((rule, matcher_class(source), patterns))
        except Exception as exc:  # a broken matcher class must not stop the other rules
            problems.append(crash_problem(rule, target, exc))
    query = tuple(sorted({p for _, _, patterns in matchers for _, p in patterns}))
    words = tuple(sorted({w for _, m, _ in matchers for w in m.WORDS})) if all(m.WORDS for _, m, _ in matchers) else ()
    captures = _captures(QueryCursor(_query(target.language, query)), tree, source, words) if query else {}
    found = {p: captures.get(_capture(i), []) for i, p in enumerate(query)}
    matches: list[Match] = []
    exempt_matched = False  # then the test-code model will ask which lines of the file are test code
    for rule, matcher, patterns in matchers:
        visits: list[tuple[Node, Callable[[Node], None]]] = []
        for node_type, pattern in patterns:
            visit = getattr(matcher, f"visit_{node_type}")
            visits += [(node, visit) for node in found[pattern]]
        visits.sort(key=lambda pair: (pair[0].start_byte, -pair[0].end_byte))  # source order, an enclosing node first
        try:
            for node, visit in visits:
                visit(node)
        except Exception as exc:
            problems.append(crash_problem(rule, target, exc))
            continue
        exempt_matched |= rule.tests == "exempt" and bool(matcher.flagged)
        matches += [
            Match(
                rule.id,
                start.start_point.row + 1,
                end.end_point.row + 1,
                target.char_column(start.start_point.row + 1, start.start_point.column + 1),
                message,
                ENGINE.kind,
                end_column=target.char_column(end.end_point.row + 1, end.end_point.column + 1),
            )
            for start, end, message in matcher.flagged
        ]
    if exempt_matched:
        share_tree(target.language, source, tree)
    return matches, problems


def _captures(cursor: QueryCursor, tree: Tree, source: bytes, words: tuple[str, ...]) -> dict[str, list[Node]]:
    """The query's captures over the whole tree; with ``words``, only those of nodes that overlap an occurrence of
    one (a node containing a word overlaps the occurrence found there, or one that overlaps it)."""
    if not words:
        return cursor.captures(tree.root_node)
    captures: dict[str, set[Node]] = {}
    for occurrence in _occurrences(words).finditer(source):
        cursor.set_byte_range(occurrence.start(), occurrence.end())
        for name, nodes in cursor.captures(tree.root_node).items():
            captures.setdefault(name, set()).update(nodes)
    return {name: list(nodes) for name, nodes in captures.items()}


@functools.cache
def _occurrences(words: tuple[str, ...]) -> re.Pattern[bytes]:
    return re.compile(b"|".join(re.escape(w.encode()) for w in words))


def _missing_grammars(languages: set[str]) -> str | None:
    """What keeps tree-sitter from parsing these languages (its wheel or a grammar's not installed), or None."""
    try:
        for language in sorted(languages):
            _language(language)
    except ImportError as exc:
        return str(exc)
    return None


@functools.cache
def grammar(module: str, function: str = "language") -> Language:
    """A grammar from its wheel (``tree_sitter_rust``; ``function`` names its language where the wheel holds several),
    loaded once per process; ImportError when the wheel is not installed. Parsers are not shared: each user has its own."""
    from tree_sitter import Language

    return Language(getattr(importlib.import_module(module), function)())


def _language(language: str) -> Language:
    return grammar(GRAMMARS[language])


@functools.cache
def _parser(language: str) -> Parser:
    from tree_sitter import Parser

    return Parser(_language(language))


@functools.cache
def _query(language: str, patterns: tuple[str, ...]) -> Query:
    """One query for these patterns, the outermost node of each captured under ``_capture`` of its index."""
    from tree_sitter import Query

    return Query(_language(language), " ".join(f"{p} @{_capture(i)}" for i, p in enumerate(patterns)))


def _capture(index: int) -> str:
    return f"codex.visit.{index}"


def _first_error_line(tree: Tree) -> int:
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node is not None and (node.is_error or node.is_missing):
            return node.start_point.row + 1
        if node is not None and node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return 1
