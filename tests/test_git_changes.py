"""reviewer.git_changes: the working tree, the index, a commit range and every file of a git checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codex.problems import ProblemError
from codex_testing.changes import added
from reviewer.changes import BaseRevision
from reviewer.git_changes import commit_diff, from_git, from_index, whole_tree
from reviewer.unified_diff import from_patch


def test_default_is_merge_base_with_main(feature_repo) -> None:
    feature_repo.write("a.py", "1\nTWO\n3\nfour\n")  # uncommitted work counts too
    feature_repo.write("untracked.py", "u\n")
    changes = from_git(feature_repo.path, None)
    assert added(changes) == {"a.py": {2, 4}, "b.py": {1, 2}, "untracked.py": None}
    assert changes.mode == "diff" and changes.root == feature_repo.path and changes.problems == []
    fork = feature_repo.git("rev-parse", "main~1").strip()
    assert changes.base == BaseRevision(feature_repo.path, fork, f"the merge-base with main at {fork[:7]}")


def test_explicit_base(feature_repo) -> None:
    base = feature_repo.git("rev-parse", "feature~1").strip()
    feature_repo.git("checkout", "--quiet", "-b", "later")
    feature_repo.commit("later", {"d.py": "d\n"})
    assert added(from_git(feature_repo.path, "feature")) == {"d.py": {1}}
    feature = feature_repo.git("rev-parse", "feature").strip()
    assert from_git(feature_repo.path, "feature").base == BaseRevision(feature_repo.path, feature, f"feature at {feature[:7]}")
    assert set(added(from_git(feature_repo.path, base))) == {"a.py", "b.py", "d.py"}


def test_unknown_base_is_a_usage_problem(feature_repo) -> None:
    with pytest.raises(ProblemError) as caught:
        from_git(feature_repo.path, "no-such-branch")
    assert "no-such-branch" in str(caught.value)


def test_staged_only_index_against_head(feature_repo) -> None:
    feature_repo.write("a.py", "1\nTWO\n3\nstaged\n")
    feature_repo.stage("a.py")
    feature_repo.write("a.py", "1\nTWO\n3\nstaged\nnot staged\n")
    feature_repo.write("untracked.py", "u\n")
    assert added(from_index(feature_repo.path)) == {"a.py": {4}}


def test_unborn_head(git_repo) -> None:
    repo = git_repo()
    repo.write("first.py", "x\ny\n")
    repo.stage("first.py")
    repo.write("loose.py", "z\n")
    assert added(from_git(repo.path, None)) == {"first.py": {1, 2}, "loose.py": None}
    assert from_git(repo.path, None).base is None and from_index(repo.path).base is None  # no commit to read a base version from
    assert added(from_index(repo.path)) == {"first.py": {1, 2}}
    with pytest.raises(ProblemError) as caught:  # a --base that does not exist is said, even before the first commit
        from_git(repo.path, "main")
    assert "main" in str(caught.value)


def test_subdirectory_root_scopes_paths(feature_repo) -> None:
    feature_repo.commit("sub", {"sub/s.py": "s\n"})
    changes = from_git(feature_repo.path / "sub", None)
    assert added(changes) == {"s.py": {1}}
    assert changes.root == feature_repo.path / "sub"
    assert changes.base.repo == feature_repo.path  # base versions are read by repository path


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(ProblemError) as caught:
        from_git(tmp_path, None)
    assert "not inside a git repository" in str(caught.value)


def test_whole_tree_in_and_outside_git(feature_repo, tmp_path: Path) -> None:
    feature_repo.write(".gitignore", "ignored.py\n")
    feature_repo.write("ignored.py", "i\n")
    feature_repo.write("untracked.py", "u\n")
    (feature_repo.path / "c.py").unlink()  # deleted, not yet staged: nothing to audit
    tree = whole_tree(feature_repo.path)
    assert tree.mode == "all" and all(f.added is None for f in tree.files)
    assert {f.path for f in tree.files} == {".gitignore", "a.py", "b.py", "untracked.py"}
    plain = tmp_path / "plain"
    (plain / "pkg").mkdir(parents=True)
    (plain / "pkg" / "m.py").write_text("m\n")
    (plain / ".venv").mkdir()
    (plain / ".venv" / "v.py").write_text("v\n")
    assert [f.path for f in whole_tree(plain).files] == ["pkg/m.py"]


def test_whole_tree_from_a_subdirectory_is_scoped_to_it(feature_repo) -> None:
    feature_repo.commit("sub", {"sub/s.py": "s\n", "sub/deeper/t.py": "t\n"})
    tree = whole_tree(feature_repo.path / "sub")
    assert [f.path for f in tree.files] == ["deeper/t.py", "s.py"]
    assert tree.root == feature_repo.path / "sub"


def test_no_common_history_is_said_not_hidden(feature_repo) -> None:
    feature_repo.git("checkout", "--quiet", "--orphan", "lonely")
    feature_repo.commit("unrelated", {"z.py": "z\n"})
    feature_repo.write("z.py", "z\nnew\n")
    changes = from_git(feature_repo.path, None)
    assert added(changes) == {"z.py": {2}}
    head = feature_repo.head()
    assert [(p.kind, p.message, p.hint) for p in changes.problems] == [
        (
            "diff",
            "HEAD has no common history with main (a shallow clone?): only uncommitted changes were checked",
            "fetch the history (e.g. fetch-depth: 0) or pass --base REF",
        )
    ]
    assert changes.base == BaseRevision(feature_repo.path, head, f"HEAD at {head[:7]}")
    explicit = from_git(feature_repo.path, "HEAD")
    assert explicit.problems == []  # an explicit base is taken as given
    assert explicit.base == BaseRevision(feature_repo.path, head, f"HEAD at {head[:7]}")


def test_staged_content_is_read_from_the_index(feature_repo) -> None:
    feature_repo.write("a.py", "1\nTWO\n3\nstaged\n")
    feature_repo.stage("a.py")
    feature_repo.write("a.py", "unstaged\n1\nTWO\n3\nstaged\n")
    feature_repo.write("b.py", "b1\nb2\nb3\n")
    feature_repo.stage("b.py")
    changes = from_index(feature_repo.path)
    sources = {f.path: f.source for f in changes.files}
    assert sources["b.py"] is None  # the working tree holds the staged version
    assert sources["a.py"].read_text() == "1\nTWO\n3\nstaged\n"
    assert changes.only(["a.py"]).files[0].source == sources["a.py"]


def test_file_names_that_are_not_utf8(git_repo, run_codex) -> None:
    repo = git_repo()
    repo.commit("base", {"keep.py": "x = 1\n"})
    (repo.path / os.fsdecode(b"caf\xe9.py")).write_text("import yaml\nyaml.load(x)\n")
    (repo.path / os.fsdecode(b"logo\xe9.png")).write_bytes(b"\x89PNG\x00\x00")
    repo.stage()
    changes = from_index(repo.path)
    assert [os.fsencode(f.path) for f in changes.files] == [b"caf\xe9.py"]  # the name the file system has
    result = run_codex(["check", "--staged", "--format", "json", "--no-llm"], cwd=repo.path)
    assert result.code == 0, result.err
    assert sorted((e["path"], e["kind"]) for e in result.json()["errors"]) == [("caf\ufffd.py", "skipped"), ("logo\ufffd.png", "skipped")]


def test_staged_mode_compares_with_head_and_names_it(feature_repo) -> None:
    feature_repo.write("a.py", "1\nTWO\n3\nstaged\n")
    feature_repo.stage("a.py")
    head = feature_repo.head()
    changes = from_index(feature_repo.path)
    assert changes.base == BaseRevision(feature_repo.path, head, f"HEAD at {head[:7]}")
    assert (changes.mode, changes.root, changes.problems) == ("diff", feature_repo.path, [])


def test_staged_versions_of_several_files_and_a_dash_name_are_read_from_the_index(feature_repo) -> None:
    staged = {"-dash.py": "d\nstaged\n", "a.py": "1\nTWO\n3\nstaged\n", "b.py": "b1\nb2\nstaged\n"}
    feature_repo.write_files(staged)
    feature_repo.stage()
    feature_repo.write_files({name: text + "not staged\n" for name, text in staged.items()})
    changes = from_index(feature_repo.path)
    assert {f.path: f.source.read_text() for f in changes.files} == staged
    assert {f.source.parent.name.startswith("codex-staged-") for f in changes.files} == {True}


def test_an_unknown_base_says_what_to_give(feature_repo) -> None:
    for base in ("no-such-branch", "--all"):  # an option-like name is a revision that does not exist, not an option
        with pytest.raises(ProblemError) as caught:
            from_git(feature_repo.path, base)
        assert [(p.kind, p.message, p.hint) for p in caught.value.problems] == [
            ("usage", f"unknown revision {base!r}", "give a branch, tag or commit that exists here (fetch it in a shallow clone)")
        ]


def test_whole_tree_outside_git_walks_every_directory_but_hidden_and_tool_ones(tmp_path: Path) -> None:
    for rel in ("top.py", "pkg/m.py", "pkg/sub/n.py", ".hidden/h.py", "node_modules/x.js", "pkg/__pycache__/m.pyc"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    assert [f.path for f in whole_tree(tmp_path).files] == ["top.py", "pkg/m.py", "pkg/sub/n.py"]


def test_whole_tree_outside_git_lists_each_directorys_files_before_its_subdirectories_and_no_linked_directory(tmp_path: Path) -> None:
    for rel in ("b/z.py", "b/a/y.py", "b/a/deep/x.py", "a.py", "c/w.py", "HEAD"):  # a file named HEAD: still no repository
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    (tmp_path / "b" / "linked").symlink_to(tmp_path / "c", target_is_directory=True)  # neither walked nor listed
    (tmp_path / "b" / "link.py").symlink_to(tmp_path / "a.py")
    (tmp_path / "b" / "dangling.py").symlink_to(tmp_path / "gone.py")
    assert [f.path for f in whole_tree(tmp_path).files] == ["HEAD", "a.py", "b/dangling.py", "b/link.py", "b/z.py", "b/a/y.py", "b/a/deep/x.py", "c/w.py"]
    assert [f.path for f in whole_tree(tmp_path / "b" / "a").files] == ["y.py", "deep/x.py"]


def test_whole_tree_in_git_lists_untracked_files_then_tracked_ones_as_ls_files_does(feature_repo) -> None:
    feature_repo.write_files({"new/u.py": "u\n", "0.py": "0\n"})
    (feature_repo.path / "b.py").unlink()
    assert [f.path for f in whole_tree(feature_repo.path).files] == ["0.py", "new/u.py", "a.py", "c.py"]


def test_git_modes_ignore_the_users_diff_settings(feature_repo) -> None:
    """Colour, prefixes, rename detection off and an external diff tool in the user's config change nothing."""
    for key, value in (
        ("color.ui", "always"),
        ("color.diff", "always"),
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.renames", "false"),
        ("diff.external", "false"),
    ):
        feature_repo.git("config", key, value)
    feature_repo.git("mv", "b.py", "moved.py")
    feature_repo.write("moved.py", "b1\nb2\nb3\n")
    feature_repo.stage()
    assert added(from_index(feature_repo.path)) == {"moved.py": {3}}
    assert added(from_git(feature_repo.path, None)) == {"a.py": {2}, "moved.py": {1, 2, 3}}


