"""``codex explain``: a rule or an RFC as a terminal page in ruff's shape, from any ruleset origin."""

from __future__ import annotations

import pytest

from codex.catalog import load_catalog, snippet
from codex.config import CodexConfig
from codex.model import Example
from codex_testing import PROJECT_ROOT
from codex_testing.rfcs import LIBCST, rfc, rule

SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "Stage and rollout", "RFC"]


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def _positions(out: str, headings: list[str]) -> list[int]:
    lines = out.splitlines()
    return [lines.index(h) for h in headings]


def test_explain_a_rule_reads_like_rufs_rule_pages(run_codex, wide):
    result = run_codex(["explain", "CX0001", "--root", PROJECT_ROOT])
    assert result.code == 0, result.err
    out = result.out
    assert out.startswith("CX0001 No unwrap or expect in production Rust (RFC-0001)")
    positions = _positions(out, SECTIONS)
    assert positions == sorted(positions)
    assert "In November 2025 a proxy read a feature file" in " ".join(out.split())  # the why, from the RFC's motivation
    assert "let text = std::fs::read_to_string(path).unwrap();" in out  # the bad example
    assert "ruleid:" not in out  # annotations are for codex test, not for readers
    assert "Stage: block — findings fail the check and block a merge." in out
    assert "rfcs/0001-handle-errors-do-not-panic.md#cx0001-no-unwrap-or-expect-in-production-rust" in out


def test_explain_an_rfc_lists_its_rules(run_codex, wide):
    for key in ("RFC-0003", "rfc-3", "0003"):
        result = run_codex(["explain", key, "--root", PROJECT_ROOT])
        assert result.code == 0, result.err
        assert result.out.startswith("RFC-0003 Outbound calls and errors fail visibly and on time")
        assert "CX0003" in result.out and "CX0004" in result.out
        assert "waiting for ever on a peer" in " ".join(result.out.split())


def test_explain_uses_the_shipped_codex_outside_a_project(run_codex, tmp_path, wide):
    result = run_codex(["explain", "CX0005", "--root", tmp_path])
    assert result.code == 0, result.err
    assert "subprocess" in result.out and "Why is this bad?" in result.out
    assert "From RFC-0004" in result.out  # the shipped RFC sources are found too
    assert "RFC-0004: Untrusted text never becomes code — shipped with codex: `codex explain RFC-0004`" in result.out.splitlines()
    rfc_page = run_codex(["explain", "RFC-0004", "--root", tmp_path]).out.splitlines()
    assert rfc_page[rfc_page.index("Source") + 1] == "shipped with codex: `codex explain RFC-0004`"  # not a path of codex's installation


def test_explain_an_unknown_id_is_a_usage_problem(run_codex):
    result = run_codex(["explain", "CX9999", "--root", PROJECT_ROOT])
    assert result.code == 2
    assert "no rule or RFC 'CX9999'" in result.err and "CX0001" in result.err and "Traceback" not in result.err


def test_a_rule_with_only_an_example_file_shows_it_with_its_flagged_lines(tmp_path, run_codex, wide):
    (tmp_path / "rfcs/examples").mkdir(parents=True)
    (tmp_path / "rfcs/examples/x.py").write_text("try:\n    run()\n# ruleid: CX0700\nexcept:\n    pass\n")
    section = (
        f"## CX0700: Do not swallow errors\n\nIf you need to handle an error, use a named exception.\n\n```yaml codex\n{LIBCST}examples: [examples/x.py]\n```\n"
    )
    (tmp_path / "rfcs/a.md").write_text(rfc("RFC-0700", rules=section))
    page = load_catalog(tmp_path, CodexConfig()).rule_page(load_catalog(tmp_path, CodexConfig()).ruleset.rule("CX0700"))
    assert page.example.code == "try:\n    run()\nexcept:\n    pass\n" and page.example.flagged == (3,)
    assert page.example.origin == "rfcs/examples/x.py" and page.instead is None
    out = run_codex(["explain", "CX0700", "--root", tmp_path]).out
    assert "Example" in out and "Use instead" not in out and "flagged: line 3 (from rfcs/examples/x.py)" in out


def test_explain_shows_the_fixed_code_of_the_example_that_states_it(tmp_path, run_codex, wide):
    fixed = rule("CX0700", matcher="pattern: eval($X)\nfix: ast.literal_eval($X)\n").replace(
        "```python good",
        "```python bad\nimport ast\n# ruleid: CX0700\ny = eval(s)\n```\n\n"
        "```python fixed\nimport ast\n# ruleid: CX0700\ny = ast.literal_eval(s)\n```\n\n```python good",
    )
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs/a.md").write_text(rfc("RFC-0700", rules=fixed))
    assert run_codex(["test", "--root", tmp_path]).code == 0  # the fixed block is what the fix gives
    out = run_codex(["explain", "CX0700", "--root", tmp_path]).out.splitlines()
    start = out.index("Example")
    assert out[start : out.index("Stage and rollout")] == [
        "Example",
        "  1 import ast",
        "❱ 2 y = eval(s)",
        "flagged: line 2 (from rfcs/a.md:35)",
        "",  # the second bad block: the one with a fixed block
        "Fix",
        "  1 import ast",
        "  2 y = ast.literal_eval(s)",
        "",
        "Use instead",
        "  1 ast.literal_eval(x)",
        "",
    ]
    plain = rfc("RFC-0700", rules=rule("CX0700"))
    (tmp_path / "rfcs/a.md").write_text(plain)
    assert "Fix" not in run_codex(["explain", "CX0700", "--root", tmp_path]).out.splitlines()


def test_snippet_keeps_flagged_lines_aligned_after_removing_annotations(shipped_ruleset):
    rule = shipped_ruleset.rule("CX0003")
    example = Example(verdict="bad", language="python", code="a()\n# ruleid: CX0003\nb()\n// ok: CX0003\nc()\n", filename="x.py", expected=(3,), source_line=7)
    shown = snippet(example, rule)
    assert shown.code == "a()\nb()\nc()\n" and shown.flagged == (2,)


def test_explain_shows_the_rules_rollout(tmp_path, run_codex, wide):
    front = "rollout:\n  CX0100:\n    - {paths: ['services/**'], stage: block, since: 2026-01-05}\n    - {stage: warn}\n"
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs/a.md").write_text(rfc("RFC-0100", rules=rule("CX0100"), front=front))
    result = run_codex(["explain", "CX0100", "--root", tmp_path])
    assert result.code == 0, result.err
    assert "Rollout: block on services/** from 2026-01-05." in result.out and "Rollout: warn everywhere." in result.out
