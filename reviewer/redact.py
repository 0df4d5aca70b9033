"""Secrets kept out of every message that leaves the process: API keys, tokens, and credentials in URLs."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

MASK = "***"


def url_secrets(url: str | None) -> list[str]:
    """The credentials a URL carries: its password (its user name when that stands alone: a key) and every query value."""
    if not url:
        return []
    parts = urlsplit(url)
    return [s for s in (parts.password or parts.username, *(v for _, v in parse_qsl(parts.query, keep_blank_values=True))) if s]


def redact_url(url: str) -> str:
    """``url`` fit to print: ``user:password@`` becomes ``***@`` and every query value ``***``."""
    parts = urlsplit(url)
    netloc = f"{MASK}@{parts.netloc.rpartition('@')[2]}" if "@" in parts.netloc else parts.netloc
    query = "&".join(f"{key}={MASK}" for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (a key echoed in an API error, a URL's password) masked, longest first."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
