"""The per-file result cache: what the static rules found in a file, keyed by its content and the rules.

An entry's key hashes the file's bytes, its language, the content hash of every static rule that
applies to it (with the source of matcher classes) and the versions of codex and every engine, so a
changed file, rule or engine is simply a miss. Entries hold raw matches, never findings: severity,
stage and messages come from the current ruleset, and diff scope and fingerprints are computed
afresh on every run. A corrupt entry is a note and a miss, never a crash.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from codex import __version__
from codex.config_file import FromFile
from codex.model import Rule
from codex.problems import Problem
from reviewer.cache_files import M, Unreadable, read_model, shown, write_at_once
from reviewer.engines import Match, all_engines, engine
from reviewer.stats import CacheStats
from reviewer.targets import Target

FORMAT = "codex-results/3"  # 2: matches carry their end column; 3: columns count characters (semgrep's were bytes)
SUBDIR = "static"


class CachedProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line: int | None = None
    message: str
    hint: str = ""
    kind: str


class CacheEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str
    matches: list[Match]
    problems: list[CachedProblem] = []


class ResultCache:
    """Entries under ``<directory>/static/``, one JSON file per key."""

    def __init__(self, directory: Path, keys: FromFile | None = None, root: Path | None = None):
        """``keys``: the configuration file read, which a problem names where ``cache_dir`` is set; ``root``: the
        checked tree, relative to which reports name the cache's files when they lie inside it."""
        self.directory = directory / SUBDIR
        self.root = root
        self.keys = keys or FromFile()
        self.hits = 0
        self.misses = 0
        self.problems: list[Problem] = []
        self._writable = True
        self._identities: dict[str, str] = {}  # rule id -> identity, for the one ruleset of a run

    def key(self, target: Target, rules: list[Rule]) -> str:
        parts = [
            FORMAT,
            _engines(),
            target.language,
            *sorted(self._identity(r) for r in rules),
            target.digest,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    def load(self, key: str, target: Target) -> tuple[list[Match], list[Problem]] | None:
        entry = self._read(key, CacheEntry, target.path)
        if entry is not None and entry.format != FORMAT:
            self._unreadable(self._path(key), target.path, f"format {entry.format!r}, expected {FORMAT!r}")
            entry = None
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        return entry.matches, [Problem(path=target.path, **p.model_dump()) for p in entry.problems]

    def store(self, key: str, matches: list[Match], problems: list[Problem]) -> None:
        kept = [CachedProblem(line=p.line, message=p.message, hint=p.hint, kind=p.kind) for p in problems]
        self._write(key, CacheEntry(format=FORMAT, matches=matches, problems=kept))

    def fact(self, key: str, model: type[M], about: str) -> M | None:
        """What another part of codex worked out from a file's content and kept under ``key`` (a key that hashes
        that content and what the work depends on), None when it is not kept; an unreadable one is a note about
        the file ``about``. Facts are not counted as the hits and misses of files' results."""
        return self._read(key, model, about)

    def store_fact(self, key: str, value: BaseModel) -> None:
        self._write(key, value)

    def _read(self, key: str, model: type[M], about: str) -> M | None:
        try:
            return read_model(self._path(key), model)
        except Unreadable as exc:
            self._unreadable(self._path(key), about, exc.why)
        return None

    def _write(self, key: str, entry: BaseModel) -> None:
        if not self._writable:
            return
        try:
            write_at_once(self._path(key), entry, self.directory.parent)
        except OSError as exc:
            self._writable = False
            self.problems.append(
                Problem(
                    path=shown(self.directory, self.root),
                    message=f"cannot write the result cache ({exc.strerror or exc}); results not cached",
                    hint=f"make it writable, or set {self.keys.setting('cache_dir')}, or pass --no-cache",
                    kind="cache",
                )
            )

    @property
    def stats(self) -> CacheStats:
        return CacheStats(dir=shown(self.directory, self.root), hits=self.hits, misses=self.misses)

    def _identity(self, rule: Rule) -> str:
        if rule.id not in self._identities:
            self._identities[rule.id] = engine(rule.matcher.kind).identity(rule)
        return self._identities[rule.id]

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _unreadable(self, path: Path, about: str, why: str) -> None:
        self.problems.append(
            Problem(
                path=about,
                message=f"cache entry {shown(path, self.root)} is unreadable ({why}); checked afresh",
                hint="nothing to do: the entry is rewritten (delete the cache directory to clear it)",
                kind="cache",
            )
        )


@functools.cache
def _engines() -> str:
    return "; ".join([f"codex {__version__}", *(f"{e.kind}: {e.version()}" for e in all_engines())])
