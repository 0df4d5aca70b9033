"""Which repository and pipeline a run came from: the CI project when CI says, else the git remote, never credentials."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>(?!//).+)$")  # git@github.com:acme/svc.git


@dataclass(frozen=True)
class RunOrigin:
    repository: str | None  # host/path, e.g. github.com/acme/svc; None when neither CI nor a remote says
    pipeline: str | None  # the CI pipeline (workflow run) id


def run_origin(root: Path, environ: Mapping[str, str] = os.environ) -> RunOrigin:
    """GitHub Actions' GITHUB_REPOSITORY and GITLAB's CI_PROJECT_PATH (on their server's host), else the remote of the
    repository at ``root`` (``origin``, or the first one); the pipeline from GITHUB_RUN_ID or CI_PIPELINE_ID."""
    if project := environ.get("GITHUB_REPOSITORY"):
        repository: str | None = f"{urlsplit(environ.get('GITHUB_SERVER_URL') or 'https://github.com').hostname}/{project}"
    elif project := environ.get("CI_PROJECT_PATH"):
        repository = f"{environ.get('CI_SERVER_HOST') or 'gitlab.com'}/{project}"
    else:
        remote = _remote_url(root)
        repository = repository_identity(remote) if remote else None
    return RunOrigin(repository, environ.get("GITHUB_RUN_ID") or environ.get("CI_PIPELINE_ID") or None)


def repository_identity(remote: str) -> str:
    """``host/path`` of a git remote, without credentials, port, scheme or ``.git``: one name for a repository whether
    it was cloned over HTTPS or SSH (``https://u:t@github.com/acme/svc.git``, ``git@github.com:acme/svc`` →
    ``github.com/acme/svc``). A local path stays a path."""
    if "://" in remote:
        parts = urlsplit(remote)
        host, path = parts.hostname or "", parts.path
    elif match := _SCP_LIKE.match(remote):
        host, path = match["host"], match["path"]
    else:
        host, path = "", remote
    path = path.strip("/").removesuffix(".git")
    return f"{host}/{path}" if host else path


def _remote_url(root: Path) -> str | None:
    import git

    try:
        remotes = git.Repo(root).remotes
        remote = next((r for r in remotes if r.name == "origin"), remotes[0] if remotes else None)
        return next(iter(remote.urls), None) if remote else None
    except (git.GitError, ValueError, OSError):  # not a repository, or its configuration unreadable: no remote
        return None
