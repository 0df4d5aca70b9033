"""codex.rules_dir: the generated rules/ directory, written byte for byte the same and checked against the ruleset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from codex.rules_dir import stale_files, write_rules
from codex.semgrep_config import SemgrepMatcher
from codex_testing import PROJECT_ROOT


def test_written_rules_are_deterministic_and_semgrep_format(tmp_path: Path, shipped_ruleset) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    write_rules(shipped_ruleset, first)
    write_rules(shipped_ruleset, second)
    for name in ("ruleset.json", "semgrep.yml"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    semgrep = yaml.safe_load((first / "semgrep.yml").read_text())
    semgrep_ids = {r.id for r in shipped_ruleset.rules if isinstance(r.matcher, SemgrepMatcher)}
    assert {r["id"] for r in semgrep["rules"]} == semgrep_ids
    for entry in semgrep["rules"]:
        assert entry["metadata"]["codex_rule_id"] == entry["id"]
        assert entry["metadata"]["rfc_link"].startswith("rfcs/")
        assert {"languages", "message", "severity"} <= set(entry)
    assert stale_files(shipped_ruleset, first) == []


def test_byte_identical_across_processes(tmp_path: Path) -> None:
    """Set ordering and hash seeds must not leak into rules/: compile in two processes with different seeds."""
    script = (
        "import sys; from pathlib import Path; from codex.compiler import compile_rfcs; from codex.rules_dir import write_rules; "
        "r = compile_rfcs(Path(sys.argv[1]) / 'rfcs', Path(sys.argv[1])); write_rules(r.ruleset, Path(sys.argv[2]))"
    )
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        subprocess.run([sys.executable, "-c", script, str(PROJECT_ROOT), str(out)], check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1] and set(outputs[0]) == {"ruleset.json", "semgrep.yml"}


def test_stale_files_names_each_file_that_differs_or_is_missing(tmp_path: Path, shipped_ruleset) -> None:
    assert write_rules(shipped_ruleset, tmp_path) == [tmp_path / "ruleset.json", tmp_path / "semgrep.yml"]
    semgrep = tmp_path / "semgrep.yml"
    semgrep.write_text(semgrep.read_text() + "# edited by hand\n")
    assert stale_files(shipped_ruleset, tmp_path) == ["semgrep.yml"]  # the fresh ruleset.json before it is not named
    (tmp_path / "ruleset.json").unlink()
    assert stale_files(shipped_ruleset, tmp_path) == ["ruleset.json", "semgrep.yml"]
    assert stale_files(shipped_ruleset, tmp_path / "absent") == ["ruleset.json", "semgrep.yml"]
