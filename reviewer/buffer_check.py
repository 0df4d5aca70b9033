"""One file's text checked as if it were the file at a path of the repository: what an editor or a coding agent
holds before it is saved (``codex lsp``, ``codex mcp``). Every line is in scope; the path decides the language,
the rules' path filters, exclusions and test code, exactly as ``codex check PATH`` would."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

from codex.model import Ruleset
from codex.problems import Problem, ProblemError
from reviewer.changes import ChangeSet, FileChange
from reviewer.check import CheckOptions, run_check
from reviewer.finding import Report


def check_buffer(ruleset: Ruleset, root: Path, path: str, content: str | None, options: CheckOptions) -> Report:
    """The report for ``content`` at ``path`` (relative to ``root``, or absolute inside it); ``None`` reads the file
    on disk. A path outside ``root``, or a missing file without content, raises :class:`ProblemError`."""
    rel = repository_path(root, path)
    if content is None:
        on_disk = root / rel
        if not on_disk.is_file():
            raise ProblemError(
                Problem(path=path, kind="usage", message=f"no such file under {root}", hint="give the file's content, or a path of a file in the repository")
            )
        return run_check(ruleset, ChangeSet(root, [FileChange(rel, None)], mode="all"), options)
    with tempfile.TemporaryDirectory(prefix="codex-buffer-") as copy:
        source = Path(copy, rel)  # the same relative path: symbolic-link and test-path checks see the repository's shape
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(content.encode("utf-8", "replace"))
        return run_check(ruleset, ChangeSet(root, [FileChange(rel, None, source=source)], mode="all"), options)


def repository_path(root: Path, path: str) -> str:
    """``path`` as a clean path relative to ``root``; a usage problem when it leaves the repository or no file can have it."""
    if "\0" in path:
        raise ProblemError(Problem(path=path.replace("\0", "\\0"), kind="usage", message="a NUL character in a file path"))
    given = Path(path)
    if given.is_absolute():
        try:
            given = given.resolve().relative_to(root.resolve())
        except ValueError:
            raise ProblemError(Problem(path=path, kind="usage", message=f"outside the repository {root}")) from None
    rel = PurePosixPath(given.as_posix())
    if not rel.parts or rel.parts[0] == ".." or ".." in rel.parts or str(rel) == ".":
        raise ProblemError(Problem(path=path, kind="usage", message=f"not a file path inside the repository {root}"))
    return str(rel)
