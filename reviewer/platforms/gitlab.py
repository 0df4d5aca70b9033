"""GitLab CI: the merge request of a merge request pipeline, reviewed through python-gitlab."""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import gitlab
import requests
from gitlab.exceptions import GitlabCreateError, GitlabError

from codex.problems import Problem, ProblemError
from reviewer.finding import Finding
from reviewer.platforms import API_DEADLINE, API_RETRIES, MergeRequest
from reviewer.platforms.merge_request import MergeDiff
from reviewer.platforms.review import SUMMARY_MARKER, Thread, finding_body, parse_marker

API_ERRORS = (GitlabError, requests.RequestException)
TOKEN_VARIABLES = ("CODEX_GITLAB_TOKEN", "GITLAB_TOKEN")


def detect(env: Mapping[str, str]) -> MergeRequest | None:
    if env.get("GITLAB_CI") != "true" or not env.get("CI_MERGE_REQUEST_IID"):
        return None
    if not env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        raise ProblemError([Problem(message="CI_MERGE_REQUEST_DIFF_BASE_SHA is not set, so the merge request's base is unknown",
                                    hint='run codex review in a merge request pipeline (`if: $CI_PIPELINE_SOURCE == "merge_request_event"`)',
                                    kind="usage")])
    token_name = next((name for name in TOKEN_VARIABLES if env.get(name)), TOKEN_VARIABLES[0])
    return MergeRequest(
        platform="gitlab", api_url=env.get("CI_SERVER_URL", "https://gitlab.com"), project=env.get("CI_PROJECT_ID", ""),
        number=int(env["CI_MERGE_REQUEST_IID"]), base_sha=env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", ""),
        head_sha=env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or env.get("CI_COMMIT_SHA", ""),
        token=env.get(token_name) or None, token_name=token_name,
        files_url=f"{env['CI_PROJECT_URL']}/-/blob" if env.get("CI_PROJECT_URL") else "",
        fetch_hint="set `GIT_DEPTH: 0` (or a depth that reaches the merge-base) in the job's variables",
        checkout_hint='check out the source branch head first: `git checkout "${CI_MERGE_REQUEST_SOURCE_BRANCH_SHA:-$CI_COMMIT_SHA}"`',
    )


class BoundedGitlab(gitlab.Gitlab):
    """python-gitlab retrying a call at most ``API_RETRIES`` times (its own default: 10, backing off to 51 s), and
    not at all once ``API_DEADLINE`` has passed since the client was made."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.deadline = time.monotonic() + API_DEADLINE

    def http_request(self, *args: Any, **kwargs: Any) -> requests.Response:
        in_time = time.monotonic() < self.deadline
        kwargs["max_retries"] = API_RETRIES if in_time else 0
        kwargs["obey_rate_limit"] = in_time
        return super().http_request(*args, **kwargs)


def client(mr: MergeRequest) -> gitlab.Gitlab:
    """python-gitlab; it waits out 429s as ``Retry-After`` / ``RateLimit-Reset`` say, and retries transient 5xx, within bounds."""
    token = mr.token.get_secret_value() if mr.token else None
    return BoundedGitlab(mr.api_url.rstrip("/"), private_token=token, timeout=30, retry_transient_errors=True)


def connect(mr: MergeRequest) -> GitLabPlatform:
    return GitLabPlatform(mr, client(mr))


class GitLabPlatform:
    """One merge request: a discussion per finding, resolved when it goes away, and one sticky summary note."""

    def __init__(self, mr: MergeRequest, gl: gitlab.Gitlab):
        self.mr = mr
        self.gl = gl

    @cached_property
    def merge_request(self):
        return self.gl.projects.get(self.mr.project, lazy=True).mergerequests.get(self.mr.number)

    def threads(self) -> list[Thread]:
        found = []
        for discussion in self.merge_request.discussions.list(get_all=True):
            notes = discussion.attributes.get("notes") or [{}]
            marker = parse_marker(notes[0].get("body", ""))
            if marker:
                found.append(Thread(marker[0], bool(notes[0].get("resolved")), discussion))
        return found

    def mark_fixed(self, thread: Thread) -> None:
        thread.handle.resolved = True
        thread.handle.save()

    def reopen(self, thread: Thread, finding: Finding) -> None:
        thread.handle.resolved = False
        thread.handle.save()

    def post(self, findings: list[Finding], diff: MergeDiff) -> list[tuple[Finding, str]]:
        """A discussion per finding at its text position; a position GitLab refuses is kept for the summary."""
        refs = self.merge_request.diff_refs
        refused = []
        for finding in findings:
            position = {"position_type": "text", "base_sha": refs["base_sha"], "start_sha": refs["start_sha"],
                        "head_sha": refs["head_sha"], "new_path": finding.path,
                        "old_path": diff.old_paths.get(finding.path, finding.path), "new_line": finding.line}
            old_line = diff.anchor(finding.path, finding.line)
            if old_line:
                position["old_line"] = old_line  # an unchanged context line needs both
            fence = f"suggestion:-0+{finding.end_line - finding.line}" if diff.shows(finding) else None
            try:
                self.merge_request.discussions.create({"body": finding_body(finding, fence), "position": position})
            except GitlabCreateError as exc:
                if exc.response_code not in (400, 422):
                    raise
                refused.append((finding, f"refused by GitLab ({exc.response_code}): {exc.error_message}"))
        return refused

    def upsert_summary(self, body: str) -> None:
        for note in self.merge_request.notes.list(get_all=True):
            if SUMMARY_MARKER in (note.body or ""):
                note.body = body
                note.save()
                return
        self.merge_request.notes.create({"body": body})
