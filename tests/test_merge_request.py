"""reviewer.platforms.merge_request: the rule changes a merge request makes, as its summary lists them."""

from __future__ import annotations

from codex.model import PathFilter, Ruleset, Severity, Stage
from reviewer.platforms.merge_request import rule_changes


def _subset(ruleset: Ruleset, *ids: str, **changed: dict) -> Ruleset:
    rules = [ruleset.rule(i).model_copy(update=changed.get(i, {})) for i in ids]
    return Ruleset.build(list(ruleset.rfcs), rules)


def test_added_removed_and_changed_rules_each_get_one_line_in_that_order(shipped_ruleset: Ruleset) -> None:
    base = _subset(shipped_ruleset, "CX0001", "CX0003", "CX0004", "CX0005", "CX0006")
    head = _subset(shipped_ruleset, "CX0002", "CX0003", "CX0004", "CX0005", "CX0007",
                   CX0003={"stage": Stage.warn, "severity": Severity.info},
                   CX0004={"paths": PathFilter(include=("src/**",)), "need": "something else"})
    title = {r.id: r.title for r in shipped_ruleset.rules}
    assert rule_changes(base, head) == [
        f"- added **CX0002** ({shipped_ruleset.rule('CX0002').stage.value}): {title['CX0002']}",
        f"- added **CX0007** ({shipped_ruleset.rule('CX0007').stage.value}): {title['CX0007']}",
        f"- removed **CX0001**: {title['CX0001']}",
        f"- removed **CX0006**: {title['CX0006']}",
        f"- changed **CX0003** (stage, severity): stage {shipped_ruleset.rule('CX0003').stage.value} → warn",
        f"- changed **CX0004** (matcher or scope, statement): stage {shipped_ruleset.rule('CX0004').stage.value} → "
        f"{shipped_ruleset.rule('CX0004').stage.value}",
    ]


def test_no_rule_changed_says_so(shipped_ruleset: Ruleset) -> None:
    assert rule_changes(shipped_ruleset, shipped_ruleset) == ["- rfcs/ or rules/ changed, but no rule's behaviour did"]
