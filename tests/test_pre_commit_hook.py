"""``.pre-commit-hooks.yaml``: pre-commit itself installs codex from this repository and runs the hook.

The README's ``.pre-commit-config.yaml``, with its URL and commit SHA pointing at this checkout's committed
HEAD, is installed as a git hook in a temporary repository. pre-commit builds the hook's virtualenv once
(through the package registry, like a user's machine would; a few minutes), so commit before running it,
and every scenario shares that one environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from codex_testing import PROJECT_ROOT

LEGACY = "import requests\nrequests.get(url)\n"  # committed before codex came: a blocking finding on line 2


def _readme_config(ref: str) -> str:
    """The README's pre-commit example, pointed at this checkout: its URL and SHA placeholders replaced."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", readme, re.S)
    assert "rev: 0123456789abcdef0123456789abcdef01234567" in block
    return block.replace("https://git.example.com/your-org/codex", str(PROJECT_ROOT)).replace("0123456789abcdef0123456789abcdef01234567", ref)


def test_the_manifest_is_valid_for_pre_commit():
    result = subprocess.run(["pre-commit", "validate-manifest", ".pre-commit-hooks.yaml"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.skipif(shutil.which("pre-commit") is None or not (PROJECT_ROOT / ".git").exists(), reason="needs pre-commit and a git checkout of codex")
def test_the_readme_config_gates_commits_and_checks_all_files_and_pushes(git_repo, tmp_path):
    ref = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    repo = git_repo()
    base = repo.commit(
        "base",
        {
            "README.md": "demo\n",
            "legacy.py": LEGACY,
            "app.py": "import requests\n",
            "clean.py": "import requests\n",
            ".pre-commit-config.yaml": _readme_config(ref),
        },
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        """``args`` with stderr folded into stdout: git shows a hook's output on stderr."""
        return subprocess.run(args, cwd=repo.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, timeout=900)

    installed = run("pre-commit", "install", "--install-hooks", "--hook-type", "pre-commit", "--hook-type", "pre-push")
    assert installed.returncode == 0, installed.stdout

    # git commit: the staged files, on their staged lines; legacy.py (not staged) and unstaged.py are not looked at
    repo.write_files(
        {
            "app.py": "import requests\nrequests.get(url)\n",
            "clean.py": "import requests\nrequests.get(url, timeout=5)\n",
            "notes.txt": "not python\n",
            "unstaged.py": LEGACY,
        }
    )
    repo.stage("app.py", "clean.py", "notes.txt")
    refused = run("git", "commit", "-m", "a finding")
    assert refused.returncode == 1, refused.stdout
    assert "app.py:2:1  CX0003 (blocking)" in refused.stdout and "codex: blocked — 1 finding(s)" in refused.stdout
    assert "legacy.py" not in refused.stdout and "clean.py:" not in refused.stdout and "unstaged.py" not in refused.stdout

    # a warn-stage finding lets the commit through, and its report shows (the hook is verbose)
    repo.write("app.py", "import requests\nassert requests\n")
    repo.stage("app.py")
    warned = run("git", "commit", "-m", "a warning")
    assert warned.returncode == 0, warned.stdout
    assert "app.py:2:1  CX0007 (warn)" in warned.stdout and "codex: passed — 1 finding(s), 0 blocking" in warned.stdout

    # pre-commit run --all-files: nothing staged, every file passed is checked whole
    audit = run("pre-commit", "run", "--all-files")
    assert audit.returncode == 1, audit.stdout
    assert re.findall(r"^  (\S+:\d+:\d+  CX\d+ \(\w+\))", audit.stdout, re.M) == ["app.py:2:1  CX0007 (warn)", "legacy.py:2:1  CX0003 (blocking)"]
    assert "codex: blocked — 2 finding(s), 1 blocking, in 2 file(s)" in audit.stdout

    # pre-push: the files the pushed commits change, checked whole (legacy.py is not among them)
    pushed = run("pre-commit", "run", "--hook-stage", "pre-push", "--from-ref", base, "--to-ref", "HEAD")
    assert pushed.returncode == 0, pushed.stdout
    assert re.findall(r"^  (\S+:\d+:\d+  CX\d+ \(\w+\))", pushed.stdout, re.M) == ["app.py:2:1  CX0007 (warn)"]
