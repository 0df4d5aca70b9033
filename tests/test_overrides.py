"""Overrides: `codex: allow RULE -- reason` lets a finding through for human review; wrong overrides are findings."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from codex.compiler import compile_rfcs
from codex_testing.governance_rfcs import libcst_rule, rfc
from codex_testing.sarif import validate_sarif
from reviewer.check import CheckOptions, run_check
from reviewer.formatters import get_formatter
from reviewer.git_changes import from_git, whole_tree
from reviewer.overrides import OVERRIDE_RULE_ID, parse_overrides


def allow(text: str) -> str:
    """Spell the override marker only at run time, so this file does not carry overrides itself."""
    return text.replace("ALLOW", "codex: " + "allow")


CLIENT = allow("""import requests
requests.get(a)  # ALLOW PY0001 -- the health endpoint answers locally, see INC-12
# ALLOW PY0001
requests.get(b)
requests.get(c)
x = 1  # ALLOW PY0001 -- stale, nothing here
y = 2  # ALLOW ZZ9999 -- no such rule
""")
WRONG = allow("""# ALLOW-file PY0002 -- generated
import requests
# ALLOW PY0001 -- checked by the caller
requests.get(v)
x = 1  # ALLOW PY0001 -- stale
y = 2  # ALLOW -- which rule?
z = 3  # ALLOW PY0001, PY0002
""")
CLEAN = allow("""# ALLOW-file PY0001 -- old module
import requests
requests.get(u, timeout=1)
""")
LEGACY = allow("""# ALLOW-file PY0001 -- legacy module, replaced in Q3
import requests
requests.get(a)
requests.get(b)
""")


@pytest.mark.parametrize(
    "line, ids, reason",
    [
        ("x.unwrap(); // ALLOW CX0001 -- config is validated at load", ("CX0001",), "config is validated at load"),
        ("-- ALLOW CX0002, CX0007 -- nil checked by caller", ("CX0002", "CX0007"), "nil checked by caller"),
        ("/* ALLOW CX0001 -- generated code */", ("CX0001",), "generated code"),
        ("<!-- ALLOW CX0001 -- docs sample -->", ("CX0001",), "docs sample"),
        ("# ALLOW CX0003", ("CX0003",), None),
        ("# ALLOW CX0003 --   ", ("CX0003",), None),
    ],
)
def test_parse_inline_overrides_in_any_comment_syntax(line, ids, reason):
    overrides, malformed = parse_overrides(allow(line))
    assert malformed == []
    assert [(o.line, o.rule_ids, o.reason, o.file_level) for o in overrides] == [(1, ids, reason, False)]


def test_parse_file_level_and_malformed_overrides():
    text = allow("// ALLOW-file CX0001 -- vendored\n" + "\n" * 10 + "// ALLOW-file CX0001 -- too low\n// ALLOW -- which rule?\n")
    overrides, malformed = parse_overrides(text)
    assert [(o.line, o.file_level, o.reason) for o in overrides] == [(1, True, "vendored")]
    assert [(line, what) for line, _, what in malformed] == [(12, "file-level override below line 10"), (13, "override names no rule")]


def test_malformed_overrides_leave_the_later_ones_parsed():
    text = allow("# ALLOW -- which rule?\n" + "\n" * 10 + "# ALLOW-file CX0001 -- too low\n# ALLOW CX0003 -- local call\n")
    overrides, malformed = parse_overrides(text)
    assert [(o.line, o.rule_ids, o.reason) for o in overrides] == [(13, ("CX0003",), "local call")]
    assert [(line, what) for line, _, what in malformed] == [(1, "override names no rule"), (12, "file-level override below line 10")]


def test_a_mention_outside_a_comment_is_not_an_override():
    assert parse_overrides(allow('"""Write ``ALLOW CX0001 -- why`` to let a finding through."""')) == ([], [])


@pytest.fixture(scope="module")
def repo(git_repo_factory):
    repo = git_repo_factory("overrides")
    repo.commit(
        "rules and code",
        {
            "rfcs/0100-test.md": rfc("RFC-0100", [libcst_rule("PY0001")]),
            "svc/a_plain.py": "import requests\nrequests.get(z)\n",  # no marker, checked first
            "svc/client.py": CLIENT,
            "svc/legacy.py": LEGACY,
        },
    )
    return repo


@pytest.fixture(scope="module")
def ruleset(repo):
    result = compile_rfcs(repo.path / "rfcs", repo.path)
    assert result.ruleset is not None, result.problems
    return result.ruleset


@pytest.fixture(scope="module")
def report(repo, ruleset):
    return run_check(ruleset, whole_tree(repo.path), CheckOptions(use_llm=False))


def _by_line(report, path):
    return {(f.line, f.rule_id): f for f in report.findings if f.path == path}


def test_override_with_reason_lets_the_finding_through_but_keeps_it_visible(report):
    finding = _by_line(report, "svc/client.py")[(2, "PY0001")]
    assert finding.overridden and finding.override_reason == "the health endpoint answers locally, see INC-12"
    assert not finding.blocking
    assert finding in report.needs_human_review


def test_override_without_reason_is_a_finding_and_lets_nothing_through(report):
    findings = _by_line(report, "svc/client.py")
    assert findings[(4, "PY0001")].blocking and not findings[(4, "PY0001")].overridden
    about = findings[(3, OVERRIDE_RULE_ID)]
    assert "without a reason" in about.message and about.stage.value == "warn"
    assert findings[(5, "PY0001")].blocking
    assert report.exit_code == 1


def test_unused_overrides_are_reported(report):
    findings = _by_line(report, "svc/client.py")
    assert "PY0001 finds nothing" in findings[(6, OVERRIDE_RULE_ID)].message
    assert "ZZ9999 is not a rule" in findings[(7, OVERRIDE_RULE_ID)].message
    assert (2, OVERRIDE_RULE_ID) not in findings


def test_a_file_without_overrides_leaves_the_later_files_overridden(report):
    assert [(f.line, f.overridden) for f in report.findings if f.path == "svc/a_plain.py"] == [(2, False)]
    assert _by_line(report, "svc/client.py")[(2, "PY0001")].overridden


@pytest.fixture(scope="module")
def wrong_report(git_repo_factory):
    repo = git_repo_factory("wrong-overrides")
    repo.commit(
        "rules and code",
        {
            "rfcs/0100-test.md": rfc("RFC-0100", [libcst_rule("PY0001"), libcst_rule("PY0002", paths={"include": ["nowhere/**"]})]),
            "svc/wrong.py": WRONG,
            "svc/clean.py": CLEAN,
        },
    )
    ruleset = compile_rfcs(repo.path / "rfcs", repo.path).ruleset
    return run_check(ruleset, whole_tree(repo.path), CheckOptions(use_llm=False))


def test_every_wrong_override_is_a_finding_that_says_what_to_do(wrong_report):
    report = wrong_report
    about = [
        (f.line, f.column, f.message, f.use, f.need, f.stage.value, f.severity.value)
        for f in report.findings
        if f.path == "svc/wrong.py" and f.rule_id == OVERRIDE_RULE_ID
    ]
    how, remove = "write `" + allow("ALLOW RULE -- why it is safe here`"), "remove the override"
    assert about == [
        (1, 3, "unused override: PY0002 does not apply to this file", remove, "to let a finding through", "warn", "warning"),
        (5, 10, "unused override: PY0001 finds nothing on this line or the next", remove, "to let a finding through", "warn", "warning"),
        (6, 10, "override names no rule", how, "to let a finding through", "warn", "warning"),
        (
            7,
            10,
            "override of PY0001, PY0002 without a reason, so it lets nothing through",
            "write `" + allow("ALLOW PY0001, PY0002 -- <why it is safe here>`"),
            "to let a finding through",
            "warn",
            "warning",
        ),
    ]
    assert [(f.line, f.overridden, f.override_reason) for f in report.findings if f.path == "svc/wrong.py" and f.rule_id == "PY0001"] == [
        (4, True, "checked by the caller")
    ]
    assert [(f.line, f.message) for f in report.findings if f.path == "svc/clean.py"] == [(1, "unused override: PY0001 finds nothing in this file")]


def test_file_level_override_covers_the_whole_file(report):
    findings = _by_line(report, "svc/legacy.py")
    assert {key: f.overridden for key, f in findings.items()} == {(3, "PY0001"): True, (4, "PY0001"): True}
    assert {f.override_reason for f in findings.values()} == {"legacy module, replaced in Q3"}


def test_text_and_json_show_overridden_findings(report):
    text, raw = io.StringIO(), io.StringIO()
    get_formatter("text").write(report, text)
    get_formatter("json").write(report, raw)
    assert "(overridden: the health endpoint answers locally, see INC-12)" in text.getvalue()
    assert "Needs human review" in text.getvalue() and "svc/legacy.py:3  PY0001" in text.getvalue()
    payload = json.loads(raw.getvalue())
    overridden = [f for f in payload["findings"] if f["overridden"]]
    assert {(f["path"], f["line"], f["override_reason"]) for f in overridden} == {
        ("svc/client.py", 2, "the health endpoint answers locally, see INC-12"),
        ("svc/legacy.py", 3, "legacy module, replaced in Q3"),
        ("svc/legacy.py", 4, "legacy module, replaced in Q3"),
    }


def test_in_a_diff_only_overrides_on_changed_lines_are_reported(git_repo, ruleset):
    repo = git_repo()
    repo.commit("base", {"a.py": CLIENT})
    repo.write("a.py", CLIENT + allow("requests.get(d)  # ALLOW PY0001 -- local call\nz = 3  # ALLOW PY0001 -- nothing\n"))
    report = run_check(ruleset, from_git(repo.path, "HEAD"), CheckOptions(use_llm=False))
    assert [(f.line, f.rule_id, f.overridden) for f in report.findings] == [(8, "PY0001", True), (9, OVERRIDE_RULE_ID, False)]
    assert report.exit_code == 0


def test_sarif_marks_overridden_findings_as_suppressed_in_source(report):
    pytest.importorskip("jsonschema")
    out = io.StringIO()
    get_formatter("sarif").write(report, out)
    sarif = json.loads(out.getvalue())
    suppressed = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r["suppressions"]
        for r in sarif["runs"][0]["results"]
        if "suppressions" in r
    }
    assert suppressed[("svc/client.py", 2)] == [{"kind": "inSource", "justification": "the health endpoint answers locally, see INC-12"}]
    assert len(suppressed) == 3
    validate_sarif(sarif)


def test_review_summary_lists_overridden_findings_under_needs_human_review(report):
    from reviewer.changes import ChangeSet
    from reviewer.platforms.merge_request import MergeDiff
    from reviewer.platforms.review import Outcome, ReviewInput, finding_body, summary_body

    diff = MergeDiff(base="0" * 40, head="1" * 40, changes=ChangeSet(Path("."), []), anchors={}, old_paths={})
    body = summary_body(ReviewInput(report, diff, "rfcs/"), Outcome())
    section = body.split("#### Needs human review", 1)[1]
    assert "- **PY0001** `svc/client.py:2`: the health endpoint answers locally, see INC-12" in section
    assert "- **PY0001** `svc/legacy.py:4`: legacy module, replaced in Q3" in section
    overridden = next(f for f in report.findings if f.overridden)
    assert finding_body(overridden).startswith(f"**PY0001** (overridden: {overridden.override_reason})")


def test_the_suggested_override_comment_is_one_the_parser_reads() -> None:
    from codex.languages import EXTENSIONS
    from reviewer.overrides import override_comment

    parsed = {}
    for language, endings in EXTENSIONS.items():
        comment = override_comment(f"src/file{endings[0]}", "CX0001")
        if comment is None:
            parsed[language] = None
            continue
        (override,), malformed = parse_overrides(f"call()  {comment}\n")
        parsed[language] = (comment.split()[0], override.rule_ids, override.reason, malformed)
    hash_, slashes, dashes = (
        ("#", ("CX0001",), "<why it is safe here>", []),
        ("//", ("CX0001",), "<why it is safe here>", []),
        ("--", ("CX0001",), "<why it is safe here>", []),
    )
    assert parsed == {
        "bash": hash_,
        "c": slashes,
        "cpp": slashes,
        "csharp": slashes,
        "go": slashes,
        "java": slashes,
        "javascript": slashes,
        "json": None,
        "kotlin": slashes,
        "lua": dashes,
        "php": slashes,
        "python": hash_,
        "ruby": hash_,
        "rust": slashes,
        "scala": slashes,
        "swift": slashes,
        "terraform": hash_,
        "typescript": slashes,
        "yaml": hash_,
    }


def test_an_override_reason_renders_as_plain_text_in_the_review(report):
    from reviewer.changes import ChangeSet
    from reviewer.platforms.merge_request import MergeDiff
    from reviewer.platforms.review import Outcome, ReviewInput, finding_body, summary_body

    steering = "ok per [the lead](https://evil.example) ![p](https://evil.example/p.png) @admin"
    escaped = "ok per \\[the lead\\]\\(https://evil.example\\) \\!\\[p\\]\\(https://evil.example/p.png\\) @&#8203;admin"
    overridden = next(f for f in report.findings if f.overridden).model_copy(update={"override_reason": steering})
    steered = report.model_copy(update={"findings": [overridden]})
    diff = MergeDiff(base="0" * 40, head="1" * 40, changes=ChangeSet(Path("."), []), anchors={}, old_paths={})
    section = summary_body(ReviewInput(steered, diff, "rfcs/"), Outcome()).split("#### Needs human review", 1)[1]
    assert f"- **PY0001** `{overridden.path}:{overridden.line}`: {escaped}\n" in section
    assert finding_body(overridden).startswith(f"**PY0001** (overridden: {escaped}): ")


def test_lines_are_numbered_at_newlines_alone(tmp_path, shipped_ruleset):
    """A form feed (PEP 8 allows one between sections) is not a line end for git or the engines, and a CRLF's "\\r" is
    not part of the line: the override, the fingerprint's text and the shown source line stay on the flagged line."""
    text = allow("import requests\n\x0c\ndef f(u):\n    requests.get(u)  # ALLOW CX0003 -- local\r\n\x0c# x\x0cstill line 5\nrequests.post(u)\n")
    assert [(o.line, o.reason) for o in parse_overrides(text)[0]] == [(4, "local")]
    (tmp_path / "app.py").write_text(text, encoding="utf-8", newline="")
    report = run_check(shipped_ruleset, whole_tree(tmp_path), CheckOptions(use_llm=False))
    assert [(f.rule_id, f.line, f.overridden, f.source_line) for f in report.findings if f.rule_id == "CX0003"] == [
        ("CX0003", 4, True, allow("    requests.get(u)  # ALLOW CX0003 -- local")),
        ("CX0003", 6, False, "requests.post(u)"),
    ]
