"""reviewer.finding: ordering, de-duplication and fingerprints that survive unrelated line shifts."""

from __future__ import annotations

from codex.model import Ruleset, Stage
from reviewer.finding import Finding, Report, excerpt, sort_and_fingerprint


def finding(ruleset: Ruleset, rule_id: str, path: str, line: int, column: int = 1) -> Finding:
    return Finding.of(ruleset.rule(rule_id), path, line, line, column, None, "semgrep")


def fingerprints(ruleset: Ruleset, lines: list[str], flagged: list[int]) -> list[str]:
    found = [finding(ruleset, "CX0005", "a.py", n) for n in flagged]
    return [f.fingerprint for f in sort_and_fingerprint(found, {"a.py": lines})]


def test_fingerprint_survives_a_line_shift(shipped_ruleset: Ruleset) -> None:
    before = ["import subprocess", "subprocess.run(cmd, shell=True)"]
    after = ["import subprocess", "", "# a comment", "subprocess.run(cmd,   shell=True)"]  # moved, re-spaced
    assert fingerprints(shipped_ruleset, before, [2]) == fingerprints(shipped_ruleset, after, [4])


def test_same_text_twice_gets_two_fingerprints(shipped_ruleset: Ruleset) -> None:
    lines = ["run(x, shell=True)", "other()", "run(x, shell=True)"]
    first, second = fingerprints(shipped_ruleset, lines, [3, 1])
    assert first != second
    assert fingerprints(shipped_ruleset, lines, [1]) == [first]  # the first occurrence keeps its fingerprint


def test_fingerprint_depends_on_rule_path_and_text(shipped_ruleset: Ruleset) -> None:
    lines = {"a.py": ["x"], "b.py": ["x"]}
    found = [finding(shipped_ruleset, "CX0005", "a.py", 1), finding(shipped_ruleset, "CX0006", "a.py", 1, 2), finding(shipped_ruleset, "CX0005", "b.py", 1)]
    prints = [f.fingerprint for f in sort_and_fingerprint(found, lines)]
    assert len(set(prints)) == 3


def test_sorted_and_deduplicated(shipped_ruleset: Ruleset) -> None:
    found = [
        finding(shipped_ruleset, "CX0006", "b.py", 1),
        finding(shipped_ruleset, "CX0005", "a.py", 9),
        finding(shipped_ruleset, "CX0005", "a.py", 2),
        finding(shipped_ruleset, "CX0005", "a.py", 2),
    ]
    ordered = sort_and_fingerprint(found, {})
    assert [(f.path, f.line) for f in ordered] == [("a.py", 2), ("a.py", 9), ("b.py", 1)]


def test_finding_carries_its_rule(shipped_ruleset: Ruleset) -> None:
    rule = shipped_ruleset.rule("CX0003")
    made = Finding.of(rule, "x.py", 4, 2, 7, "requests.get() without timeout=", "libcst")
    assert (made.line, made.end_line, made.column) == (4, 4, 7)  # end_line never before line
    assert (made.need, made.use, made.rfc) == (rule.need, rule.use, rule.rfc)
    assert made.message == "requests.get() without timeout="
    assert Finding.of(rule, "x.py", 1, 1, 1, None, "libcst").message == rule.title


def test_exit_code_follows_blocking_findings(shipped_ruleset: Ruleset) -> None:
    blocking = finding(shipped_ruleset, "CX0005", "a.py", 1)
    warning = finding(shipped_ruleset, "CX0007", "a.py", 2)
    shadow = blocking.model_copy(update={"stage": Stage.shadow})
    assert Report(findings=[warning, shadow]).exit_code == 0
    assert Report(findings=[warning, blocking]).exit_code == 1


def test_excerpt_keeps_a_short_line_and_cuts_a_long_one_around_the_column() -> None:
    line = "".join(chr(ord("a") + i % 26) for i in range(100))
    assert excerpt("\tx = 1  ", 2, width=10) == "\tx = 1  "  # as it is: the formatter decides how to show it
    assert excerpt(line, 1, width=10) == "abcdefghij…"
    assert excerpt(line, 50, width=9) == "…uvwxyzabc…"  # column 50 ("x") a third of the way in
    assert excerpt(line, 100, width=10) == "…mnopqrstuv"
