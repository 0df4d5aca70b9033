"""``--format sarif``: SARIF 2.1.0 for code-scanning tools (GitHub ``upload-sarif`` and others)."""

from __future__ import annotations

import json
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

from codex import __version__
from codex.model import RfcRef, Severity, statement
from codex.problems import Problem
from reviewer.finding import Finding, Report
from reviewer.formatters.base import Formatter, shown, with_reason

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
FINGERPRINT_KEY = "codexFingerprint/v1"


class SarifFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        findings = shown(report)
        rules = self._rules(findings)
        index = {rule["id"]: i for i, rule in enumerate(rules)}
        run = {
            "tool": {"driver": {"name": "codex", "version": __version__, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository root"}}},
            "results": [_result(f, index[f.rule_id]) for f in findings],
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": [_notification(p) for p in report.errors]}],
            "properties": {"stats": report.model_dump(mode="json", include={"stats"})["stats"]},
        }
        json.dump({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, out, indent=2, ensure_ascii=False)
        out.write("\n")

    def _rules(self, findings: list[Finding]) -> list[dict[str, Any]]:
        """Every rule of the ruleset (when known), plus any rule a finding names that it lacks."""
        described: dict[str, dict[str, Any]] = {}
        for rule in self.ruleset.rules if self.ruleset else ():
            described[rule.id] = _descriptor(rule.id, rule.title, rule.need, rule.use, rule.description,
                                             rule.rfc, rule.severity, rule.stage.value)
        for f in findings:
            described.setdefault(f.rule_id, _descriptor(f.rule_id, f.message, f.need, f.use, "", f.rfc,
                                                        f.severity, f.stage.value))
        return [described[k] for k in sorted(described)]


def _descriptor(rule_id: str, title: str, need: str, use: str, description: str, rfc: RfcRef,
                severity: Severity, stage: str) -> dict[str, Any]:
    sentence = statement(need, use)
    help_text = f"{sentence}\n\n{description}".strip() + f"\n\nWhy: {rfc.id} {rfc.title} — {rfc.link}"
    return {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": sentence},
        **({"helpUri": rfc.url} if rfc.url and urlsplit(rfc.url).scheme else {}),  # SARIF wants an absolute URI
        "help": {"text": help_text, "markdown": f"**{sentence}**\n\n{description}\n\nWhy: [{rfc.id} {rfc.title}]({rfc.link})".strip()},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {"need": need, "use": use, "stage": stage, "rfc": rfc.id},
    }


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    return {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": with_reason(f"{f.message} — use {f.use} ({f.rfc.id}: {f.rfc.link})", f)},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(f.path),
            "region": {"startLine": f.line, "endLine": f.end_line, "startColumn": max(f.column, 1)},
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"stage": f.stage.value, "blocking": f.blocking, "engine": f.engine, **({"reason": f.reason} if f.reason else {})},
        **({"suppressions": [{"kind": "inSource", "justification": f.override_reason}]} if f.overridden else {}),
        **({"fixes": [_fix(f)]} if f.fix is not None else {}),
    }


def _fix(f: Finding) -> dict[str, Any]:
    """The rule's fix: the flagged lines replaced whole (a region of lines only spans them, newline excluded)."""
    return {"description": {"text": f"use {f.use}"}, "artifactChanges": [{
        "artifactLocation": _artifact(f.path),
        "replacements": [{"deletedRegion": {"startLine": f.line, "endLine": f.end_line}, "insertedContent": {"text": f.fix}}],
    }]}


def _notification(problem: Problem) -> dict[str, Any]:
    note: dict[str, Any] = {"level": "warning", "message": {"text": str(problem)}}
    if problem.path:
        region = {"region": {"startLine": problem.line}} if problem.line else {}
        note["locations"] = [{"physicalLocation": {"artifactLocation": _artifact(problem.path), **region}}]
    return note


def _artifact(path: str) -> dict[str, str]:
    """A repository-relative path as a URI reference (percent-encoded: spaces, ``%``, ``:``, ``,``...)."""
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}
