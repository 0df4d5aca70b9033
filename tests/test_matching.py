"""reviewer.matching: every engine over the targets, through run_matchers; a failing part never loses the rest.

One semgrep process for the module: valid and invalid semgrep rules, good and crashing libcst matchers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.config import CodexConfig
from codex.matchers.libcst import LibcstMatcher
from codex.model import Ruleset
from codex.rule_class import LintPackages
from codex.semgrep_config import SemgrepMatcher
from reviewer.engines import semgrep as semgrep_engine
from reviewer.matching import run_matchers
from reviewer.targets import Target
from reviewer.test_code import TestCodeModel

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
        swallowed.model_copy(update={"id": "CX9002", "prefilter": None, "matcher": LibcstMatcher(rule_class="codex_testing.lints:CrashesOnCalls")}),
        swallowed.model_copy(update={"id": "CX9003", "matcher": LibcstMatcher(rule_class="no_such_module:Rule")}),
    )
    targets = [Target(name, root / name, "python", None, name) for name in ("app.py", "py2.py")]
    return run_matchers(shipped_ruleset.model_copy(update={"rules": rules}), targets, lint_packages=LintPackages(("codex_testing.lints", "no_such_module")))


def test_good_rules_still_find(matched) -> None:
    findings, _, _ = matched
    assert {(f.rule_id, f.path, f.line, f.engine) for f in findings} == {("CX0005", "app.py", 5, "semgrep"), ("CX0004", "app.py", 6, "libcst")}


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


def test_semgrep_missing_is_a_problem_not_a_crash(shipped_ruleset: Ruleset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semgrep_engine, "find_semgrep", lambda: None)
    (tmp_path / "a.py").write_text(SOURCE, encoding="utf-8")
    rules = (shipped_ruleset.rule("CX0005"), shipped_ruleset.rule("CX0004"))
    findings, problems, _ = run_matchers(shipped_ruleset.model_copy(update={"rules": rules}), [Target("a.py", tmp_path / "a.py", "python", None, "a.py")])
    assert [f.rule_id for f in findings] == ["CX0004"]
    assert [p.kind for p in problems] == ["engine"] and "semgrep was not found" in problems[0].message


def test_a_file_no_rule_applies_to_does_not_stop_the_files_after_it(libcst_ruleset: Ruleset, tmp_path: Path) -> None:
    (tmp_path / "lib.rs").write_text("fn main() { let x = 1; }\n", encoding="utf-8")
    (tmp_path / "a.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "b.py").write_text("try:\n    pass\nexcept Exception:\n    pass\n", encoding="utf-8")
    targets = [
        Target("lib.rs", tmp_path / "lib.rs", "rust", None, "lib.rs"),
        Target("a.py", tmp_path / "a.py", "python", None, "a.py"),
        Target("b.py", tmp_path / "b.py", "python", None, "b.py"),
    ]
    calls: list[str] = []
    findings, problems, seconds = run_matchers(libcst_ruleset, targets, meanwhile=lambda: calls.append("meanwhile"))
    assert sorted((f.rule_id, f.path, f.line, f.engine) for f in findings) == [("CX0004", "a.py", 6, "libcst"), ("CX0004", "b.py", 3, "libcst")]
    assert problems == []
    assert calls == ["meanwhile"]
    assert sorted(seconds) == ["libcst", "static"]


def test_a_rule_whose_class_cannot_load_is_one_problem_and_the_other_rules_run_in_every_file(shipped_ruleset: Ruleset, tmp_path: Path) -> None:
    swallowed = shipped_ruleset.rule("CX0004")
    unloadable = swallowed.model_copy(update={"id": "CX9003", "matcher": LibcstMatcher(rule_class="no_such_module:Rule")})
    ruleset = shipped_ruleset.model_copy(update={"rules": (unloadable, swallowed)})
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(SOURCE, encoding="utf-8")
    targets = [Target(name, tmp_path / name, "python", None, name) for name in ("a.py", "b.py")]
    allowed = CodexConfig(lint_packages=("no_such_module",)).read_from("codex.toml").lint_sources
    findings, problems, _ = run_matchers(ruleset, targets, lint_packages=allowed)
    assert sorted((f.rule_id, f.path, f.line) for f in findings) == [("CX0004", "a.py", 6), ("CX0004", "b.py", 6)]
    assert [(p.path, p.kind, p.message.split(":")[0], p.hint) for p in problems] == [
        (
            swallowed.rfc.path,
            "rule",
            "rule CX9003 did not run",
            "name a codex.lint.LintRule subclass in codex.lints or in a package listed by lint_packages in codex.toml, as 'package.module:ClassName'",
        )
    ]


def _semgrep_jobs(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What semgrep is given, recorded as it starts: the rule ids of each target path, in the order of the targets."""
    sent: dict[str, list[str]] = {}
    start = semgrep_engine.SemgrepEngine.start

    def recording(self, jobs, busy_cpus):
        sent.update({target.path: sorted(r.id for r in rules) for target, rules in jobs})
        return start(self, jobs, busy_cpus)

    monkeypatch.setattr(semgrep_engine.SemgrepEngine, "start", recording)
    return sent


