"""codex.annotations: which lines an example's ``ruleid:``/``ok:``/``todo*:`` comments mark."""

from __future__ import annotations

from codex.annotations import ANNOTATION_LINE, expected_lines, marked_lines


def test_marked_lines() -> None:
    code = "a\n# ruleid: CX1, CX2\n# ok: CX1\nflagged\nclean\n# ruleid: CX1\nalso\n"
    assert marked_lines(code, "CX1") == [4, 7]
    assert marked_lines(code, "CX2") == [4]
    assert marked_lines(code, "CX1", "ok") == [4]
    # the same annotation syntax as semgrep --test: ids may hold dots, and prose may follow them
    assert marked_lines("// ruleid: py.no-eval because eval\nbad()\n", "py.no-eval") == [2]


def test_expected_lines_are_ruleid_and_todook_not_ok_or_todoruleid() -> None:
    code = "# todoruleid: CX1\na\n# ruleid: CX1\nb\n# ok: CX1\nc\n# todook: CX1\nd\n"
    assert expected_lines(code, "CX1") == [4, 8]


def test_annotation_lines_are_comments_that_hold_only_an_annotation() -> None:
    lines = ["# ruleid: CX1", "  // ok: CX1", "<!-- todook: CX1 -->", "x = 1  # ruleid: CX1", "ruleid: CX1", "# ruleidx: CX1"]
    assert [bool(ANNOTATION_LINE.match(line)) for line in lines] == [True, True, True, False, False, False]
