"""The stage in force for a rule at a path on a date.

A rollout is an ordered list of cohorts. As in CODEOWNERS, the last cohort in force (``since`` absent
or reached) that covers a path decides its stage; a path no cohort in force covers keeps the rule's
own ``stage``.
"""

from __future__ import annotations

import datetime as dt

from codex.model import Cohort, PathFilter, Rule, Stage
from reviewer.targets import in_scope

STAGE_ORDER = (Stage.shadow, Stage.warn, Stage.block)


def rank(stage: Stage) -> int:
    return STAGE_ORDER.index(stage)


def in_force(cohort: Cohort, today: dt.date) -> bool:
    return cohort.since is None or cohort.since <= today


def covers(cohort: Cohort, path: str | None) -> bool:
    return not cohort.paths or in_scope(PathFilter(include=cohort.paths), path)


def stage_in_force(rule: Rule, path: str | None, today: dt.date) -> Stage:
    covering = [c.stage for c in rule.rollout if in_force(c, today) and covers(c, path)]
    return covering[-1] if covering else rule.stage


def stage_elsewhere(rule: Rule, today: dt.date) -> Stage:
    """The stage in force on a path that no path-specific cohort names."""
    everywhere = [c.stage for c in rule.rollout if in_force(c, today) and not c.paths]
    return everywhere[-1] if everywhere else rule.stage


def effective_cohorts(rule: Rule, today: dt.date) -> list[Cohort]:
    """The path-specific cohorts in force that no later everywhere-cohort in force overrides."""
    active = [c for c in rule.rollout if in_force(c, today)]
    last_everywhere = max((i for i, c in enumerate(active) if not c.paths), default=-1)
    return [c for c in active[last_everywhere + 1 :] if c.paths]


def describe(rule: Rule, today: dt.date) -> list[str]:
    """Plain lines: where each stage is in force today, then the cohorts still to come."""
    lines = [f"{c.stage.value} on {', '.join(c.paths)}" for c in effective_cohorts(rule, today)]
    lines.append(f"{stage_elsewhere(rule, today).value} {'elsewhere' if lines else 'everywhere'}")
    lines += [
        f"{c.stage.value} on {', '.join(c.paths) or 'everywhere'} from {c.since.isoformat()}" for c in rule.rollout if c.since is not None and c.since > today
    ]  # not in force yet
    return lines
