"""``--format github``: GitHub Actions workflow commands, shown as annotations on the run and the diff.

A step shows at most :data:`ANNOTATIONS_PER_KIND` annotations of each kind (error, warning, notice); the
rest are appended as a markdown table to ``$GITHUB_STEP_SUMMARY`` (printed in the log when that is not
set), and the log says how many went there.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import TextIO

from rich.text import Text

from codex.model import Severity, statement
from reviewer.finding import Finding, Report
from reviewer.formatters.base import Formatter, shown, why, with_reason
from reviewer.formatters.text import summary_line

ANNOTATIONS_PER_KIND = 10  # what GitHub shows of each kind per step; the runner drops the rest


@dataclass(frozen=True)
class Annotation:
    level: str
    message: str
    file: str | None
    line: int | None
    title: str
    end_line: int | None = None
    col: int | None = None


class WorkflowCommandFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        findings = shown(report)
        annotations = [self._of_finding(f) for f in findings] + [
            Annotation("warning", str(problem), problem.path and self.repo_path(problem.path), problem.line, "codex: not checked") for problem in report.errors
        ]
        per_kind: Counter[str] = Counter()
        overflow = []
        for a in annotations:
            per_kind[a.level] += 1
            if per_kind[a.level] > ANNOTATIONS_PER_KIND:
                overflow.append(a)
            else:
                out.write(_command(a.level, a.message, file=a.file, line=a.line, endLine=a.end_line, col=a.col, title=a.title))
        if overflow:
            _write_overflow(overflow, out)
        out.write(plain_summary(report, findings) + "\n")

    def _of_finding(self, f: Finding) -> Annotation:
        return Annotation(_level(f), _message(f), self.repo_path(f.path), f.line, f"{f.rule_id} {f.rfc.id}", f.end_line, f.column)


def _write_overflow(overflow: list[Annotation], out: TextIO) -> None:
    """The annotations past the per-kind limit: to the step summary when there is one, else plain lines in the log."""
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    kinds = ", ".join(f"{n} {level}" for level, n in Counter(a.level for a in overflow).items())
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as summary:
            summary.write(_table(overflow))
        out.write(f"codex: {len(overflow)} more ({kinds}) past GitHub's {ANNOTATIONS_PER_KIND} annotations per kind are listed in the step summary\n")
        return
    out.write(f"codex: {len(overflow)} more ({kinds}) past GitHub's {ANNOTATIONS_PER_KIND} annotations per kind:\n")
    for a in overflow:
        where = f"{a.file}:{a.line}" if a.file and a.line else (a.file or "codex")
        out.write(f"{where}: {a.level}: {a.title}: {' / '.join(a.message.splitlines())}\n")


def _table(overflow: list[Annotation]) -> str:
    rows = [f"| {a.level} | {_cell(a.file or '')} | {a.line or ''} | {_cell(a.title)} | {_cell(a.message)} |" for a in overflow]
    return "\n".join(
        [
            f"### codex: {len(overflow)} more finding(s) and problem(s) than GitHub annotates",
            "",
            "| Level | File | Line | Rule | Message |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
            "",
        ]
    )


def _cell(text: str) -> str:
    """Text as one markdown table cell: pipes escaped, line breaks as <br>."""
    return text.replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")


def _level(f: Finding) -> str:
    if f.blocking:
        return "error"
    return "notice" if f.severity is Severity.info else "warning"


def _message(f: Finding) -> str:
    return with_reason(f"{f.message}\n{statement(f.need, f.use)}", f) + f"\nWhy: {why(f)}"


def _command(level: str, message: str, **properties: object) -> str:
    props = ",".join(f"{k}={_escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{level} {props}::{_escape_data(message)}\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def plain_summary(report: Report, visible: list[Finding]) -> str:
    """The text formatter's closing line without its colour markup."""
    return Text.from_markup(summary_line(report, visible)).plain
