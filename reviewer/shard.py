"""Deterministic partition of a change set for a CI matrix: ``--shard I/N``."""

from __future__ import annotations

import dataclasses
import hashlib

from reviewer.changes import ChangeSet


def shard_of(path: str, count: int) -> int:
    """The shard (1..count) a repository-relative path belongs to: a hash, so stable across runs and machines."""
    return int.from_bytes(hashlib.sha256(path.encode("utf-8", "surrogateescape")).digest()[:8], "big") % count + 1


def take_shard(changes: ChangeSet, index: int, count: int) -> ChangeSet:
    """The files of shard ``index`` of ``count``; every file is in exactly one shard."""
    return dataclasses.replace(changes, files=[f for f in changes.files if shard_of(f.path, count) == index])
