"""RFC front matter ``rollout:``: each rule's cohorts, attached to the compiled rules."""

from __future__ import annotations

from codex.model import Cohort, Rule
from codex.problems import Problem


def attach_rollouts(
    compiled: list[tuple[Rule, int]], rollout: dict[str, list[Cohort]], rule_ids: set[str], rfc_path: str, draft: bool
) -> tuple[list[tuple[Rule, int]], list[Problem]]:
    """Give each rule its cohorts (none for a draft, whose rules stay in shadow); a rollout naming no rule of this RFC is a problem."""
    problems = [
        Problem(
            path=rfc_path,
            line=1,
            message=f"front matter: rollout names {rule_id}, which this RFC does not define",
            hint="key the rollout by the rule ids of this RFC's sections",
        )
        for rule_id in sorted(set(rollout) - rule_ids)
    ]
    if draft:
        return compiled, problems
    return [(rule.model_copy(update={"rollout": tuple(rollout.get(rule.id, ()))}), line) for rule, line in compiled], problems
