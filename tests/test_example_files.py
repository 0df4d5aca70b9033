"""Annotated example files (``examples:`` in a rule's codex block) under ``codex test``.

The rules here are libcst rules, so the whole module runs without a semgrep process; the semgrep
side of annotated files is covered by the import test against ``semgrep --test``.
"""

from __future__ import annotations

import pytest

from codex.compiler import compile_rfcs
from codex_testing.rfcs import LIBCST, rfc

PASSING = """\
def load():
    try:
        read()
    # ruleid: CX0601
    except:
        pass
    try:
        read()
    # ok: CX0601
    except ValueError:
        pass
    try:
        read()
    # todoruleid: CX0601
    except builtins.Exception:
        pass
    try:
        read()
    # todook: CX0601
    except Exception:
        pass
"""

FAILING = """\
def load():
    try:
        read()
    # ok: CX0602
    except:
        pass
    try:
        read()
    # ruleid: CX0602
    except KeyError:
        pass
    try:
        read()
    # todoruleid: CX0602
    except BaseException:
        pass
"""


def file_rule(rule_id: str, example: str, config: str = LIBCST, blocks: str = "") -> str:
    return (
        f"## {rule_id}: Do not swallow errors\n\nIf you need to handle an error, use a named exception.\n\n"
        f"```yaml codex\n{config}examples: [{example}]\n```\n\n{blocks}"
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("example-files")
    rules = file_rule("CX0601", "examples/passing.py", LIBCST + 'paths:\n  include: ["src/**"]\n') + file_rule("CX0602", "examples/failing.py")
    (root / "rfcs/examples").mkdir(parents=True)
    (root / "rfcs/0001-errors.md").write_text(rfc("RFC-0600", rules=rules))
    (root / "rfcs/examples/passing.py").write_text(PASSING)
    (root / "rfcs/examples/failing.py").write_text(FAILING)
    (root / "pyproject.toml").write_text("[tool.codex]\nshipped = false  # `codex test` runs these two rules alone\n")
    return root


@pytest.fixture(scope="module")
def tested(project, run_codex):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "200")
        return run_codex(["test", "--root", project])


def test_a_rule_with_only_an_annotated_file_compiles(project):
    result = compile_rfcs(project / "rfcs", project)
    assert result.problems == []
    example = result.ruleset.rule("CX0601").examples[0]
    assert (example.verdict, example.source, example.filename) == ("file", "rfcs/examples/passing.py", "passing.py")
    assert example.expected == (5, 20)  # ruleid and todook lines must be flagged; todoruleid and ok lines must not


def test_codex_test_passes_a_file_whose_annotations_hold_and_reports_known_gaps(tested):
    row = next(line for line in tested.out.splitlines() if "CX0601" in line and "│" in line)
    assert "pass" in row
    assert "rfcs/examples/passing.py: line 15 (todoruleid), line 20 (todook)" in row
    assert "FAIL CX0601" not in tested.out


def test_path_filters_do_not_hide_an_example_file(tested):
    """CX0601 only applies under src/**, yet its example file is checked (as semgrep --test does)."""
    assert "FAIL CX0601" not in tested.out and "CX0601" in tested.out


def test_codex_test_explains_each_wrong_line_and_exits_1(tested):
    assert tested.code == 1
    out = tested.out
    assert "FAIL CX0602 rfcs/examples/failing.py" in out
    assert "expected lines [10], flagged [5, 15]" in out
    assert "line 10 (ruleid) was not flagged" in out
    assert "line 5 (ok) was flagged but is marked ok" in out
    assert "line 15 (todoruleid) was flagged: the known gap is fixed, mark it ruleid" in out
    assert "1 rule(s) passed, 1 failed" in out


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("examples/missing.py", "cannot read example file rfcs/examples/missing.py"),
        ("examples/passing.rs", "example file examples/passing.rs is not in a language rule CX0601 covers"),
    ],
)
def test_a_bad_example_entry_is_a_problem_with_a_line(tmp_path, entry, words):
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs/a.md").write_text(rfc("RFC-0001", rules=file_rule("CX0601", entry)))
    problems = [str(p) for p in compile_rfcs(tmp_path / "rfcs", tmp_path).problems]
    assert any(p.startswith("rfcs/a.md:") and words in p for p in problems), problems


def test_an_example_file_without_a_flagged_line_still_needs_a_bad_example(tmp_path):
    (tmp_path / "rfcs/examples").mkdir(parents=True)
    (tmp_path / "rfcs/examples/clean.py").write_text("x = 1\n")
    (tmp_path / "rfcs/a.md").write_text(rfc("RFC-0001", rules=file_rule("CX0601", "examples/clean.py")))
    problems = [str(p) for p in compile_rfcs(tmp_path / "rfcs", tmp_path).problems]
    assert any("needs at least one bad and one good example" in p for p in problems), problems


def test_verbose_prints_every_example_with_its_lines(project, run_codex, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = run_codex(["test", "CX0601", "-v", "--root", project])
    assert result.code == 0, result.out
    assert "pass CX0601 rfcs/examples/passing.py\n  expected lines [5, 20], flagged [5, 20]" in result.out
