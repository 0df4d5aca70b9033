"""Which changed files are checked, and which rules apply to each."""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from wcmatch import glob

from codex.config import MAX_FILE_BYTES
from codex.config_file import FromFile
from codex.languages import language_of
from codex.model import PathFilter, Prefilter, Rule
from codex.problems import Problem
from reviewer.changes import ChangeSet
from reviewer.unified_diff import printable

if TYPE_CHECKING:
    from reviewer.file_index import FileIndex

_GLOB_FLAGS = glob.GLOBSTAR | glob.DOTGLOB | glob.BRACE
SNIFFED_BYTES = 8192  # a NUL byte among the first this many makes a file binary
_NO_SUCH_FILE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # pathlib's ignored errors


class Contents(NamedTuple):
    """A file as read, kept once: its text (invalid UTF-8 replaced), and its bytes only when the text does not give
    them back (the text of most files is as large as their bytes: keeping both would double a run's memory);
    ``unread``: why a file known from the file index could not be read when needed (its text is then empty)."""

    text: str
    undecodable: bytes | None = None
    unread: str | None = None

    @classmethod
    def of(cls, data: bytes) -> Contents:
        try:
            return cls(data.decode("utf-8"))
        except UnicodeDecodeError:
            return cls(data.decode("utf-8", "replace"), data)

    @property
    def data(self) -> bytes:
        return self.undecodable if self.undecodable is not None else self.text.encode("utf-8")


class Known(NamedTuple):
    """What a file's content gives without its text (from reviewer/file_index.py): its sha256, and the probes (rules'
    prefilters) its text passes among those tested for its language, ``probed``."""

    digest: str
    passed: frozenset[Prefilter]
    probed: frozenset[Prefilter]


@dataclass(frozen=True)
class Target:
    """A file to check: ``path`` is what findings report; rules' path globs match ``scope_path`` (None: no path filter).
    ``contents``: the file as select_targets read it (None: read when first needed); ``known``: what its content gives,
    as the file index or select_targets found it."""

    path: str
    abs_path: Path
    language: str
    added: frozenset[int] | None
    scope_path: str | None
    contents: Contents | None = field(default=None, repr=False, compare=False)
    known: Known | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        return self._read.text

    @property
    def data(self) -> bytes:
        """The file's bytes, as the engines parse them: read from disk once per run, whoever asks first."""
        return self._read.data

    @property
    def digest(self) -> str:
        """The sha256 of the file's bytes."""
        return self.known.digest if self.known is not None else hashlib.sha256(self.data).hexdigest()

    def passes(self, prefilter: Prefilter | None) -> bool:
        """Can the file's text match a rule with this prefilter (answered without reading it when known)?"""
        if prefilter is not None and self.known is not None and prefilter in self.known.probed:
            return prefilter in self.known.passed
        return prefilter_passes(prefilter, self.text)

    def read(self) -> bool:
        """Read the file now if it is not yet: False when it cannot be read as the file index knew it (``unread`` says why)."""
        return self._read.unread is None

    @property
    def unread(self) -> str | None:
        """Why a file the index knew could not be read when it was needed (vanished, or changed since it was listed)."""
        return self._read.unread if "_read" in self.__dict__ else None

    @cached_property
    def _read(self) -> Contents:
        if self.contents is not None:
            return self.contents
        if self.known is None:
            return Contents.of(self.abs_path.read_bytes())
        try:  # known from the index: the file must still be what the index says
            data = self.abs_path.read_bytes()
        except OSError as exc:
            return Contents("", unread=f"cannot read: {exc.strerror}")
        if hashlib.sha256(data).hexdigest() != self.known.digest:
            return Contents("", unread="changed while codex checked it")
        return Contents.of(data)

    @cached_property
    def lines(self) -> list[str]:
        """The lines as git, diffs and the engines number them: split at "\n" alone (``str.splitlines`` also splits at
        a form feed, which PEP 8 allows between sections, and at a lone "\r"), without a CRLF's "\r"."""
        lines = self.text.split("\n")
        return [line.removesuffix("\r") for line in lines] if "\r" in self.text else lines

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
    return target.language in rule.languages and in_scope(rule.paths, target.scope_path) and target.passes(rule.prefilter)


