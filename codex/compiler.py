"""RFC documents validated into the rule model, and the ruleset written to ``rules/``."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from codex.annotations import expected_lines
from codex.cohorts import attach_rollouts
from codex.languages import EXTENSIONS, default_filename, language_of
from codex.model import (
    Cohort,
    Example,
    LlmMatcher,
    PathFilter,
    Prefilter,
    RfcMeta,
    RfcRef,
    RfcStatus,
    Rule,
    Ruleset,
    Severity,
    Stage,
    TestCode,
    is_rule_id,
)
from codex.problems import Problem
from codex.rfc import Block, RfcDocument, RuleSection, github_anchor, inline_source, parse_rfc, read_rfc

_STATEMENT = re.compile(r"\bIf you need\s+(?P<need>.+?),\s*use\s+(?P<use>.+?)\s*\.?\s*$", re.S | re.I)


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
        [], max_length=10, description="code-scanning tags for the RFC's rules (GitHub keeps 10)")
    security_severity: float | None = Field(None, gt=0, le=10, description="CVSS-like score: the RFC's rules are security rules")
    rollout: dict[str, list[Cohort]] = {}


class Compilation(BaseModel):
    """The ruleset (``None`` when there are problems); ``rules`` are every rule that compiled, even then."""

    ruleset: Ruleset | None
    problems: list[Problem]
    rules: list[Rule] = []
    locations: dict[str, tuple[str, int]] = {}
    semgrep_blocks: dict[str, tuple[str, int]] = {}  # where each semgrep rule's ```yaml semgrep``` body starts


def compile_rfcs(rfc_dir: Path, root: Path, base_url: str | None = None, lint_packages: Sequence[str] | None = ()) -> Compilation:
    """Compile every ``*.md`` under ``rfc_dir``; all problems are collected, none raised. A libcst rule's class is
    imported (from ``codex.lints`` or ``lint_packages``) to check it; ``lint_packages=None`` imports none, for
    RFCs nobody vouched for (a merge request's own, summarised by ``codex review``)."""
    problems: list[Problem] = []
    files = sorted(p for p in rfc_dir.rglob("*.md") if p.name.lower() != "readme.md")
    if not files:
        problems.append(Problem(path=_rel(rfc_dir, root), message="no RFC files (*.md) found", hint="add an RFC or run `codex new`"))
    return _compile_parsed([(path.parent, *read_rfc(path, _rel(path, root))) for path in files], problems, base_url, lint_packages)


def compile_rfc_text(text: str, rel: str, rfc_dir: Path, base_url: str | None = None,
                     lint_packages: Sequence[str] | None = ()) -> Compilation:
    """One RFC given as markdown text, never written anywhere: compiled as if it were a file in ``rfc_dir`` (its
    example files are read from there), labelled ``rel`` in problems."""
    return _compile_parsed([(rfc_dir, *parse_rfc(text, rel))], [], base_url, lint_packages)


def _compile_parsed(parsed: list[tuple[Path, RfcDocument | None, list[Problem]]], problems: list[Problem], base_url: str | None,
                    lint_packages: Sequence[str] | None) -> Compilation:
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
        semgrep_blocks.update({section.rule_id: (rel, block.line + 1) for section in doc.rules for block in section.blocks
                               if block.kind == "fence" and block.info.split()[:2] == ["yaml", "semgrep"]})
        for rule, line in rfc_rules:
            if rule.id in rules:
                _, other_path, other_line = rules[rule.id]
                problems.append(Problem(path=rel, line=line, message=f"duplicate rule id {rule.id} (also at {other_path}:{other_line})",
                                        hint="rule ids are stable and unique: pick a new one"))
                continue
            rules[rule.id] = (rule, rel, line)
    active = [rule for rule, _, _ in rules.values()]
    locations = {rule_id: (path, line) for rule_id, (_, path, line) in rules.items()}
    if problems:
        return Compilation(ruleset=None, problems=problems, rules=active, locations=locations, semgrep_blocks=semgrep_blocks)
    return Compilation(ruleset=Ruleset.build(metas, active), problems=[], rules=active, locations=locations, semgrep_blocks=semgrep_blocks)


def _compile_document(doc: RfcDocument, base_url: str | None, rfc_dir: Path,
                      lint_packages: Sequence[str] | None) -> tuple[RfcMeta | None, list[tuple[Rule, int]], list[Problem]]:
    try:
        front = FrontMatter.model_validate(doc.front_matter)
    except ValidationError as exc:
        return None, [], [_validation_problem(doc.path, 2, "front matter", exc, doc.front_text)]
    meta = RfcMeta(path=doc.path, **front.model_dump(exclude={"rollout"}))
    problems: list[Problem] = []
    if not doc.rules:
        problems.append(Problem(path=doc.path, line=doc.body_line, message="no rule sections",
                                hint="add a heading such as '## CX0001: Title' with the rule under it"))
    compiled: list[tuple[Rule, int]] = []
    for section in doc.rules:
        rule, rule_problems = _compile_rule(section, meta, base_url, rfc_dir, lint_packages)
        problems += rule_problems
        if rule is not None and meta.status in (RfcStatus.accepted, RfcStatus.draft):
            compiled.append((rule, section.line))
    compiled, rollout_problems = attach_rollouts(compiled, front.rollout, {r.rule_id for r in doc.rules}, doc.path,
                                                  draft=meta.status is RfcStatus.draft)
    return meta, compiled, problems + rollout_problems


def _compile_rule(section: RuleSection, meta: RfcMeta, base_url: str | None, rfc_dir: Path,
                  lint_packages: Sequence[str] | None) -> tuple[Rule | None, list[Problem]]:
    path = meta.path
    problems: list[Problem] = []
    fences = [b for b in section.blocks if b.kind == "fence"]
    texts = [b for b in section.blocks if b.kind == "text"]
    if not is_rule_id(section.rule_id):
        problems.append(Problem(path=path, line=section.line, message=f"bad rule id {section.rule_id!r}", hint="use letters then digits, e.g. CX0001"))
    statement = next((b for b in texts if "if you need" in b.content.lower()), None)
    match = _STATEMENT.search(inline_source(statement.content)) if statement else None
    if match is None:
        problems.append(Problem(path=path, line=statement.line if statement else section.line,
                                message=f"rule {section.rule_id} has no 'If you need X, use Y' statement",
                                hint="add a paragraph 'If you need <what>, use <remedy>.' under the heading"))
    config_blocks = [b for b in fences if b.info.split()[:2] == ["yaml", "codex"]]
    if len(config_blocks) != 1:
        problems.append(Problem(path=path, line=section.line,
                                message=f"rule {section.rule_id} needs exactly one ```yaml codex``` block (found {len(config_blocks)})",
                                hint="add one with severity, languages and matcher"))
        return None, problems
    config = _rule_config(config_blocks[0], path)
    if isinstance(config, Problem):
        return None, [*problems, config]
    matcher, matcher_problems = _matcher(section, config, fences, path, lint_packages)
    problems += matcher_problems
    examples, example_problems = _examples(section, config, fences, path)
    files, file_problems = _example_files(section.rule_id, config, config_blocks[0].line, path, rfc_dir)
    examples += files
    problems += example_problems + file_problems
    missing = _examples_problem(section.rule_id, examples, path, section.line)
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
        rfc=RfcRef(id=meta.id, title=meta.title, path=path, anchor=anchor,
                   url=f"{base_url.rstrip('/')}/{path}#{anchor}" if base_url else None),
    )
    return rule, []


