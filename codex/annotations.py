"""Example annotations, as in ``semgrep --test``: a comment ``ruleid: ID`` (or ``ok:``, ``todoruleid:``, ``todook:``)
marks the next line that is not itself an annotation."""

from __future__ import annotations

import re

KINDS = ("ruleid", "ok", "todoruleid", "todook")
ANNOTATION = re.compile(rf"\b(?P<kind>{'|'.join(KINDS)}):\s*(?P<ids>[\w\-.]+(?:\s*,\s*[\w\-.]+)*)")
ANNOTATION_LINE = re.compile(rf"^\s*(#|//|--|/\*|;|<!--)\s*({'|'.join(KINDS)}):.*$")  # a line that is only an annotation


def expected_lines(code: str, rule_id: str) -> list[int]:
    """Lines that must be flagged: marked ``ruleid:``, or ``todook:`` (a known false positive, as in semgrep --test)."""
    return sorted(set(marked_lines(code, rule_id)) | set(marked_lines(code, rule_id, "todook")))


def marked_lines(code: str, rule_id: str, kind: str = "ruleid") -> list[int]:
    """1-based lines that an annotation ``<kind>: ID`` on the line before marks."""
    lines = code.splitlines()
    marked = []
    for i, text in enumerate(lines):
        for match in ANNOTATION.finditer(text):
            ids = {x.strip() for x in match["ids"].split(",")}
            if match["kind"] == kind and rule_id in ids:
                target = i + 1
                while target < len(lines) and ANNOTATION.search(lines[target]):
                    target += 1
                marked.append(target + 1)
    return sorted(set(marked))
