"""Running rule examples: each bad block must be flagged on exactly its marked lines, each good block not at all."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codex.annotations import ANNOTATION_LINE, KINDS, marked_lines
from codex.model import Example, LlmMatcher, Rule, Ruleset
from codex.problems import Problem
from codex.rule_class import NO_LINT_PACKAGES, LintPackages

if TYPE_CHECKING:
    from reviewer.finding import Finding


@dataclass(frozen=True)
class ExampleResult:
    rule: Rule
    example: Example
    actual: tuple[int, ...]
    fixed: str | None = None  # the code with the rule's fixes applied, for an example that states its fixed code

    @property
    def passed(self) -> bool:
        return self.actual == self.example.expected and self.fix_mismatch() is None

    def fix_mismatch(self) -> str | None:
        """How the fixed code differs from the ``fixed`` block (annotation lines aside), or None when it does not."""
        if self.example.fixed is None or self.fixed is None:
            return None
        wanted, got = _unannotated(self.example.fixed), _unannotated(self.fixed)
        if [text for _, text in wanted] == [text for _, text in got]:
            return None
        if [text for _, text in got] == [text for _, text in _unannotated(self.example.code)]:
            return "the rule offered no fix, and the fixed block differs from the bad block"
        at = next((i for i, (a, b) in enumerate(zip(wanted, got, strict=False)) if a[1] != b[1]), min(len(wanted), len(got)))
        expected = f"line {wanted[at][0]} of the fixed block is {wanted[at][1].strip()!r}" if at < len(wanted) else "the fixed block ends"
        actual = f"the fixes give {got[at][1].strip()!r}" if at < len(got) else "the fixed code ends there"
        return f"the fixes do not give the fixed block: {expected}, {actual}"

    @property
    def where(self) -> str:
        return self.example.source or f"{self.rule.rfc.path}:{self.example.source_line} ({self.example.verdict} block)"

    def annotations(self) -> dict[int, str]:
        """Line → the annotation (``ruleid``, ``ok``, ``todoruleid``, ``todook``) that marks it for this rule."""
        if self.example.verdict == "good":
            return {}
        return {line: kind for kind in KINDS for line in marked_lines(self.example.code, self.rule.id, kind)}

    def mismatches(self) -> list[str]:
        """Each line where what was flagged differs from what the example expects, explained."""
        marks = self.annotations()
        missing = [f"line {n} ({marks.get(n, 'ruleid')}) was not flagged" for n in self.example.expected if n not in self.actual]
        extra = []
        for n in self.actual:
            if n in self.example.expected:
                continue
            kind = marks.get(n)
            hint = {"todoruleid": ": the known gap is fixed, mark it ruleid", "ok": " but is marked ok"}.get(kind or "", "")
            extra.append(f"line {n}{f' ({kind})' if kind else ''} was flagged{hint}")
        mismatch = self.fix_mismatch()
        return missing + extra + ([mismatch] if mismatch else [])

    def known_gaps(self) -> list[str]:
        """Lines marked ``todoruleid`` or ``todook``: reported, not failing while they behave as marked."""
        return [f"line {n} ({kind})" for n, kind in sorted(self.annotations().items()) if kind.startswith("todo")]


@dataclass
class ExampleRun:
    results: list[ExampleResult]
    skipped: list[Rule]
    problems: list[Problem]


def run_examples(ruleset: Ruleset, rules: list[Rule], lint_packages: LintPackages = NO_LINT_PACKAGES) -> ExampleRun:
    """All examples of ``rules`` in one matcher run (one semgrep process); libcst classes from ``lint_packages`` too."""
    from reviewer.check import run_matchers
    from reviewer.fixes import apply_to_text
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
                scope = None if example.verdict == "file" else example.filename
                targets.append(Target(path, abs_path, example.language, None, scope))
                owners[path] = (rule, example)
        subset = ruleset.model_copy(update={"rules": tuple(static)})
        findings, problems, _ = run_matchers(subset, targets, lint_packages=lint_packages)
    lines: dict[str, set[int]] = {path: set() for path in owners}
    own: dict[str, list[Finding]] = {path: [] for path in owners}
    for finding in findings:
        if owners[finding.path][0].id == finding.rule_id:
            lines[finding.path].add(finding.line)
            own[finding.path].append(finding)
    results = [
        ExampleResult(rule, example, tuple(sorted(lines[path])), apply_to_text(example.code, _with_fixes(own[path]))[0] if example.fixed is not None else None)
        for path, (rule, example) in owners.items()
    ]
    return ExampleRun(results, skipped, problems)


def _with_fixes(findings: list[Finding]) -> list[Finding]:
    """The findings with a fix, in the order of the file (an example's rule applies whatever its stage)."""
    return sorted((f for f in findings if f.fix is not None), key=lambda f: (f.line, f.column))


def _unannotated(code: str) -> list[tuple[int, str]]:
    """The lines that are not only an annotation, numbered as in ``code``."""
    return [(n, line) for n, line in enumerate(code.split("\n"), 1) if not ANNOTATION_LINE.match(line)]
