"""``codex check --shard I/N`` and ``codex merge`` (reviewer.shard, reviewer.shard_merge) on a real repository.

The repository's own rfcs/ holds only RFC-0003 (libcst rules), so no semgrep process is needed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codex_testing import PROJECT_ROOT
from codex_testing.sarif import validate_sarif
from reviewer.changes import ChangeSet, FileChange
from reviewer.shard import shard_of, take_shard

BAD = "import requests\n\ndef fetch(url):\n    try:\n        return requests.get(url)\n    except:\n        pass\n"
SHARDS = 3


@pytest.fixture(scope="module")
def repo(git_repo_factory):
    repo = git_repo_factory("sharded")
    (repo.path / "rfcs").mkdir()
    shutil.copy(PROJECT_ROOT / "rfcs" / "0003-resilient-python-calls.md", repo.path / "rfcs")
    repo.write("pyproject.toml", "[tool.codex]\nshipped = false  # its rfcs/ are a copy of a shipped RFC\n")
    files = {f"pkg/mod{n}.py": BAD.replace("fetch", f"fetch{n}") for n in range(6)}  # half: under the health guard
    files |= {f"pkg/clean{n}.py": f"def add{n}(a, b):\n    return a + b\n" for n in range(6)}
    repo.commit("tree", files)
    return repo


@pytest.fixture(scope="module")
def reports(repo, run_codex, tmp_path_factory):
    """The unsharded audit, and each shard's JSON report and SARIF log in files."""
    out = tmp_path_factory.mktemp("reports")
    whole = run_codex(["check", "--all", "--no-llm", "--no-cache", "--format", "json"], cwd=repo.path)
    assert whole.code == 1, whole.err
    for n in range(1, SHARDS + 1):
        for fmt in ("json", "sarif"):
            result = run_codex(
                ["check", "--all", "--no-llm", "--no-cache", "--shard", f"{n}/{SHARDS}", "--format", fmt, "-o", out / f"shard{n}.{fmt}"], cwd=repo.path
            )
            assert result.code in (0, 1), result.err
    return whole.json(), out


def test_shards_partition_the_files_deterministically() -> None:
    changes = ChangeSet(Path("."), [FileChange(f"src/file{n}.py", None) for n in range(200)])
    parts = [take_shard(changes, i, 4).files for i in range(1, 5)]
    assert sorted(f.path for part in parts for f in part) == sorted(f.path for f in changes.files)
    assert all(parts)  # 200 paths over 4 shards: none empty
    reversed_changes = ChangeSet(Path("."), list(reversed(changes.files)))
    assert [sorted(f.path for f in take_shard(reversed_changes, i, 4).files) for i in range(1, 5)] == [sorted(f.path for f in part) for part in parts]
    assert shard_of("src/file0.py", 4) == shard_of("src/file0.py", 4) and 1 <= shard_of("x", 1) == 1


def test_a_shard_checks_only_its_files(reports) -> None:
    whole, out = reports
    shard_reports = [json.loads((out / f"shard{n}.json").read_text()) for n in range(1, SHARDS + 1)]
    paths = [{f["path"] for f in r["findings"]} for r in shard_reports]
    assert all(a.isdisjoint(b) for i, a in enumerate(paths) for b in paths[i + 1 :])
    assert set().union(*paths) == {f["path"] for f in whole["findings"]}
    assert [r["stats"]["shard"] for r in shard_reports] == [f"{n}/{SHARDS}" for n in range(1, SHARDS + 1)]
    assert all(shard_of(f["path"], SHARDS) == n for n, r in enumerate(shard_reports, 1) for f in r["findings"])


def test_merged_json_equals_the_unsharded_report(reports, run_codex) -> None:
    whole, out = reports
    merged = run_codex(["merge", *(out / f"shard{n}.json" for n in range(1, SHARDS + 1))])
    assert merged.code == 1, merged.err  # blocking findings in some shard fail the merged report
    report = merged.json()
    assert report["findings"] == whole["findings"]
    assert report["stats"]["files_checked"] == whole["stats"]["files_checked"]
    assert report["stats"]["blocking"] == whole["stats"]["blocking"] > 0
    assert report["stats"]["shards"] == [f"{n}/{SHARDS}" for n in range(1, SHARDS + 1)]


