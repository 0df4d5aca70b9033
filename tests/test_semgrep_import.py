"""``codex import semgrep``: imported rules keep what they were, compile, and get semgrep --test's verdict from ``codex test``."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from codex.compiler import compile_rfcs
from codex.model import PathFilter, RfcStatus, Stage
from codex.semgrep_import import _paths, import_semgrep
from reviewer.targets import path_matches

RULES = """\
rules:
  - id: no-eval-on-input
    languages: [python]
    severity: ERROR
    message: eval() on $X runs whatever the caller sent
    metadata:
      cwe: "CWE-95: Eval Injection"
      references: ["https://owasp.org/Top10/A03_2021-Injection/"]
    paths:
      include: ["*.py"]
      exclude: ["tests/", "/scripts"]
    patterns:
      - pattern-either:
          - pattern: eval($X)
          - pattern: exec($X)
      - pattern-not-inside: |
          def trusted_template(...):
              ...
  - id: py.pickle.no-pickle-loads
    languages: [py]
    severity: WARNING
    message: If you need to read data another process wrote, use json.loads and validate it.
    pattern-either:
      - pattern: pickle.loads(...)
      - pattern: pickle.load(...)
"""

TESTS = """\
import pickle

def handler(request):
    # ruleid: no-eval-on-input
    eval(request.body)
    # ok: no-eval-on-input
    print(request.body)
    # todoruleid: no-eval-on-input
    compile(request.body, "<input>", "exec")
    # ruleid: py.pickle.no-pickle-loads
    return pickle.loads(request.body)

def trusted_template(source):
    # ok: no-eval-on-input
    exec(source)
    # ruleid: py.pickle.no-pickle-loads
    marshal.loads(source)
