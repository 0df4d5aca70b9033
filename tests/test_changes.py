"""reviewer.changes: unified diffs and git turned into changed files and lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from codex.config import CodexConfig
from codex.git import default_base, default_branch_ref
from codex.problems import ProblemError
from reviewer.changes import BaseRevision, ChangeSet, FileChange, commit_diff, from_git, from_index, from_patch, printable, unquote, whole_tree


def added(changes: ChangeSet) -> dict[str, set[int] | None]:
    return {f.path: (set(f.added) if f.added is not None else None) for f in changes.files}


@pytest.fixture(scope="module")
def mixed_patch(git_repo_factory) -> str:
    """A real `git diff --cached` with every kind of file change, from git's default settings."""
    repo = git_repo_factory("mixed")
    repo.commit("base", {
        "keep.py": "a\nb\nc\n",
        "old.py": "x\ny\n",
        "ren.py": "one\ntwo\nthree\nfour\nfive\nsix\n",
        "nonl.py": "z",
        "blob.bin": b"\x00\x01binary",
        "run.sh": "echo hi\n",
    })
    repo.git("mv", "ren.py", "renamed.py")
    repo.write_files({
        "renamed.py": "one\ntwo\nTHREE\nfour\nfive\nsix\n",
        "new.py": "n1\nn2\n",
        "crlf.py": "r1\r\nr2\r\n",
        "nonl.py": "z\nw",
        "blob.bin": b"\x00\x02binary",
        "\u00e4.py": "q\n",
        "keep.py": "a\nB\nc\n",
    })
    repo.git("rm", "--quiet", "old.py")
    (repo.path / "run.sh").chmod(0o755)
    repo.stage()
    return repo.diff("--cached", "-M")


def test_patch_kinds_of_change(mixed_patch: str) -> None:
    changes = from_patch(mixed_patch, Path("."), "change.patch")
    assert added(changes) == {
        "keep.py": {2},
        "renamed.py": {3},  # a rename is reported under its new name, only the changed line
        "new.py": {1, 2},
        "crlf.py": {1, 2},
        "nonl.py": {1, 2},  # "\ No newline at end of file" on both sides
        "\u00e4.py": {1},  # git quotes the non-ASCII path: "b/\303\244.py"
    }
    assert [(p.path, p.kind) for p in changes.problems] == [("blob.bin", "skipped")]
    assert '"b/\\303\\244.py"' in mixed_patch  # the quoted form really was exercised


def test_deleted_and_mode_only_files_are_not_checked(mixed_patch: str) -> None:
    assert "deleted file mode" in mixed_patch and "new mode 100755" in mixed_patch
    paths = {f.path for f in from_patch(mixed_patch, Path("."), "p").files}
    assert "old.py" not in paths and "run.sh" not in paths


def test_patch_saved_with_crlf_line_ends(mixed_patch: str) -> None:
    windows = mixed_patch.replace("\r\n", "\n").replace("\n", "\r\n")
    assert added(from_patch(windows, Path("."), "p")) == added(from_patch(mixed_patch, Path("."), "p"))


def _first_hunk(patch: str, path: str) -> str:
    start = patch.index(f"diff --git a/{path} ")
    return patch[patch.index("@@", start): patch.index("\n", patch.index("@@", start))]


@pytest.mark.parametrize("broken", ["@@ -1,3 +1,9 @@", "@@ garbage @@"])
def test_corrupt_hunk_is_reported_and_other_files_kept(mixed_patch: str, broken: str) -> None:
    header = _first_hunk(mixed_patch, "keep.py")
    corrupt = mixed_patch.replace(header, broken, 1)
    changes = from_patch(corrupt, Path("."), "change.patch")
    assert "keep.py" not in added(changes)
    assert {"renamed.py", "new.py", "crlf.py", "nonl.py", "\u00e4.py"} <= set(added(changes))
    diff_problems = [p for p in changes.problems if p.kind == "diff"]
    assert len(diff_problems) == 1
    problem = diff_problems[0]
    assert problem.path == "change.patch"
    assert corrupt.splitlines()[problem.line - 1].startswith("diff --git a/keep.py")
    assert str(problem).startswith(f"change.patch:{problem.line}: ")


