"""A pull request's review threads and conversation comments through GitHub's GraphQL API: REST cannot resolve a
thread, GraphQL's ``resolveReviewThread`` can; and REST cannot say whether the token's user wrote a comment (``GET
/user`` is refused to an Actions token), GraphQL's ``viewerDidAuthor`` can. Which threads and comments codex may
touch is decided by it."""

from __future__ import annotations

from collections.abc import Iterator

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


COMMENTS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      comments(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { databaseId viewerDidAuthor }
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


class _IssueComments(_Model):
    page_info: _PageInfo = Field(alias="pageInfo")
    nodes: list[_Comment]


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
        for data in self._pages(THREADS_QUERY, "reviewThreads"):
            for thread in _Threads.model_validate(data).nodes:
                for first in thread.comments.nodes[:1]:
                    if first.viewer_did_author:
                        own[first.database_id] = thread
                    else:
                        others.add(first.database_id)
        return own, others

    def own_comments(self) -> set[int]:
        """The REST ids of the pull request's conversation comments this token's user wrote."""
        return {c.database_id for data in self._pages(COMMENTS_QUERY, "comments") for c in _IssueComments.model_validate(data).nodes if c.viewer_did_author}

    def _pages(self, query: str, connection: str) -> Iterator[dict]:
        """Each page of the pull request's ``connection``, following its cursor."""
        cursor = None
        while True:
            _, data = self.requester.graphql_query(query, {**self.variables, "cursor": cursor})
            page = data["data"]["repository"]["pullRequest"][connection]
            yield page
            info = _PageInfo.model_validate(page["pageInfo"])
            if not info.has_next_page:
                return
            cursor = info.end_cursor

    def set_resolved(self, thread: ReviewThread, resolved: bool) -> None:
        """Resolve (or unresolve) one thread, unless it already is."""
        if thread.is_resolved != resolved:
            mutation = "resolveReviewThread" if resolved else "unresolveReviewThread"
            self.requester.graphql_named_mutation(mutation, {"threadId": thread.id}, "thread { id isResolved }")
