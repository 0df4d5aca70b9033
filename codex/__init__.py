"""codex: engineering RFCs compiled into enforced checks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from importlib import metadata

__version__ = "0.1.0"
DISTRIBUTION = "codex-rfc"


def home_url(dist: metadata.Distribution | None = None) -> str | None:
    """Where codex comes from, as an http(s) address a reader can open: the repository it was installed from
    (pip's ``direct_url.json``, credentials dropped), else its metadata's ``Project-URL`` (Repository first) or
    ``Home-page``; None when neither is an http(s) URL (an install from a directory is a file path, never given)."""
    from importlib import metadata  # here: reading package metadata loads the email package, which only SARIF needs

    try:
        dist = dist or metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    try:
        installed_from = json.loads(dist.read_text("direct_url.json") or "{}").get("url")
    except (json.JSONDecodeError, AttributeError):
        installed_from = None
    labelled = dict(entry.partition(",")[::2] for entry in dist.metadata.get_all("Project-URL") or [])
    labelled = {label.strip().lower(): url.strip() for label, url in labelled.items()}
    candidates = [
        installed_from,
        labelled.get("repository"),
        labelled.get("source"),
        labelled.get("homepage"),
        *labelled.values(),
        *(dist.metadata.get_all("Home-page") or []),
    ]
    return next((url for url in map(_web_url, candidates) if url), None)


def _web_url(url: object) -> str | None:
    """``url`` as an http(s) address without user or password, or None when it is not one."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
    except ValueError:  # a port that is not a number
        return None
    return urlunsplit((parts.scheme, host, parts.path.removesuffix(".git"), "", ""))