def test_plain_diff_without_git_headers() -> None:
    text = "--- a/src/x.py\n+++ b/src/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\n"
    assert added(from_patch(text, Path("."), "p")) == {"src/x.py": {2}}


def test_plain_diff_before_the_first_git_header_is_kept() -> None:
    text = ("--- a/src/x.py\n+++ b/src/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\n"
            "diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n")
    changes = from_patch(text, Path("."), "p")
    assert added(changes) == {"src/x.py": {2}, "y.py": {2}}
    assert changes.problems == []


@pytest.mark.parametrize("text", ["hello\n", "diff --git", "--- a\n+++ b\n@@ -1 +1 @@\n", "\x00\xff",
                                  "\ufffd\ufffdd\x00i\x00f\x00f\x00"])  # the last: UTF-16 read as UTF-8
def test_junk_is_a_problem_not_a_crash(text: str) -> None:
    changes = from_patch(text, Path("."), "junk.patch")
    assert changes.files == []
    assert [(p.path, p.kind) for p in changes.problems] == [("junk.patch", "diff")]


def test_empty_diff_and_bom(mixed_patch: str) -> None:
    assert from_patch("", Path("."), "p").problems == []
    with_bom = from_patch("\ufeff" + mixed_patch, Path("."), "p")
    assert added(with_bom) == added(from_patch(mixed_patch, Path("."), "p"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([
    "diff --git a/x.py b/x.py\n", "--- a/x.py\n", "+++ b/x.py\n", '+++ "b/\\x"\n', "--- /dev/null\n",
    "@@ -1,2 +1,3 @@\n", "@@ -0,0 +1 @@\n", " ctx\n", "+add\n", "-del\n", "\\ No newline at end of file\n",
    "Binary files a/x and b/x differ\n", "rename from a\n", "rename to b\n", "new file mode 100644\n", "\n",
]) | st.text(max_size=40).map(lambda s: s + "\n"), max_size=30))
def test_from_patch_never_raises_on_arbitrary_text(lines: list[str]) -> None:
    changes = from_patch("".join(lines), Path("."), "fuzz.patch")
    for change in changes.files:
        assert change.added and min(change.added) >= 1


def test_unquote() -> None:
    assert unquote('"b/\\303\\244 x.py"') == "b/\u00e4 x.py"
    assert unquote('"tab\\there"') == "tab\there"
    assert unquote("plain.py") == "plain.py"
    assert unquote('"bad\\x"') == "bad\\x"
    assert unquote('""') == ""
    assert unquote('"caf\\351.py"') == "caf\udce9.py"  # not UTF-8: the byte kept as the file system has it


# --- git modes ---------------------------------------------------------------------------------


@pytest.fixture
def feature_repo(git_repo):
    """main has a.py; branch feature changed line 2 of a.py and committed b.py; main moved on after."""
    repo = git_repo()
    repo.commit("base", {"a.py": "1\n2\n3\n", "c.py": "c\n"})
    repo.branch("feature")
    repo.commit("feature work", {"a.py": "1\nTWO\n3\n", "b.py": "b1\nb2\n"})
    repo.checkout("main")
    repo.commit("main moves on", {"c.py": "c\nmain-only\n"})
    repo.checkout("feature")
    return repo


def test_default_is_merge_base_with_main(feature_repo) -> None:
    feature_repo.write("a.py", "1\nTWO\n3\nfour\n")  # uncommitted work counts too
    feature_repo.write("untracked.py", "u\n")
    changes = from_git(feature_repo.path, None)
    assert added(changes) == {"a.py": {2, 4}, "b.py": {1, 2}, "untracked.py": None}
    assert changes.mode == "diff" and changes.root == feature_repo.path and changes.problems == []
    fork = feature_repo.git("rev-parse", "main~1").strip()
    assert changes.base == BaseRevision(feature_repo.path, fork, f"the merge-base with main at {fork[:7]}")


