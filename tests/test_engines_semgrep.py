"""The semgrep engine: a target list too long for one command line is split over processes run in turn; the
run config hands semgrep only the excludes it applies exactly as codex does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codex.model import PathFilter, Ruleset
from codex.problems import Problem
from codex.semgrep_config import SemgrepMatcher, run_rules
from codex_testing import PROJECT_ROOT
from reviewer import check as check_module
from reviewer.engines import semgrep as semgrep_engine
from reviewer.matching import run_matchers
from reviewer.targets import Contents, Target


def test_argument_chunks_fit_the_budget_and_keep_every_path() -> None:
    paths = [f"/repo/src/module_{n:04}.py" for n in range(500)]
    chunks = semgrep_engine._argument_chunks(paths, 2_000)
    assert [p for chunk in chunks for p in chunk] == paths
    assert len(chunks) > 1 and all(sum(len(p) + 11 for p in chunk) <= 2_000 for chunk in chunks)
    assert semgrep_engine._argument_chunks(paths[:3], 10) == [[p] for p in paths[:3]]  # one path over budget still runs


def test_a_split_target_list_finds_the_same(tmp_path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    targets = []
    for n in range(3):
        path = tmp_path / f"tool{n}.py"
        path.write_text(f"import subprocess\n\ndef run{n}(cmd):\n    subprocess.run(cmd, shell=True)\n", encoding="utf-8")
        targets.append(Target(path.name, path, "python", None, path.name))
    started: list[int] = []
    original = semgrep_engine.SemgrepRun._start

    def counting(self, paths):
        started.append(len(paths))
        original(self, paths)

    monkeypatch.setattr(semgrep_engine.SemgrepRun, "_start", counting)
    monkeypatch.setattr(semgrep_engine, "ARGUMENT_BYTES", 2 * (len(targets[0].path) + 11))
    matches, problems = semgrep_engine.SemgrepRun([shipped_ruleset.rule("CX0005")], targets).collect()
    assert started == [2, 1] and problems == []
    assert {path: [(m.rule_id, m.line) for m in found] for path, found in matches.items()} == {t.path: [("CX0005", 4)] for t in targets}


def test_only_excludes_that_match_anywhere_are_handed_to_semgrep(shipped_ruleset: Ruleset) -> None:
    rule = shipped_ruleset.rule("CX0005").model_copy(
        update={"paths": PathFilter(include=("src/**",), exclude=("**/tests/**", "**/test_*.py", "vendor/**", "**/a/b/**", "**/generated.py"))}
    )
    [entry] = run_rules([rule], {"src", "pkg"})
    assert entry["paths"] == {"exclude": ["**/tests/**", "**/test_*.py", "**/generated.py"]}  # never an anchored one
    [entry] = run_rules([rule], {"src", "generated.py"})  # to semgrep, "**/generated.py" would skip that directory too
    assert entry["paths"] == {"exclude": ["**/tests/**", "**/test_*.py"]}
    assert "paths" not in run_rules([rule.model_copy(update={"paths": PathFilter(include=("src/**",))})], set())[0]


def test_an_excluded_file_gives_no_finding_wherever_semgrep_runs(tmp_path, shipped_ruleset: Ruleset) -> None:
    rule = shipped_ruleset.rule("CX0005").model_copy(update={"paths": PathFilter(exclude=("**/tests/**",))})
    source = "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n"
    for rel in ("tests/tool.py", "tests/deep/tool.py", "src/tool.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(source, encoding="utf-8")
    everywhere = [Target(rel, tmp_path / rel, "python", None, rel) for rel in ("tests/tool.py", "src/tool.py")]
    matches, _ = semgrep_engine.SemgrepRun([rule], everywhere).collect()
    assert set(matches) == {"src/tool.py"}  # osemgrep ignores paths for named targets: the engine applies them
    inside = [Target("tests/deep/tool.py", tmp_path / "tests/deep/tool.py", "python", None, "tests/deep/tool.py")]
    matches, _ = semgrep_engine.SemgrepRun([rule], inside).collect()  # runs in tests/deep: semgrep's exclude cannot apply
    assert matches == {}
    unscoped = [Target("tests/tool.py", tmp_path / "tests/tool.py", "python", None, None)]  # no path filter to apply
    matches, _ = semgrep_engine.SemgrepRun([rule], unscoped).collect()
    assert {path: [m.line for m in found] for path, found in matches.items()} == {"tests/tool.py": [4]}


SHELL_TRUE = "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True){}\n"


@pytest.fixture(scope="module")
def checked_without_path(git_repo_factory) -> dict:
    """codex run as CI runs `venv/bin/codex`: the venv's Python by absolute path, PATH without the venv."""
    repo = git_repo_factory("no-path")
    repo.commit(
        "files",
        {
            "a_suppressed.py": SHELL_TRUE.format("  # nosemgrep"),
            "b_plain.py": SHELL_TRUE.format(""),
            "c_semgrep_id.py": SHELL_TRUE.format("  # nosemgrep: codex.CX0005"),
        },
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH="/usr/bin:/bin", PYTHONPATH=str(PROJECT_ROOT))
    assert shutil.which("semgrep", path=env["PATH"]) is None
    proc = subprocess.run(
        [sys.executable, "-m", "codex_cli", "check", "--all", "--no-llm", "--no-history", "--no-cache", "--format", "json"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def test_semgrep_is_found_beside_the_interpreter_when_path_lacks_it(checked_without_path: dict) -> None:
    assert checked_without_path["errors"] == []
    assert ("CX0005", "b_plain.py", 4) in {(f["rule_id"], f["path"], f["line"]) for f in checked_without_path["findings"]}


def test_nosemgrep_comments_do_not_switch_codex_rules_off(checked_without_path: dict) -> None:
    assert sorted((f["rule_id"], f["path"], f["line"]) for f in checked_without_path["findings"]) == [
        ("CX0005", "a_suppressed.py", 4),
        ("CX0005", "b_plain.py", 4),
        ("CX0005", "c_semgrep_id.py", 4),
    ]


def test_find_semgrep_prefers_the_interpreters_scripts_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert semgrep_engine.find_semgrep() == str(Path(sys.executable).parent / "semgrep")


@pytest.mark.parametrize(
    "script",
    [
        "#!/bin/sh\necho 'Traceback (most recent call last): ImportError: no module named semgrep' >&2\nexit 1\n",
        '#!/bin/sh\necho \'{"results": [], "errors": [{"type": "SemgrepError", "message": "fatal"}]}\'\nexit 2\n',
        "#!/bin/sh\nexit 0\n",
    ],
    ids=["crashes-at-start", "fatal-error", "no-output"],
)
def test_a_broken_semgrep_is_exit_2_not_a_pass(script: str, git_repo, run_codex, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = git_repo()
    repo.commit("files", {"tool.py": SHELL_TRUE.format("")})
    fake = repo.path.parent / "semgrep"
    fake.write_text(script, encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(semgrep_engine, "find_semgrep", lambda: str(fake))
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--no-cache"], cwd=repo.path)
    assert result.code == 2
    assert "semgrep failed" in result.out and "no semgrep rule ran" in result.out
    assert "failed: a configuration or usage error" in result.out


def test_semgrep_not_found_is_exit_2(git_repo, run_codex, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = git_repo()
    repo.commit("files", {"tool.py": SHELL_TRUE.format("")})
    monkeypatch.setattr(semgrep_engine, "find_semgrep", lambda: None)
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--no-cache"], cwd=repo.path)
    assert result.code == 2 and "semgrep was not found" in result.out


def test_a_rule_semgrep_rejects_at_run_time_is_an_engine_failure(tmp_path: Path, shipped_ruleset: Ruleset) -> None:
    (tmp_path / "tool.py").write_text(SHELL_TRUE.format(""), encoding="utf-8")
    broken = shipped_ruleset.rule("CX0006").model_copy(update={"matcher": SemgrepMatcher(body={"pattern": "yaml.load("})})
    matches, problems = semgrep_engine.SemgrepRun(
        [shipped_ruleset.rule("CX0005"), broken], [Target("tool.py", tmp_path / "tool.py", "python", None, "tool.py")]
    ).collect()
    assert {path: [m.rule_id for m in found] for path, found in matches.items()} == {"tool.py": ["CX0005"]}  # the rest ran
    assert [p.kind for p in problems] == ["engine"] and "Rule parse error in rule CX0006" in problems[0].message


GONE = Problem(
    path="b.py",
    message="no longer there when semgrep ran (deleted or moved during the check): not checked by the semgrep rules",
    hint="check again once the tree is settled",
    kind="skipped",
)


def _three_with_one_gone(root: Path) -> list[Target]:
    """a.py, b.py and c.py, each with a CX0005 finding on line 4; b.py (not the last) deleted after it was selected."""
    targets = []
    for name in ("a.py", "b.py", "c.py"):
        (root / name).write_text(SHELL_TRUE.format(""), encoding="utf-8")
        targets.append(Target(name, root / name, "python", None, name, Contents.of(SHELL_TRUE.format("").encode())))  # read, as selected
    (root / "b.py").unlink()
    return targets


def _recorded_starts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    started: list[tuple[str, list[str]]] = []
    original = semgrep_engine.SemgrepRun._start

    def recording(self, paths):
        started.append((self.engine, list(paths)))
        original(self, paths)

    monkeypatch.setattr(semgrep_engine.SemgrepRun, "_start", recording)
    return started


def test_a_target_gone_before_semgrep_starts_is_one_problem_and_the_others_are_checked(
    tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _recorded_starts(monkeypatch)
    targets = _three_with_one_gone(tmp_path)
    findings, problems, _ = run_matchers(shipped_ruleset.model_copy(update={"rules": (shipped_ruleset.rule("CX0005"),)}), targets)
    assert sorted((f.rule_id, f.path, f.line) for f in findings) == [("CX0005", "a.py", 4), ("CX0005", "c.py", 4)]
    assert problems == [GONE]
    assert started == [("osemgrep", ["a.py", "b.py", "c.py"])]  # one process, on a.py and c.py: no pysemgrep fallback


@pytest.mark.parametrize("engine", ["osemgrep", "pysemgrep"])
def test_a_target_gone_while_semgrep_starts_is_checked_again_without_it(
    engine: str, tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """semgrep itself refuses a missing target (osemgrep: exit 2, the rest checked; pysemgrep: exit 2, nothing
    checked): the same engine runs again without it."""
    started = _recorded_starts(monkeypatch)
    targets = _three_with_one_gone(tmp_path)
    monkeypatch.setattr(semgrep_engine, "_regular_file", lambda path: True)  # b.py went just after codex looked
    matches, problems = semgrep_engine.SemgrepRun([shipped_ruleset.rule("CX0005")], targets, engine).collect()
    assert {path: [(m.rule_id, m.line) for m in found] for path, found in matches.items()} == {"a.py": [("CX0005", 4)], "c.py": [("CX0005", 4)]}
    assert problems == [GONE]
    assert started == [(engine, ["a.py", "b.py", "c.py"]), (engine, ["a.py", "c.py"])]


def test_a_target_semgrep_could_not_open_is_not_cached_as_unparseable(tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    """osemgrep's words for a file made unreadable after it was selected (measured as a user without root): a syntax
    error, which would otherwise be cached as the file's."""
    unopened = "Other syntax error at line ./b.py:1:\n Unix_error: Permission denied open ./b.py"
    error = {"code": 2, "level": "warn", "type": "Other syntax error", "path": "./b.py", "message": unopened}
    parse = {**error, "path": "./a.py", "message": "Syntax error at line ./a.py:1:\n `(` was unexpected"}
    fake = tmp_path / "semgrep"
    (tmp_path / "out.json").write_text(json.dumps({"results": [], "errors": [error, parse]}), encoding="utf-8")
    fake.write_text(f"#!/bin/sh\ncat '{tmp_path / 'out.json'}'\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(semgrep_engine, "find_semgrep", lambda: str(fake))
    targets = [Target(name, tmp_path / name, "python", None, name) for name in ("a.py", "b.py", "c.py")]
    for target in targets:
        target.abs_path.write_text("x = 1\n", encoding="utf-8")
    run = semgrep_engine.SemgrepRun([shipped_ruleset.rule("CX0005")], targets)
    _, problems = run.collect()
    assert [(p.path, p.kind) for p in problems] == [("b.py", "semgrep"), ("a.py", "semgrep")]
    assert run.transient == {"b.py"}


def test_a_target_gone_mid_check_is_listed_and_the_exit_code_is_the_other_files(git_repo, run_codex, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = git_repo()
    repo.commit("files", {name: SHELL_TRUE.format("") for name in ("a.py", "b.py", "c.py")})
    selecting = check_module.select_targets

    def then_b_goes(*args, **kwargs):
        selected = selecting(*args, **kwargs)
        (repo.path / "b.py").unlink()  # an editor or a hook, while codex runs
        return selected

    monkeypatch.setattr(check_module, "select_targets", then_b_goes)
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--no-cache"], cwd=repo.path)
    problems = result.out.split("Not checked / problems:\n", 1)[1].split("\n\n", 1)[0]
    assert problems == f"  ! {GONE}"  # one file, named: not "semgrep failed", not every semgrep rule off
    assert result.code == 1 and "codex: blocked — 2 finding(s), 2 blocking, in 2 file(s);" in result.out  # a.py's and c.py's
