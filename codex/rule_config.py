"""A rule section's ```yaml codex``` block read into its configuration, and validation errors as one problem."""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codex.languages import EXTENSIONS
from codex.model import PathFilter, Prefilter, Severity, Stage, TestCode
from codex.problems import Problem
from codex.rfc import Block


class RuleConfig(BaseModel):
    """The ```yaml codex``` block of a rule section."""

    model_config = ConfigDict(extra="forbid")

    severity: Severity
    languages: list[str] = Field(min_length=1)
    matcher: str
    stage: Stage | None = None
    paths: PathFilter = PathFilter()
    prefilter: Prefilter | None = None
    tests: TestCode = Field("checked", description="exempt: findings in test code are dropped (reviewer/test_code.py)")
    rule_class: str | None = None
    question: str | None = None
    do_not_flag: list[str] = Field(default=[], description="llm matcher: cases the reviewer model must not report")
    verify: bool = Field(False, description="llm matcher: a finding that may block is verified first (the model asked to refute it)")
    examples: list[str] = Field(default=[], description="annotated example files, relative to the RFC")
    metadata: dict[str, Any] = {}


def parse_rule_config(block: Block, path: str) -> RuleConfig | Problem:
    """The rule's ```yaml codex``` block as its config, or the problem that keeps it from being one."""
    try:
        raw = yaml.safe_load(block.content) or {}
        config = RuleConfig.model_validate(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return Problem(
            path=path,
            line=block.line + 1 + (mark.line if mark else 0),
            message=f"rule block is not valid YAML: {getattr(exc, 'problem', exc)}",
            hint="fix the YAML",
        )
    except ValidationError as exc:
        return validation_problem(path, block.line + 1, "rule block", exc, block.content)
    if config.verify and config.matcher != "llm":
        return Problem(
            path=path,
            line=block.line + 1,
            message=f"verify: true applies to llm matchers only, not {config.matcher}",
            hint="remove verify, or make the rule a judgment rule (matcher: llm)",
        )
    unknown = [lang for lang in config.languages if lang not in EXTENSIONS]
    if unknown:
        return Problem(path=path, line=block.line + 1, message=f"unknown language {', '.join(unknown)}", hint=f"use one of: {', '.join(sorted(EXTENSIONS))}")
    for pattern in config.prefilter.regex if config.prefilter else ():
        try:
            re.compile(pattern)
        except re.error as exc:
            return Problem(
                path=path, line=block.line + 1, message=f"prefilter regex {pattern!r} is not valid: {exc}", hint="fix the regular expression (Python syntax)"
            )
    return config


def validation_problem(path: str, line: int, what: str, exc: ValidationError, source: str = "") -> Problem:
    """One problem listing every validation error, at the line of the first key at fault."""
    errors = exc.errors()
    err = errors[0]
    key_line = next((i for i, text in enumerate(source.splitlines()) if text.startswith(f"{err['loc'][0]}:")), 0) if err["loc"] else 0
    details = "; ".join(": ".join(filter(None, (".".join(map(str, e["loc"])), e["msg"]))) for e in errors)
    return Problem(path=path, line=line + key_line, message=f"{what}: {details}", hint="see the RFC format in the README")
