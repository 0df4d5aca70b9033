"""The per-file result cache (reviewer.cache) through reviewer.matching.run_matchers and reviewer.check.run_check.

One real semgrep process for the module (the cold run); warm runs are made with semgrep off the PATH, so a
run that needed it would report it missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codex.model import PathFilter, Ruleset, Stage
from reviewer.cache import ResultCache
from reviewer.changes import ChangeSet, FileChange
from reviewer.check import CheckOptions, run_check
from reviewer.engines import libcst as libcst_engine, semgrep as semgrep_engine
from reviewer.matching import run_matchers
from reviewer.targets import Target

FILES = {
    "app.py": "import subprocess\n\ndef go(cmd):\n    try:\n        subprocess.run(cmd, shell=True)\n    except:\n        pass\n",
    "calls.py": "import requests, subprocess\n\ndef fetch(url):\n    return requests.get(url)\n",  # every python file here is semgrep's
    "clean.py": "import subprocess\n\ndef run(cmd):\n    return subprocess.run(cmd)\n",
    "legacy.py": 'import subprocess\nprint "python 2"\ntry:\n    x = 1\nexcept:\n    pass\n',
    "main.rs": "fn main() {\n    let v: Option<u8> = None;\n    v.unwrap();\n}\n",
}


def _targets(root: Path) -> list[Target]:
    language = {".py": "python", ".rs": "rust"}
    return [Target(name, root / name, language[Path(name).suffix], None, name) for name in sorted(FILES)]


def _seen(findings) -> set[tuple]:
    return {(f.rule_id, f.path, f.line, f.end_line, f.column, f.message, f.engine, f.stage) for f in findings}


@pytest.fixture
def no_semgrep(monkeypatch: pytest.MonkeyPatch) -> None:
    """semgrep not found: a run that starts it reports "semgrep was not found"."""
    monkeypatch.setattr(semgrep_engine, "find_semgrep", lambda: None)


@pytest.fixture
def no_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(jobs, busy_cpus=0):
        raise AssertionError(f"libcst ran on {[t.path for t, _ in jobs]}")

    monkeypatch.setattr(libcst_engine, "check_files", refuse)


@pytest.fixture(scope="module")
def cold(tmp_path_factory: pytest.TempPathFactory, shipped_ruleset: Ruleset):
    """A tree, a run without semgrep (must cache nothing semgrep-checked), then the real cold run."""
    root = tmp_path_factory.mktemp("tree")
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    cache_dir = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semgrep_engine, "find_semgrep", lambda: None)
        broken = ResultCache(cache_dir)
        _, broken_problems, _ = run_matchers(shipped_ruleset, _targets(root), broken)
    cache = ResultCache(cache_dir)
    result = run_matchers(shipped_ruleset, _targets(root), cache)
    return root, cache_dir, broken_problems, cache, result


def test_a_failed_engine_caches_nothing_it_should_have_checked(cold) -> None:
    _, _, broken_problems, cache, _ = cold
    assert any("semgrep was not found" in p.message for p in broken_problems)
    # every Python file here has a semgrep rule: none may have been cached by the run that lacked semgrep;
    # main.rs is checked by tree-sitter alone, so that run rightly cached it
    assert (cache.hits, cache.misses) == (1, len(FILES) - 1)


def test_cold_run_finds_everything(cold) -> None:
    _, _, _, _, (findings, problems, _) = cold
    assert {(f.rule_id, f.path, f.line) for f in findings} == {
        ("CX0005", "app.py", 5),
        ("CX0004", "app.py", 6),
        ("CX0003", "calls.py", 4),
        ("CX0001", "main.rs", 3),
    }
    assert [(p.path, p.kind) for p in problems] == [("legacy.py", "parse")]


def test_warm_run_starts_no_engine_and_finds_the_same(cold, shipped_ruleset: Ruleset, no_semgrep, no_libcst) -> None:
    root, cache_dir, _, _, (findings, problems, _) = cold
    cache = ResultCache(cache_dir)
    warm_findings, warm_problems, _ = run_matchers(shipped_ruleset, _targets(root), cache)
    assert _seen(warm_findings) == _seen(findings)
    assert warm_problems == problems  # the parse problem comes back from the cache; nothing about semgrep
    assert cache.misses == 0 and cache.hits == len(FILES)


def test_a_changed_file_is_checked_again(cold, shipped_ruleset: Ruleset, tmp_path: Path, no_semgrep) -> None:
    root, cache_dir, _, _, _ = cold
    copy = tmp_path / "tree"
    shutil.copytree(root, copy)
    (copy / "calls.py").write_text("import requests, subprocess\n\ndef fetch(url):\n    return requests.post(url, data=1)\n", encoding="utf-8")
    cache = ResultCache(cache_dir)
    findings, problems, _ = run_matchers(shipped_ruleset, _targets(copy), cache)
    assert cache.misses == 1  # calls.py: its semgrep rules need semgrep, which is absent here
    assert any(p.kind == "engine" for p in problems)
    assert ("CX0003", "calls.py", 4) in {(f.rule_id, f.path, f.line) for f in findings}
    assert {f.path for f in findings if f.engine == "semgrep"} == {"app.py"}  # from the cache
    assert {f.path for f in findings if f.engine == "tree-sitter"} == {"main.rs"}  # from the cache


def test_a_changed_rule_invalidates_and_display_fields_do_not(cold, shipped_ruleset: Ruleset, no_semgrep, no_libcst) -> None:
    root, cache_dir, _, _, _ = cold
    swallowed = shipped_ruleset.rule("CX0004")
    restaged = shipped_ruleset.model_copy(
        update={"rules": tuple(r.model_copy(update={"stage": Stage.shadow}) if r.id == "CX0004" else r for r in shipped_ruleset.rules)}
    )
    cache = ResultCache(cache_dir)
    findings, _, _ = run_matchers(restaged, _targets(root), cache)
    assert cache.misses == 0  # stage is not part of what a rule finds
    assert {f.stage for f in findings if f.rule_id == "CX0004"} == {Stage.shadow}

    narrowed = shipped_ruleset.model_copy(
        update={
            "rules": tuple(r.model_copy(update={"paths": PathFilter(exclude=("legacy.py",))}) if r.id == swallowed.id else r for r in shipped_ruleset.rules)
        }
    )
    cache = ResultCache(cache_dir)
    with pytest.raises(AssertionError, match="libcst ran on"):
        run_matchers(narrowed, _targets(root), cache)  # every python file CX0004 applies to is a miss


def test_a_corrupt_entry_is_a_note_and_a_miss(cold, shipped_ruleset: Ruleset, tmp_path: Path) -> None:
    root, cache_dir, _, _, (findings, _, _) = cold
    copy = tmp_path / ".codex" / "cache"
    shutil.copytree(cache_dir, copy)
    entries = sorted((copy / "static").rglob("*.json"))
    assert len(entries) == len(FILES)
    entries[0].write_bytes(b'{"format": "codex-results/1", "matches": [["CX0004", "not a line"')
    entries[1].write_bytes(b"\x00\xff garbage")
    cache = ResultCache(copy, root=tmp_path)  # the cache inside the checked tree, as by default
    found, problems, _ = run_matchers(shipped_ruleset, _targets(root), cache)
    notes = [p for p in problems if p.kind == "cache"]
    named = sorted(n.message.split(" is unreadable")[0] for n in notes)
    assert named == sorted(f"cache entry .codex/cache/static/{e.parent.name}/{e.name}" for e in entries[:2])  # no machine's directory
    assert cache.stats.dir == ".codex/cache/static"
    assert (cache.hits, cache.misses) == (len(FILES) - 2, 2)
    assert _seen(found) == _seen(findings)
    again = ResultCache(copy)
    run_matchers(shipped_ruleset, _targets(root), again)
    assert (again.hits, again.misses) == (len(FILES), 0)  # rewritten by the run that noted them


def test_an_unwritable_cache_is_a_note(cold, shipped_ruleset: Ruleset, tmp_path: Path, no_semgrep) -> None:
    root, _, _, _, _ = cold
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    cache = ResultCache(blocker)
    findings, problems, _ = run_matchers(shipped_ruleset, [t for t in _targets(root) if t.path == "main.rs"], cache)  # tree-sitter's alone
    assert [(p.path, p.kind) for p in problems] == [(str(blocker / "static"), "cache")]  # outside the tree: named whole
    assert {(f.rule_id, f.line) for f in findings} == {("CX0001", 3)}  # found all the same


def test_cached_findings_are_diff_scoped_and_fingerprinted_per_run(cold, shipped_ruleset: Ruleset, no_semgrep, no_libcst) -> None:
    root, cache_dir, _, _, _ = cold
    options = CheckOptions(use_llm=False, cache_dir=cache_dir)
    whole = run_check(shipped_ruleset, ChangeSet(root, [FileChange(n, None) for n in FILES]), options)
    assert {(f.rule_id, f.path) for f in whole.findings} >= {("CX0005", "app.py"), ("CX0004", "app.py")}
    assert all(f.fingerprint for f in whole.findings)
    only_line_6 = run_check(shipped_ruleset, ChangeSet(root, [FileChange("app.py", frozenset({6}))]), options)
    assert [(f.rule_id, f.line) for f in only_line_6.findings] == [("CX0004", 6)]
    assert only_line_6.findings[0].fingerprint == next(f.fingerprint for f in whole.findings if f.rule_id == "CX0004" and f.path == "app.py")
    assert only_line_6.stats.cache.hits == 1
