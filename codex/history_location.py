"""Where run history goes: a SQLite file (a path, or ``sqlite:///path``) or a PostgreSQL URL, from
``[tool.codex.governance] history`` or ``CODEX_HISTORY_URL``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from codex.problems import Problem, ProblemError

if TYPE_CHECKING:
    from codex.config import CodexConfig

ENV_VAR = "CODEX_HISTORY_URL"
POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")  # two letters at least: ``C:\…`` stays a path
_FORMS = "a file path, sqlite:///relative/path, sqlite:////absolute/path or postgresql://user@host:5432/database"


@dataclass(frozen=True)
class HistoryLocation:
    """A parsed history setting: ``target`` is the file path as written (relative to the repository) or the URL."""

    kind: Literal["sqlite", "postgresql"]
    target: str

    def path(self, root: Path) -> Path:
        """The SQLite file, relative paths taken from the repository ``root``."""
        path = Path(self.target)
        return path if path.is_absolute() else root / path


def parse_location(value: str) -> HistoryLocation:
    """``value`` as a location; ``ValueError`` for an unsupported or malformed URL (the message never repeats the
    value, which may hold a password)."""
    match = _SCHEME.match(value)
    if match is None:
        if "://" in value:
            raise ValueError(f"not a URL codex can record into: give {_FORMS}")
        return HistoryLocation("sqlite", value)
    scheme, rest = match[1].lower(), value[match.end() :]
    if scheme in POSTGRES_SCHEMES:
        if not rest.startswith("//"):
            raise ValueError(f"'{match[1]}:' must be followed by '//': postgresql://user@host:5432/database")
        try:
            for host in urlsplit(value).netloc.rpartition("@")[2].split(","):  # libpq takes several: host1:5432,host2:5432
                urlsplit(f"//{host}").port  # noqa: B018 -- reading the port validates it
        except ValueError as exc:  # urllib's messages name the part (the port, the IPv6 brackets), not the password
            raise ValueError(f"not a valid URL ({exc}): postgresql://user@host:5432/database") from None
        return HistoryLocation("postgresql", value)
    if scheme == "sqlite":
        if not rest.startswith("///") or len(rest) == 3:
            raise ValueError("a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path")
        return HistoryLocation("sqlite", rest[3:])
    raise ValueError(f"unsupported scheme '{match[1]}:'; give {_FORMS}")


def configured_location(config: CodexConfig) -> HistoryLocation | None:
    """The history to record into and read: ``CODEX_HISTORY_URL`` when set, else ``[tool.codex.governance] history``
    (validated with the configuration); ``None``: record nothing. A bad variable is a configuration problem naming it."""
    value = os.environ.get(ENV_VAR) or config.governance.history
    if not value:
        return None
    try:
        return parse_location(value)
    except ValueError as exc:
        raise ProblemError(Problem(message=f"{ENV_VAR}: {exc}", hint="fix the variable or unset it", kind="config")) from None
