"""The text and JSON formats of a report; the JSON contract is validated against its schema."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest

from codex.model import Ruleset, Stage
from codex.problems import Problem
from codex_testing.reports import run_stats
from reviewer import overrides
from reviewer.check import CheckOptions, run_check
from reviewer.finding import Finding, Report
from reviewer.formatters import get_formatter
from reviewer.formatters.text import summary_line
from reviewer.git_changes import whole_tree

ALLOW = "codex: " + "allow"  # spelled at run time, so this file carries no override itself

RFC_REF = {
    "type": "object",
    "required": ["id", "title", "path", "anchor", "url"],
    "properties": {
        "id": {"type": "string", "pattern": "^RFC-\\d{4,}$"},
        "title": {"type": "string", "minLength": 1},
        "path": {"type": "string", "minLength": 1},
        "anchor": {"type": "string", "minLength": 1},
        "url": {"type": ["string", "null"]},
    },
}

CONTRACT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["findings", "errors", "stats"],
    "properties": {
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rule_id", "path", "line", "end_line", "column", "severity", "stage", "message", "need", "use", "rfc", "fingerprint"],
                "properties": {
                    "rule_id": {"type": "string", "pattern": "^[A-Z][A-Z0-9]*\\d{3,}$"},
                    "path": {"type": "string", "not": {"pattern": "^(/|\\./|\\.\\./)"}},
                    "line": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                    "severity": {"enum": ["error", "warning", "info"]},
                    "stage": {"enum": ["shadow", "warn", "block"]},
                    "message": {"type": "string", "minLength": 1},
                    "need": {"type": "string", "minLength": 1},
                    "use": {"type": "string", "minLength": 1},
                    "rfc": RFC_REF,
                    "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{8,}$"},
                    "source_line": {"type": ["string", "null"]},
                    "columns": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["utf8", "utf16"],
                                "additionalProperties": False,
                                "properties": {
                                    unit: {
                                        "type": "array",
                                        "minItems": 2,
                                        "maxItems": 2,
                                        "prefixItems": [{"type": "integer", "minimum": 1}, {"type": ["integer", "null"], "minimum": 1}],
                                    }
                                    for unit in ("utf8", "utf16")
                                },
                            },
                        ]
                    },
                },
            },
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "line", "message", "hint", "kind"],
                "properties": {
                    "path": {"type": ["string", "null"]},
                    "line": {"type": ["integer", "null"], "minimum": 1},
                    "message": {"type": "string", "minLength": 1},
                    "hint": {"type": "string"},
                    "kind": {"type": "string"},
                },
            },
        },
        "stats": {
            "type": "object",
            "required": ["mode", "files_checked", "findings", "blocking"],
            "properties": {
                "mode": {"enum": ["diff", "all"]},
                "files_checked": {"type": "integer", "minimum": 0},
                "findings": {"type": "integer", "minimum": 0},
                "blocking": {"type": "integer", "minimum": 0},
            },
        },
    },
}

SOURCE = """\
import requests


def fetch(url):
    assert url
    return requests.get(url)
