"""GitHub Actions: the pull request of a ``pull_request`` run, reviewed through PyGithub."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, Self

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubObject import NotSet
from github.IssueComment import IssueComment
from github.PullRequest import ReviewComment
from github.PullRequestComment import PullRequestComment
from pydantic import SecretStr, ValidationError

from codex.problems import Problem, ProblemError
from reviewer.finding import Finding
from reviewer.platforms import API_DEADLINE, API_RETRIES, MergeRequest
from reviewer.platforms.github_threads import OwnThreads, ReviewThread
from reviewer.platforms.merge_request import MergeDiff
from reviewer.platforms.retry import DeadlineRetry, create_once
from reviewer.platforms.review import SUMMARY_MARKER, Thread, finding_body, fixed_body, parse_marker


class SummaryUnknown(Exception):
    """Comments carry the summary marker, and GraphQL did not say which (if any) the token's user wrote."""


API_ERRORS = (GithubException, requests.RequestException, SummaryUnknown)
GRAPHQL_ERRORS = (*API_ERRORS, ValidationError, KeyError, TypeError)  # an answer of another shape too
_EVENTS = ("pull_request", "pull_request_target")


def detect(env: Mapping[str, str]) -> MergeRequest | None:
    if env.get("GITHUB_ACTIONS") != "true" or env.get("GITHUB_EVENT_NAME") not in _EVENTS:
        return None
    event_path = env.get("GITHUB_EVENT_PATH", "")
    try:
        pull = json.loads(Path(event_path).read_text(encoding="utf-8"))["pull_request"]
        number, base, head = int(pull["number"]), pull["base"]["sha"], pull["head"]["sha"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProblemError(
            Problem(
                path=event_path or "GITHUB_EVENT_PATH",
                message=f"cannot read the pull request event: {exc!r}",
                hint="run codex review in a workflow triggered by pull_request",
                kind="usage",
            )
        ) from exc
    return MergeRequest(
        platform="github",
        api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
        project=env.get("GITHUB_REPOSITORY", ""),
        number=number,
        base_sha=base,
        head_sha=head,
        token=SecretStr(env["GITHUB_TOKEN"]) if env.get("GITHUB_TOKEN") else None,
        token_name="GITHUB_TOKEN",
        files_url=f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env.get('GITHUB_REPOSITORY', '')}/blob",
        fetch_hint="fetch the whole history: actions/checkout with `fetch-depth: 0`",
        checkout_hint="check out the head commit: actions/checkout with `ref: ${{ github.event.pull_request.head.sha }}`",
    )


