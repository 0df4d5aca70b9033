"""Changed files no rule checks: the configuration's ``exclude`` globs, and what ``.gitattributes`` marks
``linguist-generated`` or ``linguist-vendored``."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from codex.problems import Problem
from reviewer.targets import matches_any

LINGUIST_ATTRIBUTES = ("linguist-generated", "linguist-vendored")


@dataclass(frozen=True)
class AttributesAt:
    """The commit whose .gitattributes count, in the repository at ``repo`` (which need not hold the checked tree:
    codex replay checks a copy of each commit's files)."""

    repo: Path
    commit: str


def excluded_paths(
    root: Path, paths: list[str], exclude: tuple[str, ...], linguist: bool, attributes_from: AttributesAt | None = None
) -> tuple[set[str], list[Problem]]:
    """The ``paths`` left out of the check, and a problem when git could not say which files are generated or vendored
    (``attributes_from``: the commit whose .gitattributes count; None: the working tree's at ``root``)."""
    excluded = {p for p in paths if exclude and matches_any(exclude, p)}
    rest = [p for p in paths if p not in excluded]
    if not linguist or not rest or (attributes_from is None and not _in_a_work_tree(root)):
        return excluded, []
    import git  # here: a check outside git (a patch file) never loads gitpython

    repo, commit = (root, None) if attributes_from is None else (attributes_from.repo, attributes_from.commit)
    try:
        marked = linguist_marked(repo, rest, commit)
    except git.GitCommandError as exc:
        message = str(exc.stderr).strip().removeprefix("stderr: ").strip("'\n ") or str(exc)
        return excluded, [
            Problem(
                path=".gitattributes",
                kind="config",
                message=f"reading it through git failed, generated and vendored files are checked: {message}",
                hint="set linguist = false to stop asking, or fix the repository",
            )
        ]
    return excluded | marked, []


def linguist_marked(root: Path, paths: list[str], commit: str | None = None) -> set[str]:
    """The paths ``.gitattributes`` marks generated or vendored (one ``git check-attr`` for all), as the working tree's
    or ``commit``'s .gitattributes say (read through a scratch index: git 2.39 has no ``check-attr --source``);
    outside git: none."""
    import git

    try:
        git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return set()
    runner = git.Git(root)
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryFile() as names:
        names.write(b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths))
        names.seek(0)
        if commit is None:
            output = runner.check_attr(*LINGUIST_ATTRIBUTES, "-z", "--stdin", istream=names, stdout_as_string=False)
        else:
            with runner.custom_environment(GIT_INDEX_FILE=str(Path(scratch) / "index")):
                runner.read_tree(commit)
                output = runner.check_attr("--cached", *LINGUIST_ATTRIBUTES, "-z", "--stdin", istream=names, stdout_as_string=False)
    fields = output.split(b"\0")
    triples = zip(fields[0::3], fields[1::3], fields[2::3], strict=False)  # the output ends in NUL: one more (empty) path
    return {path.decode("utf-8", "surrogateescape") for path, _, value in triples if value in (b"set", b"true")}


def _in_a_work_tree(root: Path) -> bool:
    """Is there a ``.git`` at ``root`` or above (gitpython, and its ``git version`` calls, only then)?"""
    return any((directory / ".git").exists() for directory in (root.resolve(), *root.resolve().parents))
