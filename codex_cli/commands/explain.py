"""``codex explain ID``: a rule (or an RFC) as a terminal page — what it does, why, an example, what to use instead."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from codex_cli.commands._common import add_root, find_root

if TYPE_CHECKING:
    from rich.console import Console

    from codex.catalog import Catalog


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument("id", metavar="ID", help="a rule id (CX0001) or an RFC id (RFC-0001)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from codex.catalog import load_catalog
    from codex.config import load_config

    root = find_root(args.root)
    print_page(Console(highlight=False), load_catalog(root, load_config(root)), args.id)
    return 0


def print_page(console: Console, catalog: Catalog, key: str) -> None:
    """The page of the rule or RFC ``key`` (as ``Catalog.find`` reads it); a usage problem when there is none."""
    from codex.catalog import RfcPage
    from codex.problems import Problem, ProblemError

    found = catalog.find(key)
    if found is None:
        known = ", ".join([r.id for r in catalog.ruleset.rules] + list(catalog.rfcs))
        raise ProblemError(Problem(message=f"no rule or RFC {key!r} in the {catalog.origin}", hint=f"known: {known}", kind="usage"))
    if isinstance(found, RfcPage):
        _print_rfc(console, found)
    else:
        _print_rule(console, catalog.rule_page(found))


def page_text(catalog: Catalog, key: str, width: int = 100) -> str:
    """The page of ``key`` as plain text, no colour and no trailing blanks (the MCP tool's page, the editor's hover)."""
    import io

    from rich.console import Console

    out = io.StringIO()
    print_page(Console(file=out, width=width, color_system=None, highlight=False), catalog, key)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _heading(console, text: str) -> None:
    console.print()
    console.print(f"[bold]{text}[/]")


def _print_rule(console, page) -> None:
    from rich.markdown import Markdown
    from rich.markup import escape

    rule = page.rule
    console.print(f"[bold]{rule.id}[/] [bold cyan]{escape(rule.title)}[/] ({rule.rfc.id})")
    console.print(f"[dim]{rule.severity.value} · {rule.stage.value} · {', '.join(rule.languages)} · {rule.matcher.kind}[/]")
    _heading(console, "What it does")
    console.print(Markdown(page.what))
    _heading(console, "Why is this bad?")
    console.print(Markdown(page.why or "The RFC gives no more detail."))
    for title, snippet in (("Example", page.example), ("Fix", page.fix), ("Use instead", page.instead)):
        if snippet is not None:
            _heading(console, title)
            _print_snippet(console, snippet)
    _heading(console, "Stage and rollout")
    for line in page.stage:
        console.print(escape(line))
    _heading(console, "RFC")
    where = page.rfc.reference if page.rfc and page.rfc.shipped and not rule.rfc.web_url else rule.rfc.link
    console.print(f"{rule.rfc.id}: {escape(rule.rfc.title)} — {escape(where)}")


def _print_snippet(console, snippet) -> None:
    from rich.syntax import Syntax

    console.print(
        Syntax(snippet.code.rstrip("\n"), snippet.language, line_numbers=True, highlight_lines=set(snippet.flagged), word_wrap=True, theme="ansi_dark")
    )
    if snippet.flagged:
        console.print(f"[dim]flagged: line {', '.join(map(str, snippet.flagged))} (from {snippet.origin})[/]")


def _print_rfc(console, page) -> None:
    from rich.markdown import Markdown
    from rich.markup import escape
    from rich.table import Table

    meta = page.meta
    console.print(f"[bold]{meta.id}[/] [bold cyan]{escape(meta.title)}[/]")
    facts = [meta.status.value, f"by {', '.join(meta.authors)}", f"created {meta.created}"]
    if meta.incidents:
        facts.append(f"incidents {', '.join(meta.incidents)}")
    console.print(f"[dim]{escape(' · '.join(facts))}[/]")
    _heading(console, "Why")
    console.print(Markdown(page.intro or "The RFC source is not available here."))
    _heading(console, "Rules")
    table = Table(show_edge=False)
    for column in ("rule", "severity", "stage", "if you need", "use"):
        table.add_column(column)
    for rule in page.rules:
        table.add_row(rule.id, rule.severity.value, rule.stage.value, escape(rule.need), escape(rule.use))
    console.print(table if page.rules else "No active rules (the RFC is deprecated or superseded).")
    _heading(console, "Source")
    console.print(escape(page.reference))
    console.print(f"[dim]codex explain {page.rules[0].id if page.rules else 'RULE'} shows a rule in full.[/]")
