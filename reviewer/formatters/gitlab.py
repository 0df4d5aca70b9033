"""``--format gitlab``: GitLab Code Quality JSON (the ``artifacts: reports: codequality:`` file)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from codex.model import Severity, statement
from reviewer.finding import Finding, Report
from reviewer.formatters.base import Formatter, shown, why, with_reason

_SEVERITY = {Severity.error: "major", Severity.warning: "minor", Severity.info: "info"}


class CodeQualityFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        json.dump([self.issue(f) for f in shown(report)], out, indent=2, ensure_ascii=False)
        out.write("\n")

    def issue(self, f: Finding) -> dict[str, Any]:
        """One Code Quality issue; a blocking finding is ``critical``. Without an RFC link, the rule's reasoning is in
        the body."""
        rule = self.ruleset.rule(f.rule_id) if self.ruleset else None
        reasoning = f"\n\n{rule.description}" if rule and rule.description and not f.rfc.web_url else ""
        return {
            "type": "issue",
            "check_name": f.rule_id,
            "description": f"{f.rule_id}: {f.message} — use {f.use}",
            "content": {"body": with_reason(statement(f.need, f.use), f, "\n\n") + f"{reasoning}\n\nWhy: {why(f)}"},
            "categories": ["Bug Risk"],
            "fingerprint": f.fingerprint,
            "severity": "critical" if f.blocking else _SEVERITY[f.severity],
            "location": {"path": self.repo_path(f.path), "lines": {"begin": f.line, "end": f.end_line}},
        }