"""


def _semgrep_test(directory: Path) -> dict[str, dict]:
    """semgrep --test on the originals: per semgrep rule id, passed and the expected and reported lines."""
    proc = subprocess.run(
        ["semgrep", "--test", "--metrics=off", "--disable-version-check", "--json", str(directory)], capture_output=True, text=True, check=False
    )
    checks = next(iter(json.loads(proc.stdout)["results"].values()))["checks"]
    verdicts = {}
    for rule_id, check in checks.items():
        (match,) = check["matches"].values()
        verdicts[rule_id] = {"passed": check["passed"], "expected": match["expected_lines"], "reported": match["reported_lines"]}
    return verdicts


@pytest.fixture(scope="module")
def imported(tmp_path_factory, git_repo_factory, run_codex):
    """The originals with semgrep's verdict, and a repository the import wrote into, with codex test's output."""
    originals = tmp_path_factory.mktemp("semgrep-rules")
    (originals / "rules.yaml").write_text(RULES)
    (originals / "rules.py").write_text(TESTS)
    repo = git_repo_factory("imported")
    imported_run = run_codex(["import", "semgrep", originals / "rules.yaml", "--root", repo.path], cwd=repo.path)
    compiled = run_codex(["compile", "--root", repo.path], cwd=repo.path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "200")
        tested = run_codex(["test", "--root", repo.path], cwd=repo.path)
    return {"semgrep": _semgrep_test(originals), "repo": repo, "import": imported_run, "compile": compiled, "test": tested}


def test_the_import_writes_a_draft_rfc_and_the_test_file_that_compile(imported):
    assert imported["import"].code == 0, imported["import"].err
    assert imported["compile"].code == 0, imported["compile"].err
    repo = imported["repo"].path
    assert sorted(p.relative_to(repo).as_posix() for p in (repo / "rfcs").rglob("*.*")) == ["rfcs/0006-rules.md", "rfcs/examples/0006-rules.py"]
    ruleset = compile_rfcs(repo / "rfcs", repo).ruleset
    assert ruleset.rfcs[0].status is RfcStatus.draft  # one message is not "If you need X, use Y"
    eval_rule, pickle_rule = ruleset.rules
    assert (eval_rule.id, pickle_rule.id) == ("CX0008", "CX0009")
    assert "[TODO:" in eval_rule.need and eval_rule.stage is Stage.shadow
    assert (pickle_rule.need, pickle_rule.use) == ("to read data another process wrote", "json.loads and validate it")
    assert eval_rule.severity.value == "error" and pickle_rule.severity.value == "warning"
    assert pickle_rule.languages == ("python",)
    assert eval_rule.metadata == {
        "semgrep_id": "no-eval-on-input",
        "cwe": "CWE-95: Eval Injection",
        "references": ["https://owasp.org/Top10/A03_2021-Injection/"],
    }
    original = yaml.safe_load(RULES)["rules"][0]
    assert eval_rule.matcher.body == {"patterns": original["patterns"]}
    assert "eval() on $X runs whatever the caller sent" in eval_rule.description
    example = (repo / "rfcs/examples/0006-rules.py").read_text()
    assert "# ruleid: CX0008" in example and "# todoruleid: CX0008" in example and "# ruleid: CX0009" in example
    semgrep_yml = yaml.safe_load((repo / "rules/semgrep.yml").read_text())
    assert semgrep_yml["rules"][0]["metadata"]["cwe"] == "CWE-95: Eval Injection"


def _codex_verdicts(output: str) -> dict[str, dict]:
    verdicts = {m[1]: {"passed": m[2] == "pass"} for m in re.finditer(r"^│ (CX\d+)\s+│ (pass|FAIL)", output, re.M)}
    for m in re.finditer(r"^FAIL (CX\d+) .*\n  expected lines \[(.*)\], flagged \[(.*)\]", output, re.M):
        verdicts[m[1]].update(expected=[int(x) for x in m[2].split(", ") if x], reported=[int(x) for x in m[3].split(", ") if x])
    return verdicts


def test_codex_test_gives_semgrep_tests_verdict_on_the_imported_rules(imported):
    semgrep = imported["semgrep"]
    assert semgrep["no-eval-on-input"]["passed"] is True
    assert semgrep["py.pickle.no-pickle-loads"]["passed"] is False  # marshal.loads is marked but not matched
    codex = _codex_verdicts(imported["test"].out)
    assert codex["CX0008"]["passed"] is True
    assert codex["CX0009"] == {
        "passed": False,
        "expected": semgrep["py.pickle.no-pickle-loads"]["expected"],
        "reported": semgrep["py.pickle.no-pickle-loads"]["reported"],
    }
    assert imported["test"].code == 1
    assert "line 17 (ruleid) was not flagged" in imported["test"].out
    assert "line 9 (todoruleid)" in imported["test"].out  # the known gap is reported, not failing


def test_the_paths_block_keeps_semgreps_meaning():
    converted = PathFilter(**_paths({"include": ["*.py"], "exclude": ["tests/", "/scripts"]}))
    kept = ["app.py", "src/deep/app.py", "lib/scripts/run.py"]
    dropped = ["app.js", "tests/test_app.py", "src/tests/helpers.py", "scripts/run.py"]
    assert [p for p in kept + dropped if path_matches(converted, p)] == kept


def test_imported_paths_select_the_files_semgrep_selects(imported, run_codex, tmp_path):
    """``codex check --all`` with the imported rule and ``semgrep scan`` with the original flag the same files."""
    tree = imported["repo"]
    files = {
        "app.py": "eval(x)\n",
        "tests/test_app.py": "eval(x)\n",
        "scripts/run.py": "eval(x)\n",
        "lib/scripts/run.py": "eval(x)\n",
        "web/app.js": "eval(x)\n",
    }
    tree.write_files(files)
    rules = tmp_path / "original.yaml"
    rules.write_text(RULES)
    proc = subprocess.run(
        ["semgrep", "scan", "--metrics=off", "--disable-version-check", "--json", "--config", str(rules), *files],
        cwd=tree.path,
        capture_output=True,
        text=True,
        check=False,
    )
    by_semgrep = sorted({r["path"] for r in json.loads(proc.stdout)["results"] if r["check_id"].endswith("no-eval-on-input")})
    report = run_codex(["check", "--all", "--format", "json", "--root", tree.path], cwd=tree.path).json()
    by_codex = sorted({f["path"] for f in report["findings"] if f["rule_id"] == "CX0008" and f["path"] in files})
    assert by_codex == by_semgrep == ["app.py", "lib/scripts/run.py"]


def test_bad_rules_file_is_a_problem_not_a_traceback(tmp_path, run_codex):
    (tmp_path / "broken.yaml").write_text("rules:\n  - id: x\n    pattern: [unclosed\n")
    result = run_codex(["import", "semgrep", tmp_path / "broken.yaml", "--out", tmp_path / "rfcs"], cwd=tmp_path)
    assert result.code == 2
    assert re.search(r"broken\.yaml:\d+: not valid YAML", result.err) and "Traceback" not in result.err
    assert not (tmp_path / "rfcs").exists()


def test_unknown_language_is_skipped_and_existing_files_are_never_overwritten(tmp_path, run_codex):
    rules = tmp_path / "mixed.yaml"
    rules.write_text("rules:\n  - {id: dockerfile-root, languages: [dockerfile], severity: INFO, message: m, pattern: USER root}\n" + RULES.split("\n", 1)[1])
    (tmp_path / "mixed.py").write_text(TESTS)
    result = import_semgrep(rules, [], tmp_path / "rfcs")
    assert any("dockerfile" in p.message and "skipped" in p.message for p in result.problems)
    assert result.rule_ids == {"no-eval-on-input": "CX0001", "py.pickle.no-pickle-loads": "CX0002"}
    (tmp_path / "mixed.go").write_text("package x\n")  # a test file in no imported rule's language is not copied
    result = import_semgrep(rules, [], tmp_path / "rfcs")
    assert sorted(result.files) == ["0001-mixed.md", "examples/0001-mixed.py"]
    assert "Imported from `mixed.yaml`" in result.files["0001-mixed.md"]
    first = run_codex(["import", "semgrep", rules, "--out", tmp_path / "rfcs"], cwd=tmp_path)
    assert first.code == 0, first.err
    before = (tmp_path / "rfcs/0006-mixed.md").read_text()  # RFC-0006: the first number no shipped RFC uses
    second = run_codex(["import", "semgrep", rules, "--out", tmp_path / "rfcs", "--prefix", "IMP"], cwd=tmp_path)
    assert second.code == 0  # a second import takes the next RFC and rule numbers
    assert (tmp_path / "rfcs/0006-mixed.md").read_text() == before
    assert "## IMP0001: No eval on input" in (tmp_path / "rfcs/0007-mixed.md").read_text()
    (tmp_path / "rfcs/examples/0008-mixed.py").write_text("mine = True\n")
    third = run_codex(["import", "semgrep", rules, "--out", tmp_path / "rfcs"], cwd=tmp_path)
    assert third.code == 2 and "0008-mixed.py: already exists" in third.err
    assert (tmp_path / "rfcs/examples/0008-mixed.py").read_text() == "mine = True\n"
    assert not (tmp_path / "rfcs/0008-mixed.md").exists()
