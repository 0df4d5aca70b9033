"""Governance of one run: a verdict per finding — the stage in force (rollout), held by the health guard, let
through by an override — applied to new findings; the matchers' findings are left as they are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from codex.governance_config import GovernanceConfig
from codex.model import Ruleset, Stage
from codex.problems import Problem
from reviewer.finding import Finding
from reviewer.health import held_stage, hold_broken_rules, rule_health
from reviewer.overrides import override_reasons
from reviewer.rollout import stage_in_force
from reviewer.stats import GovernanceStats, RuleHealthStats
from reviewer.targets import Target


@dataclass(frozen=True)
class Verdict:
    """What governance decided about one finding."""

    stage: Stage  # in force at the finding's path on the day, after the health guard
    held: bool  # its rule fired too widely: a ``block`` stage held at ``warn``
    override_reason: str | None  # the reason of the ``codex: allow`` that lets it through (None: nothing does)

    def applied(self, finding: Finding) -> Finding:
        return finding.model_copy(update={"stage": self.stage, "overridden": self.override_reason is not None, "override_reason": self.override_reason})


@dataclass(frozen=True)
class Governed:
    findings: list[Finding]  # the verdicts applied, then the findings about overrides
    problems: list[Problem]  # the health guard's messages
    stats: GovernanceStats  # what a history records


def verdicts(ruleset: Ruleset, targets: list[Target], found: list[Finding], today: dt.date, held: set[str]) -> tuple[list[Verdict], list[Finding]]:
    """A verdict per finding of ``found``, and the findings about overrides."""
    by_path = {t.path: t for t in targets}
    reasons, about_overrides = override_reasons(ruleset, targets, found)
    decided = []
    for finding, reason in zip(found, reasons, strict=True):
        rule = ruleset.rule(finding.rule_id)
        stage = finding.stage if rule is None else stage_in_force(rule, by_path[finding.path].scope_path, today)
        decided.append(Verdict(held_stage(stage, finding.rule_id in held), finding.rule_id in held and stage is Stage.block, reason))
    return decided, about_overrides


def govern(ruleset: Ruleset, targets: list[Target], found: list[Finding], today: dt.date | None, limits: GovernanceConfig) -> Governed:
    """The findings as governance leaves them (new ones: ``found`` is not changed; the i-th is the copy of
    ``found[i]``), then the findings about overrides."""
    today = today or dt.date.today()
    health = rule_health(ruleset, targets, found)
    held, problems = hold_broken_rules(health, limits)
    decided, about_overrides = verdicts(ruleset, targets, found, today, set(held))
    stats = GovernanceStats(date=today, held=held, rules={h.rule_id: RuleHealthStats(files_seen=h.files_seen, files_hit=h.files_hit) for h in health})
    return Governed([v.applied(f) for v, f in zip(decided, found, strict=True)] + about_overrides, problems, stats)
