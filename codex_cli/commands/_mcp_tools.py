"""What the ``codex mcp`` tools and resources answer, protocol aside: each tool's arguments and result as pydantic
models (the input and output schemas), every result also as plain text. The ruleset is loaded on every call, as
``codex check`` would choose it (a stale or missing one is reported in the result), so edits to ``rfcs/`` count at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codex.config import CodexConfig
from codex.model import RfcRef, Severity, Stage
from codex.problems import Problem, ProblemError
from codex.ruleset_source import LoadedRuleset

RFC_URI = "codex://rfc/"
DRAFT = "<rfc>"  # how problems name the RFC text given to ``test``


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NoArguments(Arguments):
    pass


class ExplainArguments(Arguments):
    rule: str = Field(description="a rule id (CX0001), or an RFC id (RFC-0001)")


class CheckArguments(Arguments):
    path: str = Field(description="the file's path in the repository (relative to its root, or absolute inside it)")
    content: str | None = Field(None, description="the text to check as that file; absent: the file on disk")
    llm: bool = Field(False, description="also run the LLM pass for judgment rules (slower; needs the configured endpoint)")


class RfcTestArguments(Arguments):
    rfc: str = Field(description="an RFC's markdown text (front matter, rule sections, examples); it is not written anywhere")


class Result(BaseModel):
    def text(self) -> str:
        raise NotImplementedError


class RfcReference(BaseModel):
    id: str
    title: str
    link: str | None = Field(description="the RFC's http(s) address, when it has one")
    resource: str = Field(description="the RFC as an MCP resource")

    @classmethod
    def of(cls, ref: RfcRef) -> RfcReference:
        return cls(id=ref.id, title=ref.title, link=ref.web_url, resource=f"{RFC_URI}{ref.id}")

    def __str__(self) -> str:
        return f"{self.id} {self.title} ({self.link or self.resource})"


class RuleSummary(BaseModel):
    id: str
    title: str
    statement: str = Field(description="If you need X, use Y.")
    use: str = Field(description="the remedy")
    severity: Severity
    stage: Stage = Field(description="in force today on paths no rollout cohort names")
    stages: list[str] = Field(description="where each stage is in force today, then the cohorts still to come")
    languages: list[str]
    matcher: str
    rfc: RfcReference


class RulesResult(Result):
    origin: str = Field(description="which ruleset is active")
    date: dt.date = Field(description="the day the stages are judged on")
    rules: list[RuleSummary]
    problems: list[Problem] = Field(description="why the ruleset is stale or missing, when it is")

    def text(self) -> str:
        lines = [f"{len(self.rules)} active rules ({self.origin}), stages on {self.date}:"]
        for rule in self.rules:
            lines += [
                f"{rule.id} {rule.title} [{rule.severity.value}; {'; '.join(rule.stages)}; {', '.join(rule.languages)}]",
                f"  {rule.statement}",
                f"  {rule.rfc}",
            ]
        return "\n".join(lines + _problem_lines(self.problems))


class ExplainResult(Result):
    id: str
    page: str = Field(description="the page `codex explain ID` prints")

    def text(self) -> str:
        return self.page


class FindingSummary(BaseModel):
    rule_id: str
    line: int
    end_line: int
    column: int
    end_column: int | None
    message: str
    statement: str = Field(description="If you need X, use Y.")
    use: str = Field(description="the remedy")
    severity: Severity
    stage: Stage = Field(description="in force at this path today: block fails the check, warn is shown, shadow is recorded only")
    overridden: bool = Field(description="let through by a `codex: allow ID -- reason` comment")
    rfc: RfcReference
    fix: str | None = Field(description="lines line..end_line as the rule's safe fix rewrites them")
    engine: str


class CheckResult(Result):
    path: str = Field(description="the path checked, relative to the repository")
    origin: str = Field(description="which ruleset judged it")
    llm: bool = Field(description="whether the LLM pass was asked to run")
    findings: list[FindingSummary]
    unreviewed: list[str] = Field(description="judgment rules that apply to this file and the LLM pass did not review")
    unreviewed_because: str | None = Field(description="why the LLM pass did not review them")
    problems: list[Problem] = Field(description="what could not be checked and why: never an empty result in silence")

    def text(self) -> str:
        blocking = sum(f.stage is Stage.block and not f.overridden for f in self.findings)
        lines = [f"{self.path}: {len(self.findings)} finding(s), {blocking} blocking ({self.origin})"]
        for f in self.findings:
            span = f"{f.line}" if f.end_line == f.line else f"{f.line}-{f.end_line}"
            lines += [
                f"{self.path}:{span}: {f.rule_id} {f.stage.value}{' (overridden)' if f.overridden else ''}: {f.message}",
                f"  {f.statement}",
                f"  {f.rfc}",
            ]
            if f.fix is not None:
                lines += ["  fix:", *(f"    {line}" for line in f.fix.splitlines())]
        if self.unreviewed:
            lines.append(f"not reviewed by the LLM pass ({self.unreviewed_because}): {', '.join(self.unreviewed)}")
        return "\n".join(lines + _problem_lines(self.problems))


class ExampleVerdict(BaseModel):
    rule_id: str
    where: str = Field(description="the example: its line in the RFC text, or its file")
    verdict: Literal["pass", "fail"]
    expected: list[int] = Field(description="lines the example marks to be flagged")
    flagged: list[int] = Field(description="lines the rule flagged")
    mismatches: list[str]
    known_gaps: list[str] = Field(description="lines marked todoruleid or todook")


class RfcTestResult(Result):
    rules: list[str] = Field(description="the rules that compiled")
    skipped: list[str] = Field(description="judgment rules: their examples need an LLM endpoint")
    problems: list[Problem] = Field(description=f"compile and engine problems, with lines of the RFC text (named {DRAFT})")
    examples: list[ExampleVerdict]
    passed: bool = Field(description="no problem, and every example flagged exactly its marked lines")

    def text(self) -> str:
        lines = [
            f"{'pass' if self.passed else 'FAIL'}: {len(self.rules)} rule(s) compiled"
            + (f", {', '.join(self.skipped)} skipped (judgment rules)" if self.skipped else "")
        ]
        for example in self.examples:
            lines.append(f"{example.verdict} {example.rule_id} {example.where}: expected lines {example.expected}, flagged {example.flagged}")
            lines += [f"  {line}" for line in example.mismatches + example.known_gaps]
        return "\n".join(lines + _problem_lines(self.problems))


@dataclass(frozen=True)
class RfcResource:
    uri: str
    id: str
    title: str
    text: str


def _problem_lines(problems: list[Problem]) -> list[str]:
    return [f"! {problem}" for problem in problems]


def statement(need: str, use: str) -> str:
    return f"If you need {need}, use {use}."


@dataclass(frozen=True)
class Workspace:
    """The repository the server runs in."""

    root: Path

    def active(self) -> tuple[CodexConfig, LoadedRuleset | None, list[Problem]]:
        """The configuration, the ruleset `codex check` would use (stale when rfcs/ does not compile; None when there
        is none at all) and the problems saying why. A configuration mistake is raised."""
        from codex.config import load_config
        from codex.ruleset_source import ConfigError, load_active

        config = load_config(self.root)
        try:
            loaded = load_active(self.root, config, stale_ok=True)
        except ConfigError:
            raise
        except ProblemError as exc:
            return (
                config,
                None,
                [
                    *exc.problems,
                    Problem(kind="no-ruleset", message="no usable ruleset: nothing is checked", hint="fix the problems above and run `codex compile`"),
                ],
            )
        return config, loaded, list(loaded.problems)

    def rules(self, arguments: NoArguments) -> RulesResult:
        from reviewer.rollout import describe, stage_elsewhere

        _, loaded, problems = self.active()
        today = dt.date.today()
        rules = loaded.ruleset.rules if loaded else ()
        return RulesResult(
            origin=loaded.origin if loaded else "none",
            date=today,
            problems=problems,
            rules=[
                RuleSummary(
                    id=r.id,
                    title=r.title,
                    statement=statement(r.need, r.use),
                    use=r.use,
                    severity=r.severity,
                    stage=stage_elsewhere(r, today),
                    stages=describe(r, today),
                    languages=list(r.languages),
                    matcher=r.matcher.kind,
                    rfc=RfcReference.of(r.rfc),
                )
                for r in rules
            ],
        )

    def explain(self, arguments: ExplainArguments) -> ExplainResult:
        from codex.catalog import load_catalog
        from codex_cli.commands.explain import page_text

        config, loaded, problems = self.active()
        if loaded is None:
            raise ProblemError(*problems)
        return ExplainResult(id=arguments.rule, page=page_text(load_catalog(self.root, config, loaded), arguments.rule))

    def check(self, arguments: CheckArguments) -> CheckResult:
        from codex.languages import language_of
        from reviewer.buffer_check import check_buffer, repository_path
        from reviewer.check import CheckOptions
        from reviewer.stats import LlmNotRun, RunStats

        path = repository_path(self.root, arguments.path)
        config, loaded, problems = self.active()
        if loaded is None:
            return CheckResult(path=path, origin="none", llm=arguments.llm, findings=[], unreviewed=[], unreviewed_because=None, problems=problems)
        report = check_buffer(
            loaded.ruleset, self.root, path, arguments.content, CheckOptions.configured(config, self.root, use_llm=arguments.llm, ruleset_origin=loaded.origin)
        )
        problems += report.errors
        stats = report.stats if isinstance(report.stats, RunStats) else None
        if stats is not None and stats.files_checked == 0 and not any(p.path == path for p in problems):
            why = (
                f"excluded by {config.setting('exclude')} or a linguist attribute"
                if stats.files_excluded
                else f"no active rule covers {language_of(path) or 'this kind of file'}"
            )
            problems.append(Problem(path=path, kind="skipped", message=f"not checked: {why}"))
        findings = [
            FindingSummary(
                rule_id=f.rule_id,
                line=f.line,
                end_line=f.end_line,
                column=f.column,
                end_column=f.end_column,
                message=f.message,
                statement=statement(f.need, f.use),
                use=f.use,
                severity=f.severity,
                stage=f.stage,
                overridden=f.overridden,
                rfc=RfcReference.of(f.rfc),
                fix=f.fix,
                engine=f.engine,
            )
            for f in report.findings
        ]
        llm = stats.llm if stats is not None else None
        unreviewed = llm.unreviewed if llm is not None else []
        because = None
        if llm is not None and unreviewed:
            because = "llm: false" if not arguments.llm else llm.reason if isinstance(llm, LlmNotRun) else "see problems"
        return CheckResult(
            path=path, origin=loaded.origin, llm=arguments.llm, findings=findings, unreviewed=unreviewed, unreviewed_because=because, problems=problems
        )

    def test(self, arguments: RfcTestArguments) -> RfcTestResult:
        from codex.compiler import compile_rfc_text
        from codex.config import load_config
        from codex.model import Ruleset
        from codex.ruleset_source import extends_shipped, id_collisions, shipped_ruleset
        from codex.semgrep_validate import validate_semgrep
        from reviewer.examples import run_examples

        config = load_config(self.root)
        compiled = compile_rfc_text(arguments.rfc, DRAFT, self.root / config.rfcs, config.rfc_base_url, config.lint_sources)
        problems = list(compiled.problems)
        if extends_shipped(self.root, config):
            problems += id_collisions(compiled.rules, compiled.locations, shipped_ruleset(), config)
        if not compiled.rules:
            raise ProblemError(
                *problems,
                Problem(
                    path=DRAFT,
                    kind="usage",
                    message="no rule compiled from this text, so nothing was tested",
                    hint="give an RFC's markdown: front matter, then '## ID: Title' rule sections",
                ),
            )
        run = run_examples(Ruleset.build([], compiled.rules), compiled.rules, config.lint_sources)
        located: list[Problem] = []
        if any(p.kind == "engine" for p in run.problems):  # semgrep refused a rule: ask it which, to give the line
            located = [p for p in validate_semgrep(compiled.rules, {**compiled.locations, **compiled.semgrep_blocks}) if p.kind != "engine"]
        problems += located + [p for p in run.problems if not (located and p.kind == "engine")]
        examples = [
            ExampleVerdict(
                rule_id=r.rule.id,
                where=r.where,
                verdict="pass" if r.passed else "fail",
                expected=list(r.example.expected),
                flagged=list(r.actual),
                mismatches=r.mismatches(),
                known_gaps=r.known_gaps(),
            )
            for r in run.results
        ]
        return RfcTestResult(
            rules=[r.id for r in compiled.rules],
            skipped=[r.id for r in run.skipped],
            problems=problems,
            examples=examples,
            passed=not problems and all(e.verdict == "pass" for e in examples),
        )

    def rfcs(self) -> list[RfcResource]:
        """The RFCs of the active ruleset whose markdown can be read."""
        from codex.catalog import load_catalog

        config, loaded, _ = self.active()
        if loaded is None:
            return []
        pages = load_catalog(self.root, config, loaded).rfcs.values()
        return [RfcResource(f"{RFC_URI}{p.meta.id}", p.meta.id, p.meta.title, p.source) for p in pages if p.source is not None]

    def rfc(self, uri: str) -> RfcResource:
        found = next((r for r in self.rfcs() if r.uri == uri), None)
        if found is None:
            raise ProblemError(Problem(message=f"no RFC resource {uri}", hint=f"RFC resources are {RFC_URI}RFC-NNNN, as listed", kind="usage"))
        return found
