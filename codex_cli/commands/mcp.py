"""``codex mcp``: the codex as Model Context Protocol tools for coding agents, served over stdio in a repository."""

from __future__ import annotations

import argparse

from codex_cli.commands._common import add_root, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)


def run(args: argparse.Namespace) -> int:
    from codex.problems import Problem, ProblemError
    from codex_cli.commands._mcp_tools import Workspace

    root = find_root(args.root)
    try:
        from codex_cli.commands._mcp_server import serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in ("codex", "reviewer"):
            raise
        raise ProblemError(
            Problem(kind="usage", message=f"codex mcp needs the MCP Python SDK, which is not installed ({exc})", hint="pip install 'codex-rfc[mcp]'")
        ) from None
    serve(Workspace(root))
    return 0
