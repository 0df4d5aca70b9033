"""Where libcst matcher classes come from: the shipped lints and the packages ``lint_packages`` allows, LintRule
subclasses only; a class that fails to import is a compile problem at its RFC line, and ``check`` fails stale."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codex.compiler import compile_rfcs
from codex.config import CodexConfig
from codex.rule_class import LintPackages, RuleClassError, loaded_rule_class
from codex.rules_dir import write_rules
from codex.ruleset_source import load_active
from codex_testing.governance_rfcs import libcst_rule, rfc

BOOM = "raise RuntimeError('lint package broken')\n"
SHIPPED_RULE = libcst_rule("PY0002")
CALL = "import requests\nrequests.get(url)\n"


@pytest.fixture
def lint_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``make(name, source)``: an importable package ``name`` (unique to the test) with ``name/rules.py``."""
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))

    def make(name: str, source: str) -> str:
        package = f"{name}_{tmp_path.name.replace('-', '_')}"
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text("", encoding="utf-8")
        (site / package / "rules.py").write_text(source, encoding="utf-8")
        return package

    return make


def marking(marker: Path) -> str:
    """Module source that leaves ``marker`` behind when it is imported (and a class ``Rule``)."""
    return f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\nclass Rule:\n    pass\n"


def write_rfc(root: Path, rule_class: str) -> int:
    """An RFC whose first rule names ``rule_class`` and whose second is shipped; the line of the first heading."""
    text = rfc("RFC-0100", [libcst_rule("PY0001", rule_class=rule_class), SHIPPED_RULE])
    (root / "rfcs").mkdir(parents=True, exist_ok=True)
    (root / "rfcs" / "0100-lints.md").write_text(text, encoding="utf-8")
    return text.splitlines().index("## PY0001: Outbound requests calls have a timeout") + 1


def test_a_class_whose_import_raises_is_a_compile_problem_at_its_line(tmp_path: Path, lint_site) -> None:
    package = lint_site("acme", BOOM)
    line = write_rfc(tmp_path, f"{package}.rules:Rule")
    result = compile_rfcs(tmp_path / "rfcs", tmp_path, lint_packages=LintPackages((package,)))
    assert result.ruleset is None
    assert [str(p) for p in result.problems] == [
        f"rfcs/0100-lints.md:{line}: cannot load {package}.rules:Rule: importing {package}.rules failed: RuntimeError: lint package broken"
        " — name a codex.lint.LintRule subclass in codex.lints or in a package listed by [tool.codex] lint_packages in pyproject.toml, "
        "as 'package.module:ClassName'"
    ]
    assert [r.id for r in result.rules] == ["PY0002"]


@pytest.mark.parametrize("allowed", [(), ("other_lints",)])
def test_a_module_outside_the_allowed_packages_is_never_imported(tmp_path: Path, lint_site, allowed) -> None:
    marker = tmp_path / "imported"
    package = lint_site("evil", marking(marker))
    line = write_rfc(tmp_path, f"{package}.rules:Rule")
    result = compile_rfcs(tmp_path / "rfcs", tmp_path, lint_packages=LintPackages(allowed))
    assert [str(p).split(" — ")[0] for p in result.problems] == [
        f"rfcs/0100-lints.md:{line}: cannot load {package}.rules:Rule: {package}.rules is not a package matcher classes "
        f"may come from ({', '.join(('codex.lints', *allowed))})"
    ]
    assert not marker.exists()


def test_an_installed_module_such_as_venv_main_is_refused_unimported(tmp_path: Path) -> None:
    write_rfc(tmp_path, "venv.__main__:Rule")
    result = compile_rfcs(tmp_path / "rfcs", tmp_path)
    assert "venv.__main__ is not a package matcher classes may come from (codex.lints)" in str(result.problems[0])
    assert "venv.__main__" not in sys.modules


def test_only_a_lint_rule_subclass_is_accepted_and_nothing_is_instantiated(tmp_path: Path, lint_site) -> None:
    marker = tmp_path / "instantiated"
    package = lint_site("plain", f"import pathlib\nclass Rule:\n    def __init__(self):\n        pathlib.Path({str(marker)!r}).write_text('x')\n")
    write_rfc(tmp_path, f"{package}.rules:Rule")
    result = compile_rfcs(tmp_path / "rfcs", tmp_path, lint_packages=LintPackages((package,)))
    assert [p.message for p in result.problems] == [f"cannot load {package}.rules:Rule: {package}.rules:Rule is not a codex.lint.LintRule subclass"]
    assert not marker.exists()


