"""``codex check`` on real git repositories: diff scoping, every mode, files that cannot be checked.

One repository is built per module and each mode runs once over it (a semgrep process costs ~2 s);
the tests assert on those shared reports.
"""

from __future__ import annotations

import pytest

APP_BASE = """\
import subprocess

import requests
import yaml


def deploy(url, payload, name):
    subprocess.run("deploy " + name, shell=True)
    old = requests.get(url)
    resp = requests.post(
        url,
        json=None,
    )
    return old, resp
"""

APP_CHANGED = """\
import subprocess

import requests
import yaml


def deploy(url, payload, name):
    subprocess.run("deploy " + name, shell=True)
    old = requests.get(url)
    resp = requests.post(
        url,
        json=payload,
    )
    config = yaml.load(payload)
    return old, resp, config
"""

RUST_BASE = 'fn main() {\n    let a = std::env::var("A").unwrap();\n    println!("{a}");\n}\n'
RUST_CHANGED = (
    'fn main() {\n    let a = std::env::var("A").unwrap();\n    println!("{a}");\n    let b = std::env::var("B").expect("B set");\n    println!("{b}");\n}\n'
)

NEW_FILE = """\
def check(value):
    assert value > 0
    try:
        return 1 / value
    except:
        return None
"""

PY2 = b'import requests\nprint "hello"\ntry:\n    requests.get(u)\nexcept Exception, e:\n    pass\n'
LATIN1 = b"# caf\xe9 au lait\nimport requests\nrequests.get(u)\n"
BINARY = b"\x00\x01\x02 not text\nrequests\n"


@pytest.fixture(scope="module")
def scenario(git_repo_factory, run_codex, tmp_path_factory):
    """Build the repository, then run every mode once; returns {mode: CodexResult} and the repo."""
    repo = git_repo_factory("check")
    repo.commit("base", {"svc/app.py": APP_BASE, "src/main.rs": RUST_BASE, "README.md": "hi\n"})
    repo.branch("feature")
    repo.commit(
        "feature",
        {
            "svc/app.py": APP_CHANGED,
            "src/main.rs": RUST_CHANGED,
            "svc/new.py": NEW_FILE,
            "tests/test_new.py": "def test_it():\n    assert True\n",
            "legacy/py2.py": PY2,
            "legacy/latin1.py": LATIN1,
            "bin/blob.py": BINARY,
        },
    )
    repo.write("scratch.py", "import yaml\nyaml.load(open('x'))\n")  # untracked: every line is new
    runs = {"default": run_codex(["check", "--format", "json", "--no-llm"], cwd=repo.path)}
    runs["all"] = run_codex(["check", "--all", "--format", "json", "--no-llm"], cwd=repo.path)
    patch = tmp_path_factory.mktemp("patch") / "change.patch"
    patch.write_bytes(repo.git_bytes("diff", "--no-color", "main...feature"))
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # not a repository: --root says where the tree is
    runs["diff"] = run_codex(["check", "--diff", patch, "--root", repo.path, "--format", "json", "--no-llm"], cwd=elsewhere)
    repo.commit("feature done")
    repo.write("svc/app.py", APP_CHANGED + "subprocess.call('x', shell=True)\n")
    repo.write("svc/new.py", NEW_FILE + "assert 1\n")
    repo.stage("svc/app.py", "svc/new.py")
    unstaged = "# not staged\n# not staged either\n" + APP_CHANGED + "subprocess.call('x', shell=True)\nsubprocess.call('unstaged', shell=True)\n"
    repo.write("svc/app.py", unstaged)  # the staged version is what is checked, at its own line numbers
    runs["staged"] = run_codex(["check", "--staged", "--format", "json", "--no-llm"], cwd=repo.path)
    runs["staged_paths"] = run_codex(["check", "--staged", "--format", "json", "--no-llm", "svc/app.py"], cwd=repo.path)
    runs["staged_and_not"] = run_codex(["check", "--staged", "--format", "json", "--no-llm", "src/main.rs", "svc/app.py", "README.md"], cwd=repo.path)
    return runs


def findings(result) -> set[tuple[str, str, int]]:
    return {(f["rule_id"], f["path"], f["line"]) for f in result.json()["findings"]}


def errors_by_path(result) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for error in result.json()["errors"]:
        grouped.setdefault(error["path"], []).append(error)
    return grouped


