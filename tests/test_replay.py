"""`codex replay` over a real history: it finds the exact commit that added a `.unwrap()`; interrupted, it resumes."""

from __future__ import annotations

import datetime as dt

import pytest

from codex.config import CodexConfig, load_config
from codex.ruleset_source import load_active
from reviewer.replay import ReplaySettings, list_commits, load_state, replay

CLEAN = "pub fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {\n    text.trim().parse()\n}\n"
UNWRAP = "pub fn load(path: &str) -> String {\n    let text = std::fs::read_to_string(path).unwrap();\n    text\n}\n"
FIXED = "pub fn load(path: &str) -> std::io::Result<String> {\n    std::fs::read_to_string(path)\n}\n"
TEST = '#[test]\nfn loads() {\n    assert!(super::load("x").unwrap().len() > 0);\n}\n'
HISTORY = [
    ("2026-01-02", "Start the service", {"README.md": "# svc\n", "src/lib.rs": CLEAN}),
    ("2026-01-03", "Document it", {"README.md": "# svc\n\nParses numbers.\n"}),
    ("2026-01-05", "Load the feature file", {"src/config.rs": UNWRAP}),
    ("2026-01-06", "Propagate the read error", {"src/config.rs": FIXED}),
    ("2026-01-07", "Test the loader", {"tests/loader.rs": TEST}),
]
TODAY = dt.date(2026, 2, 1)


@pytest.fixture(scope="module")
def history(git_repo_factory):
    """A repository without rfcs/, so the shipped codex (CX0001: no unwrap in production Rust) judges it."""
    repo = git_repo_factory("replay")
    commits = []
    with pytest.MonkeyPatch.context() as env:
        for day, message, files in HISTORY:
            env.setenv("GIT_AUTHOR_DATE", f"{day}T10:00:00+00:00")
            env.setenv("GIT_COMMITTER_DATE", f"{day}T10:00:00+00:00")
            commits.append(repo.commit(message, files))
    return repo, commits


def test_since_selects_the_commits_from_a_date(history):
    repo, commits = history
    assert list_commits(repo.path, None, dt.date(2026, 1, 5), False) == commits[2:]
    assert list_commits(repo.path, f"{commits[0]}..{commits[3]}", None, False) == commits[1:4]


