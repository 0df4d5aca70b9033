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
            result = run_codex(["check", "--all", "--no-llm", "--no-cache", "--shard", f"{n}/{SHARDS}", "--format", fmt,
                                "-o", out / f"shard{n}.{fmt}"], cwd=repo.path)
            assert result.code in (0, 1), result.err
    return whole.json(), out


def test_shards_partition_the_files_deterministically() -> None:
    changes = ChangeSet(Path("."), [FileChange(f"src/file{n}.py", None) for n in range(200)])
    parts = [take_shard(changes, i, 4).files for i in range(1, 5)]
    assert sorted(f.path for part in parts for f in part) == sorted(f.path for f in changes.files)
    assert all(parts)  # 200 paths over 4 shards: none empty
    reversed_changes = ChangeSet(Path("."), list(reversed(changes.files)))
    assert [sorted(f.path for f in take_shard(reversed_changes, i, 4).files) for i in range(1, 5)] == \
        [sorted(f.path for f in part) for part in parts]
    assert shard_of("src/file0.py", 4) == shard_of("src/file0.py", 4) and 1 <= shard_of("x", 1) == 1


def test_a_shard_checks_only_its_files(reports) -> None:
    whole, out = reports
    shard_reports = [json.loads((out / f"shard{n}.json").read_text()) for n in range(1, SHARDS + 1)]
    paths = [{f["path"] for f in r["findings"]} for r in shard_reports]
    assert all(a.isdisjoint(b) for i, a in enumerate(paths) for b in paths[i + 1:])
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
    assert sorted(r["partialFingerprints"]["codexFingerprint/v1"] for r in run["results"]) == \
        sorted(f["fingerprint"] for f in whole["findings"])
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
