"""Retries of a review's platform API calls: bounded by one deadline, and never of a create that may have landed.

Reads and edits (GET, PUT, PATCH, DELETE) are retried on a 5xx, a rate limit (waiting as ``Retry-After`` says) or a
broken connection, while the deadline allows the wait. A POST creates something: after a 5xx or a timeout it may
have been applied, so it is not retried here; ``create_once`` looks for what it created before trying again. A
rate limit refuses a request unprocessed, so a POST is retried on one; so is a connection that never opened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Self

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
RATE_LIMITED = frozenset({403, 429})  # GitHub's rate limits answer 403 or 429 (GitLab's 429); the request was not processed


class DeadlineRetry(Retry):
    """urllib3's ``Retry`` for one review: idempotent methods only (a POST on a rate limit alone), and no retry whose
    wait would end past ``deadline`` (a ``time.monotonic()`` value). The last answer is returned, not raised, so the
    client library reports its status."""

    def __init__(self, *, deadline: float, **kwargs: Any):
        kwargs.setdefault("allowed_methods", IDEMPOTENT)
        kwargs.setdefault("raise_on_status", False)
        super().__init__(**kwargs)
        self.deadline = deadline

    def new(self, **kw: Any) -> Self:
        return super().new(deadline=self.deadline, **kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() not in IDEMPOTENT:
            return status_code in RATE_LIMITED and status_code in (self.status_forcelist or ())
        return super().is_retry(method, status_code, has_retry_after)

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
        wait = self.get_retry_after(response) if response is not None else None
        if left <= 0 or (wait is not None and wait > left):
            why = "no retry: the API deadline has passed" if left <= 0 else f"no retry: Retry-After {wait:g} s is past the API deadline"
            raise MaxRetryError(_pool, url or "", error or ResponseError(why))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def create_once(create: Callable[[], object], landed: Callable[[], bool], transient: Callable[[BaseException], bool], tries: int, deadline: float) -> None:
    """Create something with ``create`` (a POST), at most ``tries`` times before ``deadline``: after a failure that
    may have been applied (``transient``: a 5xx, a timeout), ``landed`` looks for it first, and only if it is not there
    is it sent again. Anything else, or the last failure, is raised."""
    for attempt in range(1, tries + 1):
        try:
            create()
            return
        except Exception as exc:
            if not transient(exc):
                raise
            if landed():
                return
            if attempt == tries or time.monotonic() >= deadline:
                raise
