"""GitLab CI: the merge request of a merge request pipeline, reviewed through python-gitlab."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import cached_property, partial
from typing import Any

import gitlab
import requests
from gitlab.const import RETRYABLE_TRANSIENT_ERROR_CODES
from gitlab.exceptions import GitlabCreateError, GitlabError
from gitlab.v4.objects import ProjectMergeRequestDiscussion
from pydantic import SecretStr
from requests.adapters import HTTPAdapter

from codex.problems import Problem, ProblemError
from reviewer.finding import Finding
from reviewer.platforms import API_DEADLINE, API_RETRIES, MergeRequest
from reviewer.platforms.merge_request import MergeDiff
from reviewer.platforms.retry import DeadlineRetry, create_once
from reviewer.platforms.review import SUMMARY_MARKER, Thread, finding_body, parse_marker

API_ERRORS = (GitlabError, requests.RequestException)
TOKEN_VARIABLES = ("CODEX_GITLAB_TOKEN", "GITLAB_TOKEN")


def detect(env: Mapping[str, str]) -> MergeRequest | None:
    if env.get("GITLAB_CI") != "true" or not env.get("CI_MERGE_REQUEST_IID"):
        return None
    if not env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        raise ProblemError(
            Problem(
                message="CI_MERGE_REQUEST_DIFF_BASE_SHA is not set, so the merge request's base is unknown",
                hint='run codex review in a merge request pipeline (`if: $CI_PIPELINE_SOURCE == "merge_request_event"`)',
                kind="usage",
            )
        )
    token_name = next((name for name in TOKEN_VARIABLES if env.get(name)), TOKEN_VARIABLES[0])
    return MergeRequest(
        platform="gitlab",
        api_url=env.get("CI_SERVER_URL", "https://gitlab.com"),
        project=env.get("CI_PROJECT_ID", ""),
        number=int(env["CI_MERGE_REQUEST_IID"]),
        base_sha=env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", ""),
        head_sha=env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or env.get("CI_COMMIT_SHA", ""),
        token=SecretStr(env[token_name]) if env.get(token_name) else None,
        token_name=token_name,
        files_url=f"{env['CI_PROJECT_URL']}/-/blob" if env.get("CI_PROJECT_URL") else "",
        fetch_hint="set `GIT_DEPTH: 0` (or a depth that reaches the merge-base) in the job's variables",
        checkout_hint='check out the source branch head first: `git checkout "${CI_MERGE_REQUEST_SOURCE_BRANCH_SHA:-$CI_COMMIT_SHA}"`',
    )


class BoundedGitlab(gitlab.Gitlab):
    """python-gitlab whose requests are retried by its session alone (``DeadlineRetry``), not by its own loop, which
    would retry a POST after a 5xx (10 times by default) and wait out any ``Retry-After``, however long."""

    def http_request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.update(max_retries=0, obey_rate_limit=False, retry_transient_errors=False)
        return super().http_request(*args, **kwargs)


def client(mr: MergeRequest, deadline: float) -> gitlab.Gitlab:
    """python-gitlab retrying a call at most ``API_RETRIES`` times before ``deadline`` (a ``time.monotonic()`` value):
    reads and edits on a 5xx or a 429 (as ``Retry-After`` says), a POST on a 429 only."""
    session = requests.Session()
    retry = DeadlineRetry(total=API_RETRIES, status_forcelist=[429, *RETRYABLE_TRANSIENT_ERROR_CODES], backoff_factor=0.5, deadline=deadline)
    for scheme in ("http://", "https://"):
        session.mount(scheme, HTTPAdapter(max_retries=retry))
    token = mr.token.get_secret_value() if mr.token else None
    return BoundedGitlab(mr.api_url.rstrip("/"), private_token=token, timeout=30, session=session)


def connect(mr: MergeRequest) -> GitLabPlatform:
    deadline = time.monotonic() + API_DEADLINE
    return GitLabPlatform(mr, client(mr, deadline), deadline)


class GitLabPlatform:
    """One merge request: a discussion per finding, resolved when it goes away, and one sticky summary note."""

    def __init__(self, mr: MergeRequest, gl: gitlab.Gitlab, deadline: float):
        self.mr = mr
        self.gl = gl
        self.deadline = deadline
        self.problems: list[str] = []

    @cached_property
    def merge_request(self):
        return self.gl.projects.get(self.mr.project, lazy=True).mergerequests.get(self.mr.number)

    @cached_property
    def user_id(self) -> int | None:
        """The token's user (a project access token's bot user), the only author whose notes codex changes; None
        when GitLab does not say (reported, and notes are then told apart by their codex marker alone)."""
        try:
            self.gl.auth()
            return self.gl.user.id if self.gl.user else None
        except API_ERRORS as exc:
            self.problems.append(f"the token's user is unknown, notes are told apart by their codex marker alone: {type(exc).__name__}: {exc}")
            return None

    def _own(self, note: dict[str, Any]) -> bool:
        return self.user_id is None or (note.get("author") or {}).get("id") == self.user_id

    def threads(self) -> list[Thread[ProjectMergeRequestDiscussion]]:
        """codex's discussions: a marker in a note someone else wrote is not codex's."""
        found = []
        for discussion in self.merge_request.discussions.list(get_all=True):
            notes = discussion.attributes.get("notes") or [{}]
            marker = parse_marker(notes[0].get("body", ""))
            if marker and self._own(notes[0]):
                found.append(Thread(marker[0], bool(notes[0].get("resolved")), discussion))
        return found

    def mark_fixed(self, thread: Thread[ProjectMergeRequestDiscussion]) -> None:
        thread.handle.resolved = True
        thread.handle.save()

    def reopen(self, thread: Thread[ProjectMergeRequestDiscussion], finding: Finding) -> None:
        thread.handle.resolved = False
        thread.handle.save()

    def post(self, findings: list[Finding], diff: MergeDiff) -> list[tuple[Finding, str]]:
        """A discussion per finding at its text position; a position GitLab refuses is kept for the summary."""
        refs = self.merge_request.diff_refs
        refused = []
        for finding in findings:
            position = {
                "position_type": "text",
                "base_sha": refs["base_sha"],
                "start_sha": refs["start_sha"],
                "head_sha": refs["head_sha"],
                "new_path": finding.path,
                "old_path": diff.old_paths.get(finding.path, finding.path),
                "new_line": finding.line,
            }
            old_line = diff.anchor(finding.path, finding.line)
            if old_line:
                position["old_line"] = old_line  # an unchanged context line needs both
            fence = f"suggestion:-0+{finding.end_line - finding.line}" if diff.shows(finding) else None
            try:
                self._create(
                    partial(self.merge_request.discussions.create, {"body": finding_body(finding, fence), "position": position}),
                    partial(self._landed, finding.fingerprint),
                )
            except GitlabCreateError as exc:
                if exc.response_code not in (400, 422):
                    raise
                refused.append((finding, f"refused by GitLab ({exc.response_code}): {exc.error_message}"))
        return refused

    def upsert_summary(self, body: str) -> None:
        note = self._summary()
        if note is not None:
            note.body = body
            note.save()
            return
        self._create(lambda: self.merge_request.notes.create({"body": body}), lambda: self._summary() is not None)

    def _landed(self, fingerprint: str) -> bool:
        return any(thread.fingerprint == fingerprint for thread in self.threads())

    def _summary(self) -> Any:
        return next((n for n in self.merge_request.notes.list(iterator=True) if SUMMARY_MARKER in (n.body or "") and self._own(n.attributes)), None)

    def _create(self, create: Callable[[], object], landed: Callable[[], bool]) -> None:
        create_once(create, landed, _may_have_landed, API_RETRIES + 1, self.deadline)


def _may_have_landed(exc: BaseException) -> bool:
    """A failure after which a POST may have been applied: a 5xx, a timeout, a connection lost."""
    return isinstance(exc, requests.RequestException) or (isinstance(exc, GitlabError) and (exc.response_code or 0) >= 500)
