"""``--format text``: findings grouped by file, each with its source line, the rule's statement, the RFC link,
``codex explain`` and how to override it; coloured on a terminal."""

from __future__ import annotations

import re
from itertools import groupby
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from codex.model import statement
from reviewer.finding import Finding, Report
from reviewer.formatters.base import Formatter, shown
from reviewer.overrides import override_comment
from reviewer.stats import LlmNotRun, LlmRan, LlmStats, RunStats

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # controls, bidi overrides


class TextFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        console = Console(file=out, highlight=False, soft_wrap=True, emoji=False)  # source text is shown as it is
        visible = shown(report)
        for path, findings in groupby(visible, key=lambda f: f.path):
            console.print(f"[bold underline]{escape(path)}[/]")
            for f in findings:
                console.print(f"  {heading(f)}")
                for line in finding_lines(f):
                    console.print(f"      {line}")
            console.print()
        if report.needs_human_review:
            console.print("[bold]Needs human review[/] (let through by `codex: allow` overrides):")
            for f in report.needs_human_review:
                console.print(f"  {escape(f.path)}:{f.line}  {f.rule_id} — {escape(f.override_reason or '')}")
            console.print()
        if report.errors:
            console.print("[bold]Not checked / problems:[/]")
            for problem in report.errors:
                console.print(f"  [magenta]![/] {escape(str(problem))}")
            console.print()
        for line in llm_lines(report.stats.llm if isinstance(report.stats, RunStats) else None):
            console.print(line)
        console.print(summary_line(report, visible))


def heading(f: Finding) -> str:
    """A finding's first line (rich markup): where, the rule, the verdict and the message."""
    tag = "blocking" if f.blocking else f"overridden: {escape(f.override_reason or '')}" if f.overridden else f.stage.value
    return f"{escape(f.path)}:{f.line}:{f.column}  [{_STYLE[f.severity.value]}]{f.rule_id}[/] [dim]({tag})[/]  {escape(f.message)}"


def finding_lines(f: Finding) -> list[str]:
    """What follows a finding's heading (rich markup): its source line, the rule's statement, the model's reason, the
    RFC, and for a rule's finding ``codex explain`` and the override comment in the file's own comment syntax."""
    lines = [f"[dim]{f.line} |[/] {escape(printable_source(f.source_line))}"] if f.source_line and f.source_line.strip() else []
    if f.engine == "codex":  # about an override: not a rule to explain or override
        lines.append(f"[green]fix:[/] {escape(f.use)}")
    else:
        lines.append(f"[green]rule:[/] {escape(statement(f.need, f.use))}")
    if f.fix is not None and not f.overridden:
        shown = printable_source(f.fix.split("\n")[0]) + (" …" if "\n" in f.fix else "")
        lines.append(f"[green]autofix:[/] {escape(shown)}  [dim](codex check --fix applies it)[/]")
    if f.reason:
        lines.append(f"[yellow]model:[/] {escape(f.reason)}")
    lines.append(f"[blue]why:[/] {f.rfc.id} {escape(f.rfc.title)}" + (f" — {escape(f.rfc.web_url)}" if f.rfc.web_url else ""))
    if f.engine != "codex":
        lines.append(f"[blue]explain:[/] codex explain {f.rule_id}")
        comment = override_comment(f.path, f.rule_id)
        if not f.overridden:
            lines.append(
                f"[blue]override:[/] {escape(comment)}  [dim](on this line or the one above)[/]"
                if comment
                else "[blue]override:[/] not possible in this file (its format has no comments)"
            )
    return lines


def printable_source(line: str) -> str:
    """A source line as a terminal shows it safely: indentation dropped, tabs as spaces, control characters and bidi
    overrides as escapes (``\\x1b``), so a hostile file cannot reach the terminal."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", line.strip().expandtabs(4))


def summary_line(report: Report, visible: list[Finding]) -> str:
    """One line: the verdict, what was found (shadow findings left out) and what was checked."""
    stats = report.stats
    blocking = len(report.blocking)
    files = len({f.path for f in visible})
    verdict = {0: "[bold green]passed[/]", 1: "[bold red]blocked[/]"}.get(
        report.exit_code, "[bold red]failed: a configuration or usage error (see problems)[/]"
    )
    seconds = stats.seconds.get("total", 0.0) if isinstance(stats, RunStats) else 0.0
    compared = f"compared with {escape(stats.base)} ({stats.preexisting} finding(s) already there not reported); " if stats and stats.base else ""
    version = stats.ruleset.version if stats and stats.ruleset else "?"
    excluded = f"{stats.files_excluded} excluded (exclude, or linguist-generated/vendored), " if stats and stats.files_excluded else ""
    return (
        f"codex: {verdict} — {len(visible)} finding(s), {blocking} blocking, in {files} file(s); "
        f"{stats.files_checked if stats else 0} file(s) checked, {excluded}{compared}{len(report.errors)} problem(s); "
        f"ruleset {version}; {seconds:.1f} s"
    )


def llm_lines(llm: LlmStats | None) -> list[str]:
    """What the LLM pass did: skipped and why, or its cost report (tokens, requests, cache hits, per rule)."""
    lines: list[str] = []
    if isinstance(llm, LlmNotRun) and llm.rules:
        lines.append(f"[dim]LLM pass {llm.status} ({escape(llm.reason)}): {len(llm.rules)} judgment rule(s) not reviewed.[/]")
    elif isinstance(llm, LlmRan):
        cost = lambda c: f", cost {c.cost:.4f}" if c.cost is not None else ""  # noqa: E731
        cached = lambda c: f" ({c.tokens_cached:,} cached)" if c.tokens_cached else ""  # noqa: E731
        per_rule = "; ".join(
            f"{rule} {c.tokens_in:,} in{cached(c)} / {c.tokens_out:,} out, {c.requests} request(s), {c.cache_hits} cached{cost(c)}"
            for rule, c in llm.per_rule.items()
        )
        others = "" if set(llm.models) <= {llm.model} else "; answered by " + ", ".join(f"{escape(model)} ({count})" for model, count in llm.models.items())
        lines += [
            f"LLM pass ({escape(llm.model)}{others}): {llm.requests} request(s), {llm.tokens_in:,} tokens in{cached(llm)} / "
            f"{llm.tokens_out:,} out, {llm.cache_hits} cache hit(s){cost(llm)}" + (f" [dim](counted with {escape(llm.tokenizer)})[/]" if llm.tokenizer else ""),
            f"[dim]  per rule: {escape(per_rule)}[/]",
        ]
        if llm.verification is not None:
            v = llm.verification
            lines.append(
                f"  verification: {v.requests} request(s), {v.upheld} upheld, {v.refuted} refuted (dropped), {v.failed} failed"
                + (" [magenta](kept as warnings, need human review)[/]" if v.failed else "")
            )
        lines += [
            f"[magenta]  model {escape(f.model)} given up[/] ({escape(f.reason)}): " + (f"{escape(f.to)} asked instead" if f.to else "no model left")
            for f in llm.fallbacks
        ]
        if llm.unreviewed:
            lines.append(f"[magenta]  not reviewed:[/] {', '.join(llm.unreviewed)} (listed under problems)")
    if llm is not None and llm.require_llm_failed:
        lines.append(f"[bold red]--require-llm:[/] judgment rule(s) {', '.join(llm.unreviewed)} not reviewed: the check fails.")
    return lines
