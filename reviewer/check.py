"""The check pipeline: changed files (and their base versions) → matchers → what the change introduced → one report."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from codex.config import MAX_FILE_BYTES, CodexConfig, LlmConfig
from codex.config_file import FromFile
from codex.governance_config import GovernanceConfig
from codex.model import LlmMatcher, Prefilter, Ruleset
from codex.problems import Problem
from codex.rule_class import NO_LINT_PACKAGES, LintPackages
from reviewer.baseline import Baseline
from reviewer.cache import ResultCache
from reviewer.changes import ChangeSet
from reviewer.exclusion import AttributesAt, excluded_paths
from reviewer.file_index import FileIndex
from reviewer.finding import Report, sort_and_fingerprint
from reviewer.matching import run_matchers
from reviewer.overrides import OVERRIDE_PROBE
from reviewer.stats import LlmStats, RulesetStats, RunStats
from reviewer.targets import Target, select_targets
from reviewer.test_code import TestCodeModel
from reviewer.verdicts import govern

if TYPE_CHECKING:
    from reviewer.llm.run import LlmOutcome

_LLM_STATS: TypeAdapter[LlmStats] = TypeAdapter(LlmStats)  # the LLM pass's stats dict, checked against the contract


@dataclass(frozen=True)
class CheckOptions:
    use_llm: bool = True
    ruleset_origin: str = ""
    today: dt.date | None = None  # the date rollouts are judged on (default: the clock's)
    governance: GovernanceConfig = field(default_factory=GovernanceConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    llm_budget: int | None = None  # input tokens the LLM pass may send (default: the config's budget)
    require_llm: bool = False  # a judgment rule left unreviewed fails the check
    cache_dir: Path | None = None  # the per-file result cache (None: neither it nor the LLM answer cache)
    trust_llm_base_url: bool = False  # [tool.codex.llm] base_url may receive the environment's key (codex review: the target branch's)
    max_file_bytes: int = MAX_FILE_BYTES  # larger files are listed, not checked
    keys: FromFile = field(default_factory=FromFile)  # the configuration file read, which messages name with its keys spelled its way
    lint_packages: LintPackages = NO_LINT_PACKAGES  # packages matcher classes may be imported from, besides codex.lints
    test_paths: tuple[str, ...] = ()  # [tool.codex] test_paths: the project's own test-support files
    shard: str | None = None  # "I/N" under --shard
    exclude: tuple[str, ...] = ()  # [tool.codex] exclude: globs of files no rule checks
    linguist: bool = True  # leave out what .gitattributes marks linguist-generated or linguist-vendored
    attributes_from: AttributesAt | None = None  # the commit whose .gitattributes count (codex review: the target branch's); None: the tree's

    @classmethod
    def configured(cls, config: CodexConfig, root: Path, *, cache: bool = True, **options: Any) -> CheckOptions:
        """The options a repository's configuration sets (LLM, governance, cache, lint packages, size limit,
        exclusions, test paths), with ``options`` for what the command decides."""
        return cls(
            keys=config,
            llm=config.llm,
            governance=config.governance,
            cache_dir=root / config.cache_dir if cache else None,
            lint_packages=config.lint_sources,
            max_file_bytes=config.max_file_bytes,
            exclude=config.exclude,
            linguist=config.linguist,
            test_paths=config.test_paths,
            **options,
        )


def run_check(ruleset: Ruleset, changes: ChangeSet, options: CheckOptions = CheckOptions()) -> Report:
    started = time.perf_counter()
    report = Report(errors=list(changes.problems))
    targets, excluded, selection_problems = checked_targets(ruleset, changes, options)
    report.errors += selection_problems
    llm_rules = [r for r in ruleset.rules if isinstance(r.matcher, LlmMatcher)]
    with ThreadPoolExecutor(max_workers=1) as background, Baseline(changes, targets) as baseline:
        llm_pass: list[Future[LlmOutcome]] = []  # the model answers while the static matchers run

        def start_llm() -> None:
            llm_pass.append(
                background.submit(
                    _llm_pass,
                    llm_rules,
                    targets,
                    changes.root,
                    options.llm,
                    enabled=options.use_llm,
                    budget=options.llm_budget,
                    use_cache=options.cache_dir is not None,
                    trust_config_url=options.trust_llm_base_url,
                )
            )

        cache = ResultCache(options.cache_dir, options.keys, changes.root) if options.cache_dir else None
        test_code = TestCodeModel(options.test_paths, changes.root, cache)
        found, problems, seconds = run_matchers(
            ruleset, targets + baseline.targets, cache, meanwhile=start_llm, test_code=test_code, lint_packages=options.lint_packages
        )
        found, base_found, problems = baseline.split(found, problems)
        llm = llm_pass[0].result()
        found += test_code.drop_exempt(ruleset, targets, llm.findings)
        report.errors += problems + llm.problems
        governed = govern(ruleset, targets, found, options.today, options.governance)
        found = llm.cap_uncertain(found, governed.findings)
        report.errors += governed.problems
        by_path = {t.path: t for t in targets}
        on_changed_lines = [f for f in found if baseline.on_change(f, by_path[f.path])]
        already_there = baseline.already_there(found, base_found, by_path)
    # a file the file index knew that is gone or changed since it was listed (read() fails): reported, not its findings
    in_scope = [f for f in on_changed_lines if id(f) not in already_there and by_path[f.path].read()]
    report.findings = sort_and_fingerprint(in_scope, {p: by_path[p].lines for p in {f.path for f in in_scope}})
    report.errors += [Problem(path=t.path, message=f"{t.unread}: not checked", kind="skipped") for t in targets if t.unread is not None]
    report.stats = RunStats(
        mode=changes.mode,
        ruleset=RulesetStats(version=ruleset.version, origin=options.ruleset_origin, rules=len(ruleset.rules)),
        files_changed=len(changes.files),
        files_checked=len(targets),
        files_excluded=len(excluded),
        findings=len(report.findings),
        blocking=len(report.blocking),
        outside_diff=len(found) - len(on_changed_lines),
        preexisting=len(on_changed_lines) - len(in_scope),
        base=baseline.label,
        governance=governed.stats,
        llm=_LLM_STATS.validate_python({**llm.stats, "require_llm_failed": options.require_llm and bool(llm.unreviewed)}),
        cache=cache.stats if cache else None,
        seconds={**seconds, "total": round(time.perf_counter() - started, 3)},
        shard=options.shard,
    )
    return report


def checked_targets(ruleset: Ruleset, changes: ChangeSet, options: CheckOptions) -> tuple[list[Target], set[str], list[Problem]]:
    """The changed files the check reads (in a language some rule covers, not excluded by the configuration or by
    .gitattributes, within the size limit), the paths excluded, and the problems met choosing them."""
    excluded, problems = excluded_paths(changes.root, [f.path for f in changes.files], options.exclude, options.linguist, options.attributes_from)
    checked = replace(changes, files=[f for f in changes.files if f.path not in excluded])
    languages = {lang for r in ruleset.rules for lang in r.languages}
    index = FileIndex(options.cache_dir, changes.root, _probes(ruleset, languages)) if options.cache_dir else None
    targets, skipped = select_targets(checked, languages, options.max_file_bytes, options.keys, index)
    if index is not None:
        index.save()
        problems += index.problems
    return targets, excluded, problems + skipped


def _probes(ruleset: Ruleset, languages: set[str]) -> dict[str, tuple[Prefilter, ...]]:
    """Per language, what the file index tests each file's text with: the static rules' prefilters, the override marker."""
    static = [r for r in ruleset.rules if not isinstance(r.matcher, LlmMatcher)]
    return {lang: (OVERRIDE_PROBE, *(r.prefilter for r in static if lang in r.languages and r.prefilter is not None)) for lang in languages}


def _llm_pass(*args: Any, **kwargs: Any) -> LlmOutcome:
    """The LLM pass, imported in its own thread: the openai client and tiktoken load while semgrep starts."""
    from reviewer.llm import run_llm_pass

    return run_llm_pass(*args, **kwargs)
