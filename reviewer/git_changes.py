"""What changed in a git checkout: the working tree against a base, the index against HEAD, a commit range, every file."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from codex.config import CodexConfig
from codex.git import EMPTY_TREE, default_branch_ref, diff_text, merge_base, repository, resolve_commit, work_tree
from codex.problems import Problem
from reviewer.changes import BaseRevision, ChangeSet, FileChange
from reviewer.unified_diff import from_patch

if TYPE_CHECKING:
    import git

_SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".codex", ".tox", ".mypy_cache"}


def from_git(root: Path, base: str | None, config: CodexConfig | None = None) -> ChangeSet:
    """The working tree (with untracked files) against ``base`` or the merge-base with the default branch."""
    repo = repository(root)
    top = work_tree(repo)
    ref = None
    if base:
        commit = resolve_commit(repo, base)
    elif repo.head.is_valid():
        ref = default_branch_ref(repo, config or CodexConfig())
        commit = merge_base(repo, ref)
    else:
        commit = EMPTY_TREE
    changes = _scoped(from_patch(diff_text(repo, commit), top, "git diff"), top, root)
    if commit == "HEAD" and ref is not None:
        changes.problems.append(
            Problem(
                message=f"HEAD has no common history with {ref} (a shallow clone?): only uncommitted changes were checked",
                hint="fetch the history (e.g. fetch-depth: 0) or pass --base REF",
                kind="diff",
            )
        )
    if commit != EMPTY_TREE:
        sha = repo.head.commit.hexsha if commit == "HEAD" else commit
        named = base or ("HEAD" if commit == "HEAD" or ref is None else f"the merge-base with {ref}")
        changes.base = BaseRevision(top, sha, f"{named} at {sha[:7]}")
    untracked = repo.git.ls_files("--others", "--exclude-standard", "-z").split("\0")
    changes.files += _scoped_files([FileChange(p, None) for p in untracked if p], top, root)
    return changes


def from_index(root: Path) -> ChangeSet:
    """What is staged, against HEAD (the pre-commit view)."""
    repo = repository(root)
    top = work_tree(repo)
    commit = "HEAD" if repo.head.is_valid() else EMPTY_TREE
    changes = from_patch(diff_text(repo, "--cached", commit), top, "git diff --cached")
    if commit == "HEAD":
        sha = repo.head.commit.hexsha
        changes.base = BaseRevision(top, sha, f"HEAD at {sha[:7]}")
    unstaged = set(repo.git.diff("--name-only", "--no-ext-diff", "-z").split("\0"))
    differing = [f.path for f in changes.files if f.path in unstaged]
    if differing:  # the working tree has other edits on top: check the staged version itself
        changes.staged_copy = tempfile.TemporaryDirectory(prefix="codex-staged-")
        repo.git.checkout_index(f"--prefix={changes.staged_copy.name}/", "--", *differing)
        changes.files = [replace(f, source=Path(changes.staged_copy.name, f.path)) if f.path in unstaged else f for f in changes.files]
    return _scoped(changes, top, root)


def commit_diff(root: Path, base: str, head: str) -> str:
    """The unified diff from commit ``base`` to commit ``head`` (a merge request's changes), repository-relative."""
    repo = repository(root)
    return diff_text(repo, resolve_commit(repo, base), resolve_commit(repo, head))


def whole_tree(root: Path) -> ChangeSet:
    """Every file (git's tracked and untracked-unignored ones in a checkout), all lines in scope."""
    repo = _repository_if_any(root)
    if repo is None:
        return ChangeSet(root, _walked(os.fspath(root), "", []), mode="all")
    top = work_tree(repo)
    with ThreadPoolExecutor(max_workers=1) as background:  # git lists the untracked files while the tracked ones are looked at
        untracked = background.submit(repo.git.ls_files, "--others", "--exclude-standard", "-z")
        here = f"{top}/"  # strings: a Path per file costs twice its lstat
        tracked = [p for p in repo.git.ls_files("--cached", "-z").split("\0") if p and os.path.lexists(here + p)]  # not deleted ones
        listed = [p for p in untracked.result().split("\0") if p] + tracked  # the order of ls-files --cached --others
    return ChangeSet(root, _scoped_files([FileChange(p, None) for p in listed], top, root), mode="all")


def _repository_if_any(root: Path) -> git.Repo | None:
    """The repository at or above ``root``, None outside one. gitpython (which runs `git version` as it loads) is not
    even imported when no directory up to ``/`` holds a ``.git`` or a ``HEAD`` (what a repository's own directory
    holds): its search needs one of them."""
    directory = os.path.abspath(os.path.expandvars(os.path.expanduser(root)))  # as gitpython expands it
    while not (os.path.lexists(os.path.join(directory, ".git")) or os.path.lexists(os.path.join(directory, "HEAD"))):
        directory, tail = os.path.split(directory)
        if not tail:
            return None
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def _walked(directory: str, prefix: str, files: list[FileChange]) -> list[FileChange]:
    """``files`` and those under ``directory`` (named ``prefix`` + their path in it), as ``os.walk`` lists them: each
    directory's files, then its subdirectories, by name; hidden and tool directories, links to directories and
    directories that cannot be listed left out. Strings and one scandir per directory: a Path per file or a relpath
    per directory costs more than the listing."""
    names: list[str] = []
    subdirectories: list[str] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if not _is_directory(entry):
                    names.append(entry.name)
                elif not _is_link(entry):
                    subdirectories.append(entry.name)
    except OSError:
        return files
    files += [FileChange(prefix + name, None) for name in sorted(names)]
    for name in sorted(subdirectories):
        if name not in _SKIP_DIRS and not name.startswith("."):
            _walked(os.path.join(directory, name), f"{prefix}{name}/", files)
    return files


def _is_directory(entry: os.DirEntry[str]) -> bool:
    """As os.walk tells directories from files: following links, a file when it cannot be told."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_link(entry: os.DirEntry[str]) -> bool:
    """As os.walk tells the links to directories it does not walk: not a link when it cannot be told."""
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _scoped(changes: ChangeSet, top: Path, root: Path) -> ChangeSet:
    changes.files = _scoped_files(changes.files, top, root)
    changes.root = root
    return changes


def _scoped_files(files: list[FileChange], top: Path, root: Path) -> list[FileChange]:
    """Re-express repository paths relative to ``root``, dropping files outside it."""
    prefix = root.resolve().relative_to(top.resolve()).as_posix()
    if prefix == ".":
        return files
    return [replace(f, path=f.path[len(prefix) + 1 :]) for f in files if f.path.startswith(prefix + "/")]
