"""Diff mode reports what the change introduced: the static rules also run on the base version of each
changed file, in the same engine run, and a finding that was already there is not reported.

A finding of the changed file was already there when a finding of the same rule on the base version
1. matched the same code (white space removed, so a reflow changes nothing) as the same occurrence
   among equal keys in the file: a move or edits elsewhere in the file change nothing; or else
2. starts at the same place on a line the change left as it was: an edit inside an old method chain
   or inside the body of an old ``except:`` does not make the old finding new.
Findings on unchanged lines take their base counterparts first, so of two identical calls, one old and
one added next to it, the added one is reported. A finding whose matched code changed on a changed
line (``timeout=5`` removed below ``requests.get(``) has no counterpart: it is new.

Base versions come from the base commit in git modes (all read by one ``git cat-file --batch``; a
renamed file's base is its old path), or, for ``--diff FILE``, from the post-change file
with the diff's hunks reverse-applied. New files have none: all their findings are new. A base
version that cannot be had or checked is a problem, and that file keeps the line rule.
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from unidiff import PatchedFile

from codex.problems import Problem
from reviewer.changes import BaseRevision, ChangeSet
from reviewer.finding import Finding
from reviewer.targets import Target
from reviewer.unified_diff import unquote

BASE_PREFIX = "\0base/"  # no path holds a NUL: a base version's target never collides with a changed file's
_NOT_COMPARED = frozenset({"llm", "codex"})  # the LLM pass (its answers vary) and codex's findings about overrides
_BATCH_HEADER = re.compile(rb"[0-9a-f]{40,64} (\w+) (\d+)")
_LINE_RULE = "findings on its changed lines are reported as before, old ones included"


@dataclass(frozen=True)
class _BaseFile:
    target: Target
    patch: PatchedFile
    seams: frozenset[int]  # lines of the changed file after which the change removed lines


class Baseline:
    """The base versions of a diff's changed files (``targets``, to check along with the files themselves)."""

    def __init__(self, changes: ChangeSet, targets: list[Target]):
        self.label = _label(changes)
        self.targets: list[Target] = []
        self.problems: list[Problem] = []
        self._files: dict[str, _BaseFile] = {}  # by the changed file's path
        self._dir = tempfile.TemporaryDirectory(prefix="codex-base-")
        patches = {c.path: c.patch for c in changes.files}
        wanted = [(t, patch) for t in targets if (patch := patches[t.path]) is not None and not patch.is_added_file]
        blobs = _base_blobs(changes.base, [_old_path(patch) for _, patch in wanted]) if changes.base and wanted else {}
        for target, patch in wanted:
            source = blobs[_old_path(patch)] if changes.base else _reverse_applied(target.text, patch)
            if isinstance(source, Problem):
                self.problems.append(source.model_copy(update={"path": target.path, "message": f"{source.message}: {_LINE_RULE}"}))
                continue
            copy = Path(self._dir.name, target.path)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(source)
            base = Target(BASE_PREFIX + target.path, copy, target.language, None, target.scope_path)
            self.targets.append(base)
            self._files[target.path] = _BaseFile(base, patch, _removal_seams(patch))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._dir.cleanup()

    def split(self, found: list[Finding], problems: list[Problem]) -> tuple[list[Finding], dict[str, list[Finding]], list[Problem]]:
        """The changed files' findings; the base versions' findings by changed path; the problems to report.

        A base version the engines could not fully check keeps its file on the line rule, with a problem saying why.
        """
        own: list[Finding] = []
        base: dict[str, list[Finding]] = defaultdict(list)
        for finding in found:
            if finding.path.startswith(BASE_PREFIX):
                base[finding.path.removeprefix(BASE_PREFIX)].append(finding)
            else:
                own.append(finding)
        kept: list[Problem] = []
        for problem in problems:
            if not (problem.path or "").startswith(BASE_PREFIX):
                kept.append(problem)
                continue
            path = (problem.path or "").removeprefix(BASE_PREFIX)
            message = problem.message.replace(BASE_PREFIX, "")
            if problem.kind == "cache":  # an unreadable cache entry: checked afresh, nothing lost
                kept.append(problem.model_copy(update={"path": path, "message": message}))
                continue
            if self._files.pop(path, None) is not None:
                kept.append(
                    Problem(
                        path=path, message=f"its base version ({self.label}) could not be checked ({message}): {_LINE_RULE}", hint=problem.hint, kind="baseline"
                    )
                )
        return own, base, kept + self.problems

    def on_change(self, finding: Finding, target: Target) -> bool:
        """Does the finding touch an added or changed line, or (in a file with a base version) span removed ones?"""
        if target.touches(finding.line, finding.end_line):
            return True
        old = self._files.get(target.path)
        return old is not None and any(finding.line <= seam < finding.end_line for seam in old.seams)

    def already_there(self, found: list[Finding], base: dict[str, list[Finding]], targets: dict[str, Target]) -> set[int]:
        """The ``id()`` of every finding in ``found`` that its file's base version already had."""
        by_file: dict[str, list[Finding]] = defaultdict(list)
        for finding in found:
            if finding.path in self._files and finding.engine not in _NOT_COMPARED:
                by_file[finding.path].append(finding)
        matched: set[int] = set()
        for path, findings in by_file.items():
            target = targets[path]
            old = self._files[path]
            changed = {id(f) for f in findings if self.on_change(f, target)}
            matched |= _counterparts(findings, base.get(path, []), target.text, old.target.text, old.patch, changed)
        return matched


def _label(changes: ChangeSet) -> str | None:
    """What the change is compared with, as reports name it (None: nothing, as in ``--all``)."""
    if changes.mode != "diff":
        return None
    if changes.base:
        return changes.base.label
    return "the old side of the diff" if any(c.patch is not None for c in changes.files) else None


