"""``codex new``: a draft RFC with one rule that compiles and passes ``codex test``, in every language it offers."""

from __future__ import annotations

import pytest

from codex.compiler import compile_rfcs
from codex.model import RfcStatus, Stage
from codex.scaffold import LANGUAGES


@pytest.fixture(scope="module")
def scaffolded(git_repo_factory, run_codex):
    """One RFC per language, compiled and tested in one run (one semgrep process)."""
    repo = git_repo_factory("scaffolded")
    created = [run_codex(["new", f"Handle {language}: with care", "--language", language, "--author", "Platform"], cwd=repo.path) for language in LANGUAGES]
    created.append(run_codex(["new"], cwd=repo.path))  # every argument has a default
    compiled = run_codex(["compile"], cwd=repo.path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "200")
        tested = run_codex(["test"], cwd=repo.path)
    return {"repo": repo, "created": created, "compile": compiled, "test": tested}


def test_each_scaffold_is_written_with_the_next_free_ids(scaffolded):
    assert [r.code for r in scaffolded["created"]] == [0] * (len(LANGUAGES) + 1)
    names = sorted(p.name for p in (scaffolded["repo"].path / "rfcs").glob("*.md"))
    # after the shipped codex's RFC-0005 and CX0007: ids never collide with a shipped rule's
    assert names[0] == "0006-handle-python-with-care.md" and names[-1] == f"{len(LANGUAGES) + 6:04d}-new-rfc.md"
    assert "rule CX0008" in scaffolded["created"][0].out and f"rule CX{len(LANGUAGES) + 8:04d}" in scaffolded["created"][-1].out


def test_every_scaffold_compiles_as_a_draft_in_shadow(scaffolded):
    assert scaffolded["compile"].code == 0, scaffolded["compile"].err
    repo = scaffolded["repo"].path
    ruleset = compile_rfcs(repo / "rfcs", repo).ruleset
    assert {m.status for m in ruleset.rfcs} == {RfcStatus.draft}
    assert {r.stage for r in ruleset.rules} == {Stage.shadow}
    assert ruleset.rfcs[0].title == "Handle python: with care" and ruleset.rfcs[0].authors == ("Platform",)
    assert sorted({lang for r in ruleset.rules for lang in r.languages}) == sorted(LANGUAGES)


def test_every_scaffold_passes_codex_test(scaffolded):
    tested = scaffolded["test"]
    assert tested.code == 0, tested.out + tested.err
    # and the shipped codex's six static rules (its judgment rule, CX0002, is skipped without an endpoint)
    assert f"{len(LANGUAGES) + 1 + 6} rule(s) passed, 0 failed, 1 skipped" in tested.out


def test_bad_rule_id_and_existing_file_are_usage_problems(tmp_path, run_codex):
    bad = run_codex(["new", "x", "--rule-id", "cx-1", "--out", tmp_path / "rfcs"], cwd=tmp_path)
    assert bad.code == 2 and "bad rule id 'cx-1'" in bad.err and "Traceback" not in bad.err
    assert run_codex(["new", "Same", "--out", tmp_path / "rfcs", "--rule-id", "AB0100"], cwd=tmp_path).code == 0
    text = (tmp_path / "rfcs/0006-same.md").read_text()
    assert "## AB0100:" in text
    (tmp_path / "rfcs/0007-same.md").write_text("mine\n")
    clash = run_codex(["new", "Same", "--out", tmp_path / "rfcs"], cwd=tmp_path)
    assert clash.code == 2 and "already exists" in clash.err
    assert (tmp_path / "rfcs/0007-same.md").read_text() == "mine\n"
