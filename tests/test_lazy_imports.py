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
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""
# What a check with no LLM endpoint, recording no history, needs neither on a cold nor on a warm run: the LLM pass's
# model side (answer cache, client, prompts), the run history (sqlite3 and the backends), worker processes.
# reviewer.llm.run is there: judgment rules are still routed, to say which went unreviewed.
LLM_AND_HISTORY = ("reviewer.llm.run", "reviewer.llm.model_pass", "reviewer.llm.client", "reviewer.llm.prompt", "reviewer.history", "multiprocessing")


def _run(args: list[str], cwd: Path) -> tuple[int, set[str], str]:
    """The exit code, every module loaded, and the output of ``codex ARGS`` in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    probe = json.loads(proc.stderr.strip().splitlines()[-1])
    return probe["code"], set(probe["modules"]), proc.stdout


def _loaded(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    code, modules, _ = _run(args, cwd)
    return code, {m.split(".")[0] for m in modules} & set(HEAVY)


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


def test_check_without_an_llm_endpoint_routes_judgment_rules_without_loading_the_model_side(tmp_path: Path, monkeypatch) -> None:
    for name in ("CODEX_LLM_MODEL", "CODEX_LLM_BASE_URL", "CODEX_LLM_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "app.py").write_text("import requests\n\nrequests.get('https://example.org')\n")
    args = ["check", "--all", "--no-history", "--format", "json", "--root", str(tmp_path)]
    for run, cache in (("cold", {"hits": 0, "misses": 1}), ("warm", {"hits": 1, "misses": 0})):
        code, modules, out = _run(args, tmp_path)
        stats = json.loads(out)["stats"]
        assert (run, code, stats["llm"]["status"], stats["cache"]["hits"], stats["cache"]["misses"]) == (run, 1, "skipped", cache["hits"], cache["misses"])
        assert (run, sorted(modules & set(LLM_AND_HISTORY))) == (run, ["reviewer.llm.run"])


def test_pre_commit_check_with_no_llm_and_no_history_loads_neither_nor_other_commands(git_repo) -> None:
    repo = git_repo()
    repo.commit("start", {"app.py": "import requests\n"})
    repo.write("app.py", "import requests\n\nrequests.get('https://example.org')\n")
    repo.git("add", "app.py")
    code, modules, out = _run(["check", "--staged", "--no-llm", "--no-history", "--format", "json", "app.py"], repo.path)
    assert (code, [f["rule_id"] for f in json.loads(out)["findings"]]) == (1, ["CX0003"])
    assert sorted(modules & set(LLM_AND_HISTORY)) == ["reviewer.llm.run"]
    assert sorted(m for m in modules if m.startswith("codex_cli.commands")) == [  # no other command's module
        "codex_cli.commands",
        "codex_cli.commands._common",
        "codex_cli.commands._ruleset_and_history",
        "codex_cli.commands.check",
    ]
