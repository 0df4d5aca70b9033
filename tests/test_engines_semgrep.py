"""The semgrep engine: a target list too long for one command line is split over processes run in turn; the
run config hands semgrep only the excludes it applies exactly as codex does."""

from __future__ import annotations

import pytest

from codex.model import PathFilter, Ruleset
from codex.semgrep_config import run_rules
from reviewer.engines import semgrep as semgrep_engine
from reviewer.targets import Target


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
    assert {path: [(m.rule_id, m.line) for m in found] for path, found in matches.items()} == \
        {t.path: [("CX0005", 4)] for t in targets}


def test_only_excludes_that_match_anywhere_are_handed_to_semgrep(shipped_ruleset: Ruleset) -> None:
    rule = shipped_ruleset.rule("CX0005").model_copy(update={"paths": PathFilter(
        include=("src/**",), exclude=("**/tests/**", "**/test_*.py", "vendor/**", "**/a/b/**", "**/generated.py"))})
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
    assert set(matches) == {"src/tool.py"}  # semgrep skipped the tests/ file itself
    inside = [Target("tests/deep/tool.py", tmp_path / "tests/deep/tool.py", "python", None, "tests/deep/tool.py")]
    matches, _ = semgrep_engine.SemgrepRun([rule], inside).collect()  # runs in tests/deep: the exclude cannot apply
    assert set(matches) == {"tests/deep/tool.py"}  # so the engine reports it, and codex's own path filter drops it
