"""``--format sarif``: SARIF 2.1.0 for code-scanning tools (GitHub ``upload-sarif`` and others).

A result's ``level`` is its verdict (blocking: error, warn: warning, overridden: note with a suppression), so a
merge protection that gates on levels agrees with codex. Columns are UTF-16 code units (``columnKind``), as
GitHub's code scanning counts them. GitHub keeps 25,000 results per run (a larger run is refused) and shows the
5,000 most severe: past either, a warning goes to stderr and into the run's notifications; past 25,000 the
lowest-ranked results are left out (blocking ones last of all), and the warning says how many.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO, TypeVar
from urllib.parse import quote

from codex import __version__, home_url
from codex.model import RfcMeta, Rule, Stage, statement
from codex.problems import Problem
from reviewer.finding import FAILING_KINDS, Finding, Report
from reviewer.formatters.base import Formatter, shown, with_reason

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "codexFingerprint/v1"
RESULTS_SHOWN = 5_000  # GitHub shows the top 5,000 results of a run, by severity
RESULTS_ACCEPTED = 25_000  # GitHub refuses a run with more results
T = TypeVar("T")
_RULE_LEVEL = {Stage.block: "error", Stage.warn: "warning", Stage.shadow: "warning"}


class SarifFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        findings = shown(report)
        kept, warning = within_limits(findings, [level(f) for f in findings])
        notes = [_notification(p, self.repo_path) for p in report.errors] + ([warning] if warning else [])
        rules = self._rules(findings)
        index = {rule["id"]: i for i, rule in enumerate(rules)}
        run = {
            "tool": {"driver": {"name": "codex", "version": __version__, "rules": rules, **_information_uri(self.docs_url)}},
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository root"}}},
            "results": [self._result(f, index[f.rule_id]) for f in kept],
            "invocations": [
                {
                    "executionSuccessful": not report.misconfigured,  # an engine that failed: the check is incomplete
                    "toolExecutionNotifications": notes,
                }
            ],
            "properties": {"stats": report.model_dump(mode="json", include={"stats"})["stats"]},
        }
        json.dump({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, out, indent=2, ensure_ascii=False)
        out.write("\n")

    def _rules(self, findings: list[Finding]) -> list[dict[str, Any]]:
        """Every rule of the ruleset (when known), plus any rule a finding names that it lacks."""
        metas = {m.id: m for m in self.ruleset.rfcs} if self.ruleset else {}
        described: dict[str, dict[str, Any]] = {}
        for rule in self.ruleset.rules if self.ruleset else ():
            described[rule.id] = _descriptor(rule, metas.get(rule.rfc.id))
        for f in findings:
            described.setdefault(f.rule_id, _descriptor(_rule_of(f), None))
        return [described[k] for k in sorted(described)]

    def _result(self, f: Finding, rule_index: int) -> dict[str, Any]:
        region: dict[str, int] = {"startLine": f.line, "startColumn": max(_utf16(f)[0], 1), "endLine": f.end_line}
        if _utf16(f)[1] is not None:
            region["endColumn"] = max(_utf16(f)[1] or 1, 1)
        reference = f"{f.rfc.id}: {f.rfc.web_url}" if f.rfc.web_url else f.rfc.id
        return {
            "ruleId": f.rule_id,
            "ruleIndex": rule_index,
            "level": level(f),
            "message": {"text": with_reason(f"{f.message} — use {f.use} ({reference})", f)},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(self.repo_path(f.path)), "region": region}}],
            "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
            "properties": {"stage": f.stage.value, "blocking": f.blocking, "engine": f.engine, **({"reason": f.reason} if f.reason else {})},
            **({"suppressions": [{"kind": "inSource", "justification": f.override_reason or ""}]} if f.overridden else {}),
            **({"fixes": [self._fix(f)]} if f.fix is not None else {}),
        }

    def _fix(self, f: Finding) -> dict[str, Any]:
        """The rule's fix: the flagged lines replaced whole (a region of lines only spans them, newline excluded)."""
        return {
            "description": {"text": f"use {f.use}"},
            "artifactChanges": [
                {
                    "artifactLocation": _artifact(self.repo_path(f.path)),
                    "replacements": [{"deletedRegion": {"startLine": f.line, "endLine": f.end_line}, "insertedContent": {"text": f.fix}}],
                }
            ],
        }


def level(f: Finding) -> str:
    """The finding's verdict as a SARIF level: blocking is an error, let through by an override a note, else a warning."""
    if f.overridden:
        return "note"
    return "error" if f.blocking else "warning"


