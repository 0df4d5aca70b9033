"""``--format rdjson``: reviewdog's diagnostic format (``reviewdog -f=rdjson``).

Columns are 1-based UTF-8 byte offsets, as reviewdog counts them. A fix is a line-wise suggestion (positions
without columns: the flagged lines, whole), so reviewdog's comment and suggestion span the same lines.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from rich.text import Text

from reviewer.finding import Finding, Report
from reviewer.formatters.base import Formatter, shown, with_reason
from reviewer.formatters.text import heading


class RdjsonFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        result = {"source": {"name": "codex"}, "diagnostics": [self._diagnostic(f) for f in shown(report)]}
        json.dump(result, out, indent=2, ensure_ascii=False)
        out.write("\n")

    def _diagnostic(self, f: Finding) -> dict[str, Any]:
        start, end = f.columns.utf8 if f.columns else (f.column, f.end_column)
        return {
            "message": with_reason(f"{f.message} — use {f.use} (if you need {f.need}; {f.rfc.id} {f.rfc.title})", f),
            "location": {
                "path": self.repo_path(f.path),
                "range": {"start": {"line": f.line, "column": start}, "end": {"line": f.end_line, **({"column": end} if end is not None else {})}},
            },
            "severity": f.severity.value.upper(),  # ERROR, WARNING, INFO
            "code": {"value": f.rule_id, **({"url": f.rfc.web_url} if f.rfc.web_url else {})},
            "original_output": original_output(f.model_copy(update={"path": self.repo_path(f.path)})),
            **({"suggestions": [{"range": {"start": {"line": f.line}, "end": {"line": f.end_line}}, "text": f.fix}]} if f.fix is not None else {}),
        }


def original_output(f: Finding) -> str:
    """The finding's line as ``--format text`` prints it (what ``reviewdog -reporter=local`` shows), on one line."""
    return " / ".join(Text.from_markup(heading(f)).plain.splitlines())
