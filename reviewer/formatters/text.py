"""``--format text``: findings grouped by file, with the remedy and the RFC link; coloured on a terminal."""

from __future__ import annotations

from itertools import groupby
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from codex.model import Stage
from reviewer.finding import Report
from reviewer.formatters.base import Formatter

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


class TextFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        console = Console(file=out, highlight=False, soft_wrap=True)
        shown = [f for f in report.findings if f.stage is not Stage.shadow]
        for path, findings in groupby(shown, key=lambda f: f.path):
            console.print(f"[bold underline]{escape(path)}[/]")
            for f in findings:
                tag = "blocking" if f.blocking else f.stage.value
                console.print(f"  {escape(path)}:{f.line}:{f.column}  [{_STYLE[f.severity.value]}]{f.rule_id}[/] "
                              f"[dim]({tag})[/]  {escape(f.message)}")
                console.print(f"      [green]use:[/] {escape(f.use)}  [dim](if you need {escape(f.need)})[/]")
                console.print(f"      [blue]why:[/] {f.rfc.id} {escape(f.rfc.title)} — {escape(f.rfc.link)}")
            console.print()
        if report.errors:
            console.print("[bold]Not checked / problems:[/]")
            for problem in report.errors:
                console.print(f"  [magenta]![/] {escape(str(problem))}")
            console.print()
        llm = report.stats.get("llm", {})
        if llm.get("status") == "skipped" and llm.get("rules"):
            console.print(f"[dim]LLM pass skipped ({escape(llm['reason'])}): {len(llm['rules'])} judgment rule(s) not reviewed.[/]")
        console.print(summary_line(report, len(shown)))


def summary_line(report: Report, shown: int) -> str:
    stats = report.stats
    blocking = len(report.blocking)
    files = len({f.path for f in report.findings})
    verdict = "[bold red]blocked[/]" if blocking else "[bold green]passed[/]"
    seconds = stats.get("seconds", {}).get("total", 0.0)
    return (f"codex: {verdict} — {shown} finding(s), {blocking} blocking, in {files} file(s); "
            f"{stats.get('files_checked', 0)} file(s) checked, {len(report.errors)} problem(s); "
            f"ruleset {stats.get('ruleset', {}).get('version', '?')}; {seconds:.1f} s")
