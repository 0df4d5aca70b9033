"""Rollouts: the stage in force by path cohort and date (the date injected), compiled from RFC front matter."""

from __future__ import annotations

import datetime as dt

import pytest

from codex.compiler import compile_rfcs
from codex.model import Stage
from codex_testing.governance_rfcs import libcst_rule, rfc
from reviewer.check import CheckOptions, run_check
from reviewer.git_changes import whole_tree
from reviewer.rollout import describe, stage_in_force

ROLLOUT = {"PY0001": [{"stage": "warn"}, {"paths": ["services/experimental/**"], "stage": "block"}, {"stage": "block", "since": dt.date(2026, 3, 1)}]}
BEFORE, AFTER = dt.date(2026, 2, 1), dt.date(2026, 3, 1)
CALL = "import requests\nrequests.get(url)\n"


def _compile(repo, text):
    repo.write("rfcs/0100-test.md", text)
    return compile_rfcs(repo.path / "rfcs", repo.path)


@pytest.fixture
def repo(git_repo):
    return git_repo()


def test_stage_by_cohort_and_date(repo):
    rule = _compile(repo, rfc("RFC-0100", [libcst_rule("PY0001")], rollout=ROLLOUT)).ruleset.rule("PY0001")
    assert stage_in_force(rule, "services/experimental/new.py", BEFORE) is Stage.block
    assert stage_in_force(rule, "services/core/old.py", BEFORE) is Stage.warn
    assert stage_in_force(rule, "services/core/old.py", AFTER) is Stage.block
    assert describe(rule, BEFORE) == ["block on services/experimental/**", "warn elsewhere", "block on everywhere from 2026-03-01"]
    assert describe(rule, AFTER) == ["block everywhere"]


def test_last_cohort_in_force_decides_and_uncovered_paths_keep_the_rule_stage(repo):
    rollout = {"PY0001": [{"paths": ["legacy/**"], "stage": "shadow"}, {"paths": ["legacy/keep/**"], "stage": "warn"}]}
    rule = _compile(repo, rfc("RFC-0100", [libcst_rule("PY0001", stage="block")], rollout=rollout)).ruleset.rule("PY0001")
    assert [stage_in_force(rule, p, BEFORE) for p in ("legacy/a.py", "legacy/keep/b.py", "app/c.py")] == [Stage.shadow, Stage.warn, Stage.block]


def test_draft_rfc_stays_in_shadow_whatever_its_rollout(repo):
    rule = _compile(repo, rfc("RFC-0100", [libcst_rule("PY0001")], status="draft", rollout=ROLLOUT)).ruleset.rule("PY0001")
    assert rule.rollout == () and stage_in_force(rule, "services/experimental/new.py", AFTER) is Stage.shadow


def test_bad_rollouts_are_problems_with_file_and_line(repo):
    unknown = _compile(repo, rfc("RFC-0100", [libcst_rule("PY0001")], rollout={"PY0002": [{"stage": "block"}]}))
    assert unknown.ruleset is None
    assert [str(p) for p in unknown.problems] == [
        "rfcs/0100-test.md:1: front matter: rollout names PY0002, which this RFC does not define — key the rollout by the rule ids of this RFC's sections"
    ]
    bad_stage = _compile(repo, rfc("RFC-0100", [libcst_rule("PY0001")], rollout={"PY0001": [{"stage": "loud"}]}))
    assert bad_stage.ruleset is None and "rollout.PY0001.0.stage" in str(bad_stage.problems[0])


def test_check_applies_the_stage_in_force_on_the_injected_date(repo):
    ruleset = _compile(repo, rfc("RFC-0100", [libcst_rule("PY0001")], rollout=ROLLOUT)).ruleset
    repo.commit("code", {"services/experimental/new.py": CALL, "services/core/old.py": CALL})

    def stages(today):
        report = run_check(ruleset, whole_tree(repo.path), CheckOptions(use_llm=False, today=today))
        return {f.path: f.stage for f in report.findings}, report.exit_code

    assert stages(BEFORE) == ({"services/core/old.py": Stage.warn, "services/experimental/new.py": Stage.block}, 1)
    assert stages(AFTER) == ({"services/core/old.py": Stage.block, "services/experimental/new.py": Stage.block}, 1)
    assert stages(dt.date(2025, 12, 31))[0]["services/core/old.py"] is Stage.warn


def test_codex_check_today_option_decides_whether_a_cohort_blocks(repo, run_codex):
    repo.commit(
        "rules and code",
        {
            "rfcs/0100-test.md": rfc("RFC-0100", [libcst_rule("PY0001")], rollout=ROLLOUT),
            "services/core/old.py": CALL,
            "pyproject.toml": "[tool.codex]\nshipped = false\n",
        },
    )
    before = run_codex(["check", "--all", "--no-history", "--today", BEFORE.isoformat(), "--root", repo.path])
    after = run_codex(["check", "--all", "--no-history", "--today", AFTER.isoformat(), "--root", repo.path])
    assert (before.code, after.code) == (0, 1), before.err + after.err
    assert "PY0001 (warn)" in before.out and "PY0001 (blocking)" in after.out
