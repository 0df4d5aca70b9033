"""``.pre-commit-hooks.yaml``: pre-commit itself installs codex from this repository and runs the hook.

``pre-commit try-repo`` builds the hook's virtualenv from the committed HEAD of this repository
(through the package registry, like a user's machine would), so commit before running it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("pre-commit") is None or not (PROJECT_ROOT / ".git").exists(),
                    reason="needs pre-commit and a git checkout of codex")
def test_the_codex_hook_blocks_a_staged_finding_under_pre_commit(git_repo, tmp_path):
    """One try-repo run (each builds a fresh virtualenv): staged files only, the finding shown, the commit refused."""
    ref = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    repo = git_repo()
    repo.commit("base", {"README.md": "demo\n", "app.py": "import requests\n", "clean.py": "import requests\n"})
    repo.write_files({"app.py": "import requests\nrequests.get(url)\n", "clean.py": "import requests\nrequests.get(url, timeout=5)\n",
                      "notes.txt": "not python\n", "unstaged.py": "import requests\nrequests.get(url)\n"})
    repo.stage("app.py", "clean.py", "notes.txt")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    result = subprocess.run(["pre-commit", "try-repo", str(PROJECT_ROOT), "codex", "--ref", ref, "--verbose"],
                            cwd=repo.path, env=env, capture_output=True, text=True, check=False, timeout=900)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app.py:2:1  CX0003 (blocking)" in result.stdout and "codex: blocked — 1 finding(s)" in result.stdout
    assert "clean.py:" not in result.stdout and "unstaged.py" not in result.stdout