def test_configured_default_branch(feature_repo) -> None:
    feature_repo.git("branch", "trunk", "feature")
    assert added(from_git(feature_repo.path, None, CodexConfig(default_branch="trunk"))) == {}


def test_origin_head_names_the_default_branch(feature_repo) -> None:
    """origin/HEAD wins over a local main: here it points at a remote trunk that already holds the feature."""
    feature_repo.git("update-ref", "refs/remotes/origin/trunk", "feature")
    feature_repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    assert added(from_git(feature_repo.path, None)) == {}


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


def test_only_keeps_explicit_paths(feature_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    changes = from_git(feature_repo.path, None)
    assert [f.path for f in changes.only(["b.py"]).files] == ["b.py"]
    monkeypatch.chdir(feature_repo.path)
    absolute = str(feature_repo.path / "a.py")
    assert [f.path for f in changes.only([absolute, "missing.py"]).files] == ["a.py"]
    assert changes.only([]).files == []
    assert isinstance(changes.files[0], FileChange)


def test_an_explicit_path_outside_the_tree_is_a_usage_problem_even_when_it_exists(feature_repo, tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n")
    monkeypatch.chdir(feature_repo.path)
    only = from_git(feature_repo.path, None).only([str(outside), "../elsewhere.py", "b.py"])
    assert [f.path for f in only.files] == ["b.py"]
    assert [(p.path, p.message, p.kind) for p in only.problems] == [
        (str(outside), f"outside the checked tree {feature_repo.path}, not checked", "usage"),
        ("../elsewhere.py", f"outside the checked tree {feature_repo.path}, not checked", "usage")]


def test_no_common_history_is_said_not_hidden(feature_repo) -> None:
    feature_repo.git("checkout", "--quiet", "--orphan", "lonely")
    feature_repo.commit("unrelated", {"z.py": "z\n"})
    feature_repo.write("z.py", "z\nnew\n")
    changes = from_git(feature_repo.path, None)
    assert added(changes) == {"z.py": {2}}
    head = feature_repo.head()
    assert [(p.kind, p.message, p.hint) for p in changes.problems] == [
        ("diff", "HEAD has no common history with main (a shallow clone?): only uncommitted changes were checked",
         "fetch the history (e.g. fetch-depth: 0) or pass --base REF")]
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
    assert sorted((e["path"], e["kind"]) for e in result.json()["errors"]) == [
        ("caf\ufffd.py", "skipped"), ("logo\ufffd.png", "skipped")]


# --- the base: CI's variables, config, or a plain error -----------------------------------------


@pytest.fixture
def trunk_repo(git_repo):
    """A trunk-based repository: no main, master nor origin/HEAD; a commit on a side branch changes b.py."""
    repo = git_repo(branch="trunk")
    repo.commit("base", {"a.py": "a\n"})
    repo.git("update-ref", "refs/remotes/origin/release", repo.head())
    repo.branch("topic")
    repo.commit("topic", {"b.py": "b\n"})
    return repo


def test_no_base_to_compare_with_is_a_usage_error_saying_what_to_set(trunk_repo, run_codex) -> None:
    with pytest.raises(ProblemError) as caught:
        from_git(trunk_repo.path, None)
    [problem] = caught.value.problems
    assert (problem.kind, problem.message, problem.hint) == (
        "usage", "no base to compare the change with: no origin/HEAD, main or master here (a trunk-based repository, "
                 "or a single-branch clone)",
        "pass --base REF, set [tool.codex] default_branch in pyproject.toml, or fetch the default branch; `codex check --all` checks every file")
    result = run_codex(["check", "--no-llm", "--no-history"], cwd=trunk_repo.path)
    assert result.code == 2 and "no base to compare the change with" in result.err


@pytest.mark.parametrize(("variable", "value"), [
    ("GITHUB_BASE_REF", "release"), ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "release"), ("CI_DEFAULT_BRANCH", "release"),
    ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "trunk")])
