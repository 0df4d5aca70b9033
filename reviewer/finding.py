"""What a check produces: findings, problems and stats — the JSON contract."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_serializer, field_validator

from codex.model import RfcRef, Rule, Severity, Stage
from codex.problems import Problem
from reviewer.stats import ReportStats, RunStats

SOURCE_LINE_WIDTH = 240  # characters of a flagged line kept in a finding: minified code has lines of megabytes


class Columns(BaseModel):
    """A finding's start and end column (1-based, the end just past the match; None: not known) counted in the units
    other tools count: ``utf8`` bytes (reviewdog, semgrep) and ``utf16`` code units (SARIF, as GitHub reads it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    utf8: tuple[int, int | None]
    utf16: tuple[int, int | None]


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_id: str
    path: str
    line: int
    end_line: int
    column: int
    severity: Severity
    stage: Stage
    message: str
    need: str
    use: str
    rfc: RfcRef
    fingerprint: str = ""
    source_line: str | None = None  # the flagged line as checked (a long one cut around the column), for reports
    engine: str  # the matcher kind that found it (reviewer/engines), "llm", or "codex" (its own checks)
    overridden: bool = False
    override_reason: str | None = None
    reason: str | None = None  # the model's one-sentence reason, on findings of the LLM pass
    fix: str | None = None  # lines line..end_line as the rule's fix rewrites them (semgrep ``fix:``)
    end_column: int | None = None  # 1-based, just past the match on end_line (None: the engine gives none, as the LLM pass)
    columns: Columns | None = None  # column and end_column in bytes and UTF-16 units (None: the lines were not known)
    explanation: str | None = Field(None, exclude=True)  # the rule's reasoning, for comments of `codex review` without an RFC link

    @classmethod
    def of(
        cls,
        rule: Rule,
        path: str,
        line: int,
        end_line: int,
        column: int,
        message: str | None,
        engine: str,
        fix: str | None = None,
        end_column: int | None = None,
    ) -> Finding:
        return cls(
            rule_id=rule.id,
            path=path,
            line=line,
            end_line=max(end_line, line),
            column=column,
            severity=rule.severity,
            stage=rule.stage,
            message=message or rule.title,
            need=rule.need,
            use=rule.use,
            rfc=rule.rfc,
            engine=engine,
            fix=fix,
            end_column=end_column,
        )

    @property
    def blocking(self) -> bool:
        return self.stage is Stage.block and not self.overridden


FAILING_KINDS = ("engine", "usage")  # a problem of these kinds means the check did not run as asked: exit 2


class Report(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    errors: list[Problem] = Field(default_factory=list)
    stats: ReportStats | None = None  # None: not a run's report (``{}`` in the JSON)

    @field_validator("stats", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == {} else value

    @field_serializer("stats", mode="wrap")
    def _none_is_empty(self, stats: ReportStats | None, handler: SerializerFunctionWrapHandler) -> Any:
        return {} if stats is None else handler(stats)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def needs_human_review(self) -> list[Finding]:
        """Findings let through by a ``codex: allow`` override: not blocking, but someone should look."""
        return [f for f in self.findings if f.overridden and f.stage is not Stage.shadow]

    @property
    def misconfigured(self) -> bool:
        """A configuration or usage error: a static engine could not run, or an explicit path names nothing."""
        return any(p.kind in FAILING_KINDS for p in self.errors)

    @property
    def exit_code(self) -> int:
        """2 on a configuration or usage error (never a pass, whatever else was found); 1 on a blocking finding,
        or on an unreviewed judgment rule under ``--require-llm``."""
        if self.misconfigured:
            return 2
        require_llm_failed = isinstance(self.stats, RunStats) and self.stats.llm.require_llm_failed
        return 1 if self.blocking or require_llm_failed else 0

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def sort_and_fingerprint(findings: list[Finding], line_text: dict[str, list[str]]) -> list[Finding]:
    """The findings in report order, one per rule and position, each a copy with a fingerprint that survives unrelated
    line shifts and its ``source_line``.

    The fingerprint hashes rule id, path, the flagged line's text with white space folded, and
    the occurrence number of that same text for that rule in that file.
    """
    findings = sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule_id))
    seen: Counter[tuple[str, str, str]] = Counter()
    unique: dict[tuple[str, str, int, int], Finding] = {}
    for finding in findings:
        key = (finding.rule_id, finding.path, finding.line, finding.column)
        if key in unique:
            continue
        lines = line_text.get(finding.path, [])
        line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else None
        text = " ".join(line.split()) if line is not None else ""
        occurrence = seen[(finding.rule_id, finding.path, text)]
        seen[(finding.rule_id, finding.path, text)] += 1
        raw = "\x1f".join((finding.rule_id, finding.path, text, str(occurrence)))
        unique[key] = finding.model_copy(
            update={
                "fingerprint": hashlib.sha256(raw.encode()).hexdigest()[:20],
                "source_line": excerpt(line, finding.column) if line is not None else None,
                "columns": _columns(finding, lines) if line is not None else None,
            }
        )
    return list(unique.values())


def _columns(f: Finding, lines: list[str]) -> Columns:
    """``f``'s columns (characters) in UTF-8 bytes and UTF-16 code units, from the text before them on their lines."""
    before_start = lines[f.line - 1][: f.column - 1]
    before_end = lines[f.end_line - 1][: f.end_column - 1] if f.end_column is not None and f.end_line <= len(lines) else None
    return Columns(**{unit: (_counted(before_start, unit) + 1, None if before_end is None else _counted(before_end, unit) + 1) for unit in ("utf8", "utf16")})


def _counted(text: str, unit: str) -> int:
    """``text``'s length in UTF-8 bytes or UTF-16 code units."""
    return len(text.encode("utf-8", "surrogatepass")) if unit == "utf8" else len(text.encode("utf-16-le", "surrogatepass")) // 2


def excerpt(line: str, column: int, width: int = SOURCE_LINE_WIDTH) -> str:
    """``line`` as it is, or when longer than ``width`` characters, ``width`` of them around ``column``, "…" marking each cut."""
    if len(line) <= width:
        return line
    start = max(0, min(column - 1 - width // 3, len(line) - width))
    end = start + width
    return ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")