"""

# a tab, a byte that is not UTF-8 and a terminal escape on one flagged line; a flagged line of 2,000 characters
ODD = (
    b'import subprocess\n\n\ndef run(name):\n\tsubprocess.run("echo \xe9\x1b[2J\t" + name, shell=True)\n\n\n'
    + b"v = "
    + b'"a" + ' * 120
    + b"subprocess.call(name, shell=True)"
    + b' + "b"' * 120
    + b"\n"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory, shipped_ruleset: Ruleset) -> Report:
    """A real check (no git: a plain directory, audited whole) with findings and an error."""
    root = tmp_path_factory.mktemp("tree")
    (root / "pkg").mkdir()
    (root / "pkg" / "client.py").write_text(SOURCE, encoding="utf-8")
    (root / "pkg" / "old.py").write_bytes(b'import requests, subprocess\nprint "py2"\nexcept Exception, e: pass\n')
    (root / "pkg" / "odd.py").write_bytes(ODD)
    return run_check(shipped_ruleset, whole_tree(root), CheckOptions(use_llm=False))


def render(report: Report, name: str) -> str:
    out = io.StringIO()
    get_formatter(name).write(report, out)
    return out.getvalue()


def test_json_contract(report: Report) -> None:
    data = json.loads(render(report, "json"))
    jsonschema.validate(data, CONTRACT)
    assert {(f["rule_id"], f["path"], f["line"]) for f in data["findings"]} == {
        ("CX0007", "pkg/client.py", 5),
        ("CX0003", "pkg/client.py", 6),
        ("CX0005", "pkg/odd.py", 5),
        ("CX0005", "pkg/odd.py", 8),
    }
    timeout = next(f for f in data["findings"] if f["rule_id"] == "CX0003")
    assert timeout["rfc"]["path"] == "rfcs/0003-resilient-python-calls.md"
    assert timeout["rfc"]["anchor"] == "cx0003-outbound-requests-calls-have-a-timeout"
    assert timeout["severity"] == "error" and timeout["stage"] == "block"
    assert (timeout["column"], timeout["end_line"]) == (12, 6)  # libcst columns are 1-based ...
    assertion = next(f for f in data["findings"] if f["rule_id"] == "CX0007")
    assert assertion["column"] == 5  # ... as semgrep's are
    assert data["stats"] | {"mode": "all", "findings": 4, "blocking": 3} == data["stats"]
    assert any(e["path"] == "pkg/old.py" and e["kind"] == "parse" for e in data["errors"])
    semgrep_errors = [e for e in data["errors"] if e["kind"] == "semgrep"]
    assert semgrep_errors and all("pkg/old.py" in e["message"] for e in semgrep_errors)
    assert "/pkg/old.py" not in json.dumps(data)  # paths relative to the root, in messages too


def test_json_carries_the_flagged_source_line(report: Report) -> None:
    lines = [(f["path"], f["line"], f["source_line"]) for f in json.loads(render(report, "json"))["findings"]]
    long_line = "…" + '+ "a" ' * 13 + "+ subprocess.call(name, shell=True)" + ' + "b"' * 21 + " …"
    assert len(long_line) == 242  # 240 characters of the line around the column, and a mark at each cut
    assert lines == [
        ("pkg/client.py", 5, "    assert url"),
        ("pkg/client.py", 6, "    return requests.get(url)"),
        ("pkg/odd.py", 5, '\tsubprocess.run("echo \ufffd\x1b[2J\t" + name, shell=True)'),  # not UTF-8: U+FFFD
        ("pkg/odd.py", 8, long_line),
    ]


def test_json_round_trips_into_the_model(report: Report) -> None:
    again = Report.model_validate_json(render(report, "json"))
    assert again.findings == report.findings and again.exit_code == report.exit_code == 1


def test_the_schema_rejects_a_broken_contract(report: Report) -> None:
    data = json.loads(render(report, "json"))
    del data["findings"][0]["rfc"]["anchor"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, CONTRACT)


def test_text_shows_every_part_of_a_finding(report: Report) -> None:
    text = render(report, "text")
    assert text.count("pkg/client.py\n") == 1  # grouped under one file heading
    assert "pkg/client.py:6:12" in text and "pkg/client.py:5:" in text
    assert (
        "  pkg/client.py:6:12  CX0003 (blocking)  requests.get() without timeout=\n"
        "      6 | return requests.get(url)\n"
        "      rule: If you need an HTTP call to another service with `requests`, use an explicit `timeout=` (seconds, "
        "or a `(connect, read)` tuple) on every call.\n"
        "      why: RFC-0003 Outbound calls and errors fail visibly and on time\n"
        "      explain: codex explain CX0003\n"
        f"      override: # {ALLOW} CX0003 -- <why it is safe here>  (on this line or the one above)\n"
    ) in text
    # indentation dropped, tabs as spaces, the byte that is not UTF-8 as U+FFFD, the terminal escape made visible
    assert '      5 | subprocess.run("echo \ufffd\\x1b[2J  " + name, shell=True)\n' in text
    assert "pkg/old.py" in text and "not valid Python 3" in text
    assert "\x1b[" not in text  # no colour codes when not on a terminal, and none from the checked file
    last = text.strip().splitlines()[-1]
    assert last.startswith("codex: blocked") and "4 finding(s), 3 blocking, in 2 file(s)" in last


def test_text_colours_on_a_terminal(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in render(report, "text")


def _finding(shipped_ruleset: Ruleset, stage: Stage, line: int, url: str | None = None) -> Finding:
    rule = shipped_ruleset.rule("CX0005")
    rule = rule.model_copy(update={"stage": stage, "rfc": rule.rfc.model_copy(update={"url": url})})
    return Finding.of(rule, "svc/[weird].py", line, line, 1, None, "semgrep")


def test_text_hides_shadow_findings_and_prefers_the_url(shipped_ruleset: Ruleset) -> None:
    report = Report(
        findings=[_finding(shipped_ruleset, Stage.shadow, 3), _finding(shipped_ruleset, Stage.warn, 7, url="https://docs.example/rfc-4#x")],
        errors=[Problem(path="a.py", line=2, message="something odd", hint="do this")],
        stats=run_stats(files_checked=1),
    )
    text = render(report, "text")
    assert "svc/[weird].py:7:1" in text and ":3:1" not in text  # markup-like paths printed as they are
    assert "https://docs.example/rfc-4#x" in text
    assert "a.py:2: something odd \u2014 do this" in text
    assert text.strip().splitlines()[-1].startswith("codex: passed \u2014 1 finding(s), 0 blocking, in 1 file(s)")
    shadow_elsewhere = _finding(shipped_ruleset, Stage.shadow, 1).model_copy(update={"path": "other.py"})
    report.findings.append(shadow_elsewhere)
    assert "in 1 file(s)" in render(report, "text")  # a file with only shadow findings is not counted


def test_summary_of_an_empty_report() -> None:
    assert summary_line(Report(), []).startswith("codex: [bold green]passed[/] \u2014 0 finding(s), 0 blocking")
    assert render(Report(), "text").strip().startswith("codex: passed")


def test_text_of_one_finding_in_a_diff(shipped_ruleset: Ruleset) -> None:
    finding = Finding.of(shipped_ruleset.rule("CX0003"), "src/client.py", 12, 12, 9, "requests.get() without timeout=", "libcst")
    finding.source_line = "\t\treturn requests.get(url)  "
    report = Report(findings=[finding], stats=run_stats(files_checked=4, base="origin/main", preexisting=2, version="17836d8153abfda7", seconds=1.25))
    assert render(report, "text") == (
        "src/client.py\n"
        "  src/client.py:12:9  CX0003 (blocking)  requests.get() without timeout=\n"
        "      12 | return requests.get(url)\n"
        "      rule: If you need an HTTP call to another service with `requests`, use an explicit `timeout=` (seconds, "
        "or a `(connect, read)` tuple) on every call.\n"
        "      why: RFC-0003 Outbound calls and errors fail visibly and on time\n"
        "      explain: codex explain CX0003\n"
        f"      override: # {ALLOW} CX0003 -- <why it is safe here>  (on this line or the one above)\n"
        "\n"
        "codex: blocked \u2014 1 finding(s), 1 blocking, in 1 file(s); 4 file(s) checked, compared with origin/main "
        "(2 finding(s) already there not reported); 0 problem(s); ruleset 17836d8153abfda7; 1.2 s\n"
    )


def test_text_shows_a_known_fix_and_how_to_apply_it(shipped_ruleset: Ruleset) -> None:
    rule = shipped_ruleset.rule("CX0006")
    one = Finding.of(rule, "a.py", 3, 3, 8, "yaml.full_load()", "libcst", "    data = yaml.safe_load(text)")
    two = Finding.of(rule, "a.py", 5, 6, 8, "yaml.load() with Loader=yaml.Loader", "libcst", "    more = yaml.safe_load(\n        text)")
    allowed = Finding.of(rule, "a.py", 9, 9, 8, "yaml.full_load()", "libcst", "    x = yaml.safe_load(text)").model_copy(
        update={"overridden": True, "override_reason": "trusted"}
    )
    text = render(Report(findings=[one, two, allowed], stats=run_stats(files_checked=1)), "text")
    fixes = [line.strip() for line in text.splitlines() if "autofix:" in line]
    assert fixes == [
        "autofix: data = yaml.safe_load(text)  (codex check --fix applies it)",
        "autofix: more = yaml.safe_load( …  (codex check --fix applies it)",
    ]


def test_text_override_hint_follows_the_file_and_the_finding(shipped_ruleset: Ruleset) -> None:
    llm_rule = shipped_ruleset.rule("CX0002")
    in_lua = Finding.of(llm_rule, "plugins/limits.lua", 3, 3, 1, "config.limits may be nil", "llm")
    in_lua.reason = "limits is read without a check"
    in_json = Finding.of(llm_rule, "conf/limits.json", 2, 2, 1, None, "llm")
    overridden = Finding.of(shipped_ruleset.rule("CX0005"), "app.py", 4, 4, 1, None, "semgrep")
    overridden.overridden, overridden.override_reason = True, "a constant command"
    about_override = overrides._finding("app.py", 9, 3, "unused override: CX0005 finds nothing on this line or the next", "remove the override")
    about_override.source_line = f"x = 1  # {ALLOW} CX0005 -- old"
    report = Report(findings=[in_lua, in_json, overridden, about_override])
    text = render(report, "text")
    tails = [line.strip() for line in text.splitlines() if line.strip().startswith(("override:", "fix:", "model:", "explain:", "9 |"))]
    assert tails == [
        "model: limits is read without a check",  # plugins/limits.lua
        "explain: codex explain CX0002",
        f"override: -- {ALLOW} CX0002 -- <why it is safe here>  (on this line or the one above)",
        "explain: codex explain CX0002",  # conf/limits.json
        "override: not possible in this file (its format has no comments)",
        "explain: codex explain CX0005",  # app.py:4, overridden already: no override hint
        f"9 | x = 1  # {ALLOW} CX0005 -- old",  # app.py:9, about an override: no rule to explain or override
        "fix: remove the override",
    ]
