"""Which changed files are checked, and which rules apply to each."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from wcmatch import glob

from codex.languages import language_of
from codex.model import PathFilter, Prefilter, Rule
from codex.problems import Problem
from reviewer.changes import ChangeSet
from reviewer.unified_diff import printable

_GLOB_FLAGS = glob.GLOBSTAR | glob.DOTGLOB | glob.BRACE


@dataclass(frozen=True)
class Target:
    """A file to check: ``path`` is what findings report; rules' path globs match ``scope_path`` (None: no path filter)."""

    path: str
    abs_path: Path
    language: str
    added: frozenset[int] | None
    scope_path: str | None

    @cached_property
    def text(self) -> str:
        return self.abs_path.read_bytes().decode("utf-8", "replace")

    @cached_property
    def lines(self) -> list[str]:
        """The lines as git, diffs and the engines number them: split at "\n" alone (``str.splitlines`` also splits at
        a form feed, which PEP 8 allows between sections, and at a lone "\r"), without a CRLF's "\r"."""
        return [line.removesuffix("\r") for line in self.text.split("\n")]

    def char_column(self, line: int, byte_column: int) -> int:
        """A 1-based column counted in UTF-8 bytes (semgrep's, tree-sitter's) as codex counts it: in characters."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text.encode("utf-8", "surrogatepass")[: byte_column - 1].decode("utf-8", "ignore")) + 1

    def touches(self, line: int, end_line: int) -> bool:
        """Does a finding on these lines touch an added or changed line?"""
        return self.added is None or any(n in self.added for n in range(line, end_line + 1))


def path_matches(paths: PathFilter, path: str) -> bool:
    if paths.include and not matches_any(paths.include, path):
        return False
    return not (paths.exclude and matches_any(paths.exclude, path))


def in_scope(paths: PathFilter, scope_path: str | None) -> bool:
    """Do path globs take in a file at ``scope_path`` (always when None: no path filter applies to it)?"""
    return scope_path is None or path_matches(paths, scope_path)


def matches_any(patterns: tuple[str, ...], path: str) -> bool:
    """Does a root-relative ``path`` match one of the globs (``**`` spans directories)?"""
    return any(r.match(path) for r in _globs(patterns))


@functools.cache
def _globs(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Globs compiled once per run (``globmatch`` recompiles on every call: seconds over a large tree)."""
    return tuple(re.compile(r) for r in glob.translate(list(patterns), flags=_GLOB_FLAGS)[0])


def prefilter_passes(prefilter: Prefilter | None, text: str) -> bool:
    if prefilter is None:
        return True
    return any(k in text for k in prefilter.keywords) or any(re.search(r, text) for r in prefilter.regex)


def applies(rule: Rule, target: Target) -> bool:
    return target.language in rule.languages and in_scope(rule.paths, target.scope_path) and prefilter_passes(rule.prefilter, target.text)


def select_targets(changes: ChangeSet, languages: set[str]) -> tuple[list[Target], list[Problem]]:
    """Changed files in a language some rule covers; binary or missing ones are reported, not checked."""
    targets: list[Target] = []
    problems: list[Problem] = []
    for change in changes.files:
        language = language_of(change.path)
        if language not in languages:
            continue
        shown_as = printable(change.path)
        if shown_as != change.path:
            problems.append(
                Problem(
                    path=shown_as,
                    message="file name is not valid UTF-8, not checked",
                    kind="skipped",
                    hint="rename it: semgrep cannot read it and reports cannot name it",
                )
            )
            continue
        abs_path = change.source or changes.root / change.path
        link = _symlink_problem(change.path, abs_path)
        if link is not None:
            problems.append(link)
            continue
        if not (changes.root / change.path).resolve().is_relative_to(changes.root.resolve()):
            problems.append(Problem(path=change.path, message="outside the checked tree, not checked", kind="skipped"))
            continue
        if not abs_path.is_file():
            problems.append(
                Problem(
                    path=change.path, message=f"not found under {changes.root}", kind="skipped", hint="give --root the post-change tree the diff applies to"
                )
            )
            continue
        try:
            with abs_path.open("rb") as handle:
                head = handle.read(8192)
        except OSError as exc:
            problems.append(Problem(path=change.path, message=f"cannot read: {exc.strerror}", kind="skipped"))
            continue
        if b"\0" in head:
            problems.append(Problem(path=change.path, message="binary content, not checked", kind="skipped"))
            continue
        targets.append(Target(change.path, abs_path, language, change.added, change.path))
    return targets, problems


def _symlink_problem(path: str, abs_path: Path) -> Problem | None:
    """A file reached through a symbolic link is never read (its target may lie outside the repository) nor handed
    to semgrep (which refuses the whole scan over one): listed as skipped, naming the target when it is inside."""
    parts = Path(path).parts
    if ".." in parts:
        return None  # not a link: a path outside the tree, reported as such
    base = abs_path.parents[len(parts) - 1]  # the root, or the staged copy's
    links = [base.joinpath(*parts[:n]) for n in range(1, len(parts) + 1) if base.joinpath(*parts[:n]).is_symlink()]
    if not links:
        return None
    real = abs_path.resolve()
    if real.is_relative_to(base.resolve()):
        inside = real.relative_to(base.resolve()).as_posix()
        return Problem(
            path=path,
            message=f"symbolic link to {inside}, not checked here",
            kind="skipped",
            hint=f"{inside} is checked as its own file when the change touches it",
        )
    return Problem(path=path, message="symbolic link to a file outside the repository, not read", kind="skipped")
