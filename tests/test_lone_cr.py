"""A lone carriage return (an old Mac line ending) inside a Python file: git, diffs and codex end a line at "\\n" alone,
CPython's ast and libcst also at "\\r". Every finding lands on git's line, with real semgrep and libcst, and a diff keeps it.
"""

from __future__ import annotations

import pytest

# git's lines: 1 import subprocess, 2 import requests, 3 "x = 1\r# an old Mac line end", 4 def, 5 subprocess.run, 6 return;
# CPython and libcst count one line more from line 3 on.
BASE = b"import subprocess\nimport requests\nx = 1\r# an old Mac line end\n\n\n"
CHANGED = (
    b"import subprocess\nimport requests\nx = 1\r# an old Mac line end\ndef fetch(cmd, url):\n"
    b"    subprocess.run(cmd, shell=True)\n    return x\rrequests.get(url)\n"
)


@pytest.fixture(scope="module")
def checked(git_repo_factory, run_codex):
    repo = git_repo_factory("lone-cr")
    repo.commit("base", {"app.py": BASE})
    repo.branch("change")
    repo.commit("change", {"app.py": CHANGED})
    return run_codex(["check", "--base", "main", "--no-llm", "--no-history", "--no-cache", "--format", "json"], cwd=repo.path).json()


def test_libcst_and_semgrep_findings_land_on_git_s_line_and_column(checked) -> None:
    assert [(f["rule_id"], f["engine"], f["line"], f["end_line"], f["column"], f["source_line"]) for f in checked["findings"]] == [
        ("CX0005", "semgrep", 5, 5, 5, "    subprocess.run(cmd, shell=True)"),
        ("CX0003", "libcst", 6, 6, 14, "    return x\rrequests.get(url)"),
    ]


def test_the_llm_pass_reads_definitions_on_git_s_lines_and_semgrep_says_what_it_could_not_parse(checked) -> None:
    """The definitions the LLM pass sends were read past the file's end (IndexError: the pass failed); semgrep reads
    "return x\rrequests.get(url)" as one line, and says so."""
    assert [(e["path"], e["line"], e["kind"], e["message"]) for e in checked["errors"]] == [
        ("app.py", 6, "semgrep", "semgrep: Syntax error at line app.py:6: `x` was unexpected")
    ]


def test_a_libcst_fix_after_a_lone_carriage_return_rewrites_git_s_line(tmp_path, shipped_ruleset) -> None:
    from reviewer.engines.libcst import check_file
    from reviewer.targets import Target

    path = tmp_path / "load.py"
    path.write_bytes(b"import yaml\rx = 1\ny = yaml.load(s)\n")
    matches, problems = check_file(Target("load.py", path, "python", None, None), [shipped_ruleset.rule("CX0006")])
    assert [(m.rule_id, m.line, m.end_line, m.column, m.fix) for m in matches] == [("CX0006", 2, 2, 5, "y = yaml.safe_load(s)")]
    assert problems == []
