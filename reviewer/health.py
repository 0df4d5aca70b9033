"""The health guard: a rule firing on a large share of the files it sees is more likely broken than the code,
so for this run it is held at ``warn`` and cannot block."""

from __future__ import annotations

from dataclasses import dataclass

from codex.governance_config import GovernanceConfig
from codex.model import LlmMatcher, Ruleset, Stage
from codex.problems import Problem
from reviewer.finding import Finding
from reviewer.targets import Target, in_scope


@dataclass(frozen=True)
class RuleHealth:
    rule_id: str
    files_seen: int
    files_hit: int

    @property
    def share(self) -> float:
        return self.files_hit / self.files_seen if self.files_seen else 0.0


def rule_health(ruleset: Ruleset, targets: list[Target], found: list[Finding]) -> list[RuleHealth]:
    """Per static rule: the files it sees (language and path globs, not the prefilter) and those it fires on."""
    hit: dict[str, set[str]] = {}
    for finding in found:
        hit.setdefault(finding.rule_id, set()).add(finding.path)
    return [
        RuleHealth(rule.id, sum(t.language in rule.languages and in_scope(rule.paths, t.scope_path) for t in targets), len(hit.get(rule.id, ())))
        for rule in ruleset.rules
        if not isinstance(rule.matcher, LlmMatcher)
    ]


def hold_broken_rules(health: list[RuleHealth], limits: GovernanceConfig) -> tuple[list[str], list[Problem]]:
    """The ids of the rules over the thresholds, held at warn for this run, and the plain message for each."""
    held = [h for h in health if h.files_hit >= limits.health_min_files and h.share > limits.health_max_share]
    ids = {h.rule_id for h in held}
    problems = [
        Problem(
            kind="health",
            message=f"{h.rule_id} fired on {h.files_hit} of the {h.files_seen} files it applies to ({h.share:.0%}); held at warn for this run, "
            "since a rule firing this widely is more likely broken than the code",
            hint=f"check the rule (`codex test {h.rule_id}`); thresholds: {limits.key('health_max_share')} and {limits.setting('health_min_files')}",
        )
        for h in held
    ]
    return sorted(ids), problems


def held_stage(stage: Stage, held: bool) -> Stage:
    """The stage of a finding whose rule the guard ``held``: ``block`` becomes ``warn``, the others stay."""
    return Stage.warn if held and stage is Stage.block else stage
