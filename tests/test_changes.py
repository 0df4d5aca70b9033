"""reviewer.changes: a change set narrowed to explicit paths, or without a directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_testing.changes import added
from reviewer.changes import ChangeSet, FileChange
from reviewer.git_changes import from_git, from_index


def test_only_keeps_explicit_paths(feature_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    changes = from_git(feature_repo.path, None)
    assert [f.path for f in changes.only(["b.py"]).files] == ["b.py"]
    monkeypatch.chdir(feature_repo.path)
    absolute = str(feature_repo.path / "a.py")
    assert [f.path for f in changes.only([absolute, "missing.py"]).files] == ["a.py"]
    assert changes.only([]).files == []
    assert isinstance(changes.files[0], FileChange)


def test_an_explicit_path_outside_the_tree_is_a_usage_problem_even_when_it_exists(feature_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n")
    monkeypatch.chdir(feature_repo.path)
    only = from_git(feature_repo.path, None).only([str(outside), "../elsewhere.py", "b.py"])
    assert [f.path for f in only.files] == ["b.py"]
    assert [(p.path, p.message, p.kind) for p in only.problems] == [
        (str(outside), f"outside the checked tree {feature_repo.path}, not checked", "usage"),
        ("../elsewhere.py", f"outside the checked tree {feature_repo.path}, not checked", "usage"),
    ]


def test_explicit_paths_that_name_nothing_are_usage_errors_and_the_rest_is_checked(git_repo, run_codex) -> None:
    repo = git_repo()
    repo.commit("base", {"old.py": "x = 1\n", "app.py": "import requests\n"})
    repo.write("app.py", "import requests\nrequests.get(url)\n")
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--format", "json", "missing.rs", "app.py", "gone/"], cwd=repo.path)
    assert result.code == 2
    report = result.json()
    assert [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]] == [("CX0003", "app.py", 2)]
    assert [(e["path"], e["kind"]) for e in report["errors"]] == [("missing.rs", "usage"), ("gone/", "usage")]


def test_a_staged_deletion_passed_by_pre_commit_is_a_note(git_repo, run_codex) -> None:
    repo = git_repo()
    repo.commit("base", {"old.py": "x = 1\n", "src/app.py": "import requests\n"})
    repo.git("rm", "--quiet", "old.py")
    repo.write("src/app.py", "import requests\nrequests.get(url, timeout=5)\n")
    repo.stage("src/app.py")
    result = run_codex(["check", "--staged", "--no-llm", "--no-history", "--format", "json", "old.py", "src"], cwd=repo.path)
    assert result.code == 0, result.out
    report = result.json()
    assert report["stats"]["files_checked"] == 1
    assert [(e["path"], e["message"], e["kind"]) for e in report["errors"]] == [("old.py", "deleted, nothing to check", "skipped")]


def test_explicit_paths_deleted_or_missing_are_said_exactly(git_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = git_repo()
    repo.commit("base", {"-old.py": "x\n", "gone.py": "g\n", "src/app.py": "a\n", "same.py": "s\n"})
    repo.git("rm", "--quiet", "--", "-old.py", "gone.py")
    repo.write("src/app.py", "a\nb\n")
    repo.stage()
    monkeypatch.chdir(tmp_path)  # paths relative to the root; the current directory is elsewhere
    changes = from_index(repo.path).only(["-old.py", "same.py", "missing.py", "gone.py", "src/", "src/app.py"])
    assert added(changes) == {"src/app.py": {2}}
    assert [(p.path, p.kind, p.message, p.hint) for p in changes.problems] == [
        ("-old.py", "skipped", "deleted, nothing to check", ""),
        (
            "missing.py",
            "usage",
            f"no such file under {repo.path}",
            "name files that exist in the checked tree (paths are relative to it or to the current directory)",
        ),
        ("gone.py", "skipped", "deleted, nothing to check", ""),
    ]


def test_a_directory_keeps_only_the_files_under_that_very_name() -> None:
    changes = ChangeSet(Path("/nonexistent/root"), [FileChange("lib/a.py", None), FileChange("lib2/b.py", None)])
    assert [f.path for f in changes.only(["lib"]).files] == ["lib/a.py"]
    near = changes.only(["libX", "lib ", "/nonexistent/elsewhere/lib", "lib2/"])
    assert [f.path for f in near.files] == ["lib2/b.py"]
    assert [p.path for p in near.problems] == ["libX", "lib ", "/nonexistent/elsewhere/lib"]


def test_excluding_a_directory_drops_the_files_under_that_very_name() -> None:
    changes = ChangeSet(Path("."), [FileChange(p, None) for p in ("rfcs/a.md", "rfcs2/b.py", "rfcsX/d.md", "src/c.py")])
    assert [f.path for f in changes.excluding("rfcs/").files] == ["rfcs2/b.py", "rfcsX/d.md", "src/c.py"]
    assert [f.path for f in changes.excluding("rfcsX").files] == ["rfcs/a.md", "rfcs2/b.py", "src/c.py"]


def test_a_path_outside_the_tree_says_which_tree_and_what_to_name(feature_repo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n")
    only = ChangeSet(feature_repo.path, [FileChange("b.py", None)]).only([str(outside), "b.py"])
    assert [f.path for f in only.files] == ["b.py"]
    assert [(p.path, p.kind, p.message, p.hint) for p in only.problems] == [
        (
            str(outside),
            "usage",
            f"outside the checked tree {feature_repo.path}, not checked",
            "name files inside the tree codex checks (--root, or the repository)",
        )
    ]


def test_outside_git_a_path_that_names_nothing_is_missing_not_deleted(tmp_path: Path) -> None:
    (tmp_path / "kept.py").write_text("x = 1\n")
    only = ChangeSet(tmp_path, [FileChange("kept.py", None)]).only(["missing.py", "kept.py"])
    assert [f.path for f in only.files] == ["kept.py"]
    assert [(p.path, p.kind, p.message) for p in only.problems] == [("missing.py", "usage", f"no such file under {tmp_path}")]
