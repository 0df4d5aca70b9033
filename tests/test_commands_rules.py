"""``codex rules`` (codex_cli/commands/rules.py): every rule of the active ruleset with the stages in force."""

from __future__ import annotations

import pytest

from codex_testing.rfcs import LIBCST, rfc, rule

RFC = rfc(
    rules=rule("CX0100") + rule("CX0101", config=LIBCST, matcher=""),
    front="rollout:\n  CX0100:\n    - stage: warn\n    - paths: ['services/**']\n      stage: block\n      since: 2026-03-01\n",
)


def _row(rule_id: str, severity: str, matcher: str, stage: str, stages: list[str]) -> dict:
    return {
        "rule_id": rule_id,
        "title": "No eval",
        "rfc": "RFC-0100",
        "link": f"rfcs/0100-no-eval.md#{rule_id.lower()}-no-eval",
        "severity": severity,
        "matcher": matcher,
        "stage": stage,
        "stages": stages,
    }


@pytest.fixture
def repo(git_repo, run_codex):
    repo = git_repo()
    repo.commit("rules", {"rfcs/0100-no-eval.md": RFC, "pyproject.toml": "[tool.codex]\nshipped = false\n"})
    assert run_codex(["compile", "--root", repo.path]).code == 0
    return repo


def test_json_lists_each_rule_with_the_stages_in_force_on_the_day(repo, run_codex) -> None:
    before = run_codex(["rules", "--format", "json", "--today", "2026-02-01", "--root", repo.path])
    assert (before.code, before.err) == (0, "")
    assert before.json() == {
        "date": "2026-02-01",
        "origin": "rfcs/",
        "rules": [
            _row("CX0100", "error", "semgrep", "block", ["warn everywhere", "block on services/** from 2026-03-01"]),
            _row("CX0101", "warning", "libcst", "warn", ["warn everywhere"]),
        ],
    }
    after = run_codex(["rules", "--format", "json", "--today", "2026-03-01", "--root", repo.path])
    assert [r["stages"] for r in after.json()["rules"]] == [["block on services/**", "warn elsewhere"], ["warn everywhere"]]


def test_text_is_a_table_titled_with_the_origin_and_the_day(repo, run_codex) -> None:
    result = run_codex(["rules", "--today", "2026-02-01", "--root", repo.path])
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[0].strip() == "codex rules — rfcs/, stages in force on 2026-02-01"
    assert [line.split()[1] for line in lines if line.startswith("│ CX")] == ["CX0100", "CX0101"]
    assert [line.split("│")[3:5] for line in lines if line.startswith("│ CX0101")] == [[" warning  ", " libcst  "]]


def test_rfcs_that_no_longer_compile_list_the_last_good_rules_and_say_why(repo, run_codex) -> None:
    repo.write("rfcs/0100-no-eval.md", RFC.replace("severity: error", "severity: fatal"))
    result = run_codex(["rules", "--format", "json", "--today", "2026-02-01", "--root", repo.path])
    assert result.code == 0
    assert [r["rule_id"] for r in result.json()["rules"]] == ["CX0100", "CX0101"]
    assert result.json()["origin"] == "rules/ruleset.json"
    assert result.err.splitlines() == [
        "rfcs: does not compile; checked with the last good ruleset, rules/ruleset.json — fix the problems below and run `codex compile`",
        "rfcs/0100-no-eval.md:26: rule block: severity: Input should be 'error', 'warning' or 'info' — see the RFC format in the README",
    ]
