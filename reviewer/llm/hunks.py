"""Hunks: what is sent of a file's added lines (changed definitions whole, other lines in runs with context),
and the judgment rules each one goes to."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

from codex.model import Rule
from reviewer.llm.definitions import definition_spans
from reviewer.targets import Target, path_matches, prefilter_passes

_DEFINITION = re.compile(r"\s*(async\s+def|def|class|local\s+function|function|func|(pub(\([^)]*\))?\s+)?(async\s+)?fn|impl)\b")
_COMMENT = re.compile(r"\s*(#|--|//)")
SCOPE_LINES = 15  # a hunk inside a definition starting at most this far above its context shows the definition from its header
MAX_DEFINITION_LINES = 150  # a changed definition up to this long is sent whole; a longer one as hunks
MAX_HUNK_LINES = 80  # a longer run of added lines (a new file, an audit) is cut into pieces of at most this size


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
        text = source_lines(self.target.text)
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


def source_lines(text: str) -> list[str]:
    """The lines of a file as git numbers them: split at ``\n`` only (``str.splitlines`` also splits at a form feed,
    ``\x1c``-``\x1e``, ``\x85``, ``\u2028`` and a lone ``\r``), without the ``\r`` of a CRLF line end."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def hunks_of(target: Target, context: int) -> list[Hunk]:
    """What is sent of a file's added lines, in file order: each changed definition whole (``definition_spans``:
    Python, Lua, Rust), with the comment lines right above it, when it has at most MAX_DEFINITION_LINES lines,
    with no neighbour; and the other added
    lines (not blank) as hunks (``_hunks``), which never reach into those definitions. ``added=None`` means every
    line."""
    lines = source_lines(target.text)
    added = sorted(n for n in (target.added if target.added is not None else range(1, len(lines) + 1)) if 1 <= n <= len(lines))
    units: list[Hunk] = []
    for first, last in definition_spans(target.language, target.text):
        while first > 1 and _COMMENT.match(lines[first - 2]):  # the comments right above it are part of it
            first -= 1
        inside = [n for n in added if first <= n <= last]
        if inside and last - first < MAX_DEFINITION_LINES:
            units.append(Hunk(target, first, last, frozenset(inside)))
    covered = {n for unit in units for n in range(unit.start, unit.end + 1)}
    rest = [n for n in added if n not in covered and lines[n - 1].strip()]
    return sorted(units + _hunks(target, lines, rest, context, units), key=lambda hunk: hunk.start)


def _hunks(target: Target, lines: list[str], added: list[int], context: int, walls: list[Hunk]) -> list[Hunk]:
    """Runs of added lines whose context windows touch become one hunk, with up to ``context`` lines around it; the
    context reaches up to the enclosing definition's header when that is near, and stops at the edge of a sibling
    definition (see ``_context_start``/``_context_end``) and of the ``walls`` (definitions sent whole). A run
    longer than MAX_HUNK_LINES is cut before definitions (``_pieces``); no line is sent twice."""
    total = len(lines)
    runs: list[list[int]] = []
    for n in added:
        if runs and n - runs[-1][-1] <= 2 * context + 1 and not any(runs[-1][-1] < w.start and w.end < n for w in walls):
            runs[-1].append(n)
        else:
            runs.append([n])
    pieces = [piece for run in runs for piece in _pieces(lines, run)]
    hunks: list[Hunk] = []
    for i, run in enumerate(pieces):
        floor = max([w.end + 1 for w in walls if w.end < run[0]] + [hunks[-1].end + 1 if hunks else 1])
        ceiling = min([w.start - 1 for w in walls if w.start > run[-1]] + [pieces[i + 1][0] - 1 if i + 1 < len(pieces) else total])
        start = max(floor, _context_start(lines, run[0], max(1, run[0] - context)))
        start = next((n for n in range(start, run[0]) if lines[n - 1].strip()), run[0])  # no leading blank lines
        hunks.append(Hunk(target, start, _context_end(lines, run, min(ceiling, run[-1] + context)), frozenset(run)))
    return hunks