def _rule_config(block: Block, path: str) -> RuleConfig | Problem:
    try:
        raw = yaml.safe_load(block.content) or {}
        config = RuleConfig.model_validate(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return Problem(path=path, line=block.line + 1 + (mark.line if mark else 0),
                       message=f"rule block is not valid YAML: {getattr(exc, 'problem', exc)}", hint="fix the YAML")
    except ValidationError as exc:
        return _validation_problem(path, block.line + 1, "rule block", exc, block.content)
    if config.verify and config.matcher != "llm":
        return Problem(path=path, line=block.line + 1, message=f"verify: true applies to llm matchers only, not {config.matcher}",
                       hint="remove verify, or make the rule a judgment rule (matcher: llm)")
    unknown = [lang for lang in config.languages if lang not in EXTENSIONS]
    if unknown:
        return Problem(path=path, line=block.line + 1, message=f"unknown language {', '.join(unknown)}",
                       hint=f"use one of: {', '.join(sorted(EXTENSIONS))}")
    for pattern in config.prefilter.regex if config.prefilter else ():
        try:
            re.compile(pattern)
        except re.error as exc:
            return Problem(path=path, line=block.line + 1, message=f"prefilter regex {pattern!r} is not valid: {exc}",
                           hint="fix the regular expression (Python syntax)")
    return config


def _matcher(section: RuleSection, config: RuleConfig, fences: list[Block], path: str, lint_packages: Sequence[str] | None):
    """The rule's matcher, parsed and validated by its matcher kind (codex/matchers)."""
    from codex.matchers import REGISTRY, MatcherSource, matcher_kind

    if config.matcher == "llm":
        return LlmMatcher(question=config.question or "", do_not_flag=tuple(config.do_not_flag), verify=config.verify), []
    if config.matcher not in REGISTRY:
        return None, [Problem(path=path, line=section.line, message=f"unknown matcher {config.matcher!r}",
                              hint=f"use {', '.join(REGISTRY)} or llm")]
    return matcher_kind(config.matcher).parse(MatcherSource(section.rule_id, tuple(config.languages), config.rule_class, fences, path, section.line,
                                                               None if lint_packages is None else tuple(lint_packages)))


def _examples(section: RuleSection, config: RuleConfig, fences: list[Block], path: str) -> tuple[list[Example], list[Problem]]:
    examples: list[Example] = []
    problems: list[Problem] = []
    for block in fences:
        words = block.info.split()
        if len(words) < 2 or words[1] not in ("bad", "good", "fixed"):
            continue
        language, verdict = words[0], words[1]
        if verdict == "fixed":
            bad = examples[-1] if examples else None
            if bad is None or bad.verdict != "bad" or bad.language != language or bad.fixed is not None:
                problems.append(Problem(path=path, line=block.line, message=f"a {language} fixed block must follow a {language} bad block",
                                        hint="put it right after the bad block whose fixes it shows (one per bad block)"))
            else:
                examples[-1] = bad.model_copy(update={"fixed": block.content})
            continue
        options = dict(w.split("=", 1) for w in words[2:] if "=" in w)
        if language not in config.languages:
            problems.append(Problem(path=path, line=block.line, message=f"example in {language!r}, which rule {section.rule_id} does not cover",
                                    hint=f"use one of {config.languages}"))
            continue
        expected = expected_lines(block.content, section.rule_id)
        if verdict == "bad" and not expected:
            problems.append(Problem(path=path, line=block.line, message="bad example marks no line",
                                    hint=f"put a comment 'ruleid: {section.rule_id}' on the line before each line that must be flagged"))
        examples.append(Example(verdict="bad" if verdict == "bad" else "good", language=language, code=block.content,
                                filename=options.get("path", default_filename(language)),
                                expected=tuple(expected) if verdict == "bad" else (), source_line=block.line))
    return examples, problems


def _example_files(rule_id: str, config: RuleConfig, line: int, path: str, rfc_dir: Path) -> tuple[list[Example], list[Problem]]:
    """The annotated example files a rule names (``examples:``), read relative to its RFC."""
    examples: list[Example] = []
    problems: list[Problem] = []
    for entry in config.examples:
        source = posixpath.normpath(posixpath.join(posixpath.dirname(path), entry))
        language = language_of(entry)
        if language not in config.languages:
            problems.append(Problem(path=path, line=line, message=f"example file {entry} is not in a language rule {rule_id} covers",
                                    hint=f"name a file ending in {', '.join(e for lang in config.languages for e in EXTENSIONS[lang])}"))
            continue
        try:
            code = (rfc_dir / entry).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(path=path, line=line, message=f"cannot read example file {source}: {getattr(exc, 'strerror', None) or exc}",
                                    hint="give a path relative to the RFC file"))
            continue
        examples.append(Example(verdict="file", language=language, code=code, filename=posixpath.basename(entry),
                                expected=tuple(expected_lines(code, rule_id)), source_line=1, source=source))
    return examples, problems


