"""The semgrep and libcst engines through reviewer.check.run_matchers: a failing part never loses the rest.

One semgrep process for the module: valid and invalid semgrep rules, good and crashing libcst matchers.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from codex.lint import LintRule
from codex.matchers.libcst import LibcstMatcher
from codex.model import Ruleset
from codex.semgrep_config import SemgrepMatcher
from reviewer.check import run_matchers
from reviewer.engines import semgrep as semgrep_engine
from reviewer.targets import Target


class CrashesOnCalls(LintRule):
    """A deliberately broken matcher: raises inside the batched visit."""

    def visit_Call(self, node: cst.Call) -> None:
        raise RuntimeError("matcher bug")


SOURCE = """\
import subprocess

def go(cmd):
    try:
        subprocess.run(cmd, shell=True)
    except:
        pass
"""


@pytest.fixture(scope="module")
def matched(tmp_path_factory, shipped_ruleset: Ruleset):
    root = tmp_path_factory.mktemp("engines")
    (root / "app.py").write_text(SOURCE, encoding="utf-8")
    (root / "py2.py").write_text('print "hello"\nexcept Exception, e:\n', encoding="utf-8")
    shell, swallowed = shipped_ruleset.rule("CX0005"), shipped_ruleset.rule("CX0004")
    rules = (
        shell,
        shell.model_copy(update={"id": "CX9001", "matcher": SemgrepMatcher(body={"pattern": "subprocess.run(((("})}),
        swallowed,
        swallowed.model_copy(update={"id": "CX9002", "prefilter": None,
                                     "matcher": LibcstMatcher(rule_class="test_engines:CrashesOnCalls")}),
        swallowed.model_copy(update={"id": "CX9003", "matcher": LibcstMatcher(rule_class="no_such_module:Rule")}),
    )
    targets = [Target(name, root / name, "python", None, name) for name in ("app.py", "py2.py")]
    return run_matchers(shipped_ruleset.model_copy(update={"rules": rules}), targets, lint_packages=("test_engines", "no_such_module"))


def test_good_rules_still_find(matched) -> None:
    findings, _, _ = matched
    assert {(f.rule_id, f.path, f.line, f.engine) for f in findings} == {
        ("CX0005", "app.py", 5, "semgrep"), ("CX0004", "app.py", 6, "libcst")}


def test_broken_parts_are_problems(matched) -> None:
    _, problems, _ = matched
    text = "\n".join(map(str, problems))
    assert "CX9002" in text and "matcher bug" in text  # the crashing matcher, isolated
    assert "CX9003" in text and "no_such_module" in text  # the class that does not import
    assert any(p.path == "py2.py" and p.kind == "parse" for p in problems)
    assert any(p.kind in ("semgrep", "engine") for p in problems)  # the pattern semgrep rejects


def test_timings_are_reported(matched) -> None:
    _, _, seconds = matched
    assert set(seconds) >= {"libcst", "static"}


def test_semgrep_missing_is_a_problem_not_a_crash(shipped_ruleset: Ruleset, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semgrep_engine, "find_semgrep", lambda: None)
    (tmp_path / "a.py").write_text(SOURCE, encoding="utf-8")
    rules = (shipped_ruleset.rule("CX0005"), shipped_ruleset.rule("CX0004"))
    findings, problems, _ = run_matchers(shipped_ruleset.model_copy(update={"rules": rules}),
                                         [Target("a.py", tmp_path / "a.py", "python", None, "a.py")])
    assert [f.rule_id for f in findings] == ["CX0004"]
    assert [p.kind for p in problems] == ["engine"] and "semgrep was not found" in problems[0].message
