"""``rules/CHANGELOG.md``: what each compiled ruleset added, changed and removed, newest first.

Written by ``codex compile`` from the previous compiled ruleset and the new one; a ruleset that
changes no rule's enforcement writes nothing, so recompiling unchanged RFCs leaves it as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from codex.model import Cohort, Rule, Ruleset

HEADER = "# Ruleset changelog\n\nWritten by `codex compile`: the rules each compiled ruleset added, changed and removed, newest first. Do not edit by hand.\n"
_ASPECTS = ("matcher", "severity", "stage", "rollout", "paths", "languages", "prefilter", "tests")


def update_changelog(root: Path, rules_dir: Path, current: Ruleset) -> bool:
    """Prepend the section for ``current`` against ``rules_dir/ruleset.json`` (read before it is rewritten); True if written."""
    path = rules_dir / "CHANGELOG.md"
    try:
        previous = Ruleset.load(rules_dir / "ruleset.json")
    except (OSError, ValueError, ValidationError):
        previous = None
    if path.is_file() and previous is not None and previous.version == current.version:
        return False
    lines = changes(previous, current, lambda rule: _link(rule, root, rules_dir))
    existing = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    if not lines:
        if path.is_file():
            return False
        lines = [f"- **in force** {r.id} {r.title} — {_link(r, root, rules_dir)}" for r in current.rules]
        intro = "The rules in force when this changelog was started."
    else:
        intro = f"Against ruleset {previous.version}." if previous else "The first compiled ruleset."
    section = f"## Ruleset {current.version}\n\n{intro}\n\n" + "\n".join(lines) + "\n"
    head, marker, rest = existing.partition("\n## ")
    text = f"{head.rstrip()}\n\n{section}" + (f"\n## {rest}" if marker else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def paired(previous: Ruleset | None, current: Ruleset) -> list[tuple[str, Rule | None, Rule | None]]:
    """Every rule id of either ruleset, in order, with its rule in ``previous`` and in ``current`` (None: not there)."""
    before = {r.id: r for r in previous.rules} if previous else {}
    after = {r.id: r for r in current.rules}
    return [(rule_id, before.get(rule_id), after.get(rule_id)) for rule_id in sorted(before.keys() | after.keys())]


def changes(previous: Ruleset | None, current: Ruleset, link: Callable[[Rule], str]) -> list[str]:
    """One markdown line per rule added, changed (in what decides enforcement) or removed."""
    lines = []
    for rule_id, old, new in paired(previous, current):
        match old, new:
            case None, Rule():
                lines.append(f"- **added** {rule_id} {new.title} ({new.severity.value}, {_stages(new)}) — {link(new)}")
            case Rule(), None:
                lines.append(f"- **removed** {rule_id} {old.title} — {link(old)}")
            case Rule(), Rule():
                what = [_difference(aspect, old, new) for aspect in _ASPECTS if getattr(old, aspect) != getattr(new, aspect)]
                if old.message != new.message:
                    what.append("statement")
                if what:
                    lines.append(f"- **changed** {rule_id} {new.title}: {'; '.join(what)} — {link(new)}")
    return lines


def _difference(aspect: str, old: Rule, new: Rule) -> str:
    if aspect == "severity":
        return f"severity {old.severity.value} → {new.severity.value}"
    if aspect == "stage":
        return f"stage {old.stage.value} → {new.stage.value}"
    if aspect == "rollout":
        return f"rollout → {_cohorts(new.rollout) or 'none'}"
    return aspect


def _stages(rule: Rule) -> str:
    return f"rollout {_cohorts(rule.rollout)}" if rule.rollout else rule.stage.value


def _cohorts(cohorts: tuple[Cohort, ...]) -> str:
    return "; ".join(
        f"{c.stage.value}" + (f" on {', '.join(c.paths)}" if c.paths else " everywhere") + (f" from {c.since.isoformat()}" if c.since else "") for c in cohorts
    )


def _link(rule: Rule, root: Path, rules_dir: Path) -> str:
    target = rule.rfc.url or f"{Path(os.path.relpath(root / rule.rfc.path, rules_dir)).as_posix()}#{rule.rfc.anchor}"
    return f"[{rule.rfc.id} {rule.rfc.title}]({target})"
