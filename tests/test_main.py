"""The ``codex`` command: exit codes 0/1/2 and no traceback on bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codex_testing.rfcs import LIBCST, rfc, rule

CLEAN = "import requests\n\nrequests.get('https://example.com', timeout=5)\n"
DIRTY = "import requests\n\nrequests.get('https://example.com')\n"


@pytest.fixture
def libcst_repo(git_repo):
    """A repository with its own codex of one libcst rule (CX0100, bare except) replacing the shipped one, so no semgrep runs."""
    repo = git_repo()
    repo.commit(
        "base",
        {
            "rfcs/a.md": rfc(rules=rule("CX0100", LIBCST.replace("warning", "error"))),
            "a.py": "x = 1\n",
            "pyproject.toml": "[tool.codex]\nshipped = false  # its own codex alone\n",
        },
    )
    return repo


def assert_clean_failure(result, *words: str) -> None:
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.out + result.err
    for word in words:
        assert word in result.err, result.err


def test_exit_codes_0_and_1(libcst_repo, run_codex) -> None:
    libcst_repo.write("a.py", "x = 1\ntry:\n    pass\nexcept ValueError:\n    raise\n")
    assert run_codex(["check", "--no-llm"], cwd=libcst_repo.path).code == 0
    libcst_repo.write("a.py", "x = 1\ntry:\n    pass\nexcept:\n    pass\n")
    result = run_codex(["check", "--no-llm"], cwd=libcst_repo.path)
    assert result.code == 1 and "a.py:4:1" in result.out and "CX0100" in result.out


def test_warnings_do_not_block(git_repo, run_codex) -> None:
    repo = git_repo()
    repo.commit("base", {"rfcs/a.md": rfc(rules=rule("CX0100", LIBCST)), "a.py": "x = 1\n", "pyproject.toml": "[tool.codex]\nshipped = false\n"})
    repo.write("a.py", "try:\n    pass\nexcept:\n    pass\n")
    result = run_codex(["check", "--format", "json"], cwd=repo.path)
    assert result.code == 0
    assert [f["stage"] for f in result.json()["findings"]] == ["warn"]


def test_no_llm_is_accepted(libcst_repo, run_codex) -> None:
    result = run_codex(["check", "--no-llm", "--format", "json"], cwd=libcst_repo.path)
    assert result.code == 0 and result.json()["findings"] == []


def test_diff_from_stdin(libcst_repo, run_codex) -> None:
    patch = "--- a/a.py\n+++ b/a.py\n@@ -1 +1,5 @@\n x = 1\n+try:\n+    pass\n+except:\n+    pass\n"
    libcst_repo.write("a.py", "x = 1\ntry:\n    pass\nexcept:\n    pass\n")
    result = run_codex(["check", "--diff", "-", "--format", "json"], cwd=libcst_repo.path, stdin=patch)
    assert result.code == 1 and [f["line"] for f in result.json()["findings"]] == [4]


def test_diff_file_in_utf16(libcst_repo, run_codex, tmp_path: Path) -> None:
    patch = "--- a/a.py\n+++ b/a.py\n@@ -1 +1,5 @@\n x = 1\n+try:\n+    pass\n+except:\n+    pass\n"
    libcst_repo.write("a.py", "x = 1\ntry:\n    pass\nexcept:\n    pass\n")
    (tmp_path / "windows.patch").write_bytes(patch.replace("\n", "\r\n").encode("utf-16"))
    result = run_codex(["check", "--diff", tmp_path / "windows.patch", "--format", "json"], cwd=libcst_repo.path)
    assert result.code == 1 and [f["line"] for f in result.json()["findings"]] == [4]


def test_broken_rfcs_are_listed_not_raised(libcst_repo, run_codex) -> None:
    libcst_repo.write("rfcs/b.md", rfc("RFC-0101", rules=rule("CX0100", LIBCST)))
    libcst_repo.write("rfcs/c.md", "no front matter\n")
    result = run_codex(["check", "--strict"], cwd=libcst_repo.path)
    assert_clean_failure(result, "rfcs/b.md:13: duplicate rule id CX0100", "rfcs/c.md:1: no YAML front matter")
    lenient = run_codex(["check"], cwd=libcst_repo.path)  # no usable ruleset: said plainly, not blocking (fail open)
    assert lenient.code == 0 and "rfcs/b.md:13: duplicate rule id CX0100" in lenient.err
    assert "Traceback" not in lenient.err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["check", "--base", "no-such-ref"], "unknown revision 'no-such-ref'"),
        (["check", "--diff", "missing.patch"], "missing.patch: cannot read the diff"),
        (["check", "--root", "/no/such/dir"], "--root is not a directory"),
        (["check", "--format", "yaml"], "invalid choice"),
        (["check", "--all", "--staged"], "not allowed with argument"),
        (["test", "CX9999"], "unknown rule CX9999"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors(libcst_repo, run_codex, args: list[str], words: str) -> None:
    assert_clean_failure(run_codex(args, cwd=libcst_repo.path), words)


def test_no_command_prints_help(run_codex, tmp_path: Path) -> None:
    result = run_codex([], cwd=tmp_path)
    assert result.code == 2 and "usage: codex" in result.out


def test_outside_a_repository(run_codex, tmp_path: Path) -> None:
    assert_clean_failure(run_codex(["check"], cwd=tmp_path), "not inside a git repository")


def test_bad_configuration(libcst_repo, run_codex) -> None:
    libcst_repo.write("pyproject.toml", "[tool.codex]\nrfcs = 3\n")
    assert_clean_failure(run_codex(["check"], cwd=libcst_repo.path), "pyproject.toml", "rfcs")
    libcst_repo.write("pyproject.toml", "[tool.codex\n")
    assert_clean_failure(run_codex(["check"], cwd=libcst_repo.path), "pyproject.toml")


def test_unreadable_compiled_ruleset(tmp_path: Path, run_codex) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "ruleset.json").write_text("{not json", encoding="utf-8")
    assert_clean_failure(run_codex(["check", "--all", "--strict", "--root", tmp_path]), "unreadable ruleset")


def test_output_file(libcst_repo, run_codex, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = run_codex(["check", "--all", "--format", "json", "--output", target], cwd=libcst_repo.path)
    assert result.code == 0 and result.out == ""
    assert json.loads(target.read_text())["stats"]["mode"] == "all"


# --- the installed console script, as a user runs it ----------------------------------------------


def test_console_script_end_to_end(libcst_repo, tmp_path: Path) -> None:
    executable = shutil.which("codex")
    assert executable, "the codex console script is not installed (pip install -e '.[test]')"
    libcst_repo.write("a.py", "try:\n    pass\nexcept:\n    pass\n")
    env = {k: v for k, v in os.environ.items() if k != "CODEX_DEBUG"}
    proc = subprocess.run([executable, "check", "--format", "json", "--no-llm"], cwd=libcst_repo.path, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert [(f["rule_id"], f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]] == [("CX0100", "a.py", 3)]
    broken = subprocess.run([executable, "check", "--base", "nope"], cwd=libcst_repo.path, capture_output=True, text=True, env=env, timeout=120)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr and "nope" in broken.stderr


def test_python_dash_m_codex() -> None:
    proc = subprocess.run([sys.executable, "-m", "codex_cli", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("codex ")


def test_python_dash_m_codex_imports_nothing_from_the_working_directory(libcst_repo, tmp_path: Path) -> None:
    marker = tmp_path / "poisoned"
    poison = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\nraise SystemExit(99)\n"
    for name in ("markdown_it.py", "yaml.py", "pydantic.py", "libcst.py"):  # what `codex check` of this tree imports
        libcst_repo.write(name, poison)
    libcst_repo.write("a.py", "try:\n    pass\nexcept:\n    pass\n")
    proc = subprocess.run(
        [sys.executable, "-m", "codex_cli", "check", "--format", "json", "--no-llm", "--no-history"],
        cwd=libcst_repo.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert [(f["rule_id"], f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]] == [("CX0100", "a.py", 3)]
    assert not marker.exists()