def test_the_base_is_the_merge_request_target_ci_names(trunk_repo, monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, trunk_repo.git("rev-parse", value).strip() if variable.endswith("SHA") else value)
    assert added(from_git(trunk_repo.path, None)) == {"b.py": {1}}


def test_a_merge_request_target_missing_from_the_clone_is_said(trunk_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_DEFAULT_BRANCH", "release")  # would do, but the merge request's own target comes first
    monkeypatch.setenv("GITHUB_BASE_REF", "develop")
    with pytest.raises(ProblemError) as caught:
        from_git(trunk_repo.path, None)
    assert [str(p) for p in caught.value.problems] == [
        "codex: GITHUB_BASE_REF=develop: the merge request's target origin/develop / develop is not in this clone — "
        "fetch it (actions/checkout with fetch-depth: 0; GitLab GIT_DEPTH: 0), or pass --base REF"]


def test_a_configured_default_branch_that_does_not_exist_is_an_error(trunk_repo, run_codex) -> None:
    assert added(from_git(trunk_repo.path, None, CodexConfig(default_branch="release"))) == {"b.py": {1}}  # origin/release
    with pytest.raises(ProblemError) as caught:
        from_git(trunk_repo.path, None, CodexConfig(default_branch="mian"))
    assert [(p.kind, p.message) for p in caught.value.problems] == [("config", "[tool.codex] default_branch 'mian' does not exist here")]
    trunk_repo.write("pyproject.toml", '[tool.codex]\ndefault_branch = "mian"\n')
    result = run_codex(["check", "--no-llm", "--no-history"], cwd=trunk_repo.path)
    assert result.code == 2 and "default_branch 'mian' does not exist here" in result.err
    assert run_codex(["check", "--no-llm", "--no-history", "--base", "trunk"], cwd=trunk_repo.path).code == 0  # --base wins


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


# --- what each mode reports, exactly -----------------------------------------------------------


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
            ("usage", f"unknown revision {base!r}", "give a branch, tag or commit that exists here (fetch it in a shallow clone)")]


def test_an_option_like_default_branch_is_a_branch_that_does_not_exist(trunk_repo) -> None:
    with pytest.raises(ProblemError) as caught:
        from_git(trunk_repo.path, None, CodexConfig(default_branch="--all"))
    assert [(p.path, p.kind, p.message, p.hint) for p in caught.value.problems] == [
        ("pyproject.toml", "config", "[tool.codex] default_branch '--all' does not exist here",
         "name a branch this clone has, or fetch it; --base REF overrides it")]