def within_limits(results: list[T], levels: list[str]) -> tuple[list[T], dict[str, Any] | None]:
    """The results (with their SARIF ``levels``) GitHub accepts in one run, in order, and when it will not show or
    take them all a warning notification, also printed to stderr."""
    if len(results) <= RESULTS_SHOWN:
        return results, None
    if len(results) <= RESULTS_ACCEPTED:
        kept, warning = (
            results,
            (
                f"{len(results)} results: GitHub code scanning shows the {RESULTS_SHOWN:,} most severe of a run "
                "(blocking ones are errors); `codex check --format text` lists them all"
            ),
        )
    else:
        rank = {"error": 0, "warning": 1, "note": 2}
        ranked = sorted(range(len(results)), key=lambda i: (rank.get(levels[i], 1), i))[:RESULTS_ACCEPTED]
        kept = [results[i] for i in sorted(ranked)]
        warning = (
            f"{len(results)} results: GitHub code scanning refuses a run of more than {RESULTS_ACCEPTED:,}, so the "
            f"{len(results) - len(kept):,} least severe are left out of this file (every blocking one is kept while they "
            f"fit) and it shows the {RESULTS_SHOWN:,} most severe; `codex check --format text` lists them all"
        )
    print(f"codex: {warning}", file=sys.stderr)
    return kept, {"level": "warning", "message": {"text": warning}}


def _information_uri(docs_url: str | None) -> dict[str, str]:
    """The tool's home page: the published catalog, else where codex comes from (see ``codex.home_url``)."""
    url = f"{docs_url}/index.html" if docs_url else home_url()
    return {"informationUri": url} if url else {}


def _utf16(f: Finding) -> tuple[int, int | None]:
    """Start and end column in UTF-16 code units (characters when the line's text was not known)."""
    return f.columns.utf16 if f.columns else (f.column, f.end_column)


def _rule_of(f: Finding) -> Rule:
    """What a finding tells of its rule, for a report formatted without the ruleset that judged it."""
    from codex.model import LlmMatcher

    return Rule(
        id=f.rule_id, title=f.message, need=f.need, use=f.use, severity=f.severity, stage=f.stage, languages=(), matcher=LlmMatcher(question=""), rfc=f.rfc
    )


def rule_name(title: str) -> str:
    """A rule's readable name as code scanning shows it: its title in PascalCase (``OutboundRequestsCallsHaveATimeout``)."""
    words = re.findall(r"[^\W_]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words)[:255] or "Rule"


def _descriptor(rule: Rule, meta: RfcMeta | None) -> dict[str, Any]:
    sentence = statement(rule.need, rule.use)
    url = rule.rfc.web_url
    explain = f"codex explain {rule.id}"
    why_text = f"Why: {rule.rfc.id} {rule.rfc.title} — {url}" if url else f"Why: {rule.rfc.id} {rule.rfc.title}. `{explain}` prints the rule in full."
    why_markdown = f"Why: [{rule.rfc.id} {rule.rfc.title}]({url})" if url else f"Why: {rule.rfc.id} {rule.rfc.title}. `{explain}` prints the rule in full."
    tags = list(meta.tags) if meta else []
    security = meta.security_severity if meta else None
    if security is not None and "security" not in tags:
        tags.insert(0, "security")  # GitHub counts a rule as a security rule by this tag and the score together
    properties: dict[str, Any] = {
        "need": rule.need,
        "use": rule.use,
        "stage": rule.stage.value,
        "rfc": rule.rfc.id,
        **({"tags": tags} if tags else {}),
        **({"security-severity": f"{security:.1f}"} if security is not None else {}),
    }
    return {
        "id": rule.id,
        "name": rule_name(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": sentence},
        **({"helpUri": url} if url else {}),  # an address a reader can open, never a file path
        "help": {
            "text": f"{sentence}\n\n{rule.description}".strip() + f"\n\n{why_text}",
            "markdown": f"**{sentence}**\n\n{rule.description}".strip() + f"\n\n{why_markdown}",
        },
        "defaultConfiguration": {"level": _RULE_LEVEL[rule.stage]},
        "properties": properties,
    }


def _notification(problem: Problem, repo_path: Any) -> dict[str, Any]:
    note: dict[str, Any] = {"level": "error" if problem.kind in FAILING_KINDS else "warning", "message": {"text": str(problem)}}
    if problem.path:
        region = {"region": {"startLine": problem.line}} if problem.line else {}
        note["locations"] = [{"physicalLocation": {"artifactLocation": _artifact(repo_path(problem.path)), **region}}]
    return note


def _artifact(path: str) -> dict[str, str]:
    """A repository-relative path as a URI reference (percent-encoded: spaces, ``%``, ``:``, ``,``...)."""
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}
