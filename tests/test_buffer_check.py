"""reviewer/buffer_check.py: unsaved text checked as the file at a path would be (real semgrep, real libcst)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.model import Ruleset
from codex.problems import ProblemError
from reviewer.buffer_check import check_buffer, repository_path
from reviewer.check import CheckOptions

VIOLATIONS = """import requests

def fetch(url, limit):
    assert limit > 0
    return requests.get(url)
"""
CLEAN = """def add(a, b):
    return a + b
"""
OPTIONS = CheckOptions(use_llm=False)


def _found(report) -> list[tuple[str, int]]:
    return [(f.rule_id, f.line) for f in report.findings]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("buffer")
    (root / "app").mkdir()
    (root / "app" / "clean.py").write_text(CLEAN)
    (root / "app" / "dirty.py").write_text(VIOLATIONS)
    return root


def test_content_is_checked_instead_of_the_file_on_disk(shipped_ruleset: Ruleset, repo: Path):
    report = check_buffer(shipped_ruleset, repo, "app/clean.py", VIOLATIONS, OPTIONS)
    assert _found(report) == [("CX0007", 4), ("CX0003", 5)]
    assert [f.path for f in report.findings] == ["app/clean.py", "app/clean.py"]
    assert report.errors == []
    assert check_buffer(shipped_ruleset, repo, "app/dirty.py", CLEAN, OPTIONS).findings == []


def test_without_content_the_file_on_disk_is_checked(shipped_ruleset: Ruleset, repo: Path):
    assert _found(check_buffer(shipped_ruleset, repo, "app/dirty.py", None, OPTIONS)) == [("CX0007", 4), ("CX0003", 5)]
    assert _found(check_buffer(shipped_ruleset, repo, str(repo / "app" / "dirty.py"), None, OPTIONS)) == [("CX0007", 4), ("CX0003", 5)]


def test_the_path_decides_test_code(shipped_ruleset: Ruleset, repo: Path):
    """CX0007 exempts tests: the same text at a test path keeps only the rule that does not."""
    assert _found(check_buffer(shipped_ruleset, repo, "tests/test_fetch.py", VIOLATIONS, OPTIONS)) == [("CX0003", 5)]


def test_the_path_decides_the_language(shipped_ruleset: Ruleset, repo: Path):
    report = check_buffer(shipped_ruleset, repo, "app/notes.txt", VIOLATIONS, OPTIONS)
    assert (report.findings, report.stats.files_checked) == ([], 0)


@pytest.mark.parametrize("path", ["../outside.py", "app/../../outside.py", "/etc/passwd", "app/a\0b.py", ".", ""])
def test_a_path_outside_the_repository_is_a_usage_problem(repo: Path, path: str):
    with pytest.raises(ProblemError) as caught:
        repository_path(repo, path)
    assert [p.kind for p in caught.value.problems] == ["usage"]


def test_a_missing_file_without_content_is_a_usage_problem(shipped_ruleset: Ruleset, repo: Path):
    with pytest.raises(ProblemError) as caught:
        check_buffer(shipped_ruleset, repo, "app/missing.py", None, OPTIONS)
    assert [(p.path, p.message) for p in caught.value.problems] == [("app/missing.py", f"no such file under {repo}")]


def test_repository_path_is_clean_and_relative(repo: Path):
    assert repository_path(repo, "./app//dirty.py") == "app/dirty.py"
    assert repository_path(repo, str(repo / "app" / "dirty.py")) == "app/dirty.py"