def test_the_environment_given_names_the_merge_request_target(trunk_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    import git

    monkeypatch.setenv("GITHUB_BASE_REF", "elsewhere")  # the process's own environment is not read when one is given
    repo = git.Repo(trunk_repo.path)
    assert default_branch_ref(repo, CodexConfig(), env={"GITHUB_BASE_REF": "release"}) == "origin/release"
    with pytest.raises(ProblemError) as caught:
        default_branch_ref(repo, CodexConfig(), env={"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "-x"})
    assert [(p.kind, p.message, p.hint) for p in caught.value.problems] == [
        ("usage", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=-x: the merge request's target origin/-x / -x is not in this clone",
         "fetch it (actions/checkout with fetch-depth: 0; GitLab GIT_DEPTH: 0), or pass --base REF")]


@pytest.mark.parametrize(("refs", "expected"), [
    (["refs/remotes/origin/HEAD=refs/remotes/origin/release", "refs/remotes/origin/main", "refs/heads/main"], "origin/release"),
    (["refs/heads/main", "refs/remotes/origin/main", "refs/heads/master"], "origin/main"),
    (["refs/heads/main", "refs/remotes/origin/master"], "origin/master"),
    (["refs/heads/master", "refs/heads/main"], "main"),
    (["refs/heads/master"], "master"),
    (["refs/heads/release", "CI_DEFAULT_BRANCH=release"], "origin/release"),  # origin/release is there from the start
    (["CI_DEFAULT_BRANCH=topic"], "topic"),
    (["refs/heads/master", "CI_DEFAULT_BRANCH=release"], "master"),  # CI's default branch comes after the usual names
])
def test_the_default_base_is_the_first_of_origin_head_main_master_ci_default(trunk_repo, monkeypatch: pytest.MonkeyPatch,
                                                                             refs: list[str], expected: str) -> None:
    import git

    for ref in refs:
        if ref.startswith("CI_DEFAULT_BRANCH="):
            monkeypatch.setenv("CI_DEFAULT_BRANCH", ref.partition("=")[2])
        elif "=" in ref:
            trunk_repo.git("symbolic-ref", *ref.split("="))
        else:
            trunk_repo.git("update-ref", ref, "trunk")
    assert default_branch_ref(git.Repo(trunk_repo.path), CodexConfig()) == expected


def test_whole_tree_outside_git_walks_every_directory_but_hidden_and_tool_ones(tmp_path: Path) -> None:
    for rel in ("top.py", "pkg/m.py", "pkg/sub/n.py", ".hidden/h.py", "node_modules/x.js", "pkg/__pycache__/m.pyc"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    assert [f.path for f in whole_tree(tmp_path).files] == ["top.py", "pkg/m.py", "pkg/sub/n.py"]


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
        ("missing.py", "usage", f"no such file under {repo.path}",
         "name files that exist in the checked tree (paths are relative to it or to the current directory)"),
        ("gone.py", "skipped", "deleted, nothing to check", "")]


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


def test_git_modes_ignore_the_users_diff_settings(feature_repo) -> None:
    """Colour, prefixes, rename detection off and an external diff tool in the user's config change nothing."""
    for key, value in (("color.ui", "always"), ("color.diff", "always"), ("diff.noprefix", "true"), ("diff.mnemonicPrefix", "true"),
                       ("diff.renames", "false"), ("diff.external", "false")):
        feature_repo.git("config", key, value)
    feature_repo.git("mv", "b.py", "moved.py")
    feature_repo.write("moved.py", "b1\nb2\nb3\n")
    feature_repo.stage()
    assert added(from_index(feature_repo.path)) == {"moved.py": {3}}
    assert added(from_git(feature_repo.path, None)) == {"a.py": {2}, "moved.py": {1, 2, 3}}


_HINT = "give a unified diff as `git diff` writes it; the other files are still checked"


@pytest.mark.parametrize(("text", "files", "problems"), [
    ("--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n",
     {"y.py": {2}}, []),  # a deleted file first: the next file is still read
    ("--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\n--- a/b.bin\n+++ b/b.bin\n"
     "Binary files a/b.bin and b/b.bin differ\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n",
     {"x.py": {2}, "y.py": {2}}, [("b.bin", None, "skipped", "binary file, not checked", "")]),
    ("\ufeffdiff --git a/b.bin b/b.bin\nindex 1..2 100644\nBinary files a/b.bin and b/b.bin differ\n"
     "diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n",
     {"y.py": {2}}, [("b.bin", None, "skipped", "binary file, not checked", "")]),
    ("\n--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\ndiff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n"
     "@@ -1 +1,9 @@\n y\n+z\n",
     {"x.py": {2}}, [("p", 8, "diff", "cannot parse this part of the diff: Hunk is shorter than expected", _HINT)]),
    ("--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,9 @@\n one\n+two\n three\ndiff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n"
     "@@ -1 +1,2 @@\n y\n+z\n",
     {"y.py": {2}}, [("p", 1, "diff", "cannot parse this part of the diff: Hunk is shorter than expected", _HINT)]),
    ("\ndiff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ garbage @@\n y\n+z\n",
     {}, [("p", 2, "diff", "1 hunk header(s) in this part of the diff are not valid", _HINT)]),
    ("--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\ndiff --git a/q b/q\n",
     {"x.py": {2}}, []),  # a last part without files: the diff as a whole still had some
    ("hello\n", {}, [("p", 1, "diff", "no file changes found in this diff", "give a unified diff as `git diff` writes it (UTF-8, not UTF-16)")]),
])
def test_each_part_of_a_diff_is_read_or_said_exactly(text: str, files: dict[str, set[int]], problems: list[tuple]) -> None:
    changes = from_patch(text, Path("/checked"), "p")
    assert added(changes) == files
    assert [(p.path, p.line, p.kind, p.message, p.hint) for p in changes.problems] == problems
    assert changes.root == Path("/checked")


def test_each_file_keeps_its_part_of_the_diff() -> None:
    x = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\n"
    y = "diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n"
    assert [str(f.patch) for f in from_patch(x + y, Path("."), "p").files] == [x, y.replace("@@ -1 +1,2 @@", "@@ -1,1 +1,2 @@")]


def test_commit_diff_is_the_change_from_one_commit_to_another(feature_repo) -> None:
    diff = commit_diff(feature_repo.path, "main", "feature")
    assert added(from_patch(diff, feature_repo.path, "p")) == {"a.py": {2}, "b.py": {1, 2}, "c.py": set()}  # c.py: a line removed
    assert added(from_patch(commit_diff(feature_repo.path, "feature", "main"), feature_repo.path, "p")) == {"a.py": {2}, "c.py": {2}}
    with pytest.raises(ProblemError) as caught:
        commit_diff(feature_repo.path, "main", "no-such-head")
    assert [p.message for p in caught.value.problems] == ["unknown revision 'no-such-head'"]


def test_default_base_is_the_merge_base_or_head_without_shared_history(feature_repo) -> None:
    import git

    repo = git.Repo(feature_repo.path)
    assert default_base(repo, CodexConfig()) == feature_repo.git("rev-parse", "main~1").strip()
    assert default_base(repo, CodexConfig(default_branch="feature")) == feature_repo.head()
    feature_repo.git("checkout", "--quiet", "--orphan", "lonely")
    feature_repo.commit("unrelated", {"z.py": "z\n"})
    assert default_base(repo, CodexConfig()) == "HEAD"


def test_no_working_tree_to_compare_is_said_exactly(tmp_path: Path, git_repo) -> None:
    with pytest.raises(ProblemError) as caught:
        from_index(tmp_path)
    assert [(p.path, p.kind, p.message, p.hint) for p in caught.value.problems] == [
        (str(tmp_path), "usage", "not inside a git repository", "run in a git checkout, or use --all or --diff FILE --root DIR")]
    origin = git_repo("origin")
    origin.commit("base", {"a.py": "a\n"})
    bare = tmp_path / "bare.git"
    origin.git("clone", "--quiet", "--bare", str(origin.path), str(bare))
    for read in (from_index, lambda root: from_git(root, None), whole_tree):
        with pytest.raises(ProblemError) as caught:
            read(bare)
        assert [(p.path, p.kind, p.message, p.hint) for p in caught.value.problems] == [
            (str(bare), "usage", "a bare repository: no working tree to check",
             "run in a checkout (git clone or git worktree add), or use --diff FILE --root DIR")]


def test_printable_names_show_undecodable_bytes_as_replacement_characters() -> None:
    assert printable(os.fsdecode(b"caf\xe9.py")) == "caf\ufffd.py"
    assert printable("\u00e4.py") == "\u00e4.py"
