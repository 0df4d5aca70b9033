"""The git side of a merge request: its commits, its diff, the lines a comment can anchor to, and its ruleset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git
from pydantic import ValidationError
from unidiff import PatchSet

from codex.changelog import paired
from codex.config import CodexConfig, config_from
from codex.model import Ruleset
from codex.problems import Problem, ProblemError
from codex.ruleset_source import compiled_own, extends_shipped, shipped_ruleset, with_shipped
from reviewer.changes import BaseRevision, ChangeSet
from reviewer.finding import Finding
from reviewer.git_changes import commit_diff
from reviewer.platforms import MergeRequest
from reviewer.unified_diff import from_patch, unquote


@dataclass(frozen=True)
class MergeDiff:
    """What the merge request changes: ``base`` is the merge-base its diff starts from."""

    base: str
    head: str
    changes: ChangeSet
    anchors: dict[str, dict[int, int | None]]
    old_paths: dict[str, str]

    def anchor(self, path: str, line: int) -> int | bool | None:
        """``False`` when ``path:line`` is not in the diff; else the old line of a context line (``None`` if added)."""
        lines = self.anchors.get(path, {})
        return lines.get(line, False)

    def shows(self, f: Finding) -> bool:
        """Are all of a finding's lines in the diff (so a suggestion replacing them can be offered)?"""
        return all(self.anchor(f.path, n) is not False for n in range(f.line, f.end_line + 1))

    def touches(self, *prefixes: str) -> list[str]:
        """The changed files under any of these directories."""
        return sorted(p for p in self.anchors if any(p.startswith(d.rstrip("/") + "/") for d in prefixes))


def merge_diff(root: Path, mr: MergeRequest) -> MergeDiff:
    """Diff the merge request (merge-base of base and head → head), after checking the clone has the commits."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise ProblemError(Problem(path=str(root), message="not inside a git repository", hint=mr.checkout_hint, kind="usage")) from exc
    for sha, what in ((mr.base_sha, "target branch (base)"), (mr.head_sha, "merge request head")):
        if not _has_commit(repo, sha):
            raise ProblemError(_shallow(f"the {what} commit {sha[:12]} is not in this clone", mr))
    head_now = repo.head.commit.hexsha if repo.head.is_valid() else ""
    if head_now != mr.head_sha:
        raise ProblemError(
            Problem(
                message=f"the checkout is at {head_now[:12] or 'nothing'}, not at the merge request head {mr.head_sha[:12]}",
                hint=mr.checkout_hint,
                kind="usage",
            )
        )
    try:
        base = repo.git.merge_base(mr.base_sha, mr.head_sha)
    except git.GitCommandError as exc:
        raise ProblemError(_shallow("no common ancestor of the target branch and the merge request head in this clone", mr)) from exc
    text = commit_diff(root, base, mr.head_sha)
    anchors, old_paths = _anchors(text)
    changes = from_patch(text, root, f"git diff {base[:12]}..{mr.head_sha[:12]}")
    changes.base = BaseRevision(root, base, f"the target branch at {base[:7]} (merge-base)")
    return MergeDiff(base, mr.head_sha, changes, anchors, old_paths)


def _has_commit(repo: git.Repo, sha: str) -> bool:
    try:
        repo.git.cat_file("-e", f"{sha}^{{commit}}")
        return True
    except git.GitCommandError:
        return False


def _shallow(message: str, mr: MergeRequest) -> Problem:
    return Problem(message=f"{message} (a shallow clone?)", hint=mr.fetch_hint, kind="usage")


def _anchors(diff_text: str) -> tuple[dict[str, dict[int, int | None]], dict[str, str]]:
    """For each file, every new-file line inside a hunk → its old line (context) or ``None`` (added); and its old path."""
    anchors: dict[str, dict[int, int | None]] = {}
    old_paths: dict[str, str] = {}
    for patched in PatchSet(diff_text):
        if patched.is_removed_file or patched.is_binary_file:
            continue
        path = unquote(patched.path)
        source = unquote(patched.source_file)
        old_paths[path] = source[2:] if source.startswith("a/") else path
        lines = anchors.setdefault(path, {})
        for hunk in patched:
            for line in hunk:
                if line.target_line_no is None:  # a removed line
                    continue
                if line.is_added:
                    lines[line.target_line_no] = None
                elif line.is_context:
                    lines[line.target_line_no] = line.source_line_no
    return anchors, old_paths


@dataclass(frozen=True)
class BaseRules:
    """The ruleset that judges a merge request: the target branch's, never the merge request's own."""

    ruleset: Ruleset
    origin: str
    config: CodexConfig
    own: bool = True
    shipped_rfcs: frozenset[str] = frozenset()  # the RFCs of the shipped codex: their files are not in the repository
    problems: tuple[Problem, ...] = ()  # why the own rules were set aside (they reuse shipped ids)


def rules_at(root: Path, commit: str) -> BaseRules:
    """The shipped codex and the compiled ``rules/ruleset.json`` at ``commit`` (with that commit's ``[tool.codex]``)."""
    repo = git.Repo(root, search_parent_directories=True)
    config = _config_at(repo, commit)
    path = f"{config.rules}/ruleset.json"
    text = _show(repo, commit, path)
    shipped = shipped_ruleset() if extends_shipped(root, config) else None
    own = None
    if text is not None:
        try:
            own = compiled_own(Ruleset.model_validate_json(text), f"{path} at {commit[:12]}", shipped, config, "in the target branch's RFCs")
        except ValidationError as exc:
            raise ProblemError(
                Problem(
                    path=path,
                    message=f"unreadable ruleset at the target branch ({commit[:12]}): {str(exc).splitlines()[0]}",
                    hint="fix it on the target branch with `codex compile`",
                    kind="config",
                )
            ) from exc
    loaded = with_shipped(own, shipped, config)
    origin = loaded.origin if own is not None else f"{loaded.origin} (no {path} at {commit[:12]})"
    return BaseRules(loaded.ruleset, origin, config, own=own is not None and bool(own.origin), shipped_rfcs=loaded.shipped_rfcs, problems=loaded.problems)


def _config_at(repo: git.Repo, commit: str) -> CodexConfig:
    return config_from(lambda name: _show(repo, commit, name), where=f" at the target branch ({commit[:12]})")


def _show(repo: git.Repo, commit: str, path: str) -> str | None:
    try:
        return repo.git.show(f"{commit}:{path}", stdout_as_string=False).decode("utf-8", "replace")
    except git.GitCommandError:
        return None


def rule_changes(base: Ruleset, head: Ruleset) -> list[str]:
    """Markdown bullets: the rules a merge request adds, removes or changes, compared with the target branch."""
    pairs = paired(base, head)
    notes = [f"- added **{i}** ({new.stage.value}): {new.title}" for i, old, new in pairs if old is None and new is not None]
    notes += [f"- removed **{i}**: {old.title}" for i, old, new in pairs if new is None and old is not None]
    for rule_id, old, new in pairs:
        if old is None or new is None:
            continue
        changed = [
            what
            for what, a, b in (
                ("matcher or scope", old.content_hash(), new.content_hash()),
                ("stage", old.stage, new.stage),
                ("severity", old.severity, new.severity),
                ("statement", (old.need, old.use), (new.need, new.use)),
            )
            if a != b
        ]
        if changed:
            notes.append(f"- changed **{rule_id}** ({', '.join(changed)}): stage {old.stage.value} → {new.stage.value}")
    return notes or ["- rfcs/ or rules/ changed, but no rule's behaviour did"]
