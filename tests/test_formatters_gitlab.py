"""``--format gitlab``: GitLab Code Quality JSON."""

from __future__ import annotations

import io
import json

from codex_testing.reports import sample_report
from reviewer.formatters import get_formatter


def _write(report) -> str:
    out = io.StringIO()
    get_formatter("gitlab").write(report, out)
    return out.getvalue()


def test_code_quality_issues_have_the_fields_gitlab_reads(shipped_ruleset):
    report = sample_report(shipped_ruleset)
    issues = json.loads(_write(report))
    visible = [f for f in report.findings if f.stage.value != "shadow"]
    assert [i["fingerprint"] for i in issues] == [f.fingerprint for f in visible]
    for issue, finding in zip(issues, visible, strict=True):
        assert issue["check_name"] == finding.rule_id
        assert finding.message.splitlines()[0] in issue["description"]
        assert issue["location"]["path"] == finding.path
        assert issue["location"]["lines"]["begin"] == finding.line
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
    assert {i["check_name"]: i["severity"] for i in issues} == {"CX0003": "critical", "CX0005": "critical", "CX0007": "minor"}


def test_code_quality_file_has_no_byte_order_mark(shipped_ruleset, tmp_path):
    path = tmp_path / "gl-code-quality-report.json"
    with path.open("w", encoding="utf-8") as out:
        get_formatter("gitlab").write(sample_report(shipped_ruleset), out)
    raw = path.read_bytes()
    assert raw.startswith(b"[") and not raw.startswith(b"\xef\xbb\xbf")


def test_code_quality_of_a_clean_report_is_an_empty_array(shipped_ruleset):
    report = sample_report(shipped_ruleset).model_copy(update={"findings": []})
    assert json.loads(_write(report)) == []
