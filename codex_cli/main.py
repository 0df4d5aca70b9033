"""The ``codex`` command: dispatches to one small module per subcommand."""

from __future__ import annotations

import argparse
import importlib
import keyword
import os
import shutil
import sys

from codex import __version__

COMMANDS = {
    "compile": "Compile rfcs/ into the machine ruleset in rules/.",
    "check": "Check changed code (or the whole tree) against the codex.",
    "test": "Run every rule's examples: bad blocks must be flagged exactly, good blocks not at all.",
    "merge": "Combine the reports of `codex check --shard I/N` runs (JSON or SARIF) into one.",
    "review": "Check a merge request in CI and comment on it (GitHub Actions, GitLab CI).",
    "import": "Convert semgrep rules (and their annotated tests) into an RFC.",
    "explain": "Explain a rule or an RFC: what it does, why, an example and what to use instead.",
    "docs": "Write the codex as a static HTML catalog (works offline).",
    "new": "Scaffold a new RFC with one rule in the right shape.",
    "rules": "List every rule with the stages in force today (rollout cohorts by path and date).",
    "rollout": "Judge rollouts on run history: `status` per rule, `plan` proposes stage changes as a patch.",
    "replay": "Replay the current ruleset over a range of commits: which would have been blocked or warned.",
    "mcp": "Serve the codex to coding agents over the Model Context Protocol (stdio): rules, explain, check, test.",
    "lsp": "Run the language server (stdio): diagnostics while typing, fixes and overrides as code actions, rule pages on hover.",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``codex`` parser; with ``only``, the arguments of that command alone (the others' modules stay unloaded:
    ``codex check`` imports no other command)."""
    parser = argparse.ArgumentParser(prog="codex", description="Engineering RFCs, enforced on every merge request.")
    parser.add_argument("--version", action="version", version=f"codex {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if only in (None, name):
            _module(name).add_arguments(command)
    return parser


def _module(name: str):
    return importlib.import_module(f"codex_cli.commands.{name}_" if keyword.iskeyword(name) else f"codex_cli.commands.{name}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    named = next((arg for arg in argv if not arg.startswith("-")), None)  # codex's own options take no value
    parser = build_parser(named if named in COMMANDS else None)
    args = parser.parse_args(argv)
    from codex.problems import ProblemError  # after parsing: `codex --help` never loads pydantic

    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _module(args.command).run(args)
    except ProblemError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("codex: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last guard: no traceback reaches a user unless asked for
        if os.environ.get("CODEX_DEBUG"):
            import traceback

            traceback.print_exc()
        if no_git := _git_missing(exc):
            print(f"codex: {no_git}", file=sys.stderr)
            return 2
        print(f"codex: internal error: {type(exc).__name__}: {exc} (set CODEX_DEBUG=1 for details, and please report it)", file=sys.stderr)
        return 2


def _git_missing(exc: Exception) -> str | None:
    """The plain message when ``exc`` is GitPython failing for want of a ``git`` program (at import, or on a call)."""
    if shutil.which(os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git") is not None:
        return None
    if not (isinstance(exc, ImportError) or type(exc).__name__ == "GitCommandNotFound"):
        return None
    return (
        "git is not installed or not on PATH; codex needs it to read changes and history. Install git, or set "
        "GIT_PYTHON_GIT_EXECUTABLE to its path (`codex check --diff FILE` needs no git)"
    )


if __name__ == "__main__":
    sys.exit(main())
