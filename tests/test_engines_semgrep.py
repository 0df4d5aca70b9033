"""The semgrep engine splits a target list too long for one command line over processes run in turn."""

from __future__ import annotations

import pytest

from codex.model import Ruleset
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
