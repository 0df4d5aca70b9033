"""Platform-neutral review: which findings to post, which threads to close, and the sticky summary.

Each comment carries its finding's fingerprint in a hidden HTML comment, so a re-run recognises
what it already posted: nothing is posted twice, and a finding that disappears gets its thread
resolved (GitLab) or its comment marked fixed (GitHub). Nothing is lost: whatever could not be
posted inline (refused by the API, outside the diff, over the comment cap) is in the summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from codex.model import Ruleset, statement
from reviewer.finding import Finding, Report
from reviewer.formatters.base import explain_command, shown, with_reason
from reviewer.formatters.github import plain_summary
from reviewer.platforms.merge_request import MergeDiff

SUMMARY_MARKER = "<!-- codex:summary -->"
_FINDING_MARKER = re.compile(r"<!-- codex:finding ([0-9a-f]+)(?: (fixed))? -->")
SUMMARY_LIMIT = 60_000  # GitHub caps a comment body at 65,536 characters


Handle = TypeVar("Handle")  # a platform's object for a comment thread


@dataclass
class Thread(Generic[Handle]):
    """A comment codex posted earlier; ``handle`` is the platform's object for it."""

    fingerprint: str
    fixed: bool
    handle: Handle
    settled: bool = True  # False: marked fixed, but its thread is still open (resolving it failed on an earlier run)


class Platform(Protocol[Handle]):
    """What ``publish`` needs from GitHub or GitLab. ``problems``: what failed without stopping the review (e.g. a
    thread not resolved), for the summary and the log."""

    problems: list[str]

    def threads(self) -> list[Thread[Handle]]: ...

    def mark_fixed(self, thread: Thread[Handle]) -> None: ...

    def reopen(self, thread: Thread[Handle], finding: Finding) -> None: ...

    def post(self, findings: list[Finding], diff: MergeDiff) -> list[tuple[Finding, str]]:
        """Post inline comments; return the ones the API refused, with its reason."""

    def upsert_summary(self, body: str) -> None: ...


@dataclass
class ReviewInput:
    report: Report
    diff: MergeDiff
    ruleset_origin: str
    notes: list[str] = field(default_factory=list)
    max_comments: int = 25