def test_merge_writes_other_formats(reports, run_codex, tmp_path: Path) -> None:
    _, out = reports
    result = run_codex(["merge", "--format", "text", "-o", tmp_path / "merged.txt", *(out / f"shard{n}.json" for n in range(1, SHARDS + 1))])
    assert result.code == 1, result.err
    assert "CX0003" in (tmp_path / "merged.txt").read_text()


def test_merged_sarif_is_one_valid_run_with_every_result(reports, run_codex) -> None:
    whole, out = reports
    merged = run_codex(["merge", *(out / f"shard{n}.sarif" for n in range(1, SHARDS + 1))])
    assert merged.code == 1, merged.err
    log = merged.json()
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    assert sorted(r["partialFingerprints"]["codexFingerprint/v1"] for r in run["results"]) == sorted(f["fingerprint"] for f in whole["findings"])
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    assert len({r["id"] for r in rules}) == len(rules)
    validate_sarif(log)


def test_merge_refuses_bad_input_naming_the_file(reports, run_codex, tmp_path: Path) -> None:
    _, out = reports
    broken = tmp_path / "broken.json"
    broken.write_text('{"findings": [', encoding="utf-8")
    result = run_codex(["merge", out / "shard1.json", broken, tmp_path / "missing.json"])
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{broken}:1: not JSON" in result.err and "missing.json: cannot read" in result.err

    mixed = run_codex(["merge", out / "shard1.json", out / "shard2.sarif"])
    assert mixed.code == 2 and "mixed JSON reports and SARIF logs" in mixed.err

    other = json.loads((out / "shard2.json").read_text())
    other["stats"]["ruleset"]["version"] = "0000000000000000"
    (tmp_path / "other.json").write_text(json.dumps(other), encoding="utf-8")
    clash = run_codex(["merge", out / "shard1.json", tmp_path / "other.json"])
    assert clash.code == 2 and "different rulesets" in clash.err

    (tmp_path / "notreport.json").write_text('{"findings": [{"rule_id": 3}]}', encoding="utf-8")
    invalid = run_codex(["merge", tmp_path / "notreport.json"])
    assert invalid.code == 2 and "notreport.json: not a codex report: findings.0" in invalid.err


def test_shard_argument_is_checked(run_codex, repo) -> None:
    for bad in ("0/3", "4/3", "x/3", "3"):
        result = run_codex(["check", "--all", "--shard", bad], cwd=repo.path)
        assert result.code == 2 and "is not a shard" in result.err


CRASHING_SEMGREP = "#!/bin/sh\necho 'Traceback (most recent call last): ImportError: no module named semgrep' >&2\nexit 1\n"
TWO_CALLS = "import subprocess\n\nimport requests\n\n\ndef run(cmd, url):\n    subprocess.run(cmd, shell=True)\n    return requests.get(url)\n"


@pytest.fixture(scope="module")
def one_shard_failed(git_repo_factory, run_codex, tmp_path_factory):
    """Two shards of a tree the shipped codex checks; shard 1 (a2.py) ran with a semgrep that crashes, shard 2 (a1.py) with
    the real one. Each wrote a JSON report and a SARIF log."""
    from reviewer.engines import semgrep as semgrep_engine

    repo = git_repo_factory("one-shard-failed")
    repo.commit("tree", {"a1.py": TWO_CALLS, "a2.py": TWO_CALLS})
    out = tmp_path_factory.mktemp("failed-shard")
    fake = out / "semgrep"
    fake.write_text(CRASHING_SEMGREP, encoding="utf-8")
    fake.chmod(0o755)
    codes = {}
    for n in (1, 2):
        with pytest.MonkeyPatch.context() as patch:
            if n == 1:
                patch.setattr(semgrep_engine, "find_semgrep", lambda: str(fake))
            for fmt in ("json", "sarif"):
                result = run_codex(
                    ["check", "--all", "--no-llm", "--no-cache", "--no-history", "--shard", f"{n}/2", "--format", fmt, "-o", out / f"shard{n}.{fmt}"],
                    cwd=repo.path,
                )
                codes[n, fmt] = result.code
    assert codes == {(1, "json"): 2, (1, "sarif"): 2, (2, "json"): 1, (2, "sarif"): 1}
    return out