def test_interrupted_replay_keeps_what_it_finished_and_resumes(history, run_codex, tmp_path):
    repo, commits = history
    state = tmp_path / "state.jsonl"
    settings = ReplaySettings(repo.path, load_active(repo.path, CodexConfig()).ruleset, TODAY, CodexConfig())

    def interrupt(result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replay(settings, commits, state, 1, interrupt)
    assert list(load_state(state, commits, settings)) == [commits[0]]

    result = run_codex(
        [
            "replay",
            "--format",
            "json",
            "--jobs",
            "2",
            "--today",
            TODAY.isoformat(),
            "--state",
            state,
            "--root",
            repo.path,
            "--commit-url",
            "https://git.example.com/svc/-/commit/{commit}",
        ]
    )
    assert result.code == 0, result.err
    report = result.json()
    assert report["summary"] == {"commits": 5, "resumed": 1, "blocked": [commits[2]], "warned": []}
    by_commit = {c["commit"]: c for c in report["commits"]}
    [finding] = by_commit[commits[2]]["findings"]
    assert (finding["rule_id"], finding["path"], finding["line"], finding["stage"]) == ("CX0001", "src/config.rs", 2, "block")
    assert finding["rfc"]["path"].endswith("rfcs/0001-handle-errors-do-not-panic.md")
    assert by_commit[commits[2]]["url"] == f"https://git.example.com/svc/-/commit/{commits[2]}"
    assert [by_commit[c]["verdict"] for c in commits] == ["clean", "clean", "blocked", "clean", "clean"]
    assert len(load_state(state, commits, settings)) == 5

    text = run_codex(["replay", "--today", TODAY.isoformat(), "--state", state, "--root", repo.path])
    assert text.code == 0, text.err
    assert text.out.startswith("codex replay: 5 commit(s) of HEAD against ruleset ")
    assert ": 1 would have been blocked, 0 warned" in text.out
    assert f"{commits[2][:12]} 2026-01-05 Load the feature file (Codex Test) — blocked" in text.out
    assert "src/config.rs:2  CX0001 (blocking)" in text.out


def test_a_state_line_cut_short_by_an_interruption_is_skipped_and_not_glued_to_the_next(history, tmp_path):
    repo, commits = history
    state = tmp_path / "state.jsonl"
    state.write_text('{"commit": "' + commits[1][:7], encoding="utf-8")
    settings = ReplaySettings(repo.path, load_active(repo.path, CodexConfig()).ruleset, TODAY, CodexConfig())
    [result] = replay(settings, [commits[1]], state, 1, lambda result: None)
    assert result.verdict == "clean" and list(load_state(state, commits, settings)) == [commits[1]]


def test_a_bad_range_is_a_clear_problem(history, run_codex):
    repo, _ = history
    result = run_codex(["replay", "no-such-branch..HEAD", "--root", repo.path])
    assert result.code == 2 and "git cannot list 'no-such-branch..HEAD'" in result.err and "Traceback" not in result.err


SHELL = "import subprocess\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"
SAFE = "import subprocess\n\ndef run(cmd):\n    return subprocess.run(cmd)\n"


@pytest.fixture(scope="module")
def mixed_history(git_repo_factory):
    """Python (semgrep's CX0005) and Rust (tree-sitter's CX0001) changes, the bad ones not last."""
    repo = git_repo_factory("replay-mixed")
    steps = [
        {"tool.py": SAFE, "src/lib.rs": CLEAN},
        {"tool.py": SHELL},
        {"src/config.rs": UNWRAP},
        {"tool.py": SAFE, "src/config.rs": FIXED},
        {"README.md": "# svc\n"},
    ]
    return repo, [repo.commit(f"step {n}", files) for n, files in enumerate(steps)]


def test_a_batch_runs_semgrep_once_and_finds_what_commit_by_commit_finds(mixed_history, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer.engines import semgrep as semgrep_engine
    from reviewer.replay import replay_commit, replay_commits

    repo, commits = mixed_history
    settings = ReplaySettings(repo.path, load_active(repo.path, CodexConfig()).ruleset, TODAY, CodexConfig())
    started: list[int] = []
    original = semgrep_engine.SemgrepRun._start
    monkeypatch.setattr(semgrep_engine.SemgrepRun, "_start", lambda self, paths: (started.append(len(paths)), original(self, paths))[1])
    one_by_one = [replay_commit(settings, c) for c in commits]
    assert len(started) == 3  # each commit that changed tool.py
    started.clear()
    batched = replay_commits(settings, commits)
    assert started == [5]  # tool.py in three commits and two base versions, in one semgrep process
    assert [r.verdict for r in batched] == ["clean", "blocked", "blocked", "clean", "clean"]
    assert [r.model_dump() for r in batched] == [r.model_dump() for r in one_by_one]


BIG = UNWRAP + "// padding\n" * 400  # 4,465 bytes: over the limit the configuration sets


@pytest.fixture(scope="module")
def configured_history(git_repo_factory):
    """codex.toml excludes vendor/ and limits file size; one commit marks gen/ generated in its own .gitattributes,
    the next drops that mark (as HEAD's tree has none) and changes gen/ again."""
    repo = git_repo_factory("replay-config")
    commits = [repo.commit("start", {"codex.toml": 'exclude = ["vendor/**"]\nmax_file_bytes = 4000\n', "src/lib.rs": CLEAN})]
    marked = {".gitattributes": "gen/** linguist-generated\n", "vendor/dep.rs": UNWRAP, "gen/out.rs": UNWRAP, "src/big.rs": BIG, "src/config.rs": UNWRAP}
    commits.append(repo.commit("vendor, generate, load", marked))
    (repo.path / ".gitattributes").unlink()
    commits.append(repo.commit("unmark gen", {"gen/out.rs": UNWRAP + "\npub fn again() -> u8 {\n    Some(1).unwrap()\n}\n"}))
    commits.append(repo.commit("fix", {"src/config.rs": FIXED}))
    return repo, commits


def _configured_settings(repo, **changed) -> ReplaySettings:
    config = load_config(repo.path).model_copy(update=changed)
    return ReplaySettings(repo.path, load_active(repo.path, config).ruleset, TODAY, config)


def test_a_replayed_commit_is_checked_as_codex_check_checks_it(configured_history, run_codex, tmp_path) -> None:
    repo, commits = configured_history
    results = replay(_configured_settings(repo), commits, tmp_path / "state.jsonl", 2, lambda result: None)
    assert [r.verdict for r in results] == ["clean", "blocked", "blocked", "clean"]
    assert [(f.path, f.line) for f in results[2].findings] == [("gen/out.rs", 7)]  # its own .gitattributes no longer mark gen/

    checkout = tmp_path / "at-commit"
    repo.git("clone", "--quiet", "--no-checkout", str(repo.path), str(checkout))
    repo.git("-C", str(checkout), "checkout", "--quiet", commits[1])
    patch = tmp_path / "change.patch"
    patch.write_text(repo.diff(commits[0], commits[1]), encoding="utf-8")
    checked = run_codex(["check", "--diff", patch, "--root", checkout, "--no-llm", "--no-history", "--no-cache", "--format", "json", "--today", TODAY])
    assert checked.code == 1, checked.err
    report = checked.json()
    replayed = results[1]
    assert [f.model_dump(mode="json") for f in replayed.findings] == report["findings"]
    assert [p.model_dump(mode="json") for p in replayed.errors] == report["errors"]
    assert [(f.path, f.line, f.rule_id) for f in replayed.findings] == [("src/config.rs", 2, "CX0001")]
    assert [(p.path, p.kind, p.hint) for p in replayed.errors] == [
        ("src/big.rs", "skipped", "raise max_file_bytes in codex.toml to check it, or leave generated files out of the rules' paths")
    ]


def test_the_batch_engine_run_reads_only_the_files_the_checks_read(configured_history, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer import matching
    from reviewer.replay import replay_commits

    repo, commits = configured_history
    batched: list[list[str]] = []
    original = matching.run_matchers
    monkeypatch.setattr(
        matching, "run_matchers", lambda ruleset, targets, *a, **k: (batched.append([t.path for t in targets]), original(ruleset, targets, *a, **k))[1]
    )
    replay_commits(_configured_settings(repo), commits)
    base = "\0base/"  # how the engine run names a base version
    assert batched == [["0/src/lib.rs", "1/src/config.rs", "2/gen/out.rs", f"2/{base}gen/out.rs", "3/src/config.rs", f"3/{base}src/config.rs"]]


@pytest.mark.parametrize(("changed", "also_found"), [({"exclude": ()}, "vendor/dep.rs"), ({"linguist": False}, "gen/out.rs")])
def test_a_state_file_is_not_reused_under_another_configuration(configured_history, tmp_path, changed, also_found) -> None:
    repo, commits = configured_history
    state = tmp_path / "state.jsonl"
    configured, other = _configured_settings(repo), _configured_settings(repo, **changed)
    [first] = replay(configured, [commits[1]], state, 1, lambda result: None)
    [second] = replay(other, [commits[1]], state, 1, lambda result: None)
    assert [f.path for f in first.findings] == ["src/config.rs"]
    assert sorted(f.path for f in second.findings) == sorted(["src/config.rs", also_found])
    assert load_state(state, commits, configured) == {commits[1]: first}
    assert load_state(state, commits, other) == {commits[1]: second}
