"""Line numbers as git counts them, from parsers that also end a line at a lone "\\r".

CPython's ast and libcst end a line at "\\r\\n", "\\n" and a lone "\\r" (an old Mac line ending); git, unified diffs,
semgrep, tree-sitter and ``Target.lines`` at "\\n" alone. After a lone "\\r" the parsers' line numbers run ahead.
"""

from __future__ import annotations

import bisect
import re

_LONE_CR = re.compile(r"\r(?!\n)")
_ANY_LINE_END = re.compile(r"\r\n|\r|\n")


class GitLines:
    """Maps a parser's (line, column) in ``text`` to git's; the identity when ``text`` has no lone "\\r"."""

    def __init__(self, text: str):
        self._starts: list[int] = []  # where each of the parser's lines starts (empty: the numbering is git's)
        self._newlines: list[int] = []
        if _LONE_CR.search(text):
            self._starts = [0, *(m.end() for m in _ANY_LINE_END.finditer(text))]
            self._newlines = [i for i, char in enumerate(text) if char == "\n"]

    def position(self, line: int, column: int) -> tuple[int, int]:
        """Git's 1-based line and 0-based column (in the same units as ``column``) of the parser's ``line``, ``column``."""
        if not self._starts:
            return line, column
        offset = self._starts[min(line, len(self._starts)) - 1] + column
        before = bisect.bisect_left(self._newlines, offset)  # the "\n"s before the position
        return before + 1, offset - (self._newlines[before - 1] + 1 if before else 0)

    def line(self, line: int) -> int:
        return self.position(line, 0)[0]
