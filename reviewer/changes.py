"""What changed: unified diffs (unidiff) and git (gitpython) turned into changed files and lines."""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from unidiff import PatchedFile, PatchSet
from unidiff.errors import UnidiffParseError

from codex.config import CodexConfig
from codex.git import default_branch_ref, merge_base
from codex.problems import Problem, ProblemError

if TYPE_CHECKING:  # gitpython runs `git version` twice on import: loaded only where git is used, not for --diff FILE
    import git

_FILE_START = re.compile(r"^diff --git ", re.M)
_HUNK_START = re.compile(r"^@@ ", re.M)
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".codex", ".tox", ".mypy_cache"}


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
                problems.append(Problem(path=given, message=f"outside the checked tree {self.root}, not checked", kind="usage",
                                        hint="name files inside the tree codex checks (--root, or the repository)"))
                continue
            if any(under(rel, f.path) for f in files) or os.path.lexists(self.root / rel):
                continue  # in the change set, or a file without changes: nothing to say
            if _tracked_at_head(self.root, rel):
                problems.append(Problem(path=rel, message="deleted, nothing to check", kind="skipped"))
            else:
                problems.append(Problem(path=given, message=f"no such file under {self.root}", kind="usage",
                                        hint="name files that exist in the checked tree (paths are relative to it or to the current directory)"))
        return replace(self, files=files, problems=problems)


def from_patch(text: str, root: Path, source: str) -> ChangeSet:
    """Parse a unified diff; a part that does not parse is reported with its line, the rest kept."""
    changes = ChangeSet(root, [])
    text = text.replace("\r\n", "\n").removeprefix("\ufeff")  # a patch saved with CRLF line ends or a BOM
    files_seen = 0
    starts = [m.start() for m in _FILE_START.finditer(text)] or [0]
    if starts[0] != 0 and text[: starts[0]].strip():
        starts.insert(0, 0)
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        chunk = text[begin:end]
        line = text.count("\n", 0, begin) + 1
        try:
            patch = PatchSet(chunk)
        except UnidiffParseError as exc:
            changes.problems.append(Problem(path=source, line=line, message=f"cannot parse this part of the diff: {exc}",
                                            hint="give a unified diff as `git diff` writes it; the other files are still checked", kind="diff"))
            continue
        unparsed = len(_HUNK_START.findall(chunk)) - sum(len(patched) for patched in patch)
        if unparsed > 0:
            changes.problems.append(Problem(path=source, line=line, message=f"{unparsed} hunk header(s) in this part of the diff are not valid",
                                            hint="give a unified diff as `git diff` writes it; the other files are still checked", kind="diff"))
        files_seen += len(patch)
        for patched in patch:
            if patched.is_removed_file:
                continue
            path = unquote(patched.path)
            if patched.is_binary_file:
                changes.problems.append(Problem(path=printable(path), message="binary file, not checked", kind="skipped"))
                continue
            added = frozenset(ln.target_line_no for hunk in patched for ln in hunk if ln.is_added and ln.target_line_no is not None)
            if added or patched.removed:  # removing lines can introduce a finding too (a `timeout=` argument)
                changes.files.append(FileChange(path, added, patch=patched))
    if text.strip() and not files_seen and not changes.problems:
        changes.problems.append(Problem(path=source, line=1, message="no file changes found in this diff",
                                        hint="give a unified diff as `git diff` writes it (UTF-8, not UTF-16)", kind="diff"))
    return changes


def printable(path: str) -> str:
    """A file name as reports can show it: bytes that are not UTF-8 become U+FFFD."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def unquote(path: str) -> str:
    """Git C-quotes unusual paths ("a/\\303\\244.py"); undo it."""
    if len(path) >= 2 and path[0] == path[-1] == '"':
        try:
            return codecs.escape_decode(path[1:-1].encode())[0].decode("utf-8", "surrogateescape")
        except ValueError:  # not valid C quoting: keep the name as written
            return path[1:-1]
    return path


def _repo(root: Path) -> git.Repo:
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise ProblemError([Problem(path=str(root), message="not inside a git repository",
                                    hint="run in a git checkout, or use --all or --diff FILE --root DIR", kind="usage")]) from exc


def work_tree(repo: git.Repo) -> Path:
    """The repository's working tree; a bare repository has none to check."""
    if repo.working_tree_dir is None:
        raise ProblemError([Problem(path=str(repo.git_dir), message="a bare repository: no working tree to check",
                                    hint="run in a checkout (git clone or git worktree add), or use --diff FILE --root DIR", kind="usage")])
    return Path(repo.working_tree_dir)


def _git_diff(repo: git.Repo, *args: str) -> str:
    raw = repo.git(c="core.quotePath=false").diff("--no-color", "--no-ext-diff", "-M", "--src-prefix=a/", "--dst-prefix=b/",
                                                  *args, stdout_as_string=False)
    return raw.decode("utf-8", "surrogateescape") + "\n"  # file names as the file system has them


