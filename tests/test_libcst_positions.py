"""Where libcst findings are placed: from CPython's ast (the node's own code checked against the source there) and by
libcst's provider over the statements that hold them, both giving the same lines and columns, git's (a lone "\\r" does not
end a line) and in characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.model import Ruleset
from reviewer.engines import libcst as libcst_engine, libcst_positions
from reviewer.targets import Target

BIG_CLASS = (
    "import yaml\n\n\nclass Big:\n"
    + "".join(f"    def m{i}(self):\n        return {i}\n" for i in range(50))  # lines 5-104
    + "    def load(self, s):\n        try:\n            return yaml.load(s)\n        except Exception:\n            pass\n"
)
# (source, findings as (rule, line, column, end line, end column), how many flagged nodes only the provider places)
CASES: dict[str, tuple[bytes, list[tuple[str, int, int, int, int]], int]] = {
    "in_a_large_class": (BIG_CLASS.encode(), [("CX0004", 108, 9, 109, 17), ("CX0006", 107, 20, 107, 32)], 0),
    "after_a_multiline_string": (
        b'import yaml\r\ndoc = """first\r\nsecond \xc3\xa9\r\nthird"""; data = yaml.load(doc)\r\ntry:\r\n    pass\r\nexcept:\r\n    pass\r\n',
        [("CX0004", 7, 1, 8, 9), ("CX0006", 4, 18, 4, 32)],
        0,
    ),
    "after_a_lone_carriage_return": (
        b"import yaml\ndef f(s):\n    x = 1\r    y = yaml.load(s)\n    try:\n        return yaml.load(s)\n    except:\n        pass\n",
        [("CX0004", 6, 5, 7, 13), ("CX0006", 3, 19, 3, 31), ("CX0006", 5, 16, 5, 28)],
        0,
    ),
    "after_non_ascii_text": (
        '# «é»\nimport yaml\nlabel = "é€😀"; data = yaml.load(label)\ntry:\n    pass\nexcept Exception:  # «ignored»\n    ...\n'.encode(),
        [("CX0004", 6, 1, 7, 8), ("CX0006", 3, 23, 3, 39)],
        0,
    ),
    "continued_in_a_block": (
        b"import yaml\ndef g(s):\n    if s:\n        result = dict(\n"
        b"            value=yaml.load(\n                s,  # \xc2\xabx\xc2\xbb\n            ),\n        )\n",
        [("CX0006", 5, 19, 7, 14)],
        0,
    ),
    "tab_indented": (
        b"import yaml\nif True:\n\tfor s in x:\n\t\ttry:\n\t\t\ty = yaml.load(\n\t\t\t\ts)\n\t\texcept:\n\t\t\tpass\n",
        [("CX0004", 7, 3, 8, 8), ("CX0006", 5, 8, 6, 7)],
        0,
    ),
    "parenthesized_and_decorating": (
        b"import yaml\n@wrap(yaml.load(s))\ndef h():\n    return (yaml.load(t))\n",
        [("CX0006", 2, 7, 2, 19), ("CX0006", 4, 13, 4, 25)],
        0,
    ),
    "inside_an_f_string": (  # CPython 3.11's ast can misplace what is inside an f-string: the provider places it
        b'import yaml\nx = yaml.load(a); msg = f"{yaml.load(s)} {yaml.load(s)}"\n',
        [("CX0006", 2, 5, 2, 17), ("CX0006", 2, 28, 2, 40), ("CX0006", 2, 43, 2, 55)],
        2,
    ),
}


@pytest.fixture
def place(tmp_path: Path, shipped_ruleset: Ruleset):
    def run(source: bytes) -> list[tuple[str, int, int, int, int]]:
        path = tmp_path / "placed.py"
        path.write_bytes(source)
        matches, problems = libcst_engine.check_file(Target("placed.py", path, "python", None, None), [shipped_ruleset.rule(i) for i in ("CX0004", "CX0006")])
        assert problems == []
        return sorted((m.rule_id, m.line, m.column, m.end_line, m.end_column) for m in matches)

    return run


@pytest.mark.parametrize("name", CASES)
def test_findings_placed_from_the_ast_without_generating_the_statements_around_them(name: str, place, monkeypatch: pytest.MonkeyPatch) -> None:
    source, expected, by_provider = CASES[name]
    handed: list[int] = []
    original = libcst_positions.by_statements

    def recording(module, nodes):
        handed.append(len(nodes))
        return original(module, nodes)

    monkeypatch.setattr(libcst_positions, "by_statements", recording)
    assert (place(source), handed) == (expected, [by_provider] if by_provider else [])


@pytest.mark.parametrize("name", CASES)
def test_the_provider_over_the_statements_places_them_the_same(name: str, place, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libcst_positions, "from_ast", lambda *args: {})
    assert place(CASES[name][0]) == CASES[name][1]


def test_a_node_whose_code_is_not_the_text_where_the_ast_puts_it_is_left_to_the_provider(
    tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ast's n-th call is not libcst's n-th (as if the two disagreed on what a call is): the calls end where the ast's
    twin ends, but their text differs, so the provider places both; nothing is misplaced."""
    original_order, original_statements = libcst_positions._in_source_order, libcst_positions.by_statements
    handed: list[int] = []
    monkeypatch.setattr(libcst_positions, "_in_source_order", lambda seen, kind: list(reversed(original_order(seen, kind))))
    monkeypatch.setattr(libcst_positions, "by_statements", lambda module, nodes: handed.append(len(nodes)) or original_statements(module, nodes))
    path = tmp_path / "twins.py"
    path.write_bytes(b"import yaml\na = yaml.load(s)\nb = yaml.load(t)\n")
    matches, _ = libcst_engine.check_file(Target("twins.py", path, "python", None, None), [shipped_ruleset.rule("CX0006")])
    assert ([(m.line, m.column, m.end_line, m.end_column, m.fix) for m in matches], handed) == (
        [(2, 5, 2, 17, "a = yaml.safe_load(s)"), (3, 5, 3, 17, "b = yaml.safe_load(t)")],
        [2],
    )
