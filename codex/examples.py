"""Running rule examples: each bad block must be flagged on exactly its marked lines, each good block not at all."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from codex.model import Example, LlmMatcher, Rule, Ruleset
from codex.problems import Problem


@dataclass(frozen=True)
class ExampleResult:
    rule: Rule
    example: Example
    actual: tuple[int, ...]

    @property
    def passed(self) -> bool:
        return self.actual == self.example.expected


@dataclass
class ExampleRun:
    results: list[ExampleResult]
    skipped: list[Rule]
    problems: list[Problem]


def run_examples(ruleset: Ruleset, rules: list[Rule]) -> ExampleRun:
    """All examples of ``rules`` in one matcher run (one semgrep process)."""
    from reviewer.check import run_matchers
    from reviewer.targets import Target

    static = [r for r in rules if not isinstance(r.matcher, LlmMatcher)]
    skipped = [r for r in rules if isinstance(r.matcher, LlmMatcher)]
    with tempfile.TemporaryDirectory(prefix="codex-examples-") as tmp:
        targets: list[Target] = []
        owners: dict[str, tuple[Rule, Example]] = {}
        for rule in static:
            for n, example in enumerate(rule.examples, 1):
                path = f"{rule.id}/{n}/{example.filename}"
                abs_path = Path(tmp) / path
                abs_path.parent.mkdir(parents=True, exist_ok=True)
                abs_path.write_text(example.code, encoding="utf-8")
                targets.append(Target(path, abs_path, example.language, None, example.filename))
                owners[path] = (rule, example)
        subset = ruleset.model_copy(update={"rules": tuple(static)})
        findings, problems, _ = run_matchers(subset, targets)
    lines: dict[str, set[int]] = {path: set() for path in owners}
    for finding in findings:
        if owners[finding.path][0].id == finding.rule_id:
            lines[finding.path].add(finding.line)
    results = [ExampleResult(rule, example, tuple(sorted(lines[path]))) for path, (rule, example) in owners.items()]
    return ExampleRun(results, skipped, problems)