def _pieces(lines: list[str], run: list[int]) -> list[list[int]]:
    """``run`` cut into pieces of at most MAX_HUNK_LINES lines, each cut before the outermost definition (or its
    decorators) that keeps the piece in size, else after MAX_HUNK_LINES lines."""
    pieces: list[list[int]] = []
    while run[-1] - run[0] >= MAX_HUNK_LINES:
        cuts = [n for n in run if run[0] < n <= run[0] + MAX_HUNK_LINES and _starts_definition(lines, n)]
        cut = min(cuts, key=lambda n: (_indent(lines[n - 1]), -n)) if cuts else run[0] + MAX_HUNK_LINES
        pieces.append([n for n in run if n < cut])
        run = [n for n in run if n >= cut]
    return [*pieces, run]


def _starts_definition(lines: list[str], n: int) -> bool:
    """Line ``n`` opens a definition, or its first decorator."""
    above = next((lines[k - 1] for k in range(n - 1, 0, -1) if lines[k - 1].strip()), "")
    return _opens_definition(lines[n - 1]) and not (above.lstrip().startswith("@") and _indent(above) == _indent(lines[n - 1]))


def _context_start(lines: list[str], first: int, start: int) -> int:
    """Where the context above added line ``first`` begins.

    A run that opens a definition after the end of another block (or at the top level) is judged on its own: the
    tail of the definition before it tells the model nothing. Otherwise the context reaches the header of the
    definition enclosing ``first`` when that is at most SCOPE_LINES above ``start``, and starts there when it lies
    within the context: the model judges a line better when it sees the function it is in (what was checked
    before it), and nothing of the function before.
    """
    opening = next((n for n in range(first, len(lines) + 1) if lines[n - 1].strip()), first)
    above = next((n for n in range(first - 1, 0, -1) if lines[n - 1].strip()), None)
    if _opens_definition(lines[opening - 1]) and (above is None or _indent(lines[above - 1]) > _indent(lines[opening - 1])
                                                  or _indent(lines[opening - 1]) == 0):
        return first
    indent = _indent(lines[first - 1])
    for n in range(first - 1, max(0, start - 1 - SCOPE_LINES), -1):
        line = lines[n - 1]
        if line.strip() and _indent(line) < indent:
            if _DEFINITION.match(line):
                return n
            indent = _indent(line)
    return start


def _context_end(lines: list[str], run: list[int], end: int) -> int:
    """Where the context below the run ends: before the next definition at the run's level or outside it, and
    without trailing blank lines."""
    level = min(_indent(lines[n - 1]) for n in run)
    last = run[-1]
    for n in range(run[-1] + 1, end + 1):
        line = lines[n - 1]
        if line.strip() and _indent(line) <= level and _opens_definition(line):
            break
        if line.strip():
            last = n
    return last


def _opens_definition(line: str) -> bool:
    return bool(_DEFINITION.match(line)) or line.lstrip().startswith("@")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip()) if line.strip() else 1 << 30


def route(rules: list[Rule], targets: list[Target], context: int) -> tuple[list[Routed], dict[str, int]]:
    """Each hunk with the rules whose languages, paths and prefilter it passes (hunks no rule wants are left out),
    and per rule how many hunks in its languages and paths its prefilter turned away. The prefilter reads the hunk
    as it is sent, not the file: its added lines and their context, which stays inside the enclosing definition (a
    changed ``return rules.action`` under an unchanged ``local rules = conf.rules`` is the incident class)."""
    routed: list[Routed] = []
    skipped = dict.fromkeys((r.id for r in rules), 0)
    for target in targets:
        candidates = [r for r in rules if target.language in r.languages and path_matches(r.paths, target.scope_path)]
        if not candidates:
            continue
        for hunk in hunks_of(target, context):
            chosen = tuple(r for r in candidates if prefilter_passes(r.prefilter, hunk.text))
            for rule in candidates:
                skipped[rule.id] += rule not in chosen
            if chosen:
                routed.append(Routed(hunk, chosen))
    return routed, skipped