@dataclass
class Outcome:
    posted: list[Finding] = field(default_factory=list)
    kept: list[Finding] = field(default_factory=list)
    resolved: int = 0
    unposted: list[tuple[Finding, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_MARKDOWN = re.compile(r"[\\`*_{}\[\]()<>#!|~]")
_MENTION = re.compile(r"@(?=\w)")
_BACKTICKS = re.compile(r"`+")


def parse_marker(body: str) -> tuple[str, bool] | None:
    """The fingerprint in a comment codex wrote, and whether it is marked fixed."""
    found = _FINDING_MARKER.search(body or "")
    return (found.group(1), bool(found.group(2))) if found else None


def finding_body(f: Finding, suggestion_fence: str | None = None) -> str:
    """The comment for a finding; with ``suggestion_fence`` (the platform's info string) its fix as a suggestion.
    Without an RFC link a reader can open, a collapsible "Why" carries the rule's reasoning and the remedy."""
    tag = "blocking" if f.blocking else f"overridden: {inert_markdown(f.override_reason or '')}" if f.overridden else f.stage.value
    suggestion = fenced(f.fix, suggestion_fence) + "\n\n" if suggestion_fence and f.fix is not None else ""
    return (
        with_reason(f"**{f.rule_id}** ({tag}): {f.message}", f, "\n\n", inert_markdown) + "\n\n"
        f"{statement(f.need, f.use)}\n\n{suggestion}{_why(f)}\n\n"
        f"<!-- codex:finding {f.fingerprint} -->"
    )


def _why(f: Finding) -> str:
    if f.rfc.web_url:
        return f"Why: [{f.rfc.id} {f.rfc.title}]({f.rfc.web_url})"
    command = explain_command(f)
    reasoning = f"{f.explanation.strip()}\n\n" if f.explanation and f.explanation.strip() else ""
    remedy = f"**Instead:** use {f.use}." + (" The suggestion above applies the rule's fix." if f.fix is not None else "")
    local = f"\n\n`{command}` prints the rule in full, with examples." if command else ""
    return f"<details><summary>Why: {f.rfc.id} {f.rfc.title}</summary>\n\n{reasoning}{remedy}{local}\n\n</details>"


def fenced(text: str, info: str) -> str:
    """``text`` in a fenced code block with the ``info`` string: a fence of backticks longer than any run of backticks
    in ``text`` (three at least), since CommonMark closes a fence at the first line of as many backticks."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def fixed_body(body: str, head_sha: str) -> str:
    text = _FINDING_MARKER.sub("", body).rstrip()
    fingerprint = (parse_marker(body) or ("", False))[0]
    return f"✅ Fixed in {head_sha[:12]}: codex no longer reports this.\n\n~~{text.splitlines()[0]}~~\n\n<!-- codex:finding {fingerprint} fixed -->"


def link_rfcs(report: Report, files_url: str, commit: str, shipped: frozenset[str] = frozenset()) -> Report:
    """The report with a URL to the RFC file at ``commit`` on every finding whose RFC has none, so comments link
    somewhere; not for the ``shipped`` RFCs, whose files are not in the repository."""
    if not files_url:
        return report
    return report.model_copy(
        update={
            "findings": [
                f.model_copy(update={"rfc": f.rfc.model_copy(update={"url": f"{files_url}/{commit}/{f.rfc.path}#{f.rfc.anchor}"})})
                if f.rfc.web_url is None and f.rfc.id not in shipped and f.engine != "codex"
                else f
                for f in report.findings
            ]
        }
    )


def explain_unlinked(report: Report, ruleset: Ruleset) -> Report:
    """The report with each finding that has no RFC link carrying its rule's reasoning, for its comment."""

    def explained(f: Finding) -> Finding:
        rule = ruleset.rule(f.rule_id)
        return f.model_copy(update={"explanation": rule.description}) if rule and not f.rfc.web_url else f

    return report.model_copy(update={"findings": [explained(f) for f in report.findings]})


def publish(platform: Platform[Handle], review: ReviewInput, api_errors: tuple[type[BaseException], ...]) -> Outcome:
    """Bring the merge request's codex comments in line with the report; API failures are recorded, not raised."""
    outcome = Outcome()
    findings = shown(review.report)
    current = {f.fingerprint for f in findings}
    threads: dict[str, Thread[Handle]] = {}
    try:
        for thread in platform.threads():
            threads.setdefault(thread.fingerprint, thread)
        for thread in threads.values():
            if thread.fingerprint not in current and not (thread.fixed and thread.settled):
                platform.mark_fixed(thread)
                outcome.resolved += 1
        fresh: list[Finding] = []
        for f in findings:
            existing = threads.get(f.fingerprint)
            if existing is None:
                fresh.append(f)
                continue
            if existing.fixed:
                platform.reopen(existing, f)
            outcome.kept.append(f)
        anchored = [f for f in fresh if review.diff.anchor(f.path, f.line) is not False]
        outcome.unposted += [(f, "not a line of the diff") for f in fresh if f not in anchored]
        cap = max(review.max_comments, 0)
        outcome.unposted += [(f, f"over the cap of {cap} new comments per run") for f in anchored[cap:]]
        refused = platform.post(anchored[:cap], review.diff)
        outcome.unposted += refused
        refused_ids = {id(f) for f, _ in refused}
        outcome.posted = [f for f in anchored[:cap] if id(f) not in refused_ids]
    except api_errors as exc:
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
    outcome.errors += platform.problems
    try:
        platform.upsert_summary(summary_body(review, outcome))
    except api_errors as exc:
        outcome.errors.append(f"summary not updated: {type(exc).__name__}: {exc}")
    return outcome


def _rfc_cell(f: Finding) -> str:
    """The finding's RFC in a summary table cell: linked when it has an address, else with ``codex explain``."""
    if f.rfc.web_url:
        return f"[{f.rfc.id}]({f.rfc.web_url})"
    command = explain_command(f)
    return f"{f.rfc.id}, `{command}`" if command else f.rfc.id


def summary_body(review: ReviewInput, outcome: Outcome) -> str:
    report = review.report
    findings = shown(report)
    stats = report.stats
    compared = f" Compared with {stats.base}: {stats.preexisting} finding(s) already there not reported." if stats and stats.base else ""
    lines = [SUMMARY_MARKER, f"### {plain_summary(report, findings)}", "", f"Judged by the target branch's rules: {review.ruleset_origin}.{compared}", ""]
    if outcome.unposted:
        lines += ["#### Not posted inline", "", "| rule | where | finding | why not inline |", "|---|---|---|---|"]
        lines += [
            f"| {f.rule_id} | `{f.path}:{f.line}` | {_cell(f.message)} — use {_cell(f.use)} ({_rfc_cell(f)}) | {_cell(why)} |" for f, why in outcome.unposted
        ]
        lines.append("")
    if report.needs_human_review:
        lines += ["#### Needs human review", "", "Let through by `codex: allow` overrides; a reviewer should agree with each reason.", ""]
        lines += [f"- **{f.rule_id}** `{f.path}:{f.line}`: {_cell(inert_markdown(f.override_reason or ''))}" for f in report.needs_human_review]
        lines.append("")
    inline = len(outcome.posted) + len(outcome.kept)
    lines.append(f"{inline} finding(s) commented inline ({len(outcome.posted)} new), {outcome.resolved} thread(s) closed as fixed.")
    if report.errors:
        lines += ["", "#### Not checked", "", *(f"- {_cell(str(p))}" for p in report.errors)]
    if review.notes:
        lines += ["", "#### Rule changes in this merge request", "", *review.notes]
    if outcome.errors:
        lines += ["", "#### Platform errors (the check result above still stands)", "", *(f"- {_cell(e)}" for e in outcome.errors)]
    body = "\n".join(lines) + "\n"
    if len(body) > SUMMARY_LIMIT:
        body = body[:SUMMARY_LIMIT] + "\n\n… summary cut at the platform's size limit; run `codex check` for the full report.\n"
    return body


def inert_markdown(text: str) -> str:
    """Text that renders as itself: the model's reason and an override's reason come from the diff, so no links,
    images, markup or mentions under the bot's name."""
    return _MENTION.sub("@&#8203;", _MARKDOWN.sub(r"\\\g<0>", text))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
