"""codex.rfc: markdown RFCs read into front matter and rule sections, with their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.rfc import github_anchor, read_rfc

RFC = """\
---
id: RFC-0042
title: Example
status: accepted
authors: [Someone]
created: 2026-01-01
---

# Example RFC

Intro text, not part of any rule.

## CX0042: First rule

If you need X, use Y.

```yaml codex
severity: error
```

### Notes under the rule

Still part of CX0042.

## Background

Not a rule: ends CX0042.

```python bad
ignored()
```

## **CX0043** \u2014 Second `rule` with [a link](https://example.com)

Text.
"""


def write(tmp_path: Path, text: str | bytes, name: str = "rfc.md") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_sections_blocks_and_lines(tmp_path: Path) -> None:
    doc, problems = read_rfc(write(tmp_path, RFC), "rfcs/rfc.md")
    assert problems == []
    assert doc.front_matter["id"] == "RFC-0042" and doc.title == "Example RFC"
    first, second = doc.rules
    assert (first.rule_id, first.title, first.line) == ("CX0042", "First rule", 13)
    kinds = [(b.kind, b.line) for b in first.blocks]
    assert kinds == [("text", 15), ("fence", 17), ("text", 23)]
    assert first.blocks[0].content == "If you need X, use Y."
    assert first.blocks[1].info == "yaml codex" and first.blocks[1].content == "severity: error\n"
    assert all("ignored()" not in b.content for b in first.blocks)
    assert (second.rule_id, second.line) == ("CX0043", 33)
    assert second.title == "Second rule with a link"
    assert github_anchor(second.heading) == "cx0043--second-rule-with-a-link"


def test_crlf_and_bom_keep_line_numbers(tmp_path: Path) -> None:
    text = "\ufeff" + RFC.replace("\n", "\r\n")
    doc, problems = read_rfc(write(tmp_path, text), "rfc.md")
    assert problems == []
    assert [r.line for r in doc.rules] == [13, 33]
    assert doc.rules[0].blocks[1].line == 17


def test_form_feed_in_text_does_not_shift_blocks(tmp_path: Path) -> None:
    text = RFC.replace("If you need X, use Y.", "If you need X,\fuse Y.\n\u2028more")
    doc, _ = read_rfc(write(tmp_path, text), "rfc.md")
    assert doc.rules[0].blocks[0].content.startswith("If you need X,\fuse Y.")
    assert doc.rules[0].blocks[1].info == "yaml codex"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# No front matter\n", 1, "no YAML front matter"),
        ("---\nid: [unclosed\n---\n# x\n", 3, "not valid YAML"),
        ("---\n- a list\n---\n# x\n", 1, "not a mapping"),
        ("---\n---\n# x\n", 1, "not a mapping"),
    ],
)
def test_front_matter_problems(tmp_path: Path, text: str, line: int, words: str) -> None:
    doc, problems = read_rfc(write(tmp_path, text), "rfcs/bad.md")
    assert doc is None
    assert len(problems) == 1
    assert problems[0].line == line and words in problems[0].message
    assert str(problems[0]).startswith(f"rfcs/bad.md:{line}: ")
    assert " \u2014 " in str(problems[0])


def test_not_utf8(tmp_path: Path) -> None:
    doc, problems = read_rfc(write(tmp_path, b"---\nid: \xff\n---\n"), "rfcs/latin.md")
    assert doc is None and "not UTF-8" in problems[0].message


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("CX0003: Outbound requests calls have a timeout", "cx0003-outbound-requests-calls-have-a-timeout"),
        ("CX0001: No unwrap or expect in production Rust", "cx0001-no-unwrap-or-expect-in-production-rust"),
        ("CX0009: Use (a) & b!", "cx0009-use-a--b"),
    ],
)
def test_github_anchor(heading: str, anchor: str) -> None:
    assert github_anchor(heading) == anchor
