"""semgrep's own rule format, generated from the codex rules that use the semgrep matcher."""

from __future__ import annotations

from collections.abc import Iterable

from codex.model import Rule, SemgrepMatcher

_SEVERITY = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}


def semgrep_rule(rule: Rule, matcher: SemgrepMatcher, with_paths: bool) -> dict:
    entry = {
        "id": rule.id,
        "languages": list(rule.languages),
        "severity": _SEVERITY[rule.severity.value],
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
    if with_paths and (rule.paths.include or rule.paths.exclude):
        entry["paths"] = {k: list(v) for k, v in rule.paths.model_dump().items() if v}
    return entry


def semgrep_rules(rules: Iterable[Rule], with_paths: bool) -> list[dict]:
    """semgrep's entries for the semgrep-matched rules."""
    return [semgrep_rule(r, r.matcher, with_paths) for r in rules if isinstance(r.matcher, SemgrepMatcher)]


def semgrep_config(rules: Iterable[Rule], with_paths: bool) -> str:
    """The YAML for all semgrep-matched rules (``rules/semgrep.yml``), byte-stable for the same rules."""
    import yaml  # not on the check path, which hands semgrep JSON

    return yaml.safe_dump({"rules": semgrep_rules(rules, with_paths)}, sort_keys=True, allow_unicode=True, width=4096,
                          default_flow_style=False)