def _counterparts(head: list[Finding], base: list[Finding], head_text: str, base_text: str, patch: PatchedFile, changed: set[int]) -> set[int]:
    head_lines, base_lines = head_text.split("\n"), base_text.split("\n")  # git numbers lines by "\n" alone
    order = sorted(head, key=lambda f: (id(f) in changed, f.line, f.column))  # unchanged ones take their counterparts first
    by_code: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for old in sorted(base, key=lambda f: (f.line, f.column)):
        by_code[(old.rule_id, matched_code(base_lines, old))].append(old)
    matched: set[int] = set()
    for finding in order:
        same = by_code.get((finding.rule_id, matched_code(head_lines, finding)))
        if same:
            same.pop(0)
            matched.add(id(finding))
    in_place: dict[tuple[str, int, int], int] = defaultdict(int)
    for old in (f for left in by_code.values() for f in left):
        line = head_line(patch, old.line)
        if line is not None:
            in_place[(old.rule_id, line, old.column)] += 1
    for finding in order:
        place = (finding.rule_id, finding.line, finding.column)
        if id(finding) not in matched and in_place[place]:
            in_place[place] -= 1
            matched.add(id(finding))
    return matched


def matched_code(lines: list[str], finding: Finding) -> str:
    """The code a finding matched, white space removed (to the end of its last line when the engine gave no end column)."""
    if not 0 < finding.line <= finding.end_line <= len(lines):
        return ""
    span = lines[finding.line - 1 : finding.end_line]
    if finding.end_column:
        span[-1] = span[-1][: finding.end_column - 1]
    span[0] = span[0][finding.column - 1 :]
    return "".join("".join(span).split())


def head_line(patch: PatchedFile, line: int) -> int | None:
    """Where base line ``line`` is in the changed file, or None when the change removed or replaced it."""
    shift = 0
    for hunk in patch:
        if hunk.source_length and hunk.source_start <= line < hunk.source_start + hunk.source_length:
            return next((ln.target_line_no for ln in hunk if ln.is_context and ln.source_line_no == line), None)
        after_source = hunk.source_start + (hunk.source_length or 1)  # an empty side's start is "after line N"
        if line < after_source:
            break
        shift = hunk.target_start + (hunk.target_length or 1) - after_source
    return line + shift


def _removal_seams(patch: PatchedFile) -> frozenset[int]:
    seams = set()
    for hunk in patch:
        last = hunk.target_start - 1 if hunk.target_length else hunk.target_start
        for line in hunk:
            if line.is_removed:
                seams.add(last)
            elif line.target_line_no is not None:
                last = line.target_line_no
    return frozenset(seams)


def _reverse_applied(text: str, patch: PatchedFile) -> bytes | Problem:
    """The base version: the changed file with the diff's hunks applied in reverse."""
    lines = text.split("\n")
    base: list[str] = []
    done = 0
    for hunk in patch:
        after = [ln.value.rstrip("\n") for ln in hunk if ln.is_context or ln.is_added]
        start = hunk.target_start - 1 if hunk.target_length else hunk.target_start  # an empty side is "after line N"
        if start < done or [ln.rstrip("\r") for ln in lines[start : start + len(after)]] != after:
            return Problem(
                line=hunk.target_start,
                message=f"the diff's hunk @@ -{hunk.source_start},{hunk.source_length} "
                f"+{hunk.target_start},{hunk.target_length} @@ does not match this file, so its base version is unknown",
                hint="give --root the tree the diff produces",
                kind="baseline",
            )
        base += lines[done:start] + [ln.value.rstrip("\n") for ln in hunk if ln.is_context or ln.is_removed]
        done = start + len(after)
    return "\n".join(base + lines[done:]).encode()


def _old_path(patch: PatchedFile) -> str:
    return unquote(patch.source_file).removeprefix("a/")


def _base_blobs(base: BaseRevision, paths: list[str]) -> dict[str, bytes | Problem]:
    """Each path's content at the base commit, all read by one ``git cat-file --batch``."""
    import git

    where = f"at {base.commit[:12]}"
    blobs: dict[str, bytes | Problem] = {
        p: Problem(message=f"its base version {where} cannot be asked for (a line break in the name)", kind="baseline") for p in paths if "\n" in p
    }
    asked = [p for p in paths if "\n" not in p]
    try:
        with tempfile.TemporaryFile() as specs:
            specs.write(b"".join(f"{base.commit}:{p}\n".encode("utf-8", "surrogateescape") for p in asked))
            specs.seek(0)
            out = git.Repo(base.repo, search_parent_directories=True).git.cat_file(
                "--batch", istream=specs, stdout_as_string=False, strip_newline_in_stdout=False
            )
    except (git.GitError, OSError) as exc:
        return {p: Problem(message=f"cannot read its base version {where} ({exc})", kind="baseline") for p in paths}
    at = 0
    for path in asked:  # "<oid> <type> <size>\n<content>\n", or "<what was asked> missing\n"
        end = out.index(b"\n", at)
        header = _BATCH_HEADER.fullmatch(out, at, end)
        if header is None:
            blobs[path] = Problem(message=f"its base version {path} {where} cannot be read ({out[at:end].decode(errors='replace')})", kind="baseline")
            at = end + 1
            continue
        size = int(header[2])
        content = out[end + 1 : end + 1 + size]
        blobs[path] = (
            content if header[1] == b"blob" else Problem(message=f"its base version {path} {where} is a {header[1].decode()}, not a file", kind="baseline")
        )
        at = end + 2 + size
    return blobs
