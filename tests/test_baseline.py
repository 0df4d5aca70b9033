"""Diff mode reports what the change introduced, compared with the base version of each changed file.

One repository holds every case in its own file; each mode runs once over it (a semgrep process costs ~2 s).
"""

from __future__ import annotations

import pytest

from codex.model import Ruleset
from codex_testing.reports import run_stats
from reviewer.check import run_check
from reviewer.finding import Report
from reviewer.git_changes import from_git, from_index
from reviewer.platforms.review import SUMMARY_MARKER
from reviewer.unified_diff import from_patch

SHELL_BASE = 'import subprocess\n\n\ndef deploy(name):\n    subprocess.run(\n        "deploy " + name,\n        shell=True,\n    )\n'
SHELL_HEAD = (
    'import subprocess\n\n\ndef deploy(name):\n    subprocess.run(\n        "deploy --fast " + name,\n        shell=True,\n    )\n'
    '\n\ndef undo(name):\n    subprocess.call("undo " + name, shell=True)\n'
)

HANDLER_BASE = 'def load(path):\n    try:\n        return open(path).read()\n    except:\n        log("cannot read", path)\n        return None\n'
HANDLER_HEAD = HANDLER_BASE.replace('log("cannot read", path)', 'log("cannot read the file", path)')

CLIENT_BASE = (
    "import requests\n\n\ndef fetch(url):\n    return requests.get(\n        url,\n        timeout=5,\n    )\n\n\n"
    "def legacy(url):\n    return requests.get(\n        url,\n    )\n"
)
CLIENT_HEAD = CLIENT_BASE.replace("        timeout=5,\n", "")

DUPE_BASE = "import requests\n\n\ndef twice(url):\n    requests.get(url)\n"
DUPE_HEAD = "import requests\n\n\ndef twice(url):\n    requests.get(url)  # warm-up\n    requests.get(url)\n"

RENAMED_BASE = (
    "import requests\n\n\ndef a(url):\n    return requests.get(url)\n\n\ndef b(url):\n    try:\n        return requests.get(url, timeout=3)\n"
    "    except Exception:\n        pass\n\n\ndef c(url):\n    return requests.head(url, timeout=3)\n"
)
RENAMED_HEAD = (
    RENAMED_BASE.replace("return requests.get(url)\n", "return requests.get(url)  # kept for old clients\n")
    + "\n\ndef d(url):\n    return requests.post(url)\n"
)

FRESH = 'import requests\nrequests.get("http://example.invalid")\n'


def findings(report: dict) -> list[tuple[str, str, int]]:
    return [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]]


@pytest.fixture(scope="module")
def scenario(git_repo_factory, run_codex, tmp_path_factory):
    repo = git_repo_factory("baseline")
    main = repo.commit(
        "base",
        {"svc/shell.py": SHELL_BASE, "svc/handler.py": HANDLER_BASE, "svc/client.py": CLIENT_BASE, "svc/dupe.py": DUPE_BASE, "svc/old_name.py": RENAMED_BASE},
    )
    repo.branch("feature")
    repo.git("mv", "svc/old_name.py", "svc/new_name.py")
    repo.commit(
        "feature",
        {
            "svc/shell.py": SHELL_HEAD,
            "svc/handler.py": HANDLER_HEAD,
            "svc/client.py": CLIENT_HEAD,
            "svc/dupe.py": DUPE_HEAD,
            "svc/new_name.py": RENAMED_HEAD,
            "svc/fresh.py": FRESH,
        },
    )
    check = ["check", "--format", "json", "--no-llm", "--no-history"]
    runs = {
        "default": run_codex(check, cwd=repo.path),
        "base": run_codex([*check, "--base", "main"], cwd=repo.path),
        "all": run_codex([*check, "--all"], cwd=repo.path),
    }
    patch = tmp_path_factory.mktemp("patch") / "change.patch"
    patch.write_bytes(repo.git_bytes("diff", "--no-color", "-M", "main...feature"))
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # not a repository: the base is the diff reverse-applied
    runs["diff"] = run_codex([*check, "--diff", patch, "--root", repo.path], cwd=elsewhere)
    runs["text"] = run_codex(["check", "--no-llm", "--no-history", "--no-cache"], cwd=repo.path)
    return {"main": main, **runs}


INTRODUCED = [
    ("CX0003", "svc/client.py", 5),  # timeout=5 removed below requests.get(: the matched code changed
    ("CX0003", "svc/dupe.py", 5),  # the added one of two identical calls, though it comes first
    ("CX0003", "svc/fresh.py", 2),  # a new file: everything in it is new
    ("CX0003", "svc/new_name.py", 20),  # added to a renamed file; the old call edited on its line is not reported
    ("CX0005", "svc/shell.py", 12),  # semgrep: the added call; the old call edited inside is not reported
]


