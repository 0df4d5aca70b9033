"""Hostile or broken surroundings end in a plain message (exit 2 for a usage or configuration error), never an
internal error; a file too large to check is listed, not checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_testing.rfcs import LIBCST, rfc, rule

BARE_EXCEPT = "try:\n    pass\nexcept:\n    pass\n"


@pytest.fixture
def repo(git_repo):
    """A repository with its own codex of one libcst rule (CX0100, a bare except, blocking), so no semgrep runs."""
    repo = git_repo()
    repo.commit("base", {"rfcs/a.md": rfc(rules=rule("CX0100", LIBCST.replace("warning", "error"))), "a.py": "x = 1\n"})
    return repo


def plain_failure(result, message: str) -> None:
    assert (result.code, result.out) == (2, ""), result.err
    assert result.err == message + "\n"


def test_without_a_git_program_the_message_says_what_to_install(repo, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_PYTHON", "CODEX_DEBUG"))} | {"PATH": str(empty)}
    proc = subprocess.run([sys.executable, "-m", "codex_cli", "check", "--no-llm"], cwd=repo.path, env=env, capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        "codex: git is not installed or not on PATH; codex needs it to read changes and history. Install git, "
        "or set GIT_PYTHON_GIT_EXECUTABLE to its path (`codex check --diff FILE` needs no git)\n"
    )


@pytest.mark.parametrize("scope", [[], ["--all"], ["--staged"]])
def test_a_bare_repository_has_no_working_tree_to_check(git_repo, tmp_path: Path, run_codex, scope) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    result = run_codex(["check", "--no-llm", "--no-history", *scope], cwd=bare)
    plain_failure(
        result, f"{bare}: a bare repository: no working tree to check — run in a checkout (git clone or git worktree add), or use --diff FILE --root DIR"
    )


@pytest.mark.parametrize("pyproject", ['tool = "codex"\n', '[tool]\ncodex = "on"\n'])
def test_a_tool_codex_that_is_not_a_table_is_a_configuration_error(repo, run_codex, pyproject: str) -> None:
    repo.write("pyproject.toml", pyproject)
    result = run_codex(["check", "--no-llm", "--no-history"], cwd=repo.path)
    plain_failure(
        result, "pyproject.toml: [tool.codex]: Input should be a valid dictionary or instance of CodexConfig — see the configuration section of the README"
    )


@pytest.mark.parametrize(
    "command, argument",
    [
        (["check", "--all", "--no-llm", "--no-history", "-o"], "--output/-o"),
        (["replay", "HEAD", "-o"], "--output/-o"),
        (["review", "--code-quality"], "--code-quality"),
    ],
)
def test_an_output_file_in_a_missing_directory_is_refused_before_any_work(repo, run_codex, tmp_path: Path, command, argument) -> None:
    target = tmp_path / "missing" / "report.json"
    result = run_codex([*command, target], cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.endswith(f"error: argument {argument}: {target}: the directory {target.parent} does not exist\n"), result.err
    assert "internal error" not in result.err


def test_a_file_over_max_file_bytes_is_listed_not_checked_and_the_others_are(repo, run_codex) -> None:
    repo.write("pyproject.toml", "[tool.codex]\nshipped = false\nmax_file_bytes = 60\n")  # CX0100 alone
    big = BARE_EXCEPT + "# padding past the limit\n" * 3
    repo.write_files({"a_big.py": big, "b_small.py": BARE_EXCEPT})
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--no-cache", "--format", "json"], cwd=repo.path)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]] == [("CX0100", "b_small.py", 3)]
    assert [(e["path"], e["kind"], e["message"]) for e in report["errors"]] == [("a_big.py", "skipped", f"{len(big)} bytes, over the limit of 60: not checked")]
