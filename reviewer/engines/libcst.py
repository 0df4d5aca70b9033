"""The libcst engine: one parse per Python file, every applicable matcher batched in one visit."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from codex.lint import LintRule, load_rule_class
from codex.model import LibcstMatcher, Rule
from codex.problems import Problem
from reviewer.finding import Finding
from reviewer.targets import Target


def check_file(target: Target, rules: list[Rule]) -> tuple[list[Finding], list[Problem]]:
    """Run ``rules`` (all libcst-matched) over one file."""
    try:
        module = cst.parse_module(target.abs_path.read_bytes())
    except cst.ParserSyntaxError as exc:
        return [], [Problem(path=target.path, line=exc.raw_line, message=f"not valid Python 3 ({exc.message}); libcst rules skipped",
                            hint="Python 2 or broken sources cannot be parsed; the other rules still ran", kind="parse")]
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        return [], [Problem(path=target.path, line=1, message=f"cannot decode as Python source ({exc}); libcst rules skipped",
                            hint="save it as UTF-8 or declare its encoding", kind="parse")]
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    visitors: list[tuple[Rule, LintRule]] = []
    problems: list[Problem] = []
    for rule in rules:
        assert isinstance(rule.matcher, LibcstMatcher)
        try:
            visitors.append((rule, load_rule_class(rule.matcher.rule_class)()))
        except Exception as exc:  # a broken matcher class must not stop the other rules
            problems.append(_crash(rule, target, exc))
    try:
        wrapper.visit_batched([v for _, v in visitors])
    except Exception:
        visitors = _isolate(wrapper, visitors, target, problems)
    findings = [
        Finding.of(rule, target.path, r.line, r.end_line, r.column, r.message, "libcst")
        for rule, visitor in visitors
        for r in visitor.reports
    ]
    return findings, problems


def _isolate(wrapper: MetadataWrapper, visitors: list[tuple[Rule, LintRule]], target: Target, problems: list[Problem]):
    """A matcher raised inside the batched visit: rerun each alone so the others' results survive."""
    working = []
    for rule, visitor in visitors:
        fresh = type(visitor)()
        try:
            wrapper.visit_batched([fresh])
        except Exception as exc:
            problems.append(_crash(rule, target, exc))
            continue
        working.append((rule, fresh))
    return working


def _crash(rule: Rule, target: Target, exc: Exception) -> Problem:
    return Problem(path=target.path, message=f"rule {rule.id} failed on this file: {type(exc).__name__}: {exc}",
                   hint="report it to the rule's authors; the other rules still ran", kind="rule")