@pytest.mark.parametrize("mode", ["default", "base", "diff"])
def test_only_what_the_change_introduced_is_reported(scenario, mode) -> None:
    report = scenario[mode].json()
    assert scenario[mode].code == 1, scenario[mode].err
    assert findings(report) == INTRODUCED
    assert report["errors"] == []
    # already there and on changed lines: shell.py's call, handler.py's except:, new_name.py's a()
    assert report["stats"]["preexisting"] == 3


def test_the_old_findings_are_there_for_the_rules_to_find(scenario) -> None:
    old = {
        ("CX0005", "svc/shell.py", 5),
        ("CX0004", "svc/handler.py", 4),
        ("CX0003", "svc/new_name.py", 5),
        ("CX0003", "svc/client.py", 11),
        ("CX0003", "svc/dupe.py", 6),
    }
    assert old <= set(findings(scenario["all"].json()))
    assert scenario["all"].json()["stats"]["base"] is None and scenario["all"].json()["stats"]["preexisting"] == 0


def test_the_report_names_the_base_it_compared_with(scenario) -> None:
    main = scenario["main"][:7]
    assert scenario["default"].json()["stats"]["base"] == f"the merge-base with main at {main}"
    assert scenario["base"].json()["stats"]["base"] == f"main at {main}"
    assert scenario["diff"].json()["stats"]["base"] == "the old side of the diff"
    assert f"compared with the merge-base with main at {main} (3 finding(s) already there not reported)" in scenario["text"].out


def test_findings_carry_the_end_of_what_they_matched(scenario) -> None:
    ends = {(f["path"], f["line"]): (f["end_line"], f["end_column"]) for f in scenario["default"].json()["findings"]}
    assert ends[("svc/client.py", 5)] == (7, 6)  # libcst: `requests.get(` .. `    )`
    assert ends[("svc/shell.py", 12)] == (12, 48)  # semgrep: `subprocess.call("undo " + name, shell=True)`


def test_staged_compares_with_head(git_repo, libcst_ruleset: Ruleset) -> None:
    repo = git_repo()
    repo.commit("base", {"h.py": HANDLER_BASE})
    staged = HANDLER_HEAD + "\n\ndef again():\n    try:\n        pass\n    except:\n        return 1\n"
    repo.write("h.py", staged)
    repo.stage("h.py")
    repo.write("h.py", "# unstaged\n" + staged.replace("return 1", "return 2"))  # the staged version is checked
    report = run_check(libcst_ruleset, from_index(repo.path))
    assert [(f.rule_id, f.line) for f in report.findings] == [("CX0004", 12)]
    assert (report.stats.preexisting, report.stats.base) == (1, f"HEAD at {repo.head()[:7]}")


def test_a_zero_context_diff_reverse_applies_over_insertions_and_removals(git_repo, libcst_ruleset: Ruleset) -> None:
    repo = git_repo()
    tail = "\n\ndef tail():\n    try:\n        pass\n    except:\n        pass\n"
    repo.commit("base", {"h.py": "import os\n\n# one\n# two\n" + HANDLER_BASE + tail})
    more = "\n\ndef more():\n    try:\n        pass\n    except:\n        return 0\n"
    repo.write("h.py", "import os\nimport sys\nimport re\n\n# two\n" + HANDLER_HEAD + tail + more)  # 2 lines in, 1 out, above
    changes = from_patch(repo.diff("-U0"), repo.path, "zero.patch")  # hunks without context: empty sides on both ends
    report = run_check(libcst_ruleset, changes)
    assert [(f.rule_id, f.line) for f in report.findings] == [("CX0004", 24)]
    assert report.errors == [] and report.stats.preexisting == 1


def test_a_diff_that_does_not_reverse_apply_keeps_the_line_rule_and_says_so(git_repo, libcst_ruleset: Ruleset) -> None:
    repo = git_repo()
    repo.commit("base", {"h.py": HANDLER_BASE, "other.py": HANDLER_BASE})
    repo.write("h.py", HANDLER_HEAD)
    repo.write("other.py", HANDLER_HEAD)
    patch = repo.diff()
    repo.write("h.py", HANDLER_HEAD.replace("return None", "return False"))  # the tree is not what the diff produces
    report = run_check(libcst_ruleset, from_patch(patch, repo.path, "change.patch"))
    assert [(f.rule_id, f.path, f.line) for f in report.findings] == [("CX0004", "h.py", 4)]  # other.py: compared
    assert [(e.path, e.line, e.kind) for e in report.errors] == [("h.py", 2, "baseline")]
    assert "does not match this file" in report.errors[0].message and "reported as before" in report.errors[0].message


