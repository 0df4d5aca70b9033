"""The semgrep matcher kind: a rule's ```yaml semgrep``` block, checked to be a semgrep rule body codex can complete."""

from __future__ import annotations

from codex.matchers import MatcherSource
from codex.problems import Problem
from codex.semgrep_config import SEMGREP_RESERVED, SemgrepMatcher


class SemgrepKind:
    """Rules whose ```yaml semgrep``` block semgrep matches."""

    kind = "semgrep"
    matcher = SemgrepMatcher

    def parse(self, source: MatcherSource) -> tuple[SemgrepMatcher | None, list[Problem]]:
        import yaml

        bodies = [b for b in source.fences if b.info.split()[:2] == ["yaml", "semgrep"]]
        if len(bodies) != 1:
            return None, [
                Problem(
                    path=source.path,
                    line=source.line,
                    message=f"semgrep rule {source.rule_id} needs exactly one ```yaml semgrep``` block",
                    hint="put the semgrep rule body (pattern, patterns, pattern-either, ...) in it",
                )
            ]
        line = bodies[0].line + 1
        try:
            body = yaml.safe_load(bodies[0].content)
        except yaml.YAMLError as exc:
            return None, [Problem(path=source.path, line=line, message=f"semgrep block is not valid YAML: {getattr(exc, 'problem', exc)}", hint="fix the YAML")]
        if not isinstance(body, dict) or not any(str(k).startswith("pattern") for k in body):
            return None, [
                Problem(path=source.path, line=line, message="semgrep block has no pattern", hint="give pattern, patterns, pattern-either or pattern-regex")
            ]
        reserved = SEMGREP_RESERVED & set(body)
        if reserved:
            return None, [
                Problem(
                    path=source.path,
                    line=line,
                    message=f"semgrep block sets {', '.join(sorted(reserved))}",
                    hint="these come from the RFC; keep only the matching keys",
                )
            ]
        return SemgrepMatcher(body=body), []


MATCHER_KIND = SemgrepKind()
