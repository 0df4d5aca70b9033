"""A unified diff (unidiff) turned into changed files and lines, and git's quoting of unusual file names undone."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from codex.problems import Problem
from reviewer.changes import ChangeSet, FileChange

_FILE_START = re.compile(r"^diff --git ", re.M)
_HUNK_START = re.compile(r"^@@ ", re.M)


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
            changes.problems.append(
                Problem(
                    path=source,
                    line=line,
                    message=f"cannot parse this part of the diff: {exc}",
                    hint="give a unified diff as `git diff` writes it; the other files are still checked",
                    kind="diff",
                )
            )
            continue
        unparsed = len(_HUNK_START.findall(chunk)) - sum(len(patched) for patched in patch)
        if unparsed > 0:
            changes.problems.append(
                Problem(
                    path=source,
                    line=line,
                    message=f"{unparsed} hunk header(s) in this part of the diff are not valid",
                    hint="give a unified diff as `git diff` writes it; the other files are still checked",
                    kind="diff",
                )
            )
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
        changes.problems.append(
            Problem(
                path=source,
                line=1,
                message="no file changes found in this diff",
                hint="give a unified diff as `git diff` writes it (UTF-8, not UTF-16)",
                kind="diff",
            )
        )
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