def test_default_mode_keeps_findings_on_changed_lines(scenario) -> None:
    result = scenario["default"]
    assert result.code == 1, result.err
    assert findings(result) >= {
        ("CX0006", "svc/app.py", 14),  # yaml.load on an added line
        ("CX0001", "src/main.rs", 4),  # .expect on an added line
        ("CX0007", "svc/new.py", 2),  # new file: every line is new
        ("CX0004", "svc/new.py", 5),
        ("CX0006", "scratch.py", 2),  # untracked file
    }


def test_unchanged_lines_are_dropped(scenario) -> None:
    found = findings(scenario["default"])
    assert ("CX0005", "svc/app.py", 8) not in found
    assert ("CX0003", "svc/app.py", 9) not in found
    assert ("CX0001", "src/main.rs", 2) not in found
    assert not any(path == "tests/test_new.py" for _, path, _ in found)  # CX0007 excludes tests
    assert scenario["default"].json()["stats"]["outside_diff"] >= 3


def test_old_multi_line_finding_edited_inside_is_not_reported(scenario) -> None:
    assert [f for f in scenario["default"].json()["findings"] if f["rule_id"] == "CX0003"] == []  # only line 12 changed
    assert scenario["default"].json()["stats"]["preexisting"] == 1
    assert scenario["diff"].json()["stats"]["preexisting"] == 1
    assert ("CX0003", "svc/app.py", 10) in findings(scenario["all"])  # the rule does find it


def test_unreadable_files_are_errors_and_the_rest_is_checked(scenario) -> None:
    result = scenario["default"]
    errors = errors_by_path(result)
    assert any(e["kind"] == "parse" and "Python 3" in e["message"] and e["line"] == 2 for e in errors["legacy/py2.py"])
    assert any(e["kind"] == "parse" for e in errors["legacy/latin1.py"])
    assert any("binary" in e["message"] for e in errors["bin/blob.py"])
    assert "Traceback" not in result.err
    assert ("CX0006", "svc/app.py", 14) in findings(result)


def test_all_mode_has_no_diff_filter(scenario) -> None:
    result = scenario["all"]
    assert result.code == 1
    assert findings(result) >= findings(scenario["default"]) | {
        ("CX0005", "svc/app.py", 8),
        ("CX0003", "svc/app.py", 9),
        ("CX0001", "src/main.rs", 2),
    }
    stats = result.json()["stats"]
    assert stats["mode"] == "all" and stats["outside_diff"] == 0


def test_diff_file_with_root(scenario) -> None:
    result = scenario["diff"]
    assert result.code == 1, result.err
    expected = {f for f in findings(scenario["default"]) if f[1] != "scratch.py"}  # a patch has no untracked files
    assert findings(result) == expected
    assert "legacy/py2.py" in errors_by_path(result)


def test_staged_checks_the_index_against_head(scenario) -> None:
    found = findings(scenario["staged"])
    assert found == {("CX0005", "svc/app.py", 16), ("CX0007", "svc/new.py", 7)}


def test_explicit_paths_as_pre_commit_passes_them(scenario) -> None:
    result = scenario["staged_paths"]
    assert result.code == 1, result.err
    assert findings(result) == {("CX0005", "svc/app.py", 16)}


def test_a_path_pre_commit_passes_that_is_not_staged_is_checked_whole(scenario) -> None:
    """``pre-commit run --all-files`` (and ``--files``, pre-push) pass committed files with nothing staged."""
    result = scenario["staged_and_not"]
    assert result.code == 1, result.err
    assert findings(result) == {("CX0001", "src/main.rs", 2), ("CX0001", "src/main.rs", 4), ("CX0005", "svc/app.py", 16)}
    assert result.json()["stats"]["files_checked"] == 2  # README.md: no rule for its language


def test_clean_change_exits_zero(git_repo, run_codex) -> None:
    repo = git_repo()
    repo.commit("base", {"a.py": "import requests\nrequests.get(u)\n"})
    repo.write("a.py", "import requests\nrequests.get(u)\nprint('fine')\n")
    result = run_codex(["check", "--format", "json", "--no-llm"], cwd=repo.path)
    assert result.code == 0, result.err
    assert result.json()["findings"] == [] and result.json()["stats"]["outside_diff"] == 1
