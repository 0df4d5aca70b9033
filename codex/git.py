"""git access (gitpython): the repository and its working tree, diffs and commits, and what a change is compared with
(the base branch CI or the configuration names, and its merge-base with HEAD)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from codex.problems import Problem, ProblemError

if TYPE_CHECKING:  # gitpython runs `git version` twice on import: loaded only where git is used
    import git

    from codex.config import CodexConfig

# A merge request's target as CI names it: (variable, the refs it may be fetched as), most specific first.
_CI_TARGETS = (
    ("GITHUB_BASE_REF", ("origin/{}", "{}")),
    ("CI_MERGE_REQUEST_DIFF_BASE_SHA", ("{}",)),
    ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", ("origin/{}", "{}")),
)
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree: the base of an unborn branch
_FETCH_HINT = "fetch it (actions/checkout with fetch-depth: 0; GitLab GIT_DEPTH: 0), or pass --base REF"


def repository(root: Path) -> git.Repo:
    """The repository at or above ``root``; outside one, a usage problem."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ProblemError(
            Problem(path=str(root), message="not inside a git repository", hint="run in a git checkout, or use --all or --diff FILE --root DIR", kind="usage")
        ) from None


def work_tree(repo: git.Repo) -> Path:
    """The repository's working tree; a bare repository has none to check."""
    if repo.working_tree_dir is None:
        raise ProblemError(
            Problem(
                path=str(repo.git_dir),
                message="a bare repository: no working tree to check",
                hint="run in a checkout (git clone or git worktree add), or use --diff FILE --root DIR",
                kind="usage",
            )
        )
    return Path(repo.working_tree_dir)


def diff_text(repo: git.Repo, *args: str) -> str:
    """``git diff`` of ``args`` as a unified diff with a/ and b/ prefixes, renames found, file names unquoted."""
    raw = repo.git(c="core.quotePath=false").diff("--no-color", "--no-ext-diff", "-M", "--src-prefix=a/", "--dst-prefix=b/", *args, stdout_as_string=False)
    return raw.decode("utf-8", "surrogateescape") + "\n"  # file names as the file system has them


def resolve_commit(repo: git.Repo, ref: str) -> str:
    """The commit id ``ref`` names; an unknown one is a usage problem."""
    import git

    try:
        return repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
    except git.GitCommandError:
        raise ProblemError(
            Problem(message=f"unknown revision {ref!r}", kind="usage", hint="give a branch, tag or commit that exists here (fetch it in a shallow clone)")
        ) from None


def _exists(repo: git.Repo, ref: str) -> bool:
    import git

    try:
        repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
    except git.GitCommandError:
        return False
    return True


def _first_existing(repo: git.Repo, refs: list[str]) -> str | None:
    return next((ref for ref in refs if _exists(repo, ref)), None)


def default_branch_ref(repo: git.Repo, config: CodexConfig, env: dict[str, str] | None = None) -> str:
    """What a change is compared with: the merge request's target that CI names (GITHUB_BASE_REF,
    CI_MERGE_REQUEST_DIFF_BASE_SHA, CI_MERGE_REQUEST_TARGET_BRANCH_NAME), else ``config``'s ``default_branch``,
    else the first that exists of origin/HEAD, origin/main, origin/master, main, master, CI_DEFAULT_BRANCH.
    A named ref that is not here, or no base at all, raises a usage problem saying what to set."""
    import git

    env = dict(os.environ) if env is None else env
    for variable, shapes in _CI_TARGETS:
        if value := env.get(variable, "").strip():
            refs = [shape.format(value) for shape in shapes]
            if ref := _first_existing(repo, refs):
                return ref
            raise ProblemError(
                Problem(message=f"{variable}={value}: the merge request's target {' / '.join(refs)} is not in this clone", hint=_FETCH_HINT, kind="usage")
            )
    if default_branch := config.default_branch:
        if ref := _first_existing(repo, [default_branch, f"origin/{default_branch}"]):
            return ref
        raise ProblemError(
            config.problem(
                f"{config.key('default_branch')} {default_branch!r} does not exist here",
                hint="name a branch this clone has, or fetch it; --base REF overrides it",
            )
        )
    candidates = []
    with contextlib.suppress(git.GitCommandError):
        candidates.append(repo.git.symbolic_ref("refs/remotes/origin/HEAD", short=True))
    candidates += ["origin/main", "origin/master", "main", "master"]
    if ci_default := env.get("CI_DEFAULT_BRANCH", "").strip():
        candidates += [f"origin/{ci_default}", ci_default]
    if ref := _first_existing(repo, candidates):
        return ref
    raise ProblemError(
        Problem(
            message="no base to compare the change with: no origin/HEAD, main or master here (a trunk-based repository, or a single-branch clone)",
            hint=f"pass --base REF, set {config.key('default_branch')} in {config.file}, or fetch the default branch; `codex check --all` checks every file",
            kind="usage",
        )
    )


def default_base(repo: git.Repo, config: CodexConfig) -> str:
    """The merge-base of HEAD with the base ref (see ``default_branch_ref``), or HEAD when they share no history."""
    return merge_base(repo, default_branch_ref(repo, config))


def merge_base(repo: git.Repo, ref: str) -> str:
    import git

    try:
        return repo.git.merge_base("HEAD", ref)
    except git.GitCommandError:
        return "HEAD"
