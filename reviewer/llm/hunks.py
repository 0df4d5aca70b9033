"""Hunks: the added lines of a file in runs, with context, and the judgment rules each one goes to."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

from codex.model import Rule
from reviewer.targets import Target, path_matches, prefilter_passes

_DEFINITION = re.compile(r"\s*(async\s+def|def|class|local\s+function|function)\b")
SCOPE_LINES = 15  # a hunk inside a definition starting at most this far above its context shows the definition from its header
MAX_HUNK_LINES = 80  # a longer run of added lines (a new file, an audit) is cut into pieces of this size


@dataclass(frozen=True)
class Hunk:
    """Lines ``start``..``end`` of a file (1-based, post-change); ``added`` are the added or changed ones."""

    target: Target
    start: int
    end: int
    added: frozenset[int]

    @property
    def path(self) -> str:
        return self.target.path

    @cached_property
    def lines(self) -> list[tuple[int, str]]:
        text = self.target.text.splitlines()
        return [(n, text[n - 1]) for n in range(self.start, self.end + 1)]

    @cached_property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    @cached_property
    def content_hash(self) -> str:
        """Path, language, text and which lines are added: not the line numbers, so a shifted hunk hits the cache."""
        parts = [self.path, self.target.language] + [f"{'+' if n in self.added else ' '}{line}" for n, line in self.lines]
        return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Routed:
    """A hunk and the judgment rules that are asked about it."""

    hunk: Hunk
    rules: tuple[Rule, ...]


def hunks_of(target: Target, context: int) -> list[Hunk]:
    """Runs of added lines whose context windows touch become one hunk, with ``context`` lines around it (from the
    enclosing definition's header when that is near); ``added=None`` means every line."""
    total = len(target.text.splitlines())
    added = sorted(n for n in (target.added if target.added is not None else range(1, total + 1)) if 1 <= n <= total)
    runs: list[list[int]] = []
    for n in added:
        if runs and n - runs[-1][-1] <= 2 * context + 1 and n - runs[-1][0] < MAX_HUNK_LINES:
            runs[-1].append(n)
        else:
            runs.append([n])
    lines = target.text.splitlines()
    hunks: list[Hunk] = []
    for run in runs:
        start = _scope_start(lines, run[0], max(1, run[0] - context))
        start = max(start, hunks[-1].end + 1) if hunks else start
        hunks.append(Hunk(target, start, min(total, run[-1] + context), frozenset(run)))
    return hunks


def _scope_start(lines: list[str], first: int, start: int) -> int:
    """The header line of the definition enclosing line ``first`` when it is at most SCOPE_LINES above ``start``.

    The model judges a line better when it sees the function it is in (what was checked before it).
    """
    indent = _indent(lines[first - 1])
    for n in range(start - 1, max(0, start - 1 - SCOPE_LINES), -1):
        line = lines[n - 1]
        if line.strip() and _indent(line) < indent:
            if _DEFINITION.match(line):
                return n
            indent = _indent(line)
    return start


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip()) if line.strip() else 1 << 30


def route(rules: list[Rule], targets: list[Target], context: int) -> list[Routed]:
    """Each hunk with the rules whose languages, paths and prefilter it passes; hunks no rule wants are left out."""
    routed: list[Routed] = []
    for target in targets:
        candidates = [r for r in rules if target.language in r.languages and path_matches(r.paths, target.scope_path)]
        if not candidates:
            continue
        for hunk in hunks_of(target, context):
            chosen = tuple(r for r in candidates if prefilter_passes(r.prefilter, hunk.text))
            if chosen:
                routed.append(Routed(hunk, chosen))
    return routed