def test_a_failed_shard_fails_the_merged_json_report(one_shard_failed, run_codex) -> None:
    merged = run_codex(["merge", one_shard_failed / "shard2.json", one_shard_failed / "shard1.json"])
    assert merged.code == 2
    report = merged.json()
    assert [(f["rule_id"], f["path"]) for f in report["findings"]] == [("CX0005", "a1.py"), ("CX0003", "a1.py"), ("CX0003", "a2.py")]
    assert [e["kind"] for e in report["errors"]] == ["fallback", "engine"]


def test_a_failed_shard_s_failure_is_in_the_merged_sarif_log_and_fails_the_merge(one_shard_failed, run_codex) -> None:
    shard1 = json.loads((one_shard_failed / "shard1.sarif").read_text())["runs"][0]["invocations"]
    assert [(i["executionSuccessful"], [n["level"] for n in i["toolExecutionNotifications"]]) for i in shard1] == [(False, ["warning", "error"])]
    merged = run_codex(["merge", one_shard_failed / "shard2.sarif", one_shard_failed / "shard1.sarif"])
    assert merged.code == 2
    log = merged.json()
    validate_sarif(log)
    [run] = log["runs"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in run["results"]] == [
        ("CX0005", "a1.py"),
        ("CX0003", "a1.py"),
        ("CX0003", "a2.py"),
    ]
    assert [(i["executionSuccessful"], i["properties"]["shard"], [n["level"] for n in i["toolExecutionNotifications"]]) for i in run["invocations"]] == [
        (True, "2/2", []),
        (False, "1/2", ["warning", "error"]),
    ]
    failure = run["invocations"][1]["toolExecutionNotifications"][1]["message"]["text"]
    assert failure.startswith("codex: semgrep failed (exit code 1") and merged.err.splitlines()[0] == f"{one_shard_failed / 'shard1.sarif'}: {failure}"
    assert merged.err.splitlines()[-1] == (
        f"codex merge: 1 of 2 shard(s) did not complete ({one_shard_failed / 'shard1.sarif'}); the merged log says so (executionSuccessful false)"
    )


def test_github_s_result_limits_apply_to_the_merged_sarif_run_as_to_one_check(reports, run_codex, monkeypatch, tmp_path) -> None:
    from reviewer.formatters import sarif

    _, out = reports
    shards = []
    for n in range(1, SHARDS + 1):  # CX0004 at warn: each shard's findings are half errors, half warnings
        log = json.loads((out / f"shard{n}.sarif").read_text())
        for result in log["runs"][0]["results"]:
            if result["ruleId"] == "CX0004":
                result.update(level="warning", properties={**result["properties"], "stage": "warn", "blocking": False})
        shards.append(tmp_path / f"shard{n}.sarif")
        shards[-1].write_text(json.dumps(log))
    monkeypatch.setattr(sarif, "RESULTS_SHOWN", 2)
    monkeypatch.setattr(sarif, "RESULTS_ACCEPTED", 8)
    merged = run_codex(["merge", *shards])
    assert merged.code == 1, merged.err
    log = merged.json()
    validate_sarif(log)
    [run] = log["runs"]
    kept = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in run["results"]]
    assert kept == [
        ("CX0003", "error", "pkg/mod4.py"),
        ("CX0004", "warning", "pkg/mod4.py"),
        ("CX0003", "error", "pkg/mod5.py"),
        ("CX0004", "warning", "pkg/mod5.py"),
        ("CX0003", "error", "pkg/mod1.py"),
        ("CX0003", "error", "pkg/mod3.py"),
        ("CX0003", "error", "pkg/mod0.py"),
        ("CX0003", "error", "pkg/mod2.py"),
    ]  # every error, then the first warnings
    warning = (
        "12 results: GitHub code scanning refuses a run of more than 8, so the 4 least severe are left out of this file "
        "(every blocking one is kept while they fit) and it shows the 2 most severe; `codex check --format text` lists them all"
    )
    assert run["invocations"][-1] == {
        "executionSuccessful": True,
        "properties": {"merge": True},
        "toolExecutionNotifications": [{"level": "warning", "message": {"text": warning}}],
    }
    assert merged.err == f"codex: {warning}\n"
    assert (run["properties"]["stats"]["files_checked"], len(run["invocations"])) == (12, SHARDS + 1)
