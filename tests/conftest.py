"""Shared fixtures: real git repositories in temporary directories, codex run in-process, the shipped ruleset."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from codex.compiler import compile_rfcs
from codex.model import Ruleset
from codex_testing import PROJECT_ROOT

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Codex Test",
    "GIT_AUTHOR_EMAIL": "test@codex.invalid",
    "GIT_COMMITTER_NAME": "Codex Test",
    "GIT_COMMITTER_EMAIL": "test@codex.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class GitRepo:
    """A real git repository on disk, with the few operations tests need."""

    def __init__(self, path: Path, branch: str = "main"):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch", branch)
        for key, value in (("user.name", "Codex Test"), ("user.email", "test@codex.invalid"), ("commit.gpgsign", "false"), ("core.autocrlf", "false")):
            self.git("config", key, value)

    def git_bytes(self, *args: str) -> bytes:
        """Run git in the repository; returns stdout as bytes, raises on failure."""
        proc = subprocess.run(["git", *args], cwd=self.path, capture_output=True, env={**os.environ, **_GIT_ENV}, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def git(self, *args: str) -> str:
        """Run git in the repository; returns stdout (undecodable bytes kept as surrogates), raises on failure."""
        return self.git_bytes(*args).decode("utf-8", "surrogateescape")

    def write(self, rel: str, content: str | bytes) -> Path:
        """Write a file (text as UTF-8, written verbatim: no newline translation)."""
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        return target

    def write_files(self, files: dict[str, str | bytes]) -> None:
        for rel, content in files.items():
            self.write(rel, content)

    def stage(self, *paths: str) -> None:
        self.git("add", "--", *(paths or (".",)))

    def commit(self, message: str = "change", files: dict[str, str | bytes] | None = None) -> str:
        """Write ``files`` (if any), stage everything, commit; returns the new commit id."""
        if files:
            self.write_files(files)
        self.stage()
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.head()

    def branch(self, name: str) -> None:
        """Create branch ``name`` at HEAD and switch to it."""
        self.git("checkout", "--quiet", "-b", name)

    def checkout(self, ref: str) -> None:
        self.git("checkout", "--quiet", ref)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def diff(self, *args: str) -> str:
        return self.git("diff", "--no-color", *args)


@pytest.fixture(scope="session", autouse=True)
def _no_ci_merge_request():
    """The suite's repositories are compared as each test says, not with the merge request CI runs the suite for."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "CI_DEFAULT_BRANCH"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_ci_identity_or_history_url():
    """Runs are recorded with the repository and pipeline each test gives, into the history it configures, not with
    those of the CI job running the suite."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_RUN_ID", "CI_PROJECT_PATH", "CI_SERVER_HOST", "CI_PIPELINE_ID", "CODEX_HISTORY_URL"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of its own for the session (per xdist worker), stopped and deleted at its end. Without the
    server binaries the tests that need it are skipped, except in CI, where that fails them."""
    from codex_testing.postgres import PostgresServer, server_binaries

    bindir = server_binaries()
    if bindir is None:
        reason = "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    server = PostgresServer(bindir)
    yield server
    server.stop()


@pytest.fixture
def postgres_database(postgres, request) -> str:
    """The URL of a fresh, empty database on the session's server (the tests' user and password in it)."""
    import uuid

    return postgres.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture(scope="session")
def git_repo_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., GitRepo]:
    """``git_repo_factory(name="repo", branch="main")``: a fresh repository, usable from any fixture scope."""

    def make(name: str = "repo", branch: str = "main") -> GitRepo:
        return GitRepo(tmp_path_factory.mktemp(name), branch)

    return make


@pytest.fixture
def git_repo(tmp_path: Path) -> Callable[..., GitRepo]:
    """``git_repo(name="repo", branch="main")``: a fresh repository under this test's tmp_path."""

    def make(name: str = "repo", branch: str = "main") -> GitRepo:
        return GitRepo(tmp_path / name, branch)

    return make


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


@dataclass
class CodexResult:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


def _run_codex(args: list[str], cwd: Path | None = None, stdin: str = "") -> CodexResult:
    """``codex ARGS`` in-process (``codex_cli.main.main``) in ``cwd``; exit code and captured output."""
    from codex_cli.main import main

    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    old_stdin = sys.stdin
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin = io.StringIO(stdin)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse usage errors, --help, --version
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        sys.stdin = old_stdin
        os.chdir(previous)
    return CodexResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def run_codex() -> Callable[..., CodexResult]:
    """``run_codex(args, cwd=None, stdin="")`` → ``CodexResult(code, out, err)``; usable from any scope."""
    return _run_codex


@pytest.fixture(scope="session")
def shipped_ruleset() -> Ruleset:
    """The codex shipped in this repository's rfcs/, compiled once per session."""
    result = compile_rfcs(PROJECT_ROOT / "rfcs", PROJECT_ROOT)
    assert result.ruleset is not None, "\n".join(map(str, result.problems))
    return result.ruleset


@pytest.fixture(scope="session")
def libcst_ruleset(shipped_ruleset: Ruleset) -> Ruleset:
    """The shipped libcst rules alone: no semgrep process, so tests that re-run checks stay cheap."""
    rules = [r for r in shipped_ruleset.rules if r.matcher.kind == "libcst"]
    return Ruleset.build([m for m in shipped_ruleset.rfcs if any(r.rfc.id == m.id for r in rules)], rules)


@pytest.fixture
def unthrottled(monkeypatch):
    """GitHub asks for a pause between writes; the local stand-in does not need it."""
    from reviewer.platforms import github as github_platform

    monkeypatch.setattr(github_platform, "client", functools.partial(github_platform.client, throttle=False))
