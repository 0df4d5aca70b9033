"""``--format gitlab``: GitLab Code Quality JSON (the ``artifacts: reports: codequality:`` file)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from codex.model import Severity, statement
from reviewer.finding import Finding, Report
from reviewer.formatters.base import Formatter, shown, with_reason

_SEVERITY = {Severity.error: "major", Severity.warning: "minor", Severity.info: "info"}


class CodeQualityFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        json.dump([issue(f) for f in shown(report)], out, indent=2, ensure_ascii=False)
        out.write("\n")


def issue(f: Finding) -> dict[str, Any]:
    """One Code Quality issue; a blocking finding is ``critical``."""
    return {
        "type": "issue",
        "check_name": f.rule_id,
        "description": f"{f.rule_id}: {f.message} — use {f.use}",
        "content": {"body": with_reason(statement(f.need, f.use), f, "\n\n") + f"\n\nWhy: {f.rfc.id} {f.rfc.title} — {f.rfc.link}"},
        "categories": ["Bug Risk"],
        "fingerprint": f.fingerprint,
        "severity": "critical" if f.blocking else _SEVERITY[f.severity],
        "location": {"path": f.path, "lines": {"begin": f.line, "end": f.end_line}},
    }
