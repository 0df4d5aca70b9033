"""rules/CHANGELOG.md kept by `codex compile`: rules added, changed and removed, newest first, deterministic."""

from __future__ import annotations

import re

from codex_testing.governance_rfcs import libcst_rule, rfc


def _compile(repo, run_codex) -> str:
    result = run_codex(["compile", "--root", repo.path])
    assert result.code == 0, result.err
    return (repo.path / "rules" / "CHANGELOG.md").read_text(encoding="utf-8")


def _sections(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"^## ", text, flags=re.M)[1:]]


def test_changelog_after_adding_editing_and_removing_rules(git_repo, run_codex):
    repo = git_repo()
    repo.write("rfcs/0100-timeouts.md", rfc("RFC-0100", [libcst_rule("PY0001")]))
    first = _compile(repo, run_codex)
    assert first.startswith("# Ruleset changelog\n")
    [section] = _sections(first)
    assert "The first compiled ruleset." in section
    assert (
        "- **added** PY0001 Outbound requests calls have a timeout (error, block) — [RFC-0100 Test RFC-0100]"
        "(../rfcs/0100-timeouts.md#py0001-outbound-requests-calls-have-a-timeout)"
    ) in section
    assert _compile(repo, run_codex) == first, "recompiling unchanged RFCs must not change the changelog"

    repo.write("rfcs/0101-errors.md", rfc("RFC-0101", [libcst_rule("PY0002", rule_class="codex.lints.swallowed_errors:SwallowedErrors")]))
    added = _compile(repo, run_codex)
    assert "- **added** PY0002" in _sections(added)[0] and "PY0001" not in _sections(added)[0]

    repo.write(
        "rfcs/0100-timeouts.md",
        rfc("RFC-0100", [libcst_rule("PY0001", severity="warning")], rollout={"PY0001": [{"paths": ["services/**"], "stage": "block", "since": "2026-03-01"}]}),
    )
    edited = _compile(repo, run_codex)
    assert _sections(edited)[0].splitlines()[-1] == (
        "- **changed** PY0001 Outbound requests calls have a timeout: severity error → warning; stage block → warn; "
        "rollout → block on services/** from 2026-03-01 — [RFC-0100 Test RFC-0100](../rfcs/0100-timeouts.md#py0001-outbound-requests-calls-have-a-timeout)"
    )

    (repo.path / "rfcs" / "0101-errors.md").unlink()
    removed = _compile(repo, run_codex)
    assert _compile(repo, run_codex) == removed
    sections = _sections(removed)
    assert len(sections) == 4
    assert sections[0].splitlines()[-1] == (
        "- **removed** PY0002 Outbound requests calls have a timeout — "
        "[RFC-0101 Test RFC-0101](../rfcs/0101-errors.md#py0002-outbound-requests-calls-have-a-timeout)"
    )
    versions = [s.splitlines()[0] for s in sections]
    assert versions[1:] == [s.splitlines()[0] for s in _sections(edited)], "newest first, older sections kept as they were"
    assert f"Against ruleset {versions[1].removeprefix('Ruleset ')}." in sections[0]


def test_changelog_started_on_an_existing_ruleset_lists_the_rules_in_force(git_repo, run_codex):
    repo = git_repo()
    repo.write("rfcs/0100-timeouts.md", rfc("RFC-0100", [libcst_rule("PY0001")]))
    _compile(repo, run_codex)
    (repo.path / "rules" / "CHANGELOG.md").unlink()
    [section] = _sections(_compile(repo, run_codex))
    assert "The rules in force when this changelog was started." in section and "- **in force** PY0001" in section
