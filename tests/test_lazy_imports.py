"""Lazy imports: each command loads only what it uses, seen in ``sys.modules`` of a fresh interpreter."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from codex_testing import PROJECT_ROOT

HEAVY = ("pydantic", "libcst", "openai", "tiktoken", "git", "semgrep", "markdown_it", "yaml", "rich", "github", "gitlab", "jsonschema")

_PROBE = """
import json, sys
import codex_cli.main
try:
    code = codex_cli.main.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}), file=sys.stderr)
"""


def _loaded(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    probe = json.loads(proc.stderr.strip().splitlines()[-1])
    return probe["code"], set(probe["modules"]) & set(HEAVY)


def test_help_loads_no_dependency(tmp_path: Path) -> None:
    code, loaded = _loaded(["--help"], tmp_path)
    assert code == 0 and loaded == set()


def test_check_of_a_rust_change_loads_neither_libcst_nor_the_llm_client(git_repo) -> None:
    repo = git_repo()
    repo.commit("start", {"README.md": "hello\n"})
    repo.write("src/main.rs", "fn main() {\n    let v: Option<u8> = None;\n    v.unwrap();\n}\n")
    code, loaded = _loaded(["check", "--no-llm", "--no-cache", "--format", "json"], repo.path)
    assert code == 1  # the unwrap was found: tree-sitter ran
    assert "libcst" not in loaded and "openai" not in loaded and "tiktoken" not in loaded


def test_codex_test_of_rust_and_judgment_rules_loads_neither_libcst_nor_the_llm_client(tmp_path: Path) -> None:
    # RFC-0001 (a tree-sitter rule for Rust) and RFC-0002 (a judgment rule, skipped without an endpoint).
    # An RFC naming a libcst class would load libcst: compiling checks the class is a LintRule.
    (tmp_path / "rfcs").mkdir()
    for name in ("0001-handle-errors-do-not-panic.md", "0002-validate-upstream-state.md"):
        shutil.copy(PROJECT_ROOT / "rfcs" / name, tmp_path / "rfcs")
    (tmp_path / "pyproject.toml").write_text("[tool.codex]\nshipped = false  # its rfcs/ are copies of shipped RFCs\n")
    code, loaded = _loaded(["test", "--root", str(tmp_path)], tmp_path)
    assert code in (0, 1)
    assert "semgrep" not in loaded  # run as a subprocess, never imported
    assert "libcst" not in loaded and "openai" not in loaded


def test_check_of_a_patch_file_with_the_shipped_codex_loads_neither_git_nor_the_rfc_parser(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.rs").write_text("fn main() {\n    let v: Option<u8> = None;\n    v.unwrap();\n}\n")
    patch = tmp_path / "change.patch"
    patch.write_text("diff --git a/src/main.rs b/src/main.rs\n--- a/src/main.rs\n+++ b/src/main.rs\n@@ -3 +3 @@\n-    v;\n+    v.unwrap();\n")
    code, loaded = _loaded(["check", "--no-llm", "--no-cache", "--no-history", "--format", "json", "--diff", str(patch), "--root", str(tmp_path)], tmp_path)
    assert code == 1  # tree-sitter found the unwrap; the ruleset was read without PyYAML
    assert loaded == {"pydantic"}  # no gitpython (and its two `git version` calls), markdown-it, PyYAML or libcst
