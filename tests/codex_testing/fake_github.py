"""A stand-in for the GitHub REST endpoints codex review uses, and the GraphQL review-thread query and mutations,
enforcing GitHub's rules.

Auth header required (401), one comment on a line outside the diff fails the whole review (422),
comment lists are paginated (Link headers), and a primary rate limit answers 403 with reset headers.
GraphQL answers 200 with ``errors`` (an unknown node, a ``first`` over 100); every review comment that
is no reply opens a thread, which any writer of the repository may resolve (``resolved_by`` records who); a comment's
``viewerDidAuthor`` is true when the token's user (``viewer``) wrote it.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import ClassVar

from codex_testing.fake_http import FakeServer, Reply, diff_lines

_PULL = r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)"
_ISSUE = r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)"


class FakeGitHub(FakeServer):
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("GET", _PULL, "get_pull"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/commits/(?P<sha>\w+)", "get_commit"),
        ("GET", _PULL + "/comments", "list_review_comments"),
        ("POST", _PULL + "/reviews", "create_review"),
        ("POST", _PULL + "/comments", "create_review_comment"),
        ("PATCH", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/comments/(?P<id>\d+)", "edit_review_comment"),
        ("GET", _ISSUE + "/comments", "list_issue_comments"),
        ("POST", _ISSUE + "/comments", "create_issue_comment"),
        ("PATCH", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)", "edit_issue_comment"),
        ("POST", r"/graphql", "graphql"),
    ]
    viewer = "github-actions[bot]"  # the token's user, who writes what codex posts

    def __init__(self, token: str, repo: str = "acme/app", number: int = 7):
        super().__init__()
        self.token, self.repo, self.number = token, repo, number
        self.base_sha = self.head_sha = ""
        self.commentable: dict[str, dict[int, int | None]] = {}
        self.review_comments: list[dict] = []
        self.issue_comments: list[dict] = []
        self.reviews: list[dict] = []
        self.refused = 0
        self.secondary_limit = False
        self.graphql_errors: list[dict] = []  # answered (with HTTP 200) to every GraphQL request while set
        self._ids = itertools.count(1001)

    def set_diff(self, base_sha: str, head_sha: str, diff_text: str) -> None:
        """What GitHub knows of the pull request: its commits and the lines its diff shows."""
        self.base_sha, self.head_sha, self.commentable = base_sha, head_sha, diff_lines(diff_text)

    def authenticate(self, headers: dict[str, str]) -> None:
        if headers.get("Authorization") not in (f"token {self.token}", f"Bearer {self.token}"):
            raise Reply(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})

    def rate_limit_reply(self) -> Reply:
        """The primary limit (403 and X-RateLimit-Reset), or with ``secondary_limit`` a 429 with Retry-After."""
        if self.secondary_limit:
            return Reply(429, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "1"})
        return Reply(
            403,
            {"message": "API rate limit exceeded for installation ID 1."},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5000", "X-RateLimit-Reset": str(int(time.time()))},
        )

    def _api(self, path: str) -> str:
        return f"{self.url}/repos/{self.repo}{path}"

    def _check_pull(self, match) -> None:
        if match["repo"] != self.repo or int(match["n"]) != self.number:
            raise Reply(404, {"message": "Not Found"})

    def get_pull(self, match, query, body):
        self._check_pull(match)
        return {
            "url": self._api(f"/pulls/{self.number}"),
            "issue_url": self._api(f"/issues/{self.number}"),
            "number": self.number,
            "state": "open",
            "head": {"sha": self.head_sha},
            "base": {"sha": self.base_sha},
        }

    def get_commit(self, match, query, body):
        return {"sha": match["sha"], "url": self._api(f"/commits/{match['sha']}")}

    def list_review_comments(self, match, query, body):
        self._check_pull(match)
        return self.page(f"/repos/{self.repo}/pulls/{self.number}/comments", self.review_comments, query)

    def _refusal(self, comment: dict) -> str | None:
        lines = self.commentable.get(comment.get("path"), {})
        if comment.get("side", "RIGHT") != "RIGHT" or comment.get("line") not in lines:
            return "Line could not be resolved"
        start = comment.get("start_line")
        if start is not None and (start not in lines or start >= comment["line"]):
            return "Start line could not be resolved" if start not in lines else "start_line must precede line"
        return None

    def _new_review_comment(self, comment: dict, commit_id: str, login: str | None = None) -> dict:
        number = next(self._ids)
        stored = {
            "id": number,
            "body": comment["body"],
            "path": comment["path"],
            "line": comment["line"],
            "start_line": comment.get("start_line"),
            "side": "RIGHT",
            "commit_id": commit_id,
            "url": self._api(f"/pulls/comments/{number}"),
            "user": {"login": login or self.viewer},
            "thread": {"id": f"PRRT_kw{number}", "resolved_by": None},
        }
        self.review_comments.append(stored)
        return stored

    def add_review_comment(self, body: str, path: str, line: int, login: str) -> dict:
        """A comment someone else wrote (e.g. quoting codex's marker)."""
        return self._new_review_comment({"body": body, "path": path, "line": line}, self.head_sha, login)

    def graphql(self, match, query, body):
        """The pull request's ``reviewThreads`` and ``comments`` (pages of two, whatever ``first`` asks, each comment
        with ``viewerDidAuthor``), ``resolveReviewThread`` and ``unresolveReviewThread``."""
        if self.graphql_errors:
            return {"errors": self.graphql_errors}
        text, variables = body.get("query", ""), body.get("variables") or {}
        mutation = re.match(r"\s*mutation\b.*?\{\s*(\w+)\(input:", text, re.S)
        if mutation:
            return self._thread_mutation(mutation.group(1), variables.get("input", {}))
        first = re.search(r"\b(reviewThreads|comments)\(first:\s*(\d+)", text)
        if first is None or not 1 <= int(first.group(2)) <= 100:
            return {"errors": [{"type": "EXCESSIVE_PAGINATION", "message": "Requesting up to 100 records is allowed."}]}
        if (f"{variables.get('owner')}/{variables.get('name')}", variables.get("number")) != (self.repo, self.number):
            return {"errors": [{"type": "NOT_FOUND", "path": ["repository"], "message": "Could not resolve to a Repository."}]}
        connection = first.group(1)
        items = [c for c in self.review_comments if "thread" in c] if connection == "reviewThreads" else self.issue_comments
        start = int(variables.get("cursor") or 0)
        page = items[start : start + 2]
        authored = lambda c: {"databaseId": c["id"], "viewerDidAuthor": c["user"]["login"] == self.viewer}  # noqa: E731
        nodes = (
            [{"id": c["thread"]["id"], "isResolved": c["thread"]["resolved_by"] is not None, "comments": {"nodes": [authored(c)]}} for c in page]
            if connection == "reviewThreads"
            else [authored(c) for c in page]
        )
        more = start + 2 < len(items)
        return {
            "data": {
                "repository": {"pullRequest": {connection: {"pageInfo": {"hasNextPage": more, "endCursor": str(start + 2) if more else None}, "nodes": nodes}}}
            }
        }

    def _thread_mutation(self, name: str, mutation_input: dict) -> dict:
        if name not in ("resolveReviewThread", "unresolveReviewThread"):
            return {"errors": [{"message": f"Field '{name}' doesn't exist on type 'Mutation'"}]}
        thread_id = mutation_input.get("threadId")
        comment = next((c for c in self.review_comments if c.get("thread", {}).get("id") == thread_id), None)
        if comment is None:
            return {"errors": [{"type": "NOT_FOUND", "path": [name], "message": f"Could not resolve to a node with the global id of '{thread_id}'"}]}
        comment["thread"]["resolved_by"] = self.viewer if name == "resolveReviewThread" else None
        return {"data": {name: {"thread": {"id": thread_id, "isResolved": name == "resolveReviewThread"}}}}

    def resolved(self) -> list[tuple[int, bool]]:
        """(id, is its thread resolved) of each review comment."""
        return [(c["id"], c["thread"]["resolved_by"] is not None) for c in self.review_comments]

    def create_review(self, match, query, body):
        self._check_pull(match)
        if body.get("event") == "COMMENT" and not body.get("body"):
            raise Reply(422, {"message": "Unprocessable Entity", "errors": ["Body is required for COMMENT"]})
        refusals = [r for r in map(self._refusal, body.get("comments", [])) if r]
        if refusals:
            self.refused += 1
            raise Reply(422, {"message": "Unprocessable Entity", "errors": refusals[:1]})
        for comment in body.get("comments", []):
            self._new_review_comment(comment, body.get("commit_id", ""))
        review = {"id": next(self._ids), "body": body.get("body", ""), "state": "COMMENTED"}
        self.reviews.append(review)
        return review

    def create_review_comment(self, match, query, body):
        self._check_pull(match)
        refusal = self._refusal(body)
        if refusal:
            self.refused += 1
            raise Reply(422, {"message": "Validation Failed", "errors": [refusal]})
        return 201, self._new_review_comment(body, body.get("commit_id", "")), {}

    def _find(self, items: list[dict], number: str) -> dict:
        found = next((c for c in items if c["id"] == int(number)), None)
        if found is None:
            raise Reply(404, {"message": "Not Found"})
        return found

    def edit_review_comment(self, match, query, body):
        comment = self._find(self.review_comments, match["id"])
        comment["body"] = body["body"]
        return comment

    def list_issue_comments(self, match, query, body):
        self._check_pull(match)
        return self.page(f"/repos/{self.repo}/issues/{self.number}/comments", self.issue_comments, query)

    def create_issue_comment(self, match, query, body):
        self._check_pull(match)
        number = next(self._ids)
        comment = {"id": number, "body": body["body"], "url": self._api(f"/issues/comments/{number}"), "user": {"login": self.viewer}}
        self.issue_comments.append(comment)
        return 201, comment, {}

    def edit_issue_comment(self, match, query, body):
        comment = self._find(self.issue_comments, match["id"])
        comment["body"] = body["body"]
        return comment
