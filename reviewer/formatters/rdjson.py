"""``--format rdjson``: reviewdog's diagnostic format (``reviewdog -f=rdjson``)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from reviewer.finding import Finding, Report
from reviewer.formatters.base import Formatter, shown, with_reason


class RdjsonFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        result = {"source": {"name": "codex"}, "diagnostics": [_diagnostic(f) for f in shown(report)]}
        json.dump(result, out, indent=2, ensure_ascii=False)
        out.write("\n")


def _diagnostic(f: Finding) -> dict[str, Any]:
    return {
        "message": with_reason(f"{f.message} — use {f.use} (if you need {f.need}; {f.rfc.id} {f.rfc.title})", f),
        "location": {"path": f.path, "range": {"start": {"line": f.line, "column": f.column},
                                               "end": {"line": f.end_line}}},
        "severity": f.severity.value.upper(),  # ERROR, WARNING, INFO
        "code": {"value": f.rule_id, "url": f.rfc.link},
        "original_output": f.fingerprint,
        **({"suggestions": [_suggestion(f)]} if f.fix is not None else {}),
    }


def _suggestion(f: Finding) -> dict[str, Any]:
    """The flagged lines replaced whole: from the start of the first to the start of the line after the last."""
    return {"range": {"start": {"line": f.line, "column": 1}, "end": {"line": f.end_line + 1, "column": 1}}, "text": f.fix + "\n"}
