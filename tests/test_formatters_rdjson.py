"""``--format rdjson``: reviewdog's diagnostic format."""

from __future__ import annotations

import io
import json

from codex_testing.reports import FIXED_LINE, sample_report
from reviewer.formatters import get_formatter


def test_rdjson_diagnostics_carry_rule_code_rfc_url_and_range(shipped_ruleset):
    report = sample_report(shipped_ruleset)
    out = io.StringIO()
    get_formatter("rdjson").write(report, out)
    document = json.loads(out.getvalue())
    assert document["source"]["name"] == "codex"
    by_code = {d["code"]["value"]: d for d in document["diagnostics"]}
    assert set(by_code) == {"CX0003", "CX0005", "CX0007"}  # the shadow CX0007 is left out, the warn one kept
    cx3 = by_code["CX0003"]
    assert cx3["code"]["url"] == shipped_ruleset.rule("CX0003").rfc.link
    assert cx3["location"] == {"path": "src/client.py", "range": {"start": {"line": 5, "column": 12}, "end": {"line": 5}}}
    assert cx3["severity"] == "ERROR" and by_code["CX0007"]["severity"] == "WARNING"
    assert shipped_ruleset.rule("CX0003").use in cx3["message"]
    assert "suggestions" not in cx3
    assert by_code["CX0005"]["suggestions"] == [{"range": {"start": {"line": 2, "column": 1}, "end": {"line": 3, "column": 1}},
                                                 "text": FIXED_LINE + "\n"}]
