"""``--format rdjson``: reviewdog's diagnostic format, validated against reviewdog's own schema."""

from __future__ import annotations

import io
import json

from codex_testing.rdjson import validate_rdjson
from codex_testing.reports import FIXED_LINE, sample_report
from reviewer.formatters import get_formatter


def _rdjson(report, **options) -> dict:
    out = io.StringIO()
    get_formatter("rdjson", **options).write(report, out)
    document = json.loads(out.getvalue())
    validate_rdjson(document)
    return document


def test_rdjson_diagnostics_carry_rule_code_range_and_the_text_format_s_line(shipped_ruleset):
    document = _rdjson(sample_report(shipped_ruleset))
    assert document["source"] == {"name": "codex"}
    by_code = {d["code"]["value"]: d for d in document["diagnostics"]}
    assert list(by_code) == ["CX0007", "CX0003", "CX0005"]  # the shadow CX0007 is left out, the warn one kept
    cx3 = by_code["CX0003"]
    assert cx3["code"] == {"value": "CX0003"}  # the RFC has no address a reader can open
    assert cx3["location"] == {"path": "src/client.py", "range": {"start": {"line": 5, "column": 12}, "end": {"line": 5}}}
    assert (cx3["severity"], by_code["CX0007"]["severity"]) == ("ERROR", "WARNING")
    assert cx3["message"] == (
        "requests.get() without timeout= — use an explicit `timeout=` (seconds, or a `(connect, read)` tuple) on "
        "every call (if you need an HTTP call to another service with `requests`; RFC-0003 Outbound calls "
        "and errors fail visibly and on time)"
    )
    assert [d["original_output"] for d in document["diagnostics"]] == [
        "legacy/new.py:1:1  CX0007 (warn)  No assert in non-test code",
        "src/client.py:5:12  CX0003 (blocking)  requests.get() without timeout=",
        "src/odd, name:50%.py:2:1  CX0005 (blocking)  shell=True / with 100% risk",
    ]  # one line per diagnostic
    assert "suggestions" not in cx3


def test_a_fix_is_a_line_wise_suggestion_over_the_flagged_lines_alone(shipped_ruleset):
    cx5 = next(d for d in _rdjson(sample_report(shipped_ruleset))["diagnostics"] if d["code"]["value"] == "CX0005")
    # no columns: reviewdog takes whole lines 2..2, the comment's own range (an end at the next line's column 1 would
    # make it span line 3 too, which GitHub refuses outside the diff)
    assert cx5["suggestions"] == [{"range": {"start": {"line": 2}, "end": {"line": 2}}, "text": FIXED_LINE}]


def test_paths_are_relative_to_the_repository_and_an_rfc_address_is_the_code_url(shipped_ruleset):
    report = sample_report(shipped_ruleset)
    linked = report.model_copy(
        update={"findings": [f.model_copy(update={"rfc": f.rfc.model_copy(update={"url": "https://docs.example.com/rules/X.html"})}) for f in report.findings]}
    )
    first = _rdjson(linked, path_prefix="services/api/")["diagnostics"][0]
    assert (first["location"]["path"], first["code"], first["original_output"]) == (
        "services/api/legacy/new.py",
        {"value": "CX0007", "url": "https://docs.example.com/rules/X.html"},
        "services/api/legacy/new.py:1:1  CX0007 (warn)  No assert in non-test code",
    )
