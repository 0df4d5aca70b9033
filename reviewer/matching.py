"""Running the static rules: cached files first, then every engine (reviewer/engines) over the rest —
semgrep's process in the background while the in-process engines (libcst, tree-sitter) check their files.

An engine's library is imported only when a file needs it: a Rust-only change never imports libcst.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from codex.matchers import ClassMatcher
from codex.model import LlmMatcher, Rule, Ruleset
from codex.problems import Problem
from codex.rule_class import NO_LINT_PACKAGES, LintPackages
from reviewer.cache import ResultCache
from reviewer.engines import Match, Results, Run, all_engines, engine as engine_of
from reviewer.finding import Finding
from reviewer.targets import Target, applies
from reviewer.test_code import TestCodeModel


@dataclass(frozen=True)
class _Plan:
    """A target the cache could not answer for, and the rules of each engine (by kind) that apply to it."""

    target: Target
    rules: dict[str, list[Rule]]
    key: str | None


def run_matchers(
    ruleset: Ruleset,
    targets: list[Target],
    cache: ResultCache | None = None,
    meanwhile: Callable[[], object] | None = None,
    test_code: TestCodeModel | None = None,
    lint_packages: LintPackages = NO_LINT_PACKAGES,
) -> tuple[list[Finding], list[Problem], dict[str, float]]:
    """Every static rule over the targets it applies to; findings in no particular order, none of a ``tests: exempt``
    rule in test code. ``meanwhile`` is called once the background engines (semgrep) run, to start other work
    without delaying them. Matcher classes are imported only from the shipped lints and ``lint_packages``."""
    started = time.perf_counter()
    static = [r for r in ruleset.rules if not isinstance(r.matcher, LlmMatcher)]
    found: list[Finding] = []
    problems: list[Problem] = []
    plans: list[_Plan] = []
    test_code = test_code or TestCodeModel()
    for target in targets:
        # a rule exempt in tests never runs on a file its path makes test code: its findings there would be dropped
        in_tests = test_code.is_test_path(target)
        rules = [r for r in static if not (in_tests and r.tests == "exempt") and applies(r, target)]
        if not rules:
            continue
        key = cache.key(target, rules) if cache else None
        cached = cache.load(key, target) if cache and key else None
        if cached is None:
            by_kind: dict[str, list[Rule]] = {}
            for rule in rules:
                by_kind.setdefault(rule.matcher.kind, []).append(rule)
            plans.append(_Plan(target, by_kind, key))
            continue
        found += _findings(ruleset, target, cached[0])
        problems += cached[1]
    problems += _drop_unloadable(plans, lint_packages)
    plans = [p for p in plans if p.target.read()]  # one the file index knew and that changed since is not checked (run_check says so)
    engines = sorted((e for e in all_engines() if any(e.kind in p.rules for p in plans)), key=lambda e: not e.background)
    runs: dict[str, Run] = {}
    for engine in engines:
        runs[engine.kind] = engine.start(
            [(p.target, p.rules[engine.kind]) for p in plans if engine.kind in p.rules], busy_cpus=sum(e.background for e in engines if e.kind in runs)
        )
    if meanwhile is not None:
        meanwhile()
    seconds: dict[str, float] = {}
    results: dict[str, Results] = {}
    for engine in sorted(engines, key=lambda e: e.background):  # the in-process engines while the others run
        engine_started = time.perf_counter()
        results[engine.kind] = runs[engine.kind].collect()
        if not engine.background:
            seconds[engine.kind] = round(time.perf_counter() - engine_started, 3)
    planned = {p.target.path for p in plans}
    failed = set()
    for kind, (_, engine_problems) in results.items():
        run_wide = [p for p in engine_problems if p.path not in planned]  # the engine itself failed: cache nothing of it
        problems += run_wide
        failed |= {kind} if run_wide else set()
    for plan in plans:
        path = plan.target.path
        matches: list[Match] = []
        file_problems: list[Problem] = []
        for kind, rules in plan.rules.items():
            engine_matches, engine_problems = results[kind]
            wanted = {r.id for r in rules}
            matches += [m for m in engine_matches.get(path, []) if m.rule_id in wanted]
            file_problems += [p for p in engine_problems if p.path == path]
        found += _findings(ruleset, plan.target, matches)
        problems += file_problems
        transient = any(path in runs[kind].transient for kind in plan.rules)
        reproducible = all(p.kind in ("parse", "semgrep") for p in file_problems) and not transient and not failed & set(plan.rules)
        if cache and plan.key and reproducible:
            cache.store(plan.key, matches, file_problems)
    found = test_code.drop_exempt(ruleset, targets, found)  # may read the cache too
    if cache:
        problems += cache.problems
    return found, problems, {**seconds, "static": round(time.perf_counter() - started, 3)}


def _drop_unloadable(plans: list[_Plan], lint_packages: LintPackages) -> list[Problem]:
    """A problem for each rule whose matcher class cannot be loaded from where the configuration allows; that rule
    is left out of the plans, and every other rule runs."""
    from codex.rule_class import RuleClassError, load_rule_class

    problems: dict[str, Problem] = {}
    checked: set[str] = set()
    for plan in plans:
        for kind, rules in plan.rules.items():
            base = getattr(engine_of(kind), "base", None)  # engines whose matchers are classes
            if base is None:
                continue
            for rule in rules:
                if rule.id in checked:
                    continue
                checked.add(rule.id)
                try:
                    load_rule_class(cast(ClassMatcher, rule.matcher).rule_class, base, lint_packages.packages)
                except RuleClassError as exc:
                    problems[rule.id] = Problem(path=rule.rfc.path, message=f"rule {rule.id} did not run: {exc}", kind="rule", hint=lint_packages.hint(base))
    if problems:
        for plan in plans:
            for kind in list(plan.rules):
                plan.rules[kind] = [r for r in plan.rules[kind] if r.id not in problems]
                if not plan.rules[kind]:
                    del plan.rules[kind]
    return list(problems.values())


def _findings(ruleset: Ruleset, target: Target, matches: list[Match]) -> list[Finding]:
    findings = []
    for m in matches:
        rule = ruleset.rule(m.rule_id)
        if rule is not None:
            findings.append(Finding.of(rule, target.path, m.line, m.end_line, m.column, m.message, m.engine, m.fix, m.end_column))
    return findings