def test_an_allowed_package_s_lint_rule_compiles(tmp_path: Path, lint_site) -> None:
    package = lint_site("good", "from codex.lints.requests_timeout import RequestsWithoutTimeout as Rule\n")
    write_rfc(tmp_path, f"{package}.rules:Rule")
    result = compile_rfcs(tmp_path / "rfcs", tmp_path, lint_packages=LintPackages((package,)))
    assert result.problems == [] and [r.id for r in result.ruleset.rules] == ["PY0001", "PY0002"]


def test_the_engine_imports_nothing_the_ruleset_loading_did_not(tmp_path: Path, lint_site) -> None:
    marker = tmp_path / "imported"
    package = lint_site("late", marking(marker))
    with pytest.raises(RuleClassError, match=f"{package}.rules was not loaded with the ruleset"):
        loaded_rule_class(f"{package}.rules:Rule", "codex.lint:LintRule")
    assert not marker.exists()


def test_check_fails_stale_and_keeps_every_other_rule_s_findings(git_repo, lint_site, run_codex) -> None:
    repo = git_repo()
    package = lint_site("acme", BOOM)
    repo.write("pyproject.toml", f'[tool.codex]\nshipped = false\nlint_packages = ["{package}"]\n')
    write_rfc(repo.path, f"{package}.rules:Rule")
    write_rules(compile_rfcs(repo.path / "rfcs", repo.path, lint_packages=None).ruleset, repo.path / "rules")  # when it imported
    repo.commit("rules", {"app.py": CALL})
    result = run_codex(["check", "--all", "--no-history", "--no-cache", "--format", "json", "--root", repo.path])
    assert result.code == 1, result.err
    report = result.json()
    assert [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]] == [("PY0002", "app.py", 2)]
    assert "rfcs: does not compile; checked with the last good ruleset, rules/ruleset.json" in result.err
    errors = [(e["path"], e["message"]) for e in report["errors"]]
    assert ("rfcs/0100-lints.md", f"rule PY0001 did not run: importing {package}.rules failed: RuntimeError: lint package broken") in errors
    assert any(path == "rfcs/0100-lints.md" and "cannot load" in message for path, message in errors)  # the compile problem


def test_a_merge_request_s_own_rfcs_are_compiled_without_importing_their_classes(tmp_path: Path, lint_site) -> None:
    marker = tmp_path / "imported"
    package = lint_site("mr", marking(marker))
    write_rfc(tmp_path, f"{package}.rules:Rule")
    config = CodexConfig(lint_packages=(package,), shipped=False)  # the merge request may allow its own package: still not imported
    loaded = load_active(tmp_path, config, import_classes=False)
    assert [r.id for r in loaded.ruleset.rules] == ["PY0001", "PY0002"]
    assert not marker.exists()


def test_a_compiled_ruleset_naming_a_module_outside_the_allowed_packages_runs_every_other_rule(tmp_path: Path, libcst_ruleset) -> None:
    from codex.matchers.libcst import LibcstMatcher
    from reviewer.check import run_matchers
    from reviewer.targets import Target

    (tmp_path / "app.py").write_text("import requests\nrequests.get(url)\ntry:\n    pass\nexcept:\n    pass\n", encoding="utf-8")
    timeout, swallowed = libcst_ruleset.rule("CX0003"), libcst_ruleset.rule("CX0004")
    planted = timeout.model_copy(update={"id": "CX9001", "prefilter": None, "matcher": LibcstMatcher(rule_class="venv.__main__:Rule")})
    rules = (planted, timeout, swallowed)  # the refused rule first: the others must still run
    findings, problems, _ = run_matchers(libcst_ruleset.model_copy(update={"rules": rules}), [Target("app.py", tmp_path / "app.py", "python", None, "app.py")])
    assert sorted((f.rule_id, f.line) for f in findings) == [("CX0003", 2), ("CX0004", 5)]
    assert [(p.path, p.message) for p in problems] == [
        (timeout.rfc.path, "rule CX9001 did not run: venv.__main__ is not a package matcher classes may come from (codex.lints)")
    ]
    assert "venv.__main__" not in sys.modules
