"""``--format github``: workflow commands, escaped as the Actions runner parses them."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from codex.problems import Problem
from codex_testing.reports import AWKWARD_PATH, run_stats, sample_report
from reviewer.finding import Finding, Report
from reviewer.formatters import get_formatter

_COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _parse(line: str) -> tuple[str, dict[str, str], str]:
    """Read a workflow command back the way the runner does (split, then percent-decode)."""
    level, props, message = _COMMAND.match(line).groups()
    properties = dict(p.split("=", 1) for p in props.split(","))
    return level, {k: unquote(v) for k, v in properties.items()}, unquote(message)


def test_one_annotation_per_visible_finding_and_problem(shipped_ruleset):
    report = sample_report(shipped_ruleset)
    out = io.StringIO()
    get_formatter("github").write(report, out)
    lines = out.getvalue().splitlines()
    commands = [_parse(line) for line in lines if line.startswith("::")]
    assert [(lvl, p.get("title", "")[:6]) for lvl, p, _ in commands] == [("warning", "CX0007"), ("error", "CX0003"), ("error", "CX0005"), ("warning", "codex:")]
    assert all("\n" not in line for line in lines)
    _, props, message = commands[2]
    assert props["file"] == AWKWARD_PATH and props["line"] == "2"
    assert message.startswith("shell=True\nwith 100% risk")
    assert lines[-1].startswith("codex: blocked") and "[" not in lines[-1]


def _many(shipped_ruleset, errors: int, warnings: int) -> Report:
    """``errors`` blocking CX0003 findings (lines 1..) in one file, ``warnings`` CX0007 ones in another, one problem."""
    rule = shipped_ruleset.rule
    findings = [Finding.of(rule("CX0003"), "a.py", n, n, 1, f"call {n}", "libcst") for n in range(1, errors + 1)]
    findings += [Finding.of(rule("CX0007"), "b.py", n, n, 1, f"assert {n}", "semgrep") for n in range(1, warnings + 1)]
    problems = [Problem(path="c.py", line=4, message="not valid Python 3", hint="port it", kind="parse")]
    return Report(findings=findings, errors=problems, stats=run_stats(files_checked=3, findings=len(findings), blocking=errors, seconds=0.1))


def test_past_ten_annotations_of_a_kind_the_rest_go_to_the_step_summary(shipped_ruleset, tmp_path, monkeypatch):
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = io.StringIO()
    get_formatter("github").write(_many(shipped_ruleset, errors=12, warnings=10), out)
    lines = out.getvalue().splitlines()
    commands = [_parse(line) for line in lines if line.startswith("::")]
    assert [(lvl, p["file"], p["line"]) for lvl, p, _ in commands] == (
        [("error", "a.py", str(n)) for n in range(1, 11)] + [("warning", "b.py", str(n)) for n in range(1, 11)]
    )
    assert lines[20] == "codex: 3 more (2 error, 1 warning) past GitHub's 10 annotations per kind are listed in the step summary"
    table = summary.read_text(encoding="utf-8").splitlines()
    assert table[:5] == [
        "earlier step",
        "### codex: 3 more finding(s) and problem(s) than GitHub annotates",
        "",
        "| Level | File | Line | Rule | Message |",
        "| --- | --- | --- | --- | --- |",
    ]
    rows = [row.split(" | ")[:4] for row in table[5:8]]
    assert rows == [
        ["| error", "a.py", "11", "CX0003 RFC-0003"],
        ["| error", "a.py", "12", "CX0003 RFC-0003"],
        ["| warning", "c.py", "4", "codex: not checked"],
    ]
    assert table[5].count("<br>") == 2 and table[5].split(" | ")[4].startswith("call 11<br>If you need ")
    assert table[7].endswith("| c.py:4: not valid Python 3 — port it |") and table[8:] == [""]


def test_without_a_step_summary_the_rest_are_printed_in_the_log(shipped_ruleset, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    out = io.StringIO()
    get_formatter("github").write(_many(shipped_ruleset, errors=10, warnings=11), out)
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10 and sum(line.startswith("::warning ") for line in lines) == 10
    assert lines[20:23] == [
        "codex: 2 more (2 warning) past GitHub's 10 annotations per kind:",
        lines[21],
        "c.py:4: warning: codex: not checked: c.py:4: not valid Python 3 — port it",
    ]
    assert lines[21].startswith("b.py:11: warning: CX0007 RFC-0005: assert 11 / If you need ")
    assert lines[23].startswith("codex: ")
