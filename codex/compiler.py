"""RFC documents validated into the rule model: front matter, rule sections and their matchers, one ruleset."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from codex.cohorts import attach_rollouts
from codex.model import Cohort, LlmMatcher, RfcMeta, RfcRef, RfcStatus, Rule, Ruleset, Severity, Stage, is_rule_id
from codex.problems import Problem
from codex.rfc import Block, RfcDocument, RuleSection, github_anchor, inline_source, parse_rfc, read_rfc
from codex.rule_class import NO_LINT_PACKAGES, LintPackages
from codex.rule_config import RuleConfig, parse_rule_config, validation_problem
from codex.rule_examples import block_examples, file_examples, missing_examples_problem

_STATEMENT = re.compile(r"\bIf you need\s+(?P<need>.+?),\s*use\s+(?P<use>.+?)\s*\.?\s*$", re.S | re.I)


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^RFC-\d{4,}$")
    title: str
    status: RfcStatus
    authors: list[str] = Field(min_length=1)
    created: dt.date
    incidents: list[str] = []
    supersedes: list[str] = []
    tags: list[Annotated[str, StringConstraints(pattern=r"^[\w.:/-]{1,64}$")]] = Field(
        [], max_length=10, description="code-scanning tags for the RFC's rules (GitHub keeps 10)"
    )
    security_severity: float | None = Field(None, gt=0, le=10, description="CVSS-like score: the RFC's rules are security rules")
    rollout: dict[str, list[Cohort]] = {}


class Compilation(BaseModel):
    """The ruleset (``None`` when there are problems); ``rules`` are every rule that compiled, even then."""

    ruleset: Ruleset | None
    problems: list[Problem]
    rules: list[Rule] = []
    locations: dict[str, tuple[str, int]] = {}
    semgrep_blocks: dict[str, tuple[str, int]] = {}  # where each semgrep rule's ```yaml semgrep``` body starts


def compile_rfcs(rfc_dir: Path, root: Path, base_url: str | None = None, lint_packages: LintPackages | None = NO_LINT_PACKAGES) -> Compilation:
    """Compile every ``*.md`` under ``rfc_dir``; all problems are collected, none raised. A libcst rule's class is
    imported (from ``codex.lints`` or ``lint_packages``) to check it; ``lint_packages=None`` imports none, for
    RFCs nobody vouched for (a merge request's own, summarised by ``codex review``)."""
    problems: list[Problem] = []
    files = sorted(p for p in rfc_dir.rglob("*.md") if p.name.lower() != "readme.md")
    if not files:
        problems.append(Problem(path=_rel(rfc_dir, root), message="no RFC files (*.md) found", hint="add an RFC or run `codex new`"))
    return _compile_parsed([(path.parent, *read_rfc(path, _rel(path, root))) for path in files], problems, base_url, lint_packages)


def compile_rfc_text(text: str, rel: str, rfc_dir: Path, base_url: str | None = None, lint_packages: LintPackages | None = NO_LINT_PACKAGES) -> Compilation:
    """One RFC given as markdown text, never written anywhere: compiled as if it were a file in ``rfc_dir`` (its
    example files are read from there), labelled ``rel`` in problems."""
    return _compile_parsed([(rfc_dir, *parse_rfc(text, rel))], [], base_url, lint_packages)


def _compile_parsed(
    parsed: list[tuple[Path, RfcDocument | None, list[Problem]]], problems: list[Problem], base_url: str | None, lint_packages: LintPackages | None
) -> Compilation:
    """Parsed RFCs (each with its directory and reading problems) validated into one compilation."""
    metas: list[RfcMeta] = []
    rules: dict[str, tuple[Rule, str, int]] = {}
    rfc_ids: dict[str, str] = {}
    semgrep_blocks: dict[str, tuple[str, int]] = {}
    for directory, doc, read_problems in parsed:
        problems += read_problems
        if doc is None:
            continue
        rel = doc.path
        meta, rfc_rules, doc_problems = _compile_document(doc, base_url, directory, lint_packages)
        problems += doc_problems
        if meta is None:
            continue
        if meta.id in rfc_ids:
            problems.append(Problem(path=rel, line=2, message=f"RFC id {meta.id} is also used by {rfc_ids[meta.id]}", hint="give each RFC its own id"))
            continue
        rfc_ids[meta.id] = rel
        metas.append(meta)
        semgrep_blocks.update(
            {
                section.rule_id: (rel, block.line + 1)
                for section in doc.rules
                for block in section.blocks
                if block.kind == "fence" and block.info.split()[:2] == ["yaml", "semgrep"]
            }
        )
        for rule, line in rfc_rules:
            if rule.id in rules:
                _, other_path, other_line = rules[rule.id]
                problems.append(
                    Problem(
                        path=rel,
                        line=line,
                        message=f"duplicate rule id {rule.id} (also at {other_path}:{other_line})",
                        hint="rule ids are stable and unique: pick a new one",
                    )
                )
                continue
            rules[rule.id] = (rule, rel, line)
    active = [rule for rule, _, _ in rules.values()]
    locations = {rule_id: (path, line) for rule_id, (_, path, line) in rules.items()}
    if problems:
        return Compilation(ruleset=None, problems=problems, rules=active, locations=locations, semgrep_blocks=semgrep_blocks)
    return Compilation(ruleset=Ruleset.build(metas, active), problems=[], rules=active, locations=locations, semgrep_blocks=semgrep_blocks)


def _compile_document(
    doc: RfcDocument, base_url: str | None, rfc_dir: Path, lint_packages: LintPackages | None
) -> tuple[RfcMeta | None, list[tuple[Rule, int]], list[Problem]]:
    try:
        front = FrontMatter.model_validate(doc.front_matter)
    except ValidationError as exc:
        return None, [], [validation_problem(doc.path, 2, "front matter", exc, doc.front_text)]
    meta = RfcMeta(path=doc.path, **front.model_dump(exclude={"rollout"}))
    problems: list[Problem] = []
    if not doc.rules:
        problems.append(
            Problem(path=doc.path, line=doc.body_line, message="no rule sections", hint="add a heading such as '## CX0001: Title' with the rule under it")
        )
    compiled: list[tuple[Rule, int]] = []
    for section in doc.rules:
        rule, rule_problems = _compile_rule(section, meta, base_url, rfc_dir, lint_packages)
        problems += rule_problems
        if rule is not None and meta.status in (RfcStatus.accepted, RfcStatus.draft):
            compiled.append((rule, section.line))
    compiled, rollout_problems = attach_rollouts(compiled, front.rollout, {r.rule_id for r in doc.rules}, doc.path, draft=meta.status is RfcStatus.draft)
    return meta, compiled, problems + rollout_problems


def _compile_rule(
    section: RuleSection, meta: RfcMeta, base_url: str | None, rfc_dir: Path, lint_packages: LintPackages | None
) -> tuple[Rule | None, list[Problem]]:
    path = meta.path
    problems: list[Problem] = []
    fences = [b for b in section.blocks if b.kind == "fence"]
    texts = [b for b in section.blocks if b.kind == "text"]
    if not is_rule_id(section.rule_id):
        problems.append(Problem(path=path, line=section.line, message=f"bad rule id {section.rule_id!r}", hint="use letters then digits, e.g. CX0001"))
    statement = next((b for b in texts if "if you need" in b.content.lower()), None)
    match = _STATEMENT.search(inline_source(statement.content)) if statement else None
    if match is None:
        problems.append(
            Problem(
                path=path,
                line=statement.line if statement else section.line,
                message=f"rule {section.rule_id} has no 'If you need X, use Y' statement",
                hint="add a paragraph 'If you need <what>, use <remedy>.' under the heading",
            )
        )
    config_blocks = [b for b in fences if b.info.split()[:2] == ["yaml", "codex"]]
    if len(config_blocks) != 1:
        problems.append(
            Problem(
                path=path,
                line=section.line,
                hint="add one with severity, languages and matcher",
                message=f"rule {section.rule_id} needs exactly one ```yaml codex``` block (found {len(config_blocks)})",
            )
        )
        return None, problems
    config = parse_rule_config(config_blocks[0], path)
    if isinstance(config, Problem):
        return None, [*problems, config]
    matcher, matcher_problems = _matcher(section, config, fences, path, lint_packages)
    problems += matcher_problems
    examples, example_problems = block_examples(section, config, fences, path)
    files, file_problems = file_examples(section.rule_id, config, config_blocks[0].line, path, rfc_dir)
    examples += files
    problems += example_problems + file_problems
    missing = missing_examples_problem(section.rule_id, examples, path, section.line)
    if missing:
        problems.append(missing)
    if problems or match is None or matcher is None:
        return None, problems
    anchor = github_anchor(section.heading)
    stage = Stage.shadow if meta.status is RfcStatus.draft else config.stage or (Stage.block if config.severity is Severity.error else Stage.warn)
    rule = Rule(
        id=section.rule_id,
        title=section.title,
        need=" ".join(match["need"].split()),
        use=_first_sentence(" ".join(match["use"].split())),
        severity=config.severity,
        stage=stage,
        languages=tuple(config.languages),
        paths=config.paths,
        prefilter=config.prefilter,
        matcher=matcher,
        tests=config.tests,
        description="\n\n".join(b.content for b in texts if b is not statement).strip(),
        examples=tuple(examples),
        metadata=config.metadata,
        rfc=RfcRef(id=meta.id, title=meta.title, path=path, anchor=anchor, url=f"{base_url.rstrip('/')}/{path}#{anchor}" if base_url else None),
    )
    return rule, []


def _matcher(section: RuleSection, config: RuleConfig, fences: list[Block], path: str, lint_packages: LintPackages | None):
    """The rule's matcher, parsed and validated by its matcher kind (codex/matchers)."""
    from codex.matchers import REGISTRY, MatcherSource, matcher_kind

    if config.matcher == "llm":
        return LlmMatcher(question=config.question or "", do_not_flag=tuple(config.do_not_flag), verify=config.verify), []
    if config.matcher not in REGISTRY:
        return None, [Problem(path=path, line=section.line, message=f"unknown matcher {config.matcher!r}", hint=f"use {', '.join(REGISTRY)} or llm")]
    return matcher_kind(config.matcher).parse(
        MatcherSource(section.rule_id, tuple(config.languages), config.rule_class, fences, path, section.line, lint_packages)
    )


def _first_sentence(text: str) -> str:
    """The statement ends where the next sentence starts (a period, space, capital), outside `code`."""
    for end in re.finditer(r"\.\s+(?=[A-Z])", text):
        if text.count("`", 0, end.start()) % 2 == 0:
            return text[: end.start()]
    return text


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
