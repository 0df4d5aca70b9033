"""Running the static rules: cached files first, then one semgrep process in the background while
libcst checks the rest (over worker processes when there is enough of it).

The engines are imported only when a file needs them: a Rust-only change never imports libcst.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from codex.model import LibcstMatcher, Rule, Ruleset, SemgrepMatcher
from codex.problems import Problem
from reviewer.cache import ResultCache
from reviewer.engines import Match
from reviewer.finding import Finding
from reviewer.targets import Target, applies


@dataclass(frozen=True)
class _Plan:
    """A target the cache could not answer for, and the rules of each engine that apply to it."""

    target: Target
    semgrep: list[Rule]
    libcst: list[Rule]
    key: str | None


def run_matchers(ruleset: Ruleset, targets: list[Target], cache: ResultCache | None = None,
                 meanwhile: Callable[[], object] | None = None,
                 lint_packages: Sequence[str] = ()) -> tuple[list[Finding], list[Problem], dict[str, float]]:
    """Every static rule over the targets it applies to; findings in no particular order. ``meanwhile`` is called
    once semgrep is running (to start other work without delaying it). libcst matcher classes are imported only
    from the shipped lints and ``lint_packages``."""
    started = time.perf_counter()
    semgrep_rules = [r for r in ruleset.rules if isinstance(r.matcher, SemgrepMatcher)]
    libcst_rules = [r for r in ruleset.rules if isinstance(r.matcher, LibcstMatcher)]
    found: list[Finding] = []
    problems: list[Problem] = []
    plans: list[_Plan] = []
    for target in targets:
        semgrep = [r for r in semgrep_rules if applies(r, target)]
        libcst = [r for r in libcst_rules if applies(r, target)]
        if not semgrep and not libcst:
            continue
        key = cache.key(target, semgrep + libcst) if cache else None
        cached = cache.load(key, target) if cache and key else None
        if cached is None:
            plans.append(_Plan(target, semgrep, libcst, key))
            continue
        found += _findings(ruleset, target, cached[0])
        problems += cached[1]
    semgrep_run = _start_semgrep(plans)
    if meanwhile is not None:
        meanwhile()
    libcst_started = time.perf_counter()
    libcst_results, unloadable = _run_libcst(plans, busy_cpus=1 if semgrep_run else 0, lint_packages=lint_packages)
    problems += unloadable.values()
    libcst_seconds = time.perf_counter() - libcst_started
    semgrep_matches, semgrep_problems = semgrep_run.collect() if semgrep_run else ({}, [])
    planned = {p.target.path for p in plans}
    run_wide = [p for p in semgrep_problems if p.path not in planned]  # semgrep itself failed: cache nothing of it
    problems += run_wide
    for plan in plans:
        matches, file_problems = libcst_results.get(plan.target.path, ([], []))
        wanted = {r.id for r in plan.semgrep}
        matches = matches + [m for m in semgrep_matches.get(plan.target.path, []) if m.rule_id in wanted]
        file_problems = file_problems + [p for p in semgrep_problems if p.path == plan.target.path]
        found += _findings(ruleset, plan.target, matches)
        problems += file_problems
        transient = semgrep_run is not None and plan.target.path in semgrep_run.transient
        reproducible = (all(p.kind in ("parse", "semgrep") for p in file_problems) and not transient and not (plan.semgrep and run_wide)
                        and not any(r.id in unloadable for r in plan.libcst))
        if cache and plan.key and reproducible:
            cache.store(plan.key, matches, file_problems)
    if cache:
        problems += cache.problems
    return found, problems, {"libcst": round(libcst_seconds, 3), "static": round(time.perf_counter() - started, 3)}


def _start_semgrep(plans: list[_Plan]):
    """One semgrep process for every semgrep rule some uncached target needs, or None."""
    rules = {r.id: r for p in plans for r in p.semgrep}
    if not rules:
        return None
    from reviewer.engines.semgrep import SemgrepRun

    return SemgrepRun(sorted(rules.values(), key=lambda r: r.id), [p.target for p in plans if p.semgrep])


def _run_libcst(plans: list[_Plan], busy_cpus: int,
                lint_packages: Sequence[str]) -> tuple[dict[str, tuple[list[Match], list[Problem]]], dict[str, Problem]]:
    """The libcst engine's results by path, and by rule id a problem for each rule whose matcher class cannot
    be loaded (that rule is left out; every other rule runs)."""
    rules = {r.id: r for p in plans for r in p.libcst}
    if not rules:
        return {}, {}
    from codex.lint import RuleClassError, load_rule_class
    from reviewer.engines import libcst as libcst_engine

    unloadable: dict[str, Problem] = {}
    for rule in list(rules.values()):
        try:
            load_rule_class(cast(LibcstMatcher, rule.matcher).rule_class, lint_packages)
        except RuleClassError as exc:
            unloadable[rule.id] = Problem(path=rule.rfc.path, message=f"rule {rule.id} did not run: {exc}", kind="rule",
                                          hint="name a LintRule subclass in codex.lints or in a package [tool.codex] lint_packages lists")
            del rules[rule.id]
    jobs = [(p.target, [r for r in p.libcst if r.id in rules]) for p in plans]
    jobs = [(target, runnable) for target, runnable in jobs if runnable]
    return (libcst_engine.check_files(jobs, busy_cpus) if jobs else {}), unloadable


def _findings(ruleset: Ruleset, target: Target, matches: list[Match]) -> list[Finding]:
    findings = []
    for m in matches:
        rule = ruleset.rule(m.rule_id)
        if rule is not None:
            findings.append(Finding.of(rule, target.path, m.line, m.end_line, m.column, m.message, m.engine, m.fix))
    return findings
