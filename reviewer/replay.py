"""``codex replay``: the current ruleset over each commit of a range, against its first parent.

Each commit's changed files are read from the commit itself (``git archive`` into a temporary
directory) and checked with ``reviewer.check.run_check`` on what the commit changed, as its merge
request would have been: under the repository's configuration, as ``codex check`` reads it, and the commit's own
.gitattributes. Commits go to parallel processes in batches: a batch's changed files and
their base versions are matched in one engine run (one semgrep process, not one per commit) into a
result cache that each commit's check then reads. Each batch's results are appended to a state file
as soon as they are known, so an interrupted replay resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import multiprocessing
import os
import signal
import tarfile
import tempfile
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import git
from pydantic import BaseModel, ValidationError

from codex.config import CodexConfig
from codex.governance_config import make_private_dir
from codex.model import Ruleset, Stage
from codex.problems import Problem, ProblemError
from reviewer.finding import Finding

if TYPE_CHECKING:
    from reviewer.changes import ChangeSet
    from reviewer.check import CheckOptions
    from reviewer.finding import Report

_FIELDS = "%H%x1f%P%x1f%an%x1f%aI%x1f%s"

Verdict = Literal["blocked", "warned", "clean"]


class ReplayedCommit(BaseModel):
    """What the ruleset says about one commit; one line of the state file."""

    commit: str
    parent: str | None
    author: str
    date: str
    subject: str
    verdict: Verdict
    findings: list[Finding]
    errors: list[Problem]


class _StateLine(BaseModel):
    """One line of the state file: a result and the settings it was made under."""

    settings: str  # ReplaySettings.state_key()
    result: ReplayedCommit


_NO_VERDICT_CHANGE = {"llm", "cache_dir", "docs_url"}  # settings a replay (static rules, no cache) does not read


@dataclass(frozen=True)
class ReplaySettings:
    root: Path
    ruleset: Ruleset
    today: dt.date
    config: CodexConfig  # the repository's, as `codex check` reads it (picklable: workers are spawned)

    def state_key(self) -> str:
        """Results are reusable for the same ruleset judged on the same date under the same configuration (read from
        the same file, which its messages name)."""
        config = self.config.model_dump_json(exclude=_NO_VERDICT_CHANGE)
        return hashlib.sha256(f"{self.ruleset.version}:{self.today.isoformat()}:{self.config.file}:{config}".encode()).hexdigest()[:16]


def list_commits(root: Path, rev_range: str | None, since: dt.date | None, first_parent: bool) -> list[str]:
    """Commit ids of the range, oldest first (``--since`` alone means HEAD's history since that date). The date
    starts at midnight: git reads a bare date as that day at the current time of day."""
    args = [
        "--reverse",
        *(["--first-parent"] if first_parent else []),
        *([f"--since={since.isoformat()} 00:00:00"] if since else []),
        rev_range or "HEAD",
        "--",
    ]
    try:
        return git.Repo(root, search_parent_directories=True).git.rev_list(*args).split()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise ProblemError(Problem(path=str(root), message="not inside a git repository", hint="run codex replay in a git checkout", kind="usage")) from exc
    except git.GitCommandError as exc:
        detail = (exc.stderr or "").strip().splitlines()
        raise ProblemError(
            Problem(
                message=f"git cannot list {rev_range or 'HEAD'!r}: {detail[-1] if detail else exc}",
                hint="give a range such as main~50..main or v1.2..v1.3 (fetch it first in a shallow clone)",
                kind="usage",
            )
        ) from exc


def load_state(path: Path, commits: list[str], settings: ReplaySettings) -> dict[str, ReplayedCommit]:
    """Results already in the state file for these commits under these settings; a line cut short by an interruption
    is ignored, and so is one made under other settings."""
    if not path.is_file():
        return {}
    wanted, key, done = set(commits), settings.state_key(), {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            saved = _StateLine.model_validate_json(line)
        except ValidationError:
            continue
        if saved.settings == key and saved.result.commit in wanted:
            done[saved.result.commit] = saved.result
    return done


def replay(settings: ReplaySettings, commits: list[str], state: Path, jobs: int, progress: Callable[[ReplayedCommit], None]) -> list[ReplayedCommit]:
    """Replay the commits not yet in ``state``; a KeyboardInterrupt stops after saving every finished result."""
    done, key = load_state(state, commits, settings), settings.state_key()
    pending = [c for c in commits if c not in done]
    make_private_dir(state.parent)
    _end_cut_line(state)
    with (
        state.open("a", encoding="utf-8") as out,
        ProcessPoolExecutor(max_workers=max(1, jobs), initializer=_start_worker, initargs=(settings,), mp_context=multiprocessing.get_context("spawn")) as pool,
    ):
        futures: set[Future] = {pool.submit(_replay_batch, batch) for batch in _batches(pending, max(1, jobs))}
        try:
            while futures:
                finished, futures = wait(futures, return_when=FIRST_COMPLETED)
                for future in finished:
                    for result in future.result():
                        out.write(_StateLine(settings=key, result=result).model_dump_json() + "\n")
                        out.flush()
                        done[result.commit] = result
                        progress(result)
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [done[c] for c in commits]


def _end_cut_line(state: Path) -> None:
    """A line cut short by an interruption gets its newline, so the next result starts a line of its own."""
    if state.is_file() and state.stat().st_size:
        with state.open("rb+") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")


_SETTINGS: ReplaySettings | None = None


def _start_worker(settings: ReplaySettings) -> None:
    global _SETTINGS
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interruption means
    _SETTINGS = settings


BATCH = 25  # commits per engine run: larger batches start fewer processes, smaller ones save results sooner


def _batches(commits: list[str], jobs: int) -> list[list[str]]:
    """Runs of consecutive commits, at most ``BATCH`` long and enough of them to keep ``jobs`` processes busy."""
    size = max(1, min(BATCH, -(-len(commits) // jobs)))
    return [commits[i : i + size] for i in range(0, len(commits), size)]


def _replay_batch(commits: list[str]) -> list[ReplayedCommit]:
    return replay_commits(_SETTINGS, commits)  # type: ignore[arg-type]  # set by _start_worker


@dataclass(frozen=True)
class _Commit:
    sha: str
    parent: str | None
    author: str
    date: str
    subject: str


def replay_commit(settings: ReplaySettings, commit: str) -> ReplayedCommit:
    return replay_commits(settings, [commit])[0]


def replay_commits(settings: ReplaySettings, commits: list[str]) -> list[ReplayedCommit]:
    """Each commit checked as its merge request would have been; the static engines run once for them all."""
    from reviewer.baseline import Baseline
    from reviewer.cache import ResultCache
    from reviewer.check import checked_targets, run_check
    from reviewer.matching import run_matchers
    from reviewer.targets import Target

    repo = git.Repo(settings.root, search_parent_directories=True)
    with tempfile.TemporaryDirectory(prefix="codex-replay-") as tmp, contextlib.ExitStack() as bases:
        cache = Path(tmp, "cache") if len(commits) > 1 else None
        metas = [_commit_of(repo, commit) for commit in commits]
        prepared = [(meta, _changes(settings, repo, meta, Path(tmp, str(n))), _options(settings, repo, meta, cache)) for n, meta in enumerate(metas)]
        if cache:  # one engine run over every commit's files and base versions fills the cache the checks read
            batch: list[Target] = []
            for n, (_, changes, options) in enumerate(prepared):
                targets = checked_targets(settings.ruleset, changes, options)[0]  # each commit's check reports what it leaves out
                base = bases.enter_context(Baseline(changes, targets))
                batch += [replace(t, path=f"{n}/{t.path}") for t in targets + base.targets]  # with the contents already read
            run_matchers(settings.ruleset, batch, ResultCache(cache), lint_packages=settings.config.lint_sources)
        return [_verdict(meta, run_check(settings.ruleset, changes, options)) for meta, changes, options in prepared]


def _options(settings: ReplaySettings, repo: git.Repo, meta: _Commit, cache: Path | None) -> CheckOptions:
    """``codex check``'s options from the repository's configuration; the commit's own .gitattributes say what is
    generated or vendored (read in the repository: the checked files are a copy)."""
    from reviewer.check import CheckOptions
    from reviewer.exclusion import AttributesAt

    configured = CheckOptions.configured(
        settings.config,
        settings.root,
        cache=False,
        use_llm=False,
        today=settings.today,
        ruleset_origin=f"replay of {meta.sha[:12]}",
        attributes_from=AttributesAt(Path(repo.working_tree_dir or repo.git_dir), meta.sha),
    )
    return replace(configured, cache_dir=cache)  # the batch's shared results (None: none)


def _commit_of(repo: git.Repo, commit: str) -> _Commit:
    sha, parents, author, date, subject = repo.git.log("-1", f"--format={_FIELDS}", commit).split("\x1f", 4)
    return _Commit(sha, parents.split()[0] if parents else None, author, date, subject)


def _changes(settings: ReplaySettings, repo: git.Repo, meta: _Commit, tree: Path) -> ChangeSet:
    """What the commit changed against its first parent (outside the RFCs), its files written under ``tree``."""
    from reviewer.changes import BaseRevision, ChangeSet, FileChange
    from reviewer.git_changes import commit_diff
    from reviewer.unified_diff import from_patch

    tree.mkdir(parents=True)
    if meta.parent:
        changes = from_patch(commit_diff(settings.root, meta.parent, meta.sha), tree, f"{meta.sha[:12]}")
        changes.base = BaseRevision(settings.root, meta.parent, f"the parent {meta.parent[:7]}")
    else:
        changes = ChangeSet(tree, [FileChange(p, None) for p in repo.git.ls_tree("-r", "--name-only", "-z", meta.sha).split("\0") if p])
    changes = changes.excluding(settings.config.rfcs)  # as codex check: the RFCs and their examples are not code
    changes.problems += _materialise(repo, meta.sha, [f.path for f in changes.files], tree)
    return changes


def _verdict(commit: _Commit, report: Report) -> ReplayedCommit:
    sha, parent, author, date, subject = commit.sha, commit.parent, commit.author, commit.date, commit.subject
    shown = [f for f in report.findings if f.stage is not Stage.shadow]
    verdict: Verdict = "blocked" if report.blocking else "warned" if any(not f.blocking for f in shown) else "clean"
    return ReplayedCommit(commit=sha, parent=parent, author=author, date=date, subject=subject, verdict=verdict, findings=report.findings, errors=report.errors)


def _materialise(repo: git.Repo, sha: str, paths: list[str], tree: Path) -> list[Problem]:
    """Write the commit's version of ``paths`` under ``tree``; members tar's data filter refuses are reported."""
    if not paths:
        return []
    raw = repo.git.archive("--format=tar", sha, "--", *paths, stdout_as_string=False)
    problems = []
    with tarfile.open(fileobj=io.BytesIO(raw)) as archive:
        for member in archive.getmembers():
            try:
                archive.extract(member, tree, filter="data")
            except (tarfile.TarError, OSError) as exc:
                problems.append(Problem(path=member.name, message=f"not materialised from {sha[:12]}: {exc}", kind="skipped"))
    return problems


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
