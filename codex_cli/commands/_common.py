"""Arguments and lookups shared by the commands."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path


def add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, help="the repository (default: the git checkout around the current directory)")


def output_file(value: str) -> Path:
    """An ``--output`` argument: a file in a directory that exists (checked before any work is done)."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a directory: give a file name")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{value}: the directory {path.parent} does not exist")
    return path


def add_today(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--today", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="judge rollouts on this date (default: today)")


def find_root(given: Path | None) -> Path:
    if given is not None:
        from codex.problems import Problem, ProblemError

        if not given.is_dir():
            raise ProblemError(Problem(path=str(given), message="--root is not a directory", kind="usage"))
        return given.resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def repo_prefix(root: Path) -> str:
    """Where ``root`` lies in its repository (``services/api/``; empty at its top or outside one): what code scanning and
    review platforms, which read paths from the repository's top, need before a report's root-relative paths. The top
    is the nearest directory with a ``.git`` (as ``find_root`` finds it; a worktree's or submodule's is a file)."""
    root = root.resolve()
    top = next((candidate for candidate in (root, *root.parents) if (candidate / ".git").exists()), root)
    inside = root.relative_to(top).as_posix()
    return "" if inside == "." else f"{inside}/"
