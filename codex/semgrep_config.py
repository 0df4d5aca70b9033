"""semgrep's own rule format, generated from the codex rules that use the semgrep matcher."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import Any, Literal

from codex.model import MatcherConfig, Rule

SEMGREP_RESERVED = {"id", "message", "languages", "severity", "metadata", "paths"}  # keys codex writes from the RFC


class SemgrepMatcher(MatcherConfig):
    """A rule's ```yaml semgrep``` block: the pattern keys of a semgrep rule."""

    kind: Literal["semgrep"] = "semgrep"
    body: dict[str, Any]


# "**/name/**" and "**/name" (name without "/" or "**") match at any depth both in semgrep's gitignore-style paths and
# in codex's globs, whatever directory semgrep runs in; but to semgrep "**/name" also matches a directory
_ANYWHERE = re.compile(r"\*\*/((?:(?!\*\*)[^/])+)(/\*\*)?")


def semgrep_rule(rule: Rule, matcher: SemgrepMatcher, paths: dict[str, list[str]]) -> dict:
    entry = {
        "id": rule.id,
        "languages": list(rule.languages),
        "severity": rule.severity.value.upper(),  # ERROR, WARNING, INFO
        "message": f"{rule.title}. {rule.message} See {rule.rfc.link}",
        "metadata": {
            **rule.metadata,
            "codex_rule_id": rule.id,
            "rfc": rule.rfc.id,
            "rfc_title": rule.rfc.title,
            "rfc_link": rule.rfc.link,
            "need": rule.need,
            "use": rule.use,
            "stage": rule.stage.value,
        },
        **matcher.body,
    }
    if paths:
        entry["paths"] = paths
    return entry


def _all_paths(rule: Rule) -> dict[str, list[str]]:
    return {k: list(v) for k, v in rule.paths.model_dump().items() if v}


def _portable_excludes(rule: Rule, directories: set[str]) -> dict[str, list[str]]:
    """The excludes semgrep applies as codex does to targets under ``directories`` (every directory name on their
    paths): semgrep skips that work, and codex still filters every finding by the rule's own paths. Nothing
    anchored is handed over, as semgrep sees paths relative to where it runs, not to the repository."""
    excludes = []
    for pattern in rule.paths.exclude:
        anywhere = _ANYWHERE.fullmatch(pattern)
        if anywhere and (anywhere.group(2) or not any(fnmatch.fnmatchcase(d, anywhere.group(1)) for d in directories)):
            excludes.append(pattern)
    return {"exclude": excludes} if excludes else {}


def run_rules(rules: Iterable[Rule], directories: set[str]) -> list[dict]:
    """semgrep's entries for one check run over targets codex has already chosen per rule, which lie in
    ``directories`` (every directory name on their paths)."""
    return [semgrep_rule(r, r.matcher, _portable_excludes(r, directories)) for r in rules if isinstance(r.matcher, SemgrepMatcher)]


def semgrep_config(rules: Iterable[Rule]) -> str:
    """The YAML for all semgrep-matched rules (``rules/semgrep.yml``), byte-stable for the same rules."""
    import yaml  # not on the check path, which hands semgrep JSON

    entries = [semgrep_rule(r, r.matcher, _all_paths(r)) for r in rules if isinstance(r.matcher, SemgrepMatcher)]
    return yaml.safe_dump({"rules": entries}, sort_keys=True, allow_unicode=True, width=4096, default_flow_style=False)
