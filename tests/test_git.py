"""codex.git: what a change is compared with (CI's variables, the configuration, origin/HEAD, main, master) or a plain error."""

from __future__ import annotations

import pytest

from codex.config import CodexConfig
from codex.git import default_base, default_branch_ref
from codex.problems import ProblemError
from codex_testing.changes import added
from reviewer.git_changes import from_git


def test_configured_default_branch(feature_repo) -> None:
    feature_repo.git("branch", "trunk", "feature")
    assert added(from_git(feature_repo.path, None, CodexConfig(default_branch="trunk"))) == {}


def test_origin_head_names_the_default_branch(feature_repo) -> None:
    """origin/HEAD wins over a local main: here it points at a remote trunk that already holds the feature."""
    feature_repo.git("update-ref", "refs/remotes/origin/trunk", "feature")
    feature_repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    assert added(from_git(feature_repo.path, None)) == {}


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
        "usage",
        "no base to compare the change with: no origin/HEAD, main or master here (a trunk-based repository, or a single-branch clone)",
        "pass --base REF, set [tool.codex] default_branch in pyproject.toml, or fetch the default branch; `codex check --all` checks every file",
    )
    result = run_codex(["check", "--no-llm", "--no-history"], cwd=trunk_repo.path)
    assert result.code == 2 and "no base to compare the change with" in result.err


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GITHUB_BASE_REF", "release"),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "release"),
        ("CI_DEFAULT_BRANCH", "release"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "trunk"),
    ],
)
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
        "fetch it (actions/checkout with fetch-depth: 0; GitLab GIT_DEPTH: 0), or pass --base REF"
    ]


def test_a_configured_default_branch_that_does_not_exist_is_an_error(trunk_repo, run_codex) -> None:
    assert added(from_git(trunk_repo.path, None, CodexConfig(default_branch="release"))) == {"b.py": {1}}  # origin/release
    with pytest.raises(ProblemError) as caught:
        from_git(trunk_repo.path, None, CodexConfig(default_branch="mian"))
    assert [(p.kind, p.message) for p in caught.value.problems] == [("config", "[tool.codex] default_branch 'mian' does not exist here")]
    trunk_repo.write("pyproject.toml", '[tool.codex]\ndefault_branch = "mian"\n')
    result = run_codex(["check", "--no-llm", "--no-history"], cwd=trunk_repo.path)
    assert result.code == 2 and "default_branch 'mian' does not exist here" in result.err
    assert run_codex(["check", "--no-llm", "--no-history", "--base", "trunk"], cwd=trunk_repo.path).code == 0  # --base wins


def test_an_option_like_default_branch_is_a_branch_that_does_not_exist(trunk_repo) -> None:
    with pytest.raises(ProblemError) as caught:
        from_git(trunk_repo.path, None, CodexConfig(default_branch="--all"))
    assert [(p.path, p.kind, p.message, p.hint) for p in caught.value.problems] == [
        (
            "pyproject.toml",
            "config",
            "[tool.codex] default_branch '--all' does not exist here",
            "name a branch this clone has, or fetch it; --base REF overrides it",
        )
    ]


def test_the_environment_given_names_the_merge_request_target(trunk_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    import git

    monkeypatch.setenv("GITHUB_BASE_REF", "elsewhere")  # the process's own environment is not read when one is given
    repo = git.Repo(trunk_repo.path)
    assert default_branch_ref(repo, CodexConfig(), env={"GITHUB_BASE_REF": "release"}) == "origin/release"
    with pytest.raises(ProblemError) as caught:
        default_branch_ref(repo, CodexConfig(), env={"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "-x"})
    assert [(p.kind, p.message, p.hint) for p in caught.value.problems] == [
        (
            "usage",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=-x: the merge request's target origin/-x / -x is not in this clone",
            "fetch it (actions/checkout with fetch-depth: 0; GitLab GIT_DEPTH: 0), or pass --base REF",
        )
    ]


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        (["refs/remotes/origin/HEAD=refs/remotes/origin/release", "refs/remotes/origin/main", "refs/heads/main"], "origin/release"),
        (["refs/heads/main", "refs/remotes/origin/main", "refs/heads/master"], "origin/main"),
        (["refs/heads/main", "refs/remotes/origin/master"], "origin/master"),
        (["refs/heads/master", "refs/heads/main"], "main"),
        (["refs/heads/master"], "master"),
        (["refs/heads/release", "CI_DEFAULT_BRANCH=release"], "origin/release"),  # origin/release is there from the start
        (["CI_DEFAULT_BRANCH=topic"], "topic"),
        (["refs/heads/master", "CI_DEFAULT_BRANCH=release"], "master"),  # CI's default branch comes after the usual names
    ],
)
def test_the_default_base_is_the_first_of_origin_head_main_master_ci_default(
    trunk_repo, monkeypatch: pytest.MonkeyPatch, refs: list[str], expected: str
) -> None:
    import git

    for ref in refs:
        if ref.startswith("CI_DEFAULT_BRANCH="):
            monkeypatch.setenv("CI_DEFAULT_BRANCH", ref.partition("=")[2])
        elif "=" in ref:
            trunk_repo.git("symbolic-ref", *ref.split("="))
        else:
            trunk_repo.git("update-ref", ref, "trunk")
    assert default_branch_ref(git.Repo(trunk_repo.path), CodexConfig()) == expected


def test_default_base_is_the_merge_base_or_head_without_shared_history(feature_repo) -> None:
    import git

    repo = git.Repo(feature_repo.path)
    assert default_base(repo, CodexConfig()) == feature_repo.git("rev-parse", "main~1").strip()
    assert default_base(repo, CodexConfig(default_branch="feature")) == feature_repo.head()
    feature_repo.git("checkout", "--quiet", "--orphan", "lonely")
    feature_repo.commit("unrelated", {"z.py": "z\n"})
    assert default_base(repo, CodexConfig()) == "HEAD"
