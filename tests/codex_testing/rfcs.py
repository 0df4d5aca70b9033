"""Small RFCs as text, for tests that compile them: ``rfc()`` with one or more ``rule()`` sections."""

from __future__ import annotations


def rfc(rfc_id: str = "RFC-0100", status: str = "accepted", rules: str | None = None, front: str = "") -> str:
    head = (
        f"---\nid: {rfc_id}\ntitle: Example {rfc_id}\nstatus: {status}\nauthors: [Tester]\ncreated: 2026-01-01\n{front}---\n\n# Example\n\nWhy it matters.\n\n"
    )
    return head + (rules if rules is not None else rule())


def rule(
    rule_id: str = "CX0100",
    config: str | None = None,
    matcher: str = "pattern: eval(...)\n",
    statement: str = "If you need to evaluate user input, use `ast.literal_eval`.",
) -> str:
    config = config if config is not None else "severity: error\nlanguages: [python]\nmatcher: semgrep\n"
    return (
        f"## {rule_id}: No eval\n\n{statement}\n\nMore prose.\n\n```yaml codex\n{config}```\n\n"
        f"```yaml semgrep\n{matcher}```\n\n```python bad\n# ruleid: {rule_id}\neval(x)\n```\n\n"
        f"```python good\nast.literal_eval(x)\n```\n\n"
    )


LIBCST = "severity: warning\nlanguages: [python]\nmatcher: libcst\nrule_class: codex.lints.swallowed_errors:SwallowedErrors\n"
LLM = "severity: info\nlanguages: [python, lua]\nmatcher: llm\nquestion: Is a possibly-nil value indexed?\n"
