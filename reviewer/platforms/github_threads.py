"""A pull request's review threads through GitHub's GraphQL API: REST cannot resolve a thread, GraphQL's
``resolveReviewThread`` can. Which threads codex may touch is decided by ``viewerDidAuthor`` of their first comment."""

from __future__ import annotations

from github.Requester import Requester
from pydantic import BaseModel, ConfigDict, Field

THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved comments(first: 1) { nodes { databaseId viewerDidAuthor } } }
      }
    }
  }
}
"""


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _Comment(_Model):
    database_id: int = Field(alias="databaseId")
    viewer_did_author: bool = Field(alias="viewerDidAuthor")


class _Comments(_Model):
    nodes: list[_Comment]


class ReviewThread(_Model):
    id: str
    is_resolved: bool = Field(alias="isResolved")
    comments: _Comments


class _PageInfo(_Model):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: str | None = Field(None, alias="endCursor")


class _Threads(_Model):
    page_info: _PageInfo = Field(alias="pageInfo")
    nodes: list[ReviewThread]


class OwnThreads:
    """The review threads a comment of this token's user opens, by the REST id of that comment."""

    def __init__(self, requester: Requester, project: str, number: int):
        self.requester = requester
        owner, _, name = project.partition("/")
        self.variables: dict[str, object] = {"owner": owner, "name": name, "number": number}

    def load(self) -> tuple[dict[int, ReviewThread], set[int]]:
        """(own threads by their first comment's REST id, the REST ids of first comments someone else wrote)."""
        own: dict[int, ReviewThread] = {}
        others: set[int] = set()
        cursor = None
        while True:
            _, data = self.requester.graphql_query(THREADS_QUERY, {**self.variables, "cursor": cursor})
            page = _Threads.model_validate(data["data"]["repository"]["pullRequest"]["reviewThreads"])
            for thread in page.nodes:
                for first in thread.comments.nodes[:1]:
                    if first.viewer_did_author:
                        own[first.database_id] = thread
                    else:
                        others.add(first.database_id)
            if not page.page_info.has_next_page:
                return own, others
            cursor = page.page_info.end_cursor

    def set_resolved(self, thread: ReviewThread, resolved: bool) -> None:
        """Resolve (or unresolve) one thread, unless it already is."""
        if thread.is_resolved != resolved:
            mutation = "resolveReviewThread" if resolved else "unresolveReviewThread"
            self.requester.graphql_named_mutation(mutation, {"threadId": thread.id}, "thread { id isResolved }")
