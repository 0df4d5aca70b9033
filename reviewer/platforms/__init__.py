"""Where ``codex review`` runs: the merge request a CI job is building, and how to talk to its platform."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

if TYPE_CHECKING:
    from reviewer.platforms.review import Platform

API_RETRIES = 2  # tries after the first, for a transient error (5xx, timeout) of one API call
API_DEADLINE = 120.0  # seconds for all of a review's API calls: past it, a transient error is not retried

# platform → its module, which has ``detect(env)``, ``connect(mr)`` and ``API_ERRORS``; detected in this order
REGISTRY = {
    "github": "reviewer.platforms.github",
    "gitlab": "reviewer.platforms.gitlab",
}


def _registered(name: str) -> str:
    if name not in REGISTRY:
        raise ValueError(f"not a platform codex knows: {name} (known: {', '.join(REGISTRY)})")
    return name


class MergeRequest(BaseModel):
    """A merge (pull) request as CI describes it. The token is a ``SecretStr``: it never prints."""

    model_config = ConfigDict(frozen=True)

    platform: Annotated[str, AfterValidator(_registered)]
    api_url: str = Field(description="what the client library is given: GitHub's API URL, GitLab's server URL")
    project: str = ""
    number: int
    base_sha: str
    head_sha: str
    token: SecretStr | None = None
    token_name: str = Field(description="the variable the token is read from, for messages")
    files_url: str = Field("", description="web address of the repository's files: <files_url>/<sha>/<path>")
    fetch_hint: str = Field(description="what to set when the clone lacks the commits")
    checkout_hint: str = Field(description="how to check out the head commit")


def detect(env: Mapping[str, str]) -> MergeRequest | None:
    """The merge request of the CI run, as the first platform that recognises it describes it (a GitHub Actions
    ``pull_request`` run, a GitLab merge request pipeline)."""
    for module in REGISTRY.values():
        mr: MergeRequest | None = importlib.import_module(module).detect(env)
        if mr is not None:
            return mr
    return None


def connect(mr: MergeRequest) -> tuple[Platform, tuple[type[BaseException], ...]]:
    """A client for the merge request's platform, and the exceptions its API calls raise."""
    module = importlib.import_module(REGISTRY[mr.platform])
    return module.connect(mr), module.API_ERRORS


def redact(text: str, mr: MergeRequest) -> str:
    """``text`` with the token (if any) and any credentials in the API URL masked: for every message that leaves the process."""
    from reviewer.redact import redact as masked, url_secrets

    return masked(text, [mr.token.get_secret_value() if mr.token else None, *url_secrets(mr.api_url)])
