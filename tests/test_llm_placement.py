"""reviewer/llm/placement.py: a model's quote must be the code of the line it lands on (the pass itself is tested
end to end through the loopback endpoint in tests/test_llm.py)."""

from __future__ import annotations

import pytest

from reviewer.llm.placement import quotes


@pytest.mark.parametrize(
    ("quote", "line", "expected"),
    [
        ("limit = conf.limits.per_minute", "    limit = conf.limits.per_minute", True),  # indentation aside
        ("12+ limit = conf.limits.per_minute", "limit = conf.limits.per_minute", True),  # the diff's label copied along
        ("limit = conf.limits", "limit = conf.limits.per_minute", True),  # at least half of the line
        ("conf", "limit = conf.limits.per_minute", False),  # a word several lines may share
        ("per_minute = 3", "limit = conf.limits.per_minute", False),  # not in the line
        ("   ", "", False),  # nothing quoted
        ("()", "()", False),  # no word character: punctuation matches anywhere
    ],
)
def test_a_quote_is_the_code_of_the_line(quote: str, line: str, expected: bool) -> None:
    assert quotes(quote, line) is expected
