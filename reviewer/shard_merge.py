"""Combining the reports of ``codex check --shard I/N`` runs into one: JSON reports, or SARIF logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codex.problems import Problem, ProblemError
from reviewer.finding import Report
from reviewer.formatters.sarif import within_limits
from reviewer.stats import MergedStats, ReportStats, RunStats, ShardSeconds

_COUNTED = ("files_changed", "files_checked", "files_excluded", "outside_diff", "preexisting")


def read_reports(paths: list[Path]) -> tuple[str, list[dict[str, Any]]]:
    """Each file's JSON, and which kind they all are ("json" reports or "sarif" logs); every bad file is a problem."""
    documents: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            problems.append(Problem(path=str(path), message=f"cannot read: {exc.strerror or exc}", hint="give the report files the shards wrote", kind="usage"))
            continue
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            problems.append(
                Problem(path=str(path), line=line, message=f"not JSON: {exc}", hint="give the output of `codex check --format json` (or sarif)", kind="usage")
            )
            continue
        if not isinstance(document, dict) or not ("runs" in document or "findings" in document):
            problems.append(
                Problem(
                    path=str(path),
                    message="neither a codex JSON report nor a SARIF log",
                    hint="give the output of `codex check --format json` (or sarif)",
                    kind="usage",
                )
            )
            continue
        documents.append(document)
    kinds = {"sarif" if "runs" in d else "json" for d in documents}
    if len(kinds) > 1:
        problems.append(Problem(message="mixed JSON reports and SARIF logs", hint="merge files of one format at a time", kind="usage"))
    if problems:
        raise ProblemError(*problems)
    return kinds.pop() if kinds else "json", documents


def merge_reports(documents: list[dict[str, Any]], sources: list[Path]) -> Report:
    """One report: every finding and problem once, in report order, with the shards' stats added up."""
    reports: list[Report] = []
    problems: list[Problem] = []
    for document, source in zip(documents, sources, strict=True):
        try:
            reports.append(Report.model_validate(document))
        except ValidationError as exc:
            problems.append(_not_ours(exc, source))
    if problems:
        raise ProblemError(*problems)
    _same_ruleset([r.stats for r in reports], sources)
    merged = Report()
    seen_findings: set[tuple] = set()
    for report in reports:
        for finding in report.findings:
            key = (finding.rule_id, finding.path, finding.line, finding.column, finding.fingerprint)
            if key not in seen_findings:
                seen_findings.add(key)
                merged.findings.append(finding)
        merged.errors += [p for p in report.errors if p not in merged.errors]
    merged.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule_id))
    merged.stats = merge_stats([r.stats for r in reports], findings=len(merged.findings), blocking=len(merged.blocking))
    return merged


def merge_stats(stats: list[ReportStats | None], findings: int, blocking: int) -> MergedStats:
    """The shards' stats added up (the first shard's mode, base and ruleset)."""
    first = stats[0] if stats else None
    totals = [s.seconds.get("total", 0) if isinstance(s, RunStats) else 0 for s in stats]
    return MergedStats(
        mode=first.mode if first else None,
        base=first.base if first else None,
        ruleset=first.ruleset if first else None,
        shards=[s.shard if isinstance(s, RunStats) else None for s in stats],
        **{key: sum(getattr(s, key) if s else 0 for s in stats) for key in _COUNTED},
        seconds=ShardSeconds(slowest_shard=max(totals, default=0), all_shards=round(sum(totals), 3)),
        findings=findings,
        blocking=blocking,
    )


def merge_sarif(logs: list[dict[str, Any]], sources: list[Path]) -> dict[str, Any]:
    """One SARIF log with one codex run: results of every shard, rules once each, and every shard's invocations as
    it wrote them (a failed one keeps ``executionSuccessful: false`` and its notifications), each marked with its shard.
    GitHub's result limits apply to the merged run as to one ``codex check`` (``within_limits``): past them, one more
    invocation (``properties.merge``) carries the warning."""
    runs = [run for log in logs for run in log.get("runs", [])]
    stats = [_sarif_stats(run, source) for log, source in zip(logs, sources, strict=True) for run in log.get("runs", [])]
    _same_ruleset(stats, sources)
    rules: dict[str, dict[str, Any]] = {}
    for run in runs:
        for rule in run.get("tool", {}).get("driver", {}).get("rules", []):
            rules.setdefault(rule["id"], rule)
    index = {rule_id: i for i, rule_id in enumerate(sorted(rules))}
    results, invocations = [], []
    for run, run_stats in zip(runs, stats, strict=True):
        for result in run.get("results", []):
            results.append({**result, "ruleIndex": index[result["ruleId"]]} if result.get("ruleId") in index else result)
        shard = run_stats.shard if isinstance(run_stats, RunStats) else None
        invocations += [{**i, "properties": {**i.get("properties", {}), "shard": shard}} if shard else i for i in run.get("invocations", [])]
    stats_json = merge_stats(stats, findings=len(results), blocking=sum(_blocking(r) for r in results)).model_dump(
        mode="json", exclude={"findings", "blocking"}
    )
    results, warning = within_limits(results, [r.get("level", "warning") for r in results])  # as one `codex check` run
    if warning:
        invocations.append({"executionSuccessful": True, "toolExecutionNotifications": [warning], "properties": {"merge": True}})
    base = runs[0] if runs else {"tool": {"driver": {"name": "codex"}}}
    merged_run = {
        **base,
        "tool": {**base["tool"], "driver": {**base["tool"]["driver"], "rules": [rules[k] for k in sorted(rules)]}},
        "results": results,
        "invocations": invocations,
        "properties": {"stats": stats_json},
    }
    return {**(logs[0] if logs else {"version": "2.1.0"}), "runs": [merged_run]}


def sarif_blocking(log: dict[str, Any]) -> int:
    return sum(_blocking(r) for run in log["runs"] for r in run.get("results", []))


def sarif_failures(logs: list[dict[str, Any]], sources: list[Path]) -> list[tuple[Path, list[str]]]:
    """The shards whose check did not complete (an invocation with ``executionSuccessful: false``), each with its
    error-level notifications."""
    failed = []
    for log, source in zip(logs, sources, strict=True):
        invocations = [i for run in log.get("runs", []) for i in run.get("invocations", []) if i.get("executionSuccessful") is False]
        if invocations:
            failed.append(
                (
                    source,
                    [n.get("message", {}).get("text", "") for i in invocations for n in i.get("toolExecutionNotifications", []) if n.get("level") == "error"],
                )
            )
    return failed


def _blocking(result: dict[str, Any]) -> bool:
    return bool(result.get("properties", {}).get("blocking"))


def _not_ours(exc: ValidationError, source: Path) -> Problem:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return Problem(
        path=str(source),
        message=f"not a codex report: {where}: {err['msg']}",
        hint="give the output of `codex check --format json` from the same codex version",
        kind="usage",
    )


def _sarif_stats(run: dict[str, Any], source: Path) -> ReportStats | None:
    try:
        return Report.model_validate({"stats": run.get("properties", {}).get("stats", {})}).stats
    except ValidationError as exc:
        raise ProblemError(_not_ours(exc, source)) from None


def _same_ruleset(stats: list[ReportStats | None], sources: list[Path]) -> None:
    versions = {s.ruleset.version if s and s.ruleset else None for s in stats}
    if len(versions) > 1:
        raise ProblemError(
            Problem(
                message=f"the reports were checked with different rulesets ({', '.join(sorted(map(str, versions)))})",
                hint=f"re-run every shard with the same rules: {', '.join(map(str, sources))}",
                kind="usage",
            )
        )