def select_targets(
    changes: ChangeSet, languages: set[str], max_bytes: int = MAX_FILE_BYTES, keys: FromFile | None = None, index: FileIndex | None = None
) -> tuple[list[Target], list[Problem]]:
    """Changed files in a language some rule covers; binary, missing or unreadable ones, links, and those of more than
    ``max_bytes`` (checking is not linear in size: a 10 MB file took minutes; ``keys``: the configuration file that
    sets the limit) are reported, not checked. A file within the limit is read whole here, its only read of the run,
    unless ``index`` knows it unchanged (then it is read only if something needs its text)."""
    targets: list[Target] = []
    problems: list[Problem] = []
    too_large: list[Problem] = []
    links = _Links()
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
        parts = tuple(change.path.split("/"))
        if "" in parts or "." in parts:  # as Path(change.path).parts would give them
            parts = tuple(p for p in parts if p not in ("", "."))
        plain = ".." not in parts and not change.path.startswith("/")  # else not a link: a path leaving the tree
        try:
            status = _status(abs_path, follow=not plain)
        except OSError as exc:
            problems.append(Problem(path=change.path, message=f"cannot read: {exc.strerror}", kind="skipped"))
            continue
        base = changes.root if change.source is None else abs_path.parents[len(parts) - 1]  # or the staged copy's root
        if plain and (links.through_link(base, parts) or (status is not None and stat.S_ISLNK(status.st_mode))):
            problems.append(_symlink_problem(change.path, abs_path, base))
            continue
        leaves = not plain or change.source is not None  # a plain path without links stays inside the root
        if leaves and not (changes.root / change.path).resolve().is_relative_to(changes.root.resolve()):
            problems.append(Problem(path=change.path, message="outside the checked tree, not checked", kind="skipped"))
            continue
        if status is None or not stat.S_ISREG(status.st_mode):
            problems.append(
                Problem(
                    path=change.path, message=f"not found under {changes.root}", kind="skipped", hint="give --root the post-change tree the diff applies to"
                )
            )
            continue
        whole = status.st_size <= max_bytes
        indexed = index if whole and change.source is None else None  # a staged copy is not the tree's file
        known = indexed.lookup(change.path, status, language) if indexed is not None else None
        contents = None
        if known is None:
            try:
                with abs_path.open("rb") as handle:
                    data = handle.read() if whole else handle.read(SNIFFED_BYTES)
            except OSError as exc:
                problems.append(Problem(path=change.path, message=f"cannot read: {exc.strerror}", kind="skipped"))
                continue
            binary = data.find(b"\0", 0, SNIFFED_BYTES) != -1
            contents = Contents.of(data) if whole and not binary else None
            if indexed is not None:
                known = indexed.learn(change.path, status, language, data, None if contents is None else contents.text)
        else:
            binary = not known.digest
        if binary:
            problems.append(Problem(path=change.path, message="binary content, not checked", kind="skipped"))
        elif not whole:
            too_large.append(
                Problem(
                    path=change.path,
                    kind="skipped",
                    message=f"{status.st_size:,} bytes, over the limit of {max_bytes:,}: not checked",
                    hint=f"raise {(keys or FromFile()).setting('max_file_bytes')} to check it, or leave generated files out of the rules' paths",
                )
            )
        else:
            targets.append(Target(change.path, abs_path, language, change.added, change.path, contents, known))
    return targets, problems + too_large


def _status(path: Path, follow: bool) -> os.stat_result | None:
    """The file's status (of a link itself unless ``follow``); None when there is no such file (as ``Path.is_file``
    sees it); any other failure raises."""
    try:
        return os.stat(path, follow_symlinks=follow)
    except OSError as exc:
        if exc.errno in _NO_SUCH_FILE:
            return None
        raise


class _Links:
    """Which directories are symbolic links or lie under one: each directory asked of the file system once per run,
    however many files it holds, and each file's directory looked up once."""

    def __init__(self) -> None:
        self._under_link: dict[tuple[str, tuple[str, ...]], bool] = {}

    def through_link(self, base: Path, parts: tuple[str, ...]) -> bool:
        """Is a directory of ``parts`` (a path below ``base``) a symbolic link or under one?"""
        return self._linked(str(base), parts[:-1])

    def _linked(self, base: str, directories: tuple[str, ...]) -> bool:
        known = self._under_link.get((base, directories))
        if known is None:
            known = bool(directories) and (self._linked(base, directories[:-1]) or os.path.islink(os.path.join(base, *directories)))
            self._under_link[base, directories] = known
        return known


def _symlink_problem(path: str, abs_path: Path, base: Path) -> Problem:
    """A file reached through a symbolic link is never read (its target may lie outside the repository) nor handed
    to semgrep (which refuses the whole scan over one): listed as skipped, naming the target when it is inside
    ``base`` (the root, or the staged copy's)."""
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