def test_a_rule_exempt_in_tests_is_not_run_where_the_path_makes_test_code(shipped_ruleset: Ruleset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _semgrep_jobs(monkeypatch)
    code = "import subprocess\n\ndef go(cmd):\n    assert cmd\n    subprocess.run(cmd, shell=True)\n"
    paths = ["service/a.py", "tests/test_b.py", "support/fixtures.py", "conftest.py", "service/c.py"]
    for path in paths:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(code, encoding="utf-8")
    rules = (shipped_ruleset.rule("CX0005"), shipped_ruleset.rule("CX0007"))  # checked in tests, exempt in tests
    targets = [Target(path, tmp_path / path, "python", None, path) for path in paths]
    findings, problems, _ = run_matchers(shipped_ruleset.model_copy(update={"rules": rules}), targets, test_code=TestCodeModel(["support/**"]))
    assert sent == {
        "service/a.py": ["CX0005", "CX0007"],
        "tests/test_b.py": ["CX0005"],
        "support/fixtures.py": ["CX0005"],
        "conftest.py": ["CX0005"],
        "service/c.py": ["CX0005", "CX0007"],
    }
    assert sorted((f.rule_id, f.path, f.line) for f in findings) == [
        ("CX0005", "conftest.py", 5),
        ("CX0005", "service/a.py", 5),
        ("CX0005", "service/c.py", 5),
        ("CX0005", "support/fixtures.py", 5),
        ("CX0005", "tests/test_b.py", 5),
        ("CX0007", "service/a.py", 4),
        ("CX0007", "service/c.py", 4),
    ]
    assert problems == []


def test_a_file_no_prefilter_lets_through_never_reaches_semgrep(shipped_ruleset: Ruleset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _semgrep_jobs(monkeypatch)
    sources = {
        "asserts.py": "def f(x):\n    assert x\n",
        "helpers.py": "def f(case):\n    case.assertEqual(1, 1)  # a method named like the keyword\n",
        "shell.py": "import subprocess as sp\n\nsp.call('ls', shell=True)\n",
    }
    for name, text in sources.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    rules = (shipped_ruleset.rule("CX0005"), shipped_ruleset.rule("CX0007"))
    targets = [Target(name, tmp_path / name, "python", None, name) for name in sources]
    findings, _, _ = run_matchers(shipped_ruleset.model_copy(update={"rules": rules}), targets)
    assert sent == {"asserts.py": ["CX0007"], "shell.py": ["CX0005"]}
    assert sorted((f.rule_id, f.path, f.line) for f in findings) == [("CX0005", "shell.py", 3), ("CX0007", "asserts.py", 2)]