def test_commit_diff_is_the_change_from_one_commit_to_another(feature_repo) -> None:
    diff = commit_diff(feature_repo.path, "main", "feature")
    assert added(from_patch(diff, feature_repo.path, "p")) == {"a.py": {2}, "b.py": {1, 2}, "c.py": set()}  # c.py: a line removed
    assert added(from_patch(commit_diff(feature_repo.path, "feature", "main"), feature_repo.path, "p")) == {"a.py": {2}, "c.py": {2}}
    with pytest.raises(ProblemError) as caught:
        commit_diff(feature_repo.path, "main", "no-such-head")
    assert [p.message for p in caught.value.problems] == ["unknown revision 'no-such-head'"]


def test_no_working_tree_to_compare_is_said_exactly(tmp_path: Path, git_repo) -> None:
    with pytest.raises(ProblemError) as caught:
        from_index(tmp_path)
    assert [(p.path, p.kind, p.message, p.hint) for p in caught.value.problems] == [
        (str(tmp_path), "usage", "not inside a git repository", "run in a git checkout, or use --all or --diff FILE --root DIR")
    ]
    origin = git_repo("origin")
    origin.commit("base", {"a.py": "a\n"})
    bare = tmp_path / "bare.git"
    origin.git("clone", "--quiet", "--bare", str(origin.path), str(bare))
    for read in (from_index, lambda root: from_git(root, None), whole_tree):
        with pytest.raises(ProblemError) as caught:
            read(bare)
        assert [(p.path, p.kind, p.message, p.hint) for p in caught.value.problems] == [
            (
                str(bare),
                "usage",
                "a bare repository: no working tree to check",
                "run in a checkout (git clone or git worktree add), or use --diff FILE --root DIR",
            )
        ]


def test_untracked_files_are_whole_files_and_ignored_ones_are_left_out(feature_repo) -> None:
    feature_repo.write_files({".gitignore": "build/\n*.log\n", "build/out.py": "x\n", "debug.log": "l\n", "new one.py": "n\n", "zz.py": "z\n"})
    assert added(from_git(feature_repo.path, None)) == {"a.py": {2}, "b.py": {1, 2}, ".gitignore": None, "new one.py": None, "zz.py": None}
