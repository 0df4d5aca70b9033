"""The health guard: a deliberately broken rule that fires on every file is held at warn for the run."""

from __future__ import annotations

import io

import pytest

from codex.compiler import compile_rfcs
from codex.governance_config import GovernanceConfig
from codex.model import Stage
from codex_testing.governance_rfcs import rfc, semgrep_rule, unwrap_rule
from reviewer.check import CheckOptions, run_check
from reviewer.formatters import get_formatter
from reviewer.git_changes import whole_tree
from reviewer.health import held_stage, hold_broken_rules

BROKEN = semgrep_rule("RX0002", "pattern-regex: fn", bad="// ruleid: RX0002\nfn f() {}", good="struct S;", title="Broken rule")
FILES = {f"src/m{n}.rs": f"fn f{n}() -> u32 {{ {n} }}\n" for n in range(11)}
FILES["src/config.rs"] = "fn load() -> Config {\n    parse(read()).unwrap()\n}\n"
FILES["README.md"] = "not a Rust file\n"


@pytest.fixture(scope="module")
def checked(git_repo_factory):
    repo = git_repo_factory("health")
    repo.commit("code", {"rfcs/0100-test.md": rfc("RFC-0100", [unwrap_rule(), BROKEN]), **FILES})
    ruleset = compile_rfcs(repo.path / "rfcs", repo.path).ruleset
    governance = GovernanceConfig(health_max_share=0.5, health_min_files=10)
    found_report = run_check(ruleset, whole_tree(repo.path), CheckOptions(use_llm=False, governance=governance))
    return ruleset, found_report


def test_broken_rule_is_held_at_warn_and_says_so(checked):
    _, report = checked
    broken = [f for f in report.findings if f.rule_id == "RX0002"]
    assert len({f.path for f in broken}) == 12 and {f.stage for f in broken} == {Stage.warn}
    assert report.stats.governance.held == ["RX0002"]
    assert report.stats.governance.rules["RX0002"].model_dump() == {"files_seen": 12, "files_hit": 12}
    [notice] = [p for p in report.errors if p.kind == "health"]
    assert str(notice).startswith("codex: RX0002 fired on 12 of the 12 files it applies to (100%); held at warn for this run")
    text = io.StringIO()
    get_formatter("text").write(report, text)
    assert "held at warn for this run" in text.getvalue()


def test_a_healthy_rule_in_the_same_run_still_blocks(checked):
    _, report = checked
    [unwrap] = [f for f in report.findings if f.rule_id == "RX0001"]
    assert unwrap.path == "src/config.rs" and unwrap.blocking and report.exit_code == 1


@pytest.mark.parametrize(
    "limits, held",
    [
        (GovernanceConfig(health_max_share=0.5, health_min_files=13), []),  # too few files to judge
        (GovernanceConfig(health_max_share=1.0, health_min_files=1), []),  # never more than 100%
        (GovernanceConfig(health_max_share=0.05, health_min_files=1), ["RX0001", "RX0002"]),
    ],
)
def test_thresholds_are_configurable(checked, limits, held):
    from reviewer.health import RuleHealth

    _, report = checked
    findings = [f.model_copy(update={"stage": Stage.block}) for f in report.findings]
    health = [RuleHealth("RX0001", 12, 1), RuleHealth("RX0002", 12, 12)]
    ids, problems = hold_broken_rules(health, limits)
    assert ids == held and len(problems) == len(held)
    assert {f.rule_id for f in findings if held_stage(f.stage, f.rule_id in ids) is Stage.warn} == set(held)
