"""``--format github``: GitHub Actions workflow commands, shown as annotations on the run and the diff."""

from __future__ import annotations

from typing import TextIO

from rich.text import Text

from codex.model import Severity
from reviewer.finding import Finding, Report
from reviewer.formatters.base import Formatter, shown, with_reason
from reviewer.formatters.text import summary_line


class WorkflowCommandFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        findings = shown(report)
        for f in findings:
            out.write(_command(_level(f), _message(f), file=f.path, line=f.line, endLine=f.end_line,
                               col=f.column, title=f"{f.rule_id} {f.rfc.id}"))
        for problem in report.errors:
            out.write(_command("warning", str(problem), file=problem.path, line=problem.line, title="codex: not checked"))
        out.write(plain_summary(report, findings) + "\n")


def _level(f: Finding) -> str:
    if f.blocking:
        return "error"
    return "notice" if f.severity is Severity.info else "warning"


def _message(f: Finding) -> str:
    return with_reason(f"{f.message}\nIf you need {f.need}, use {f.use}.", f) + f"\nWhy: {f.rfc.title} — {f.rfc.link}"


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