def _resolve(repo: git.Repo, ref: str) -> str:
    import git

    try:
        return repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
    except git.GitCommandError as exc:
        raise ProblemError([Problem(message=f"unknown revision {ref!r}", kind="usage",
                                    hint="give a branch, tag or commit that exists here (fetch it in a shallow clone)")]) from exc


def from_git(root: Path, base: str | None, config: CodexConfig | None = None) -> ChangeSet:
    """The working tree (with untracked files) against ``base`` or the merge-base with the default branch."""
    repo = _repo(root)
    top = work_tree(repo)
    ref = None
    if base:
        commit = _resolve(repo, base)
    elif repo.head.is_valid():
        ref = default_branch_ref(repo, config or CodexConfig())
        commit = merge_base(repo, ref)
    else:
        commit = EMPTY_TREE
    changes = _scoped(from_patch(_git_diff(repo, commit), top, "git diff"), top, root)
    if commit == "HEAD" and ref is not None:
        changes.problems.append(Problem(message=f"HEAD has no common history with {ref} (a shallow clone?): only uncommitted changes were checked",
                                        hint="fetch the history (e.g. fetch-depth: 0) or pass --base REF", kind="diff"))
    if commit != EMPTY_TREE:
        sha = repo.head.commit.hexsha if commit == "HEAD" else commit
        named = base or ("HEAD" if commit == "HEAD" or ref is None else f"the merge-base with {ref}")
        changes.base = BaseRevision(top, sha, f"{named} at {sha[:7]}")
    untracked = repo.git.ls_files("--others", "--exclude-standard", "-z").split("\0")
    changes.files += _scoped_files([FileChange(p, None) for p in untracked if p], top, root)
    return changes


def from_index(root: Path) -> ChangeSet:
    """What is staged, against HEAD (the pre-commit view)."""
    repo = _repo(root)
    top = work_tree(repo)
    commit = "HEAD" if repo.head.is_valid() else EMPTY_TREE
    changes = from_patch(_git_diff(repo, "--cached", commit), top, "git diff --cached")
    if commit == "HEAD":
        sha = repo.head.commit.hexsha
        changes.base = BaseRevision(top, sha, f"HEAD at {sha[:7]}")
    unstaged = set(repo.git.diff("--name-only", "--no-ext-diff", "-z").split("\0"))
    differing = [f.path for f in changes.files if f.path in unstaged]
    if differing:  # the working tree has other edits on top: check the staged version itself
        changes.staged_copy = tempfile.TemporaryDirectory(prefix="codex-staged-")
        repo.git.checkout_index(f"--prefix={changes.staged_copy.name}/", "--", *differing)
        changes.files = [replace(f, source=Path(changes.staged_copy.name, f.path)) if f.path in unstaged else f
                         for f in changes.files]
    return _scoped(changes, top, root)


def commit_diff(root: Path, base: str, head: str) -> str:
    """The unified diff from commit ``base`` to commit ``head`` (a merge request's changes), repository-relative."""
    repo = _repo(root)
    return _git_diff(repo, _resolve(repo, base), _resolve(repo, head))


def whole_tree(root: Path) -> ChangeSet:
    """Every file (git's tracked and untracked-unignored ones in a checkout), all lines in scope."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
        top = work_tree(repo)
        listed = repo.git.ls_files("--cached", "--others", "--exclude-standard", "-z").split("\0")
        files = _scoped_files([FileChange(p, None) for p in listed if p and os.path.lexists(top / p)], top, root)  # not deleted ones
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            rel_dir = Path(dirpath).relative_to(root)
            files += [FileChange((rel_dir / name).as_posix(), None) for name in sorted(filenames)]
    return ChangeSet(root, files, mode="all")


def _scoped(changes: ChangeSet, top: Path, root: Path) -> ChangeSet:
    changes.files = _scoped_files(changes.files, top, root)
    changes.root = root
    return changes


def _scoped_files(files: list[FileChange], top: Path, root: Path) -> list[FileChange]:
    """Re-express repository paths relative to ``root``, dropping files outside it."""
    prefix = root.resolve().relative_to(top.resolve()).as_posix()
    if prefix == ".":
        return files
    return [replace(f, path=f.path[len(prefix) + 1:]) for f in files if f.path.startswith(prefix + "/")]


def _tracked_at_head(root: Path, rel: str) -> bool:
    """Does HEAD hold this path (a file deleted since)? False outside git."""
    import git

    try:
        return bool(_repo(root).git.ls_tree("--name-only", "HEAD", "--", rel))
    except (ProblemError, git.GitCommandError, ValueError):
        return False


def _relative(path: Path, root: Path) -> str:
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
