"""reviewer.platforms.merge_request: a merge request's diff and anchors, the ruleset that judges it, and the rule
changes it makes, as its summary lists them."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.model import PathFilter, Ruleset, Severity, Stage
from codex.problems import ProblemError
from reviewer.changes import BaseRevision
from reviewer.finding import Finding
from reviewer.platforms import MergeRequest
from reviewer.platforms.merge_request import merge_diff, rule_changes, rules_at


def _subset(ruleset: Ruleset, *ids: str, **changed: dict) -> Ruleset:
    rules = [ruleset.rule(i).model_copy(update=changed.get(i, {})) for i in ids]
    return Ruleset.build(list(ruleset.rfcs), rules)


def test_added_removed_and_changed_rules_each_get_one_line_in_that_order(shipped_ruleset: Ruleset) -> None:
    base = _subset(shipped_ruleset, "CX0001", "CX0003", "CX0004", "CX0005", "CX0006")
    head = _subset(
        shipped_ruleset,
        "CX0002",
        "CX0003",
        "CX0004",
        "CX0005",
        "CX0007",
        CX0003={"stage": Stage.warn, "severity": Severity.info},
        CX0004={"paths": PathFilter(include=("src/**",)), "need": "something else"},
    )
    title = {r.id: r.title for r in shipped_ruleset.rules}
    assert rule_changes(base, head) == [
        f"- added **CX0002** ({shipped_ruleset.rule('CX0002').stage.value}): {title['CX0002']}",
        f"- added **CX0007** ({shipped_ruleset.rule('CX0007').stage.value}): {title['CX0007']}",
        f"- removed **CX0001**: {title['CX0001']}",
        f"- removed **CX0006**: {title['CX0006']}",
        f"- changed **CX0003** (stage, severity): stage {shipped_ruleset.rule('CX0003').stage.value} → warn",
        f"- changed **CX0004** (matcher or scope, statement): stage {shipped_ruleset.rule('CX0004').stage.value} → "
        f"{shipped_ruleset.rule('CX0004').stage.value}",
    ]


def test_no_rule_changed_says_so(shipped_ruleset: Ruleset) -> None:
    assert rule_changes(shipped_ruleset, shipped_ruleset) == ["- rfcs/ or rules/ changed, but no rule's behaviour did"]


# --- the merge request's diff: merge_diff and MergeDiff ------------------------------------------


def _mr(base: str, head: str) -> MergeRequest:
    return MergeRequest(
        platform="github",
        api_url="http://127.0.0.1:9",
        project="acme/app",
        number=7,
        base_sha=base,
        head_sha=head,
        token_name="GITHUB_TOKEN",
        fetch_hint="fetch both commits",
        checkout_hint="check out the head commit",
    )


@pytest.fixture
def merge_request(git_repo):
    """main, then a feature branch that deletes, changes, renames and adds files; main moves on after it forked."""
    repo = git_repo()
    fork = repo.commit("base", {"a_gone.py": "x\n", "b.bin": b"\x00\x01", "c.py": "".join(f"{n}\n" for n in range(1, 11)), "old_name.py": "o1\no2\no3\no4\n"})
    repo.branch("feature")
    repo.git("rm", "--quiet", "a_gone.py")
    repo.git("mv", "old_name.py", "renamed.py")
    repo.write_files(
        {
            "b.bin": b"\x00\x02",
            "c.py": "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n10\n11\n",
            "renamed.py": "o1\nO2\no3\no4\n",
            "new.py": "n\n",
            "docs/guide.md": "g\n",
            "docsX/other.md": "o\n",
        }
    )
    head = repo.commit("feature work")
    repo.checkout("main")
    base = repo.commit("main moves on", {"z.py": "z\n"})
    repo.checkout("feature")
    return repo, fork, base, head


def test_merge_diff_starts_at_the_merge_base_and_anchors_every_line_inside_a_hunk(merge_request) -> None:
    repo, fork, base, head = merge_request
    diff = merge_diff(repo.path, _mr(base, head))
    assert (diff.base, diff.head) == (fork, head)
    assert diff.anchors == {  # the deleted and the binary file come first in the diff: the files after them are still read
        "c.py": {2: 2, 3: 3, 4: 4, 5: None, 6: 6, 7: 7, 8: 8, 9: 9, 10: 10, 11: None},
        "docs/guide.md": {1: None},
        "docsX/other.md": {1: None},
        "new.py": {1: None},
        "renamed.py": {1: 1, 2: None, 3: 3, 4: 4},
    }
    assert diff.old_paths == {
        "c.py": "c.py",
        "docs/guide.md": "docs/guide.md",
        "docsX/other.md": "docsX/other.md",
        "new.py": "new.py",
        "renamed.py": "old_name.py",
    }
    assert {f.path: set(f.added) for f in diff.changes.files} == {
        "c.py": {5, 11},
        "docs/guide.md": {1},
        "docsX/other.md": {1},
        "new.py": {1},
        "renamed.py": {2},
    }
    assert [(p.path, p.kind, p.message) for p in diff.changes.problems] == [("b.bin", "skipped", "binary file, not checked")]
    assert diff.changes.base == BaseRevision(repo.path, fork, f"the target branch at {fork[:7]} (merge-base)")


def test_a_line_is_anchored_to_its_old_line_added_or_not_in_the_diff(merge_request, shipped_ruleset: Ruleset) -> None:
    repo, _, base, head = merge_request
    diff = merge_diff(repo.path, _mr(base, head))
    assert [diff.anchor("c.py", n) for n in (1, 2, 5, 11, 12)] == [False, 2, None, None, False]
    assert diff.anchor("z.py", 1) is False
    rule = shipped_ruleset.rules[0]
    assert diff.shows(Finding.of(rule, "c.py", 10, 11, 1, None, "semgrep")) is True
    assert diff.shows(Finding.of(rule, "c.py", 11, 12, 1, None, "semgrep")) is False  # its last line is outside the diff
    assert diff.shows(Finding.of(rule, "c.py", 1, 2, 1, None, "semgrep")) is False  # its first line is
    assert diff.touches("docs") == ["docs/guide.md"]
    assert diff.touches("nowhere/", "docs/") == ["docs/guide.md"]


def test_a_clone_without_the_commits_or_at_another_head_is_a_usage_problem_saying_what_to_do(merge_request, tmp_path: Path) -> None:
    repo, _, base, head = merge_request
    missing = "f" * 40
    cases = [
        (repo.path, _mr(missing, head), "the target branch (base) commit ffffffffffff is not in this clone (a shallow clone?)", "fetch both commits"),
        (repo.path, _mr(base, missing), "the merge request head commit ffffffffffff is not in this clone (a shallow clone?)", "fetch both commits"),
        (repo.path, _mr(head, base), f"the checkout is at {head[:12]}, not at the merge request head {base[:12]}", "check out the head commit"),
        (tmp_path / "elsewhere", _mr(base, head), "not inside a git repository", "check out the head commit"),
    ]
    (tmp_path / "elsewhere").mkdir()
    for root, mr, message, hint in cases:
        with pytest.raises(ProblemError) as caught:
            merge_diff(root, mr)
        assert [(p.kind, p.message, p.hint) for p in caught.value.problems] == [("usage", message, hint)]


def test_unrelated_histories_have_no_merge_base_to_diff_from(merge_request) -> None:
    repo, _, _, head = merge_request
    repo.git("checkout", "--quiet", "--orphan", "unrelated")
    lonely = repo.commit("unrelated", {"u.py": "u\n"})
    repo.checkout("feature")
    with pytest.raises(ProblemError) as caught:
        merge_diff(repo.path, _mr(lonely, head))
    assert [(p.kind, p.message, p.hint) for p in caught.value.problems] == [
        ("usage", "no common ancestor of the target branch and the merge request head in this clone (a shallow clone?)", "fetch both commits")
    ]


# --- the ruleset that judges it: rules_at -------------------------------------------------------


def test_the_target_branchs_compiled_rules_judge_the_merge_request(git_repo, shipped_ruleset: Ruleset) -> None:
    repo = git_repo()
    own = _subset(shipped_ruleset, "CX0003", "CX0004")
    with_rules = repo.commit("rules", {"pyproject.toml": "[tool.codex]\nshipped = false\n", "rules/ruleset.json": own.to_json()})
    broken = repo.commit("broken rules", {"rules/ruleset.json": '{"version": 1}\n'})
    loaded = rules_at(repo.path, with_rules)
    assert (loaded.ruleset, loaded.own, loaded.origin) == (own, True, f"rules/ruleset.json at {with_rules[:12]}")
    with pytest.raises(ProblemError) as caught:
        rules_at(repo.path, broken)
    [problem] = caught.value.problems
    assert (problem.path, problem.kind, problem.hint) == ("rules/ruleset.json", "config", "fix it on the target branch with `codex compile`")
    assert problem.message.startswith(f"unreadable ruleset at the target branch ({broken[:12]}): ")


def test_a_target_branch_without_compiled_rules_is_judged_by_the_shipped_codex_and_says_so(git_repo, shipped_ruleset: Ruleset) -> None:
    repo = git_repo()
    bare = repo.commit("no rules", {"app.py": "x = 1\n"})
    loaded = rules_at(repo.path, bare)
    assert (loaded.own, loaded.ruleset.version) == (False, shipped_ruleset.version)
    assert loaded.origin.endswith(f" (no rules/ruleset.json at {bare[:12]})")
