"""The packages depend one way, codex_cli > reviewer > codex: import-linter's contract in pyproject.toml, run as CI runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from codex_testing import PROJECT_ROOT

PACKAGES = ("codex", "reviewer", "codex_cli")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` in ``cwd``, which it puts first on ``sys.path``: the packages there are the ones analysed."""
    script = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(script), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_layers_contract_is_kept() -> None:
    proc = _lint_imports(PROJECT_ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 1 kept, 0 broken." in proc.stdout


def test_an_import_of_a_higher_layer_inside_a_function_breaks_it(tmp_path: Path) -> None:
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    for package in PACKAGES:
        shutil.copytree(PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "_shipped"))
    problems = tmp_path / "codex" / "problems.py"
    problems.write_text(problems.read_text(encoding="utf-8") + "\n\ndef _upward() -> None:\n    import reviewer.check  # noqa: F401\n", encoding="utf-8")
    proc = _lint_imports(tmp_path)
    assert proc.returncode == 1
    assert "Contracts: 0 kept, 1 broken." in proc.stdout
    assert "codex.problems -> reviewer.check (l." in proc.stdout
