"""``codex rollout plan``: promotions and demotions proposed from run history, as a patch to RFC front matter."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from codex.front_matter import FRONT_MATTER, front_matter
from codex.governance_config import GovernanceConfig
from codex.model import Cohort, Rule, Ruleset, Stage
from reviewer.history import RuleStatus
from reviewer.rollout import STAGE_ORDER, effective_cohorts, in_force, rank, stage_elsewhere

_ROLLOUT_KEY = re.compile(r"^rollout\s*:")


class _Dumper(yaml.SafeDumper):
    """Plain YAML, without anchors for values that happen to be shared (the same date in two cohorts)."""

    def ignore_aliases(self, data: object) -> bool:
        return True


@dataclass(frozen=True)
class Proposal:
    rule: Rule
    current: Stage
    proposed: Stage
    why: str

    @property
    def verb(self) -> str:
        return "promote" if rank(self.proposed) > rank(self.current) else "demote"


def propose(ruleset: Ruleset, statuses: list[RuleStatus], limits: GovernanceConfig, today: dt.date) -> list[Proposal]:
    """Demote a rule people override often; promote one with enough clean runs, from enough repositories, and few overrides."""
    proposals = []
    for status in statuses:
        rule = ruleset.rule(status.rule_id)
        if rule is None:
            continue
        elsewhere = stage_elsewhere(rule, today)
        top = max([elsewhere, *(c.stage for c in effective_cohorts(rule, today))], key=rank)
        record = (
            f"{status.overridden} of {status.hits} finding(s) overridden ({status.override_rate:.0%}) in {status.runs} run(s)"
            f" of {status.repositories} repositor{'y' if status.repositories == 1 else 'ies'}"
        )
        if status.hits >= limits.demote_min_hits and status.override_rate >= limits.demote_min_override_rate and top is not Stage.shadow:
            proposals.append(Proposal(rule, top, STAGE_ORDER[rank(top) - 1], record))
        elif (
            status.clean_runs >= limits.promote_min_runs
            and status.repositories >= limits.promote_min_repositories
            and status.override_rate <= limits.promote_max_override_rate
            and elsewhere is not Stage.block
        ):
            proposals.append(Proposal(rule, elsewhere, STAGE_ORDER[rank(elsewhere) + 1], f"{status.clean_runs} clean run(s); {record}"))
    return proposals


def new_rollout(proposal: Proposal, today: dt.date) -> list[Cohort]:
    """Everywhere at the proposed stage from today; a promotion keeps stronger path cohorts and those still to come."""
    rule = proposal.rule
    kept: list[Cohort] = []
    if proposal.verb == "promote":
        kept = [c for c in effective_cohorts(rule, today) if rank(c.stage) > rank(proposal.proposed)]
        kept += [c for c in rule.rollout if not in_force(c, today)]
    return [Cohort(stage=proposal.proposed, since=today), *kept]


def front_matter_patch(root: Path, proposals: list[Proposal], today: dt.date) -> tuple[str, list[str]]:
    """A unified diff (``git apply``-able from ``root``) setting each proposed rule's rollout; and the RFCs it could not
    edit (missing, or without readable front matter)."""
    by_rfc: dict[str, list[Proposal]] = {}
    for proposal in proposals:
        by_rfc.setdefault(proposal.rule.rfc.path, []).append(proposal)
    patches, missing = [], []
    for rel, group in sorted(by_rfc.items()):
        path = root / rel
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        match, front = FRONT_MATTER.match(text), front_matter(text)
        if match is None or front is None or not isinstance(front.get("rollout") or {}, dict):
            missing.append(rel)
            continue
        rollout = front.get("rollout") or {}
        for proposal in group:
            rollout[proposal.rule.id] = [_as_yaml(c) for c in new_rollout(proposal, today)]
        body = _without_rollout(match["body"]) + yaml.dump({"rollout": rollout}, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=4096)
        changed = text[: match.start("body")] + body + text[match.end("body") :]
        patches.append("".join(difflib.unified_diff(text.splitlines(keepends=True), changed.splitlines(keepends=True), fromfile=f"a/{rel}", tofile=f"b/{rel}")))
    return "".join(patches), missing


def _as_yaml(cohort: Cohort) -> dict:
    entry = {"paths": list(cohort.paths), "stage": cohort.stage.value, "since": cohort.since}
    return {key: value for key, value in entry.items() if value}


def _without_rollout(body: str) -> str:
    kept, skipping = [], False
    for line in body.splitlines(keepends=True):
        if _ROLLOUT_KEY.match(line):
            skipping = True
            continue
        if skipping and (not line.strip() or line[0] in " \t-"):
            continue
        skipping = False
        kept.append(line)
    return "".join(kept)
