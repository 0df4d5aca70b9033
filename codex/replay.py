"""``codex replay``: the current ruleset over each commit of a range, against its first parent.

Each commit's changed files are read from the commit itself (``git archive`` into a temporary
directory) and checked with ``reviewer.check.run_check`` on what the commit changed, as its merge
request would have been. Commits are replayed in parallel processes; each result is appended to a
state file as soon as it is known, so an interrupted replay resumes where it stopped.
"""

from __future__ import annotations

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
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import git
from pydantic import BaseModel, ValidationError

from codex.governance_config import GovernanceConfig, make_private_dir
from codex.model import Ruleset, Stage
from codex.problems import Problem, ProblemError
from reviewer.finding import Finding

_FIELDS = "%H%x1f%P%x1f%an%x1f%aI%x1f%s"


class ReplayedCommit(BaseModel):
    """What the ruleset says about one commit; one line of the state file."""

    commit: str
    parent: str | None
    author: str
    date: str
    subject: str
    verdict: Literal["blocked", "warned", "clean"]
    findings: list[Finding]
    errors: list[Problem]


@dataclass(frozen=True)
class ReplaySettings:
    root: Path
    ruleset: Ruleset
    today: dt.date
    governance: GovernanceConfig
    lint_packages: tuple[str, ...] = ()
    test_paths: tuple[str, ...] = ()  # [tool.codex] test_paths

    def state_key(self) -> str:
        """Results are reusable for the same ruleset judged on the same date with the same test-support files."""
        tests = f":{','.join(self.test_paths)}" if self.test_paths else ""
        return hashlib.sha256(f"{self.ruleset.version}:{self.today.isoformat()}{tests}".encode()).hexdigest()[:16]


def list_commits(root: Path, rev_range: str | None, since: dt.date | None, first_parent: bool) -> list[str]:
    """Commit ids of the range, oldest first (``--since`` alone means HEAD's history since that date). The date
    starts at midnight: git reads a bare date as that day at the current time of day."""
    args = ["--reverse", *(["--first-parent"] if first_parent else []), *([f"--since={since.isoformat()} 00:00:00"] if since else []),
            rev_range or "HEAD", "--"]
    try:
        return git.Repo(root, search_parent_directories=True).git.rev_list(*args).split()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ProblemError([Problem(path=str(root), message="not inside a git repository", hint="run codex replay in a git checkout", kind="usage")])
    except git.GitCommandError as exc:
        detail = (exc.stderr or "").strip().splitlines()
        raise ProblemError([Problem(message=f"git cannot list {rev_range or 'HEAD'!r}: {detail[-1] if detail else exc}",
                                    hint="give a range such as main~50..main or v1.2..v1.3 (fetch it first in a shallow clone)", kind="usage")])


def load_state(path: Path, commits: list[str]) -> dict[str, ReplayedCommit]:
    """Results already in the state file for these commits; a line cut short by an interruption is ignored."""
    if not path.is_file():
        return {}
    wanted, done = set(commits), {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            result = ReplayedCommit.model_validate_json(line)
        except ValidationError:
            continue
        if result.commit in wanted:
            done[result.commit] = result
    return done


def replay(settings: ReplaySettings, commits: list[str], state: Path, jobs: int,
           progress: Callable[[ReplayedCommit], None]) -> list[ReplayedCommit]:
    """Replay the commits not yet in ``state``; a KeyboardInterrupt stops after saving every finished result."""
    done = load_state(state, commits)
    pending = [c for c in commits if c not in done]
    make_private_dir(state.parent)
    _end_cut_line(state)
    with state.open("a", encoding="utf-8") as out, ProcessPoolExecutor(max_workers=max(1, jobs), initializer=_start_worker, initargs=(settings,),
                                                                       mp_context=multiprocessing.get_context("spawn")) as pool:
        futures: set[Future] = {pool.submit(_replay_one, commit) for commit in pending}
        try:
            while futures:
                finished, futures = wait(futures, return_when=FIRST_COMPLETED)
                for future in finished:
                    result = future.result()
                    out.write(result.model_dump_json() + "\n")
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


def _replay_one(commit: str) -> ReplayedCommit:
    return replay_commit(_SETTINGS, commit)


def replay_commit(settings: ReplaySettings, commit: str) -> ReplayedCommit:
    from reviewer.changes import BaseRevision, ChangeSet, FileChange, commit_diff, from_patch
    from reviewer.check import CheckOptions, run_check

    repo = git.Repo(settings.root, search_parent_directories=True)
    sha, parents, author, date, subject = repo.git.log("-1", f"--format={_FIELDS}", commit).split("\x1f", 4)
    parent = parents.split()[0] if parents else None
    with tempfile.TemporaryDirectory(prefix="codex-replay-") as tmp:
        tree = Path(tmp)
        if parent:
            changes = from_patch(commit_diff(settings.root, parent, sha), tree, f"{sha[:12]}")
            changes.base = BaseRevision(settings.root, parent, f"the parent {parent[:7]}")
        else:
            changes = ChangeSet(tree, [FileChange(p, None) for p in repo.git.ls_tree("-r", "--name-only", "-z", sha).split("\0") if p])
        changes.problems += _materialise(repo, sha, [f.path for f in changes.files], tree)
        report = run_check(settings.ruleset, changes, CheckOptions(use_llm=False, ruleset_origin=f"replay of {sha[:12]}",
                                                                   today=settings.today, governance=settings.governance,
                                                                   lint_packages=settings.lint_packages, test_paths=settings.test_paths))
    shown = [f for f in report.findings if f.stage is not Stage.shadow]
    verdict = "blocked" if report.blocking else "warned" if any(not f.blocking for f in shown) else "clean"
    return ReplayedCommit(commit=sha, parent=parent, author=author, date=date, subject=subject, verdict=verdict,
                          findings=report.findings, errors=report.errors)


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