class BoundedRetry(DeadlineRetry, GithubRetry):
    """PyGithub's rate-limit-aware retry (a 403 rate limit waits for its reset), within the review's deadline, and
    never of a POST that may have landed (see ``reviewer.platforms.retry``)."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        left = self.deadline - time.monotonic()
        self.max_rate_limit_wait = max(0.0, min(self.max_rate_limit_wait or left, left))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def client(mr: MergeRequest, deadline: float, throttle: bool = True) -> Github:
    """PyGithub with its rate-limit-aware retries (403/429 wait for the reset headers, 5xx are retried), at most
    ``API_RETRIES`` per call and none past ``deadline`` (a ``time.monotonic()`` value); a POST only on a rate limit.

    ``throttle`` keeps GitHub's advice of a pause between writes (off only against a local stand-in).
    """
    retry = BoundedRetry(total=API_RETRIES, max_rate_limit_wait=300, status_forcelist=[429, *range(500, 600)], backoff_factor=0.5, deadline=deadline)
    token = mr.token.get_secret_value() if mr.token else ""
    return Github(
        auth=Auth.Token(token),
        base_url=mr.api_url.rstrip("/"),
        retry=retry,
        timeout=30,
        lazy=True,
        seconds_between_requests=0.25 if throttle else None,
        seconds_between_writes=1.0 if throttle else None,
    )


def connect(mr: MergeRequest) -> GitHubPlatform:
    deadline = time.monotonic() + API_DEADLINE
    return GitHubPlatform(mr, client(mr, deadline), deadline)


class GitHubPlatform:
    """One pull request: inline review comments, and one sticky summary comment."""

    def __init__(self, mr: MergeRequest, github: Github, deadline: float):
        self.mr = mr
        self.deadline = deadline
        self.problems: list[str] = []
        repo = github.get_repo(mr.project)
        self.pull = repo.get_pull(mr.number)
        self.commit = repo.get_commit(mr.head_sha)
        self.review_threads = OwnThreads(github.requester, mr.project, mr.number)
        self._threads: tuple[dict[int, ReviewThread], set[int]] | None = None

    def threads(self) -> list[Thread[PullRequestComment]]:
        """codex's review comments, less those GraphQL says someone else wrote (a copied marker is not codex's); one
        marked fixed whose thread is still open is not settled, so the next run resolves it."""
        own, others = self._graphql_threads()
        return [
            replace(thread, settled=not (thread.fixed and thread.handle.id in own and not own[thread.handle.id].is_resolved))
            for thread in self._marked()
            if thread.handle.id not in others
        ]

    def mark_fixed(self, thread: Thread[PullRequestComment]) -> None:
        if not thread.fixed:  # one marked on an earlier run has only its thread left to resolve
            thread.handle.edit(fixed_body(thread.handle.body, self.mr.head_sha))
        self._set_resolved(thread, True)

    def reopen(self, thread: Thread[PullRequestComment], finding: Finding) -> None:
        thread.handle.edit(finding_body(finding))
        self._set_resolved(thread, False)

    def _marked(self) -> list[Thread[PullRequestComment]]:
        found = []
        for comment in self.pull.get_review_comments():
            marker = parse_marker(comment.body)
            if marker:
                found.append(Thread(marker[0], marker[1], comment))
        return found

    def _graphql_threads(self) -> tuple[dict[int, ReviewThread], set[int]]:
        """This token's review threads and the others' (read once); when GraphQL fails, none: reported, never raised."""
        if self._threads is None:
            try:
                self._threads = self.review_threads.load()
            except GRAPHQL_ERRORS as exc:
                self.problems.append(f"review threads not read through GraphQL, so none is resolved: {type(exc).__name__}: {exc}")
                self._threads = ({}, set())
        return self._threads

    def _set_resolved(self, thread: Thread[PullRequestComment], resolved: bool) -> None:
        """Resolve (or unresolve) the thread of a comment of codex's; a GraphQL failure is reported, never raised."""
        own = self._graphql_threads()[0].get(thread.handle.id)
        if own is None:
            return
        try:
            self.review_threads.set_resolved(own, resolved)
        except GRAPHQL_ERRORS as exc:
            what = "resolved" if resolved else "reopened"
            self.problems.append(f"review thread of {thread.handle.path}:{thread.handle.line} not {what}: {type(exc).__name__}: {exc}")

    def post(self, findings: list[Finding], diff: MergeDiff) -> list[tuple[Finding, str]]:
        """One review with every comment; when GitHub refuses it (422), each comment alone, keeping the refusals."""
        if not findings:
            return []
        comments = [_comment(f, diff) for f in findings]
        try:
            self._create(
                lambda: self.pull.create_review(
                    commit=self.commit,
                    event="COMMENT",
                    comments=comments,
                    body=f"codex: {len(findings)} new finding(s); the codex summary comment lists them all.",
                ),
                partial(self._landed, {f.fingerprint for f in findings}),
            )  # a review lands whole or not at all
            return []
        except GithubException as exc:
            if exc.status != 422:
                raise
        refused = []
        for finding, comment in zip(findings, comments, strict=True):
            try:
                self._create(
                    partial(
                        self.pull.create_review_comment,
                        comment["body"],
                        self.commit,
                        comment["path"],
                        line=comment.get("line", NotSet),
                        side=comment.get("side", NotSet),
                        start_line=comment.get("start_line", NotSet),
                        start_side=comment.get("start_side", NotSet),
                    ),
                    partial(self._landed, {finding.fingerprint}),
                )
            except GithubException as exc:
                if exc.status != 422:
                    raise
                refused.append((finding, f"refused by GitHub (422): {_reason(exc)}"))
        return refused

    def upsert_summary(self, body: str) -> None:
        summary = self._summary()
        if summary is not None:
            summary.edit(body)
            return
        self._create(lambda: self.pull.create_issue_comment(body), lambda: self._summary() is not None)

    def _summary(self) -> IssueComment | None:
        """codex's summary comment: the marker in a comment the token's user wrote (GraphQL says which), never someone
        else's comment quoting it. With marked comments but no word from GraphQL, none is touched: raised."""
        marked = [c for c in self.pull.get_issue_comments() if SUMMARY_MARKER in (c.body or "")]
        if not marked:
            return None
        try:
            own = self.review_threads.own_comments()
        except GRAPHQL_ERRORS as exc:
            raise SummaryUnknown(f"cannot tell codex's summary comment from a quote of it (GraphQL: {type(exc).__name__}: {exc})") from None
        return next((c for c in marked if c.id in own), None)

    def _landed(self, fingerprints: set[str]) -> bool:
        """Are there review comments with all these fingerprints now?"""
        return fingerprints <= {thread.fingerprint for thread in self._marked()}

    def _create(self, create: Callable[[], object], landed: Callable[[], bool]) -> None:
        create_once(create, landed, _may_have_landed, API_RETRIES + 1, self.deadline)


def _may_have_landed(exc: BaseException) -> bool:
    """A failure after which a POST may have been applied: a 5xx, a timeout, a connection lost."""
    return isinstance(exc, requests.RequestException) or (isinstance(exc, GithubException) and exc.status >= 500)


def _comment(f: Finding, diff: MergeDiff) -> ReviewComment:
    """An inline comment on the finding's line; with a known fix, on all its lines with a suggestion replacing them."""
    if f.fix is not None and diff.shows(f):
        body = finding_body(f, "suggestion")
        if f.end_line > f.line:
            return {"path": f.path, "line": f.end_line, "side": "RIGHT", "start_line": f.line, "start_side": "RIGHT", "body": body}
        return {"path": f.path, "line": f.end_line, "side": "RIGHT", "body": body}
    return {"path": f.path, "line": f.line, "side": "RIGHT", "body": finding_body(f)}


def _reason(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = [e if isinstance(e, str) else e.get("message", "") for e in data.get("errors", [])]
    return "; ".join(filter(None, [data.get("message", ""), *errors])) or str(exc.status)