def _examples_problem(rule_id: str, examples: list[Example], path: str, line: int) -> Problem | None:
    """A rule shows at least one flagged and one clean case: bad and good blocks, or an annotated file."""
    files = [e for e in examples if e.verdict == "file"]
    has_bad = any(e.verdict == "bad" for e in examples) or any(e.expected for e in files)
    has_good = any(e.verdict == "good" for e in examples) or bool(files)
    if has_bad and has_good:
        return None
    return Problem(path=path, line=line, message=f"rule {rule_id} needs at least one bad and one good example",
                   hint="add fenced blocks such as ```python bad and ```python good, or an annotated file under examples:")


def _first_sentence(text: str) -> str:
    """The statement ends where the next sentence starts (a period, space, capital), outside `code`."""
    for end in re.finditer(r"\.\s+(?=[A-Z])", text):
        if text.count("`", 0, end.start()) % 2 == 0:
            return text[: end.start()]
    return text


def _validation_problem(path: str, line: int, what: str, exc: ValidationError, source: str = "") -> Problem:
    """One problem listing every validation error, at the line of the first key at fault."""
    errors = exc.errors()
    err = errors[0]
    key_line = next((i for i, text in enumerate(source.splitlines()) if text.startswith(f"{err['loc'][0]}:")), 0) if err["loc"] else 0
    details = "; ".join(": ".join(filter(None, (".".join(map(str, e["loc"])), e["msg"]))) for e in errors)
    return Problem(path=path, line=line + key_line, message=f"{what}: {details}", hint="see the RFC format in the README")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def write_rules(ruleset: Ruleset, rules_dir: Path) -> list[Path]:
    """Write ``ruleset.json`` and ``semgrep.yml``; returns the files written."""
    from codex.semgrep_config import semgrep_config

    rules_dir.mkdir(parents=True, exist_ok=True)
    outputs = {rules_dir / "ruleset.json": ruleset.to_json(), rules_dir / "semgrep.yml": semgrep_config(ruleset.rules)}
    for target, text in outputs.items():
        target.write_text(text, encoding="utf-8")
    return list(outputs)


def stale_files(ruleset: Ruleset, rules_dir: Path) -> list[str]:
    """Which files of ``rules/`` differ from what compiling would write."""
    from codex.semgrep_config import semgrep_config

    expected = {"ruleset.json": ruleset.to_json(), "semgrep.yml": semgrep_config(ruleset.rules)}
    stale = []
    for name, text in expected.items():
        target = rules_dir / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


