"""Applying findings' fixes (``Finding.fix``: lines line..end_line as the fix rewrites them) to text and to the working tree.

Fixes of one file are applied together, in report order: one whose lines overlap a fix already taken
is left out and reported, never merged. A file is rewritten only when its bytes are still the ones
that were checked; nothing else (the index, commits) is ever written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from codex.model import Stage
from reviewer.finding import Finding


@dataclass(frozen=True)
class Skipped:
    finding: Finding
    reason: str

    def __str__(self) -> str:
        return f"{self.finding.path}:{self.finding.line}: {self.finding.rule_id} not fixed: {self.reason}"


@dataclass
class FixOutcome:
    applied: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def fixable(findings: Iterable[Finding]) -> list[Finding]:
    """The findings a fix may be applied for: with a fix, shown (not shadow), and not overridden by a ``codex: allow``."""
    return [f for f in findings if f.fix is not None and f.stage is not Stage.shadow and not f.overridden]


def apply_to_text(text: str, findings: list[Finding]) -> tuple[str, FixOutcome]:
    """``text`` with the fixes of ``findings`` (all of one file, each with a fix) applied; lines are counted at "\\n" alone, as git does,
    and a line ending in "\\r\\n" keeps it."""
    lines = text.split("\n")
    outcome = FixOutcome()
    taken: list[Finding] = []
    for finding in findings:
        overlapping = next((t for t in taken if finding.line <= t.end_line and t.line <= finding.end_line), None)
        if overlapping is not None:
            outcome.skipped.append(
                Skipped(finding, f"overlaps the fix of {overlapping.rule_id} at line {overlapping.line}; run `codex check --fix` again to apply it")
            )
        elif finding.end_line > len(lines):
            outcome.skipped.append(Skipped(finding, f"line {finding.end_line} is past the end of the file"))
        else:
            taken.append(finding)
    for finding in sorted(taken, key=lambda f: -f.line):
        crlf = lines[finding.line - 1].endswith("\r")
        fixed = [line + "\r" if crlf else line for line in (finding.fix or "").split("\n")]
        lines[finding.line - 1 : finding.end_line] = fixed
    outcome.applied = taken
    return "\n".join(lines), outcome


def digests(root: Path, paths: Iterable[str]) -> dict[str, str]:
    """The SHA-256 of each file's bytes as it is now (a file that cannot be read has none)."""
    found = {}
    for path in paths:
        try:
            found[path] = hashlib.sha256((root / path).read_bytes()).hexdigest()
        except OSError:
            continue
    return found


def apply_to_tree(root: Path, findings: list[Finding], checked: dict[str, str]) -> FixOutcome:
    """Apply the fixes of ``findings`` to the files under ``root``: only to a file whose bytes still have the digest
    ``checked`` recorded before the check read it."""
    outcome = FixOutcome()
    by_path: dict[str, list[Finding]] = {}
    for finding in fixable(findings):
        by_path.setdefault(finding.path, []).append(finding)
    for path, found in by_path.items():
        file = root / path
        try:
            raw = file.read_bytes()
        except OSError as exc:
            outcome.skipped += [Skipped(f, f"cannot read the file: {exc.strerror}") for f in found]
            continue
        if file.is_symlink() or hashlib.sha256(raw).hexdigest() != checked.get(path):
            outcome.skipped += [Skipped(f, "the file changed since it was checked; run the check again") for f in found]
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            outcome.skipped += [Skipped(f, "the file is not UTF-8, which fixes are written in") for f in found]
            continue
        fixed, one = apply_to_text(text, found)
        try:
            file.write_bytes(fixed.encode("utf-8"))
        except OSError as exc:
            outcome.skipped += [Skipped(f, f"cannot write the file: {exc.strerror}") for f in one.applied] + one.skipped
            continue
        outcome.applied += one.applied
        outcome.skipped += one.skipped
    return outcome
