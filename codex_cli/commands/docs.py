"""``codex docs --out DIR``: the codex as a static HTML catalog that works offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from codex_cli.commands._common import add_root, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write the site (created if missing)")
    parser.add_argument("--title", default="The codex", help="the catalog's title")


def run(args: argparse.Namespace) -> int:
    from codex.catalog import load_catalog
    from codex.config import load_config
    from codex.docs_site import build_site

    root = find_root(args.root)
    catalog = load_catalog(root, load_config(root))
    written = build_site(catalog, args.out, args.title)
    print(
        f"codex docs: {len(written)} file(s) → {args.out / 'index.html'} ({len(catalog.ruleset.rules)} rules from {len(catalog.rfcs)} RFCs, {catalog.origin})"
    )
    return 0
