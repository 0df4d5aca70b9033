"""``codex lsp``: the codex as a language server over stdio, for editors (diagnostics, fixes, overrides, rule pages)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="talk over stdin and stdout (the only transport; accepted for clients that pass it)")


def run(args: argparse.Namespace) -> int:
    from codex_cli.commands._lsp_server import serve

    serve()
    return 0