def test_a_base_version_that_cannot_be_parsed_keeps_the_line_rule_and_says_so(git_repo, libcst_ruleset: Ruleset) -> None:
    repo = git_repo()
    repo.commit("base", {"h.py": HANDLER_BASE.replace("return None", "return None +"), "ok.py": HANDLER_BASE})
    repo.branch("feature")
    repo.commit("fix", {"h.py": HANDLER_HEAD, "ok.py": HANDLER_HEAD})
    report = run_check(libcst_ruleset, from_git(repo.path, "main"))
    assert [(f.rule_id, f.path, f.line) for f in report.findings] == [("CX0004", "h.py", 4)]
    assert [(e.path, e.kind) for e in report.errors] == [("h.py", "baseline")]
    assert report.errors[0].message.startswith(f"its base version (main at {repo.git('rev-parse', 'main')[:7]}) could not be checked")


def test_a_rust_chain_edited_on_another_line_is_not_reported(git_repo, shipped_ruleset: Ruleset) -> None:
    chain = (
        'pub fn port() -> u16 {\n    std::env::var("PORT")\n        .ok()\n        .map(|p| p.trim().to_string())\n'
        "        .unwrap()\n        .parse()\n        .unwrap_or(80)\n}\n"
    )
    repo = git_repo()
    repo.commit("base", {"src/lib.rs": chain})
    repo.write("src/lib.rs", chain.replace("to_string()", "to_owned()") + '\npub fn name() -> String {\n    std::env::var("N").unwrap()\n}\n')
    rust = Ruleset.build(shipped_ruleset.rfcs, [r for r in shipped_ruleset.rules if r.id == "CX0001"])
    report = run_check(rust, from_git(repo.path, None))
    assert [(f.rule_id, f.line) for f in report.findings] == [("CX0001", 11)]


def test_codex_review_reports_only_what_the_merge_request_introduced(git_repo, tmp_path, monkeypatch, unthrottled, run_codex, libcst_ruleset: Ruleset) -> None:
    from codex_testing.fake_github import FakeGitHub
    from codex_testing.github_pr import TOKEN, PullRequest

    with FakeGitHub(TOKEN) as fake:
        pull = PullRequest(git_repo, tmp_path, libcst_ruleset, fake)
        pull.base = pull.repo.commit("old code", {"app/client.py": CLIENT_BASE, "app/h.py": HANDLER_BASE})
        pull.repo.git("branch", "-f", "main", pull.base)
        pull.push({"app/client.py": CLIENT_HEAD, "app/h.py": HANDLER_HEAD})
        pull.env(monkeypatch)
        result = run_codex(["review", "--root", pull.repo.path])
    assert result.code == 1, result.err
    assert [(c["path"], c["line"]) for c in fake.review_comments] == [("app/client.py", 5)]
    assert f"compared with the target branch at {pull.base[:7]} (merge-base) (1 finding(s) already there not reported)" in result.out
    (summary,) = [c["body"] for c in fake.issue_comments if SUMMARY_MARKER in c["body"]]
    assert f"Compared with the target branch at {pull.base[:7]} (merge-base): 1 finding(s) already there not reported." in summary


def test_shard_reports_add_up_preexisting(tmp_path, run_codex) -> None:
    for n, preexisting in ((1, 2), (2, 3)):
        stats = run_stats(base="main at 1a2b3c4", version="v", files_checked=1, preexisting=preexisting, seconds=1.0)
        (tmp_path / f"s{n}.json").write_text(Report(stats=stats).to_json())
    merged = run_codex(["merge", tmp_path / "s1.json", tmp_path / "s2.json", "--format", "json"]).json()["stats"]
    assert (merged["preexisting"], merged["base"]) == (5, "main at 1a2b3c4")


def test_base_versions_are_read_in_one_batch_and_what_is_not_a_file_is_a_problem(git_repo) -> None:
    from reviewer.baseline import _base_blobs
    from reviewer.changes import BaseRevision

    repo = git_repo()
    commit = repo.commit("base", {"a b.py": "x = 1\n", "pkg/m.py": "", "c.py": "y = 2\n"})
    blobs = _base_blobs(BaseRevision(repo.path / "pkg", commit, "HEAD"), ["c.py", "gone.py", "pkg", "a b.py", "pkg/m.py", "x\ny.py"])
    assert {p: b for p, b in blobs.items() if isinstance(b, bytes)} == {"c.py": b"y = 2\n", "a b.py": b"x = 1\n", "pkg/m.py": b""}
    assert [(p, b.message) for p, b in blobs.items() if not isinstance(b, bytes)] == [
        ("x\ny.py", f"its base version at {commit[:12]} cannot be asked for (a line break in the name)"),
        ("gone.py", f"its base version gone.py at {commit[:12]} cannot be read ({commit}:gone.py missing)"),
        ("pkg", f"its base version pkg at {commit[:12]} is a tree, not a file"),
    ]
