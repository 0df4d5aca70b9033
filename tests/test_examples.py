"""Every shipped rule finds exactly what its RFC's examples say; a broken rule is caught.

All examples, shipped and broken, run in one matcher run (one semgrep process) shared by the module.
"""

from __future__ import annotations

import pytest

from reviewer.examples import ExampleRun, run_examples
from codex.model import Example, LlmMatcher, Ruleset
from codex.semgrep_config import SemgrepMatcher

SHIPPED_IDS = ["CX0001", "CX0002", "CX0003", "CX0004", "CX0005", "CX0006", "CX0007"]


def _broken_rules(shipped: Ruleset) -> tuple:
    """Copies of shipped rules that are wrong on purpose: one misses its bad example, one flags its good one."""
    libcst = shipped.rule("CX0003")
    misses = libcst.model_copy(update={"id": "CX9001", "matcher": SemgrepMatcher(body={"pattern": "never_called_anywhere(...)"})})
    noisy_good = Example(verdict="good", language="python", code="import requests\nrequests.get(url)\n",
                         filename="example.py", source_line=1)
    flags_good = libcst.model_copy(update={"id": "CX9002", "examples": (*libcst.examples, noisy_good)})
    return misses, flags_good


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
    broken = rule("CX0500", LIBCST).replace("```python good\nast.literal_eval(x)\n```",
                                             "```python good\ntry:\n    pass\nexcept:\n    pass\n```")
    broken = broken.replace("# ruleid: CX0500\neval(x)", "try:\n    pass\n# ruleid: CX0500\nexcept:\n    pass")
    (tmp_path / "rfcs" / "a.md").write_text(rfc(rules=broken), encoding="utf-8")
    result = run_codex(["test", "--root", tmp_path])
    assert result.code == 1, result.out + result.err
    assert "CX0500" in result.out and "FAIL" in result.out
