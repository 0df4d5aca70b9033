"""The file index: what each file's content gave the last run, found again by the file's status alone.

A warm re-run reads no file whose status is unchanged, as git's index lets ``git status`` do: the index keeps,
per path, the file's size, modification and change times (nanoseconds) and inode, with its digest, whether it is
binary, and which probes (rules' prefilters, the override marker) its text passes. The change time cannot be set
by a program, so a rewrite that restores size and modification time still misses. A file changed in the
``SETTLE_NS`` before the run started is never recorded: a write in the same clock tick as the run's read would
leave its status unchanged ("racily clean", in git's words). Another codex (its version, or its code that sniffs,
hashes and probes files), probe list or tree starts an empty index; an unreadable one is a note and an empty index.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from codex import __version__
from codex.model import Prefilter
from codex.problems import Problem
from reviewer import targets
from reviewer.cache_files import Unreadable, read_model, shown, write_at_once
from reviewer.targets import Known, prefilter_passes

FORMAT = "codex-files/1"
SUBDIR = "files"
SETTLE_NS = 2_000_000_000  # a file's times must be this much older than the run (FAT keeps times to 2 s)
Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


class _Stored(NamedTuple):
    signature: Signature
    digest: str  # "" for a binary file
    passed: tuple[int, ...]  # indices into the index's probe list


class _IndexFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str
    identity: str
    files: dict[str, _Stored]


class FileIndex:
    """The index of the tree at ``root``, kept under ``<directory>/files/``; ``probes``: per language, the probes a
    file's text is tested with (every rule's prefilter for its languages, and those every file needs)."""

    def __init__(self, directory: Path, root: Path, probes: dict[str, tuple[Prefilter, ...]], settle_ns: int | None = None):
        self._probes = sorted({p for ps in probes.values() for p in ps}, key=lambda p: p.model_dump_json())
        self._number = {p: n for n, p in enumerate(self._probes)}
        self._by_language = {language: frozenset(ps) for language, ps in probes.items()}
        self.root = root
        tree = str(root.resolve())
        self.path = directory / SUBDIR / f"{hashlib.sha256(tree.encode()).hexdigest()[:16]}.json"
        self._identity = hashlib.sha256("\x1f".join([_reader(), tree, *(p.model_dump_json() for p in self._probes)]).encode()).hexdigest()
        self._settled_before = time.time_ns() - (SETTLE_NS if settle_ns is None else settle_ns)
        self._files: dict[str, _Stored] = {}
        self._seen: set[str] = set()
        self._changed = False
        self.problems: list[Problem] = []
        self._load()

    def lookup(self, path: str, status: os.stat_result, language: str) -> Known | None:
        """What the file at ``path`` gave when its status was this one (a binary file: digest ""), None if unknown."""
        self._seen.add(path)
        stored = self._files.get(path)
        if stored is None or stored.signature != _signature(status):
            return None
        passed = frozenset(self._probes[n] for n in stored.passed)
        return Known(stored.digest, passed, self._by_language.get(language, frozenset()))

    def learn(self, path: str, status: os.stat_result, language: str, data: bytes, text: str | None) -> Known:
        """What ``data`` (the file's bytes, read after ``status``; ``text``: their text, None when binary) gives,
        recorded unless the file changed too recently to trust its status, or its file system keeps no times (0)."""
        probed = self._by_language.get(language, frozenset())
        passed = frozenset(p for p in probed if text is not None and prefilter_passes(p, text))
        known = Known(hashlib.sha256(data).hexdigest() if text is not None else "", passed, probed)
        self._seen.add(path)
        if min(status.st_mtime_ns, status.st_ctime_ns) > 0 and max(status.st_mtime_ns, status.st_ctime_ns) < self._settled_before:
            self._files[path] = _Stored(_signature(status), known.digest, tuple(sorted(self._number[p] for p in passed)))
            self._changed = True
        return known

    def save(self) -> None:
        """Write the index if this run learnt something, without the files that no longer exist (a note if it
        cannot be written)."""
        if not self._changed:
            return
        files = {p: s for p, s in self._files.items() if p in self._seen or os.path.lexists(self.root / p)}
        try:  # a concurrent run reads the old index or the new one
            write_at_once(self.path, _IndexFile(format=FORMAT, identity=self._identity, files=files), self.path.parent.parent)
        except OSError as exc:
            self.problems.append(
                Problem(
                    path=shown(self.path, self.root),
                    message=f"cannot write the file index ({exc.strerror or exc}); files are read afresh next time",
                    kind="cache",
                )
            )

    def _load(self) -> None:
        try:
            stored = read_model(self.path, _IndexFile)
        except Unreadable as exc:
            self.problems.append(
                Problem(
                    path=shown(self.path, self.root),
                    message=f"the file index is unreadable ({exc.why}); every file is read afresh",
                    hint="nothing to do: the index is rewritten (delete the cache directory to clear it)",
                    kind="cache",
                )
            )
            return
        if stored is not None and stored.format == FORMAT and stored.identity == self._identity:
            self._files = stored.files


@functools.cache
def _reader() -> str:
    """What an entry's meaning depends on besides the file: codex, and the code that sniffs, hashes and probes files."""
    sources = b"".join(Path(m.__file__).read_bytes() for m in (targets, sys.modules[__name__]) if m.__file__)
    return f"{FORMAT}; codex {__version__}; {hashlib.sha256(sources).hexdigest()}"


def _signature(status: os.stat_result) -> Signature:
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
