"""Governance of one run: the stage in force per finding (rollout), the health guard, then overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from codex.governance import GovernanceConfig
from codex.model import Ruleset
from codex.problems import Problem
from reviewer.finding import Finding
from reviewer.health import hold_broken_rules, rule_health
from reviewer.overrides import apply_overrides
from reviewer.rollout import stage_in_force
from reviewer.targets import Target


def govern(ruleset: Ruleset, targets: list[Target], found: list[Finding], today: dt.date | None,
           limits: GovernanceConfig) -> tuple[list[Finding], list[Problem], dict[str, Any]]:
    """Set each finding's stage and override (in place); return the findings with those about overrides added,
    the health guard's messages, and the stats a history records."""
    today = today or dt.date.today()
    by_path = {t.path: t for t in targets}
    for finding in found:
        rule = ruleset.rule(finding.rule_id)
        if rule is not None:
            finding.stage = stage_in_force(rule, by_path[finding.path].scope_path, today)
    health = rule_health(ruleset, targets, found)
    held, problems = hold_broken_rules(health, found, limits)
    about_overrides = apply_overrides(ruleset, targets, found)
    stats = {"date": today.isoformat(), "held": held,
             "rules": {h.rule_id: {"files_seen": h.files_seen, "files_hit": h.files_hit} for h in health}}
    return found + about_overrides, problems, stats
