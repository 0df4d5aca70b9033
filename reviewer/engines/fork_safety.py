"""Forking worker processes while other threads may be importing (the LLM pass's thread, a server's threads).

A forked child keeps only the thread that forked. A module another thread was importing at that moment stays, in
the child, half-initialised in ``sys.modules`` and locked by a thread the child does not have: importing it there
waits forever (``os.fork`` takes only CPython's global import lock, which no import holds for long, not the
per-module locks). A module the forking thread itself was importing is worse: the child's import hands back the
half-initialised module, one without its attributes. So the parent waits a moment for other threads' imports
before it forks, and a child that inherited one anyway does no work (see reviewer.engines.libcst). Python 3.11's
``functools.cached_property`` has the same trap: one lock per property for all instances, held while it computes
(``Target._read`` reads the file), so a child gets fresh ones.

There is no public view of the import locks: they are importlib's own (``importlib._bootstrap._module_locks``).
"""

from __future__ import annotations

import functools
import threading
import time
from importlib import _bootstrap

IMPORT_WAIT_SECONDS = 2.0  # the longest the parent waits for other threads' imports before forking anyway
_POLL_SECONDS = 0.001


def imports_in_progress(*, other_threads: bool = False) -> list[str] | None:
    """The modules whose import lock is held or being taken (by another thread than this one when
    ``other_threads``): their import has not finished. In a forked child, nothing can finish them. None when this
    Python's import locks are not what this reads (a later version may change them): then nobody can tell."""
    me = threading.get_ident()
    held = []
    try:
        for name, ref in list(_bootstrap._module_locks.items()):  # type: ignore[attr-defined]  # a copy: other threads add and drop locks
            lock = ref()
            if lock is None or (other_threads and lock.owner == me):
                continue
            raw = getattr(lock, "lock", None)  # the lock guarding the module lock's own fields
            if lock.count or (raw is not None and raw.locked()):  # count: an int (3.11), a list (3.12+)
                held.append(name)
    except (AttributeError, TypeError):
        return None
    return sorted(held)


def wait_for_imports() -> None:
    """Wait until no other thread is importing, at most ``IMPORT_WAIT_SECONDS`` (not at all when that cannot be told)."""
    deadline = time.monotonic() + IMPORT_WAIT_SECONDS
    while imports_in_progress(other_threads=True) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)


def unlock_cached_properties(cls: type) -> None:
    """In a forked child: fresh locks for ``cls``'s cached properties (Python 3.11's, which another thread of the
    parent may have held at the fork; later versions have none)."""
    for attr in vars(cls).values():
        if isinstance(attr, functools.cached_property) and hasattr(attr, "lock"):
            attr.lock = threading.RLock()
