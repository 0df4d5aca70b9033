"""What a change set holds, in the shape tests compare with."""

from __future__ import annotations

from reviewer.changes import ChangeSet


def added(changes: ChangeSet) -> dict[str, set[int] | None]:
    """Each file's added lines (None: the whole file)."""
    return {f.path: (set(f.added) if f.added is not None else None) for f in changes.files}
