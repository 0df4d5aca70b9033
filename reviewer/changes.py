"""What changed: the files and lines a check covers (``ChangeSet``), read from a unified diff (unified_diff.py) or
git (git_changes.py)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from unidiff import PatchedFile

from codex.git import repository
from codex.problems import Problem, ProblemError


@dataclass(frozen=True)
class FileChange:
    """A file in the post-change tree; ``added`` are its added or changed lines, ``None`` for all.

    ``source`` is where its content is read when that is not ``<root>/<path>`` (the staged version);
    ``patch`` is its part of the diff (None for an untracked file), whose old side is the base version.
    """

    path: str
    added: frozenset[int] | None
    source: Path | None = None
    patch: PatchedFile | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class BaseRevision:
    """The commit a diff's old side is read from, in the repository at (or above) ``repo``."""

    repo: Path
    commit: str
    label: str  # how reports name it: "origin/main at 1a2b3c4"


@dataclass
class ChangeSet:
    root: Path
    files: list[FileChange]
    problems: list[Problem] = field(default_factory=list)
    mode: str = "diff"
    base: BaseRevision | None = None  # None: no commit to read base versions from (a diff file: its hunks tell them)
    staged_copy: tempfile.TemporaryDirectory | None = field(default=None, repr=False)  # keeps the sources alive

    def excluding(self, directory: str) -> ChangeSet:
        """Without the files under ``directory`` (the RFCs and their example files: documentation, never code to check)."""
        prefix = Path(directory).as_posix().strip("/") + "/"
        return replace(self, files=[f for f in self.files if not f.path.startswith(prefix)])

    def only(self, paths: list[str]) -> ChangeSet:
        """Restrict to explicit paths (as pre-commit passes them; a directory keeps the files under it), relative to
        the root or the cwd. A path that names nothing here is a usage problem; a deleted file, a note."""
        wanted = {_relative(Path(p), self.root): p for p in paths}
        under = lambda rel, path: path == rel or path.startswith(rel.rstrip("/") + "/")  # noqa: E731
        files = [f for f in self.files if any(under(rel, f.path) for rel in wanted)]
        problems = list(self.problems)
        for rel, given in wanted.items():
            if Path(rel).is_absolute() or rel.split("/")[0] == "..":
                problems.append(
                    Problem(
                        path=given,
                        message=f"outside the checked tree {self.root}, not checked",
                        kind="usage",
                        hint="name files inside the tree codex checks (--root, or the repository)",
                    )
                )
                continue
            if any(under(rel, f.path) for f in files) or os.path.lexists(self.root / rel):
                continue  # in the change set, or a file without changes: nothing to say
            if _tracked_at_head(self.root, rel):
                problems.append(Problem(path=rel, message="deleted, nothing to check", kind="skipped"))
            else:
                problems.append(
                    Problem(
                        path=given,
                        message=f"no such file under {self.root}",
                        kind="usage",
                        hint="name files that exist in the checked tree (paths are relative to it or to the current directory)",
                    )
                )
        return replace(self, files=files, problems=problems)


def _tracked_at_head(root: Path, rel: str) -> bool:
    """Does HEAD hold this path (a file deleted since)? False outside git."""
    import git

    try:
        return bool(repository(root).git.ls_tree("--name-only", "HEAD", "--", rel))
    except (ProblemError, git.GitCommandError, ValueError):
        return False


def _relative(path: Path, root: Path) -> str:
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
