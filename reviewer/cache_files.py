"""Files under the cache directory (the result cache's entries, the file index): read as a model, written at once,
named as reports name them. The cache directory is never committed nor listed as untracked: its ``.gitignore``
comes with the first directory made in it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class Unreadable(Exception):
    """A cache file that is there but cannot be read as what it should hold; ``why`` says what is wrong."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def read_model(path: Path, model: type[M]) -> M | None:
    """The file at ``path`` as ``model``; None when there is none (nor a directory to hold one: a directory that
    cannot be one is noted once, on writing). Raises Unreadable."""
    try:
        return model.model_validate_json(path.read_bytes())
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from exc
    except ValidationError as exc:
        raise Unreadable(f"{exc.error_count()} error(s), first: {exc.errors()[0]['msg']}") from exc


def write_at_once(path: Path, value: BaseModel, cache_dir: Path) -> None:
    """``value`` as the new content of ``path``, a file under ``cache_dir``: a concurrent reader sees the old file or
    the new one. Raises OSError."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = cache_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".tmp-", delete=False) as handle:
        handle.write(value.model_dump_json().encode())
    os.replace(handle.name, path)


def shown(path: Path, root: Path | None) -> str:
    """``path`` as a report names it: relative to the checked tree ``root`` when inside it, so a report names no
    directory of the machine that ran codex unless configured to (a cache directory outside the repository)."""
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return str(path)
