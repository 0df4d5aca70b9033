"""Fixes applied: to text (reviewer/fixes.py) and by `codex check --fix` to the working tree of real git repositories."""

from __future__ import annotations

import json

import pytest

from codex.model import Ruleset, Stage
from reviewer.finding import Finding
from reviewer.fixes import apply_to_text

# the libcst rules only (CX0003, CX0004, CX0006): no semgrep process, and CX0003 gives a blocking finding no fix removes
CONFIG = 'disable = ["CX0001", "CX0002", "CX0005", "CX0007"]\n'
BASE = "import requests\nimport yaml\n\n\ndef read(text):\n    return text\n"
CHANGED = (
    "import requests\nimport yaml\n\n\ndef read(text, more):\n"
    "    first = yaml.unsafe_load(text)\n"
    "    data = yaml.load(text, Loader=yaml.Loader); extra = yaml.load(more)\n"
    "    requests.get(text)\n"
    "    return yaml.full_load(more), data, extra, first\n"
)
FIXED_ONCE = (
    "import requests\nimport yaml\n\n\ndef read(text, more):\n"
    "    first = yaml.safe_load(text)\n"
    "    data = yaml.safe_load(text); extra = yaml.load(more)\n"
    "    requests.get(text)\n"
    "    return yaml.safe_load(more), data, extra, first\n"
)


def finding(ruleset: Ruleset, line: int, end_line: int, fix: str, column: int = 1) -> Finding:
    return Finding.of(ruleset.rule("CX0006"), "a.py", line, end_line, column, None, "libcst", fix)


def test_fixes_replace_their_lines_and_an_overlapping_one_is_left_for_the_next_run(shipped_ruleset: Ruleset) -> None:
    text = "a\r\nb\r\nc\r\nd\r\ne\r\n"
    fixes = [finding(shipped_ruleset, 2, 3, "B"), finding(shipped_ruleset, 3, 3, "C!"), finding(shipped_ruleset, 5, 5, "E\nE2")]
    fixed, outcome = apply_to_text(text, fixes)
    assert fixed == "a\r\nB\r\nd\r\nE\r\nE2\r\n"  # a CRLF line keeps its CRLF; two lines can become one, one two
    assert outcome.applied == [fixes[0], fixes[2]]
    assert [str(s) for s in outcome.skipped] == ["a.py:3: CX0006 not fixed: overlaps the fix of CX0006 at line 2; run `codex check --fix` again to apply it"]


def test_a_fix_past_the_end_of_the_text_is_not_applied(shipped_ruleset: Ruleset) -> None:
    fixed, outcome = apply_to_text("a\n", [finding(shipped_ruleset, 3, 4, "x"), finding(shipped_ruleset, 1, 1, "A")])
    assert fixed == "A\n" and [s.reason for s in outcome.skipped] == ["line 4 is past the end of the file"]


@pytest.fixture
def changed_repo(git_repo):
    repo = git_repo()
    repo.commit("base", {"codex.toml": CONFIG, "app.py": BASE})
    repo.write("app.py", CHANGED)
    return repo


def test_fix_rewrites_the_working_tree_only_and_reports_what_remains(changed_repo, run_codex) -> None:
    head = changed_repo.head()
    result = run_codex(["check", "--fix", "--no-llm", "--no-history", "--format", "json", "--root", str(changed_repo.path)])
    assert (changed_repo.path / "app.py").read_text() == FIXED_ONCE
    assert result.err.splitlines() == [
        "codex: applied 3 fix(es) in 1 file(s):",
        "  app.py:6: CX0006 yaml.unsafe_load()",
        "  app.py:7: CX0006 yaml.load() with Loader=yaml.Loader",
        "  app.py:9: CX0006 yaml.full_load()",
        "codex: 1 fix(es) not applied:",
        "  app.py:7: CX0006 not fixed: overlaps the fix of CX0006 at line 7; run `codex check --fix` again to apply it",
    ]
    remaining = json.loads(result.out)["findings"]
    assert [(f["rule_id"], f["line"], f["fix"]) for f in remaining] == [
        ("CX0006", 7, "    data = yaml.safe_load(text); extra = yaml.safe_load(more)"),
        ("CX0003", 8, None),
    ]
    assert result.code == 1  # CX0003 and the overlapping CX0006 remain
    assert changed_repo.head() == head and changed_repo.git("status", "--porcelain") == " M app.py\n"  # nothing staged or committed

    again = run_codex(["check", "--fix", "--no-llm", "--no-history", "--root", str(changed_repo.path)])
    assert "codex: applied 1 fix(es) in 1 file(s):\n  app.py:7: CX0006 yaml.load() without a Loader\n" in again.err
    assert "    data = yaml.safe_load(text); extra = yaml.safe_load(more)\n" in (changed_repo.path / "app.py").read_text()
    assert again.code == 1 and "CX0003" in again.out and "CX0006" not in again.out


def test_fix_exits_0_once_every_blocking_finding_is_fixed(git_repo, run_codex) -> None:
    repo = git_repo()
    repo.commit("base", {"codex.toml": CONFIG, "app.py": "import yaml\n\nDATA = yaml.load(open('x'))\nMORE = yaml.load(open('y'))\n"})
    result = run_codex(["check", "--all", "--fix", "--no-llm", "--no-history", "--root", str(repo.path)])
    assert result.code == 0, result.out
    assert (repo.path / "app.py").read_text() == "import yaml\n\nDATA = yaml.safe_load(open('x'))\nMORE = yaml.safe_load(open('y'))\n"
    assert result.err.startswith("codex: applied 2 fix(es) in 1 file(s):\n")


def test_fix_leaves_a_file_that_changed_since_it_was_checked(changed_repo, run_codex, monkeypatch) -> None:
    import reviewer.check

    real = reviewer.check.run_check
    edited = CHANGED + "# saved by an editor meanwhile\n"

    def check_then_edit(*args, **kwargs):
        report = real(*args, **kwargs)
        (changed_repo.path / "app.py").write_text(edited)
        return report

    monkeypatch.setattr(reviewer.check, "run_check", check_then_edit)
    result = run_codex(["check", "--fix", "--no-llm", "--no-history", "--root", str(changed_repo.path)])
    assert (changed_repo.path / "app.py").read_text() == edited
    assert result.err.splitlines()[:3] == [
        "codex: applied 0 fix(es) in 0 file(s)",
        "codex: 4 fix(es) not applied:",
        "  app.py:6: CX0006 not fixed: the file changed since it was checked; run the check again",
    ]
    assert result.code == 1


@pytest.mark.parametrize("scope", [["--staged"], ["--diff", "change.patch"]])
def test_fix_refuses_to_work_from_the_index_or_a_diff(changed_repo, run_codex, scope) -> None:
    changed_repo.stage("app.py")
    result = run_codex(["check", "--fix", "--no-llm", "--no-history", *scope], cwd=changed_repo.path)
    assert result.code == 2
    assert "--fix writes the working tree, and" in result.err and ": refused" in result.err
    assert (changed_repo.path / "app.py").read_text() == CHANGED


def test_fix_leaves_overridden_and_shadow_findings_alone(shipped_ruleset: Ruleset) -> None:
    from reviewer.fixes import fixable

    shown = finding(shipped_ruleset, 1, 1, "x")
    overridden = shown.model_copy(update={"overridden": True})
    shadow = shown.model_copy(update={"stage": Stage.shadow})
    assert fixable([overridden, shadow, shown, finding(shipped_ruleset, 2, 2, "y").model_copy(update={"fix": None})]) == [shown]
