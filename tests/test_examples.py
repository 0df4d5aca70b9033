"""Every shipped rule finds exactly what its RFC's examples say; a broken rule is caught.

All examples, shipped and broken, run in one matcher run (one semgrep process) shared by the module.
"""

from __future__ import annotations

import pytest

from codex.model import Example, LlmMatcher, Ruleset
from codex.semgrep_config import SemgrepMatcher
from reviewer.examples import ExampleRun, run_examples

SHIPPED_IDS = ["CX0001", "CX0002", "CX0003", "CX0004", "CX0005", "CX0006", "CX0007"]


def _broken_rules(shipped: Ruleset) -> tuple:
    """Copies of shipped rules that are wrong on purpose: one misses its bad example, one flags its good one."""
    libcst = shipped.rule("CX0003")
    misses = libcst.model_copy(update={"id": "CX9001", "matcher": SemgrepMatcher(body={"pattern": "never_called_anywhere(...)"})})
    noisy_good = Example(verdict="good", language="python", code="import requests\nrequests.get(url)\n", filename="example.py", source_line=1)
    flags_good = libcst.model_copy(update={"id": "CX9002", "examples": (*libcst.examples, noisy_good)})
    yaml_rule = shipped.rule("CX0006")
    wrong_fix = Example(
        verdict="bad",
        language="python",
        filename="example.py",
        source_line=1,
        expected=(3, 5),
        code="import yaml\n# ruleid: CX9003\na = yaml.load(s)\n# ruleid: CX9003\nb = yaml.full_load(s)\n",
        fixed="import yaml\na = yaml.safe_load(s)\nb = yaml.full_load(s)\n",
    )
    fixes_wrongly = yaml_rule.model_copy(update={"id": "CX9003", "examples": (wrong_fix,)})
    swallowed = shipped.rule("CX0004")
    no_fix = Example(
        verdict="bad",
        language="python",
        filename="example.py",
        source_line=1,
        expected=(4,),
        code="try:\n    run()\n# ruleid: CX9004\nexcept:\n    pass\n",
        fixed="run()\n",
    )
    fixes_nothing = swallowed.model_copy(update={"id": "CX9004", "examples": (no_fix,)})
    return misses, flags_good, fixes_wrongly, fixes_nothing


@pytest.fixture(scope="module")
def example_run(shipped_ruleset: Ruleset) -> ExampleRun:
    broken = _broken_rules(shipped_ruleset)
    ruleset = shipped_ruleset.model_copy(update={"rules": (*shipped_ruleset.rules, *broken)})
    return run_examples(ruleset, list(ruleset.rules))


def test_the_shipped_codex_has_its_rules(shipped_ruleset: Ruleset) -> None:
    assert [r.id for r in shipped_ruleset.rules] == SHIPPED_IDS
    for rule in shipped_ruleset.rules:
        verdicts = {e.verdict for e in rule.examples}
        assert {"bad", "good"} <= verdicts or "file" in verdicts, rule.id


@pytest.mark.parametrize("rule_id", [r for r in SHIPPED_IDS if r != "CX0002"])
def test_shipped_rule_passes_its_examples(example_run: ExampleRun, rule_id: str) -> None:
    results = [r for r in example_run.results if r.rule.id == rule_id]
    assert results, f"{rule_id} has no examples"
    failures = [f"{r.where}: expected {list(r.example.expected)}, got {list(r.actual)}" for r in results if not r.passed]
    assert failures == []
    assert any(r.actual for r in results), f"{rule_id} flagged nothing at all"


def test_judgment_rules_are_skipped_not_run(example_run: ExampleRun, shipped_ruleset: Ruleset) -> None:
    assert [r.id for r in example_run.skipped] == ["CX0002"]
    assert isinstance(shipped_ruleset.rule("CX0002").matcher, LlmMatcher)
    assert {"python", "lua"} <= set(shipped_ruleset.rule("CX0002").languages)


def test_example_run_has_no_problems(example_run: ExampleRun) -> None:
    assert example_run.problems == []


def test_a_rule_that_misses_its_bad_example_fails(example_run: ExampleRun) -> None:
    bad = [r for r in example_run.results if r.rule.id == "CX9001" and r.example.verdict == "bad"]
    assert bad and all(not r.passed and r.actual == () for r in bad)


def test_a_rule_that_flags_its_good_example_fails(example_run: ExampleRun) -> None:
    results = [r for r in example_run.results if r.rule.id == "CX9002"]
    failed = [r for r in results if not r.passed]
    assert [(r.example.verdict, r.actual) for r in failed] == [("good", (2,))]
    assert all(r.passed for r in results if r not in failed)  # the copied, correct examples still pass


def test_codex_test_command_exit_code(run_codex, tmp_path) -> None:
    """``codex test`` on a project whose only rule flags its good example: exit 1 and the failure named."""
    from codex_testing.rfcs import LIBCST, rfc, rule

    (tmp_path / "rfcs").mkdir()
    broken = rule("CX0500", LIBCST).replace("```python good\nast.literal_eval(x)\n```", "```python good\ntry:\n    pass\nexcept:\n    pass\n```")
    broken = broken.replace("# ruleid: CX0500\neval(x)", "try:\n    pass\n# ruleid: CX0500\nexcept:\n    pass")
    (tmp_path / "rfcs" / "a.md").write_text(rfc(rules=broken), encoding="utf-8")
    result = run_codex(["test", "--root", tmp_path])
    assert result.code == 1, result.out + result.err
    assert "CX0500" in result.out and "FAIL" in result.out


def test_an_example_whose_fixes_do_not_give_its_fixed_block_fails(example_run: ExampleRun) -> None:
    [wrong] = [r for r in example_run.results if r.rule.id == "CX9003"]
    assert wrong.actual == wrong.example.expected and not wrong.passed
    assert wrong.fixed == "import yaml\n# ruleid: CX9003\na = yaml.safe_load(s)\n# ruleid: CX9003\nb = yaml.safe_load(s)\n"
    assert wrong.mismatches() == [
        "the fixes do not give the fixed block: line 3 of the fixed block is 'b = yaml.full_load(s)', the fixes give 'b = yaml.safe_load(s)'"
    ]
    [nothing] = [r for r in example_run.results if r.rule.id == "CX9004"]
    assert nothing.mismatches() == ["the rule offered no fix, and the fixed block differs from the bad block"]


def test_the_shipped_yaml_rule_states_and_meets_its_fixed_code(example_run: ExampleRun) -> None:
    [bad] = [r for r in example_run.results if r.rule.id == "CX0006" and r.example.verdict == "bad"]
    assert bad.example.fixed is not None and "yaml.safe_load(handle)" in bad.example.fixed
    assert bad.passed and bad.fixed is not None and bad.fix_mismatch() is None
