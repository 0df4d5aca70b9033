"""Fail stale, then fail open: a corrupted RFC falls back to the last good compiled ruleset; no ruleset at all does not block."""

from __future__ import annotations

import pytest

from codex.compiler import compile_rfcs
from codex.config import CodexConfig
from codex.problems import ProblemError
from codex.rules_dir import write_rules
from codex.ruleset_source import load_active
from codex_testing.governance_rfcs import libcst_rule, rfc, semgrep_rule

GOOD = rfc("RFC-0100", [libcst_rule("PY0001")])
CORRUPT = GOOD.replace("severity: error", "severity: [error")
CALL = "import requests\nrequests.get(url)\n"


@pytest.fixture
def repo(git_repo):
    repo = git_repo()
    repo.write("rfcs/0100-test.md", GOOD)
    write_rules(compile_rfcs(repo.path / "rfcs", repo.path).ruleset, repo.path / "rules")
    repo.commit("rules", {"app.py": CALL})
    repo.write("rfcs/0100-test.md", CORRUPT)
    return repo


def test_without_stale_ok_the_compile_problems_are_raised(repo):
    with pytest.raises(ProblemError) as raised:
        load_active(repo.path, CodexConfig())
    assert "rfcs/0100-test.md:" in str(raised.value)


def test_corrupted_rfc_falls_back_to_committed_rules(repo):
    loaded = load_active(repo.path, CodexConfig(), stale_ok=True)
    assert loaded.origin == "shipped codex + rules/ruleset.json" and loaded.ruleset.rule("PY0001") is not None
    assert loaded.problems[0].kind == "stale-ruleset"
    assert any(p.path == "rfcs/0100-test.md" and "not valid YAML" in p.message for p in loaded.problems[1:])


def test_a_ruleset_missing_from_the_tree_is_read_from_git(repo):
    (repo.path / "rules" / "ruleset.json").write_text("{ truncated", encoding="utf-8")
    loaded = load_active(repo.path, CodexConfig(), stale_ok=True)
    assert loaded.origin.startswith("shipped codex + rules/ruleset.json at ") and loaded.ruleset.rule("PY0001") is not None


def test_check_goes_on_with_the_stale_ruleset_and_prints_the_compile_errors(repo, run_codex):
    result = run_codex(["check", "--all", "--no-history", "--root", repo.path])
    assert result.code == 1, result.err
    assert "app.py:2:1  PY0001" in result.out
    assert "rfcs: does not compile; checked with the last good ruleset, rules/ruleset.json" in result.err
    assert "rfcs/0100-test.md:" in result.out and "not valid YAML" in result.out


def test_broken_own_rfcs_with_nothing_stale_fall_back_to_the_shipped_codex(git_repo, run_codex):
    repo = git_repo()
    repo.commit("broken rfcs only", {"rfcs/0100-test.md": CORRUPT, "app.py": CALL})
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--root", repo.path])
    assert result.code == 1 and "app.py:2:1  CX0003 (blocking)" in result.out
    assert "rfcs: does not compile; checked with the last good ruleset, the shipped codex alone" in result.err


def test_no_usable_ruleset_reports_and_does_not_block_unless_strict(git_repo, run_codex):
    repo = git_repo()
    repo.commit("broken rfcs only", {"rfcs/0100-test.md": CORRUPT, "app.py": CALL, "pyproject.toml": "[tool.codex]\nshipped = false\n"})
    lenient = run_codex(["check", "--all", "--no-history", "--root", repo.path])
    assert lenient.code == 0 and lenient.out == ""
    assert "rfcs/0100-test.md:" in lenient.err and "no usable ruleset, nothing was checked; not blocking" in lenient.err
    strict = run_codex(["check", "--all", "--no-history", "--strict", "--root", repo.path])
    assert strict.code == 2 and "failing (--strict)" in strict.err


def test_an_rfc_whose_semgrep_rule_semgrep_rejects_fails_stale_naming_its_block(git_repo, run_codex):
    """The new pattern does not parse: the check runs the last good rules (the committed PY0002) and says where."""
    good = rfc("RFC-0100", [semgrep_rule("PY0002", "pattern: eval(...)", "# ruleid: PY0002\neval(x)", "print(x)", language="python")])
    repo = git_repo()
    repo.write("rfcs/0100-eval.md", good)
    write_rules(compile_rfcs(repo.path / "rfcs", repo.path).ruleset, repo.path / "rules")
    repo.commit("rules", {"app.py": "eval(x)\n"})
    rejected = good.replace("pattern: eval(...)", "pattern: eval((")
    repo.write("rfcs/0100-eval.md", rejected)
    block_line = rejected.splitlines().index("```yaml semgrep") + 2
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--no-cache", "--format", "json"], cwd=repo.path)
    assert result.code == 1, result.err
    report = result.json()
    assert [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]] == [("PY0002", "app.py", 1)]
    assert report["stats"]["ruleset"]["origin"] == "shipped codex + rules/ruleset.json"
    assert [(e["path"], e["line"], e["kind"]) for e in report["errors"]] == [("rfcs", None, "stale-ruleset"), ("rfcs/0100-eval.md", block_line, "input")]
    assert "semgrep rejects rule PY0002" in report["errors"][1]["message"]
