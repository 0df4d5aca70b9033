"""The platform-neutral comment text: what a finding's review comment says, read back with a CommonMark parser."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from reviewer.finding import Finding
from reviewer.platforms.review import finding_body


def _fences(body: str) -> list[tuple[str, str, str]]:
    """(fence, info string, content) of each fenced code block, as CommonMark (GitHub's and GitLab's base) reads it."""
    return [(t.markup, t.info, t.content) for t in MarkdownIt("commonmark").parse(body) if t.type == "fence"]


@pytest.mark.parametrize(
    ("fix", "fence"),
    [
        ('print("```")', "````"),  # a run of three in the line: a closing fence would need it alone on a line, four is safe
        ('doc = """\n```\nexample\n```\n"""', "````"),  # a line of three backticks would close a three-backtick fence
        ("x = '``````'\ny = '`'", "```````"),  # the longest run decides, not the first
        ("quote = '`a` ``b``'", "```"),  # shorter runs than three: the usual fence
        ("plain = 1", "```"),
    ],
)
@pytest.mark.parametrize("info", ["suggestion", "suggestion:-0+1"])  # GitHub's, GitLab's
def test_a_suggestion_fence_is_longer_than_any_backtick_run_of_its_fix(shipped_ruleset, fix, fence, info) -> None:
    finding = Finding.of(shipped_ruleset.rule("CX0006"), "app/config.py", 5, 6, 1, "yaml.load", "semgrep", fix=fix)
    assert _fences(finding_body(finding, info)) == [(fence, info, fix + "\n")]
