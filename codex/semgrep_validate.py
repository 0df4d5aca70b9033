"""Ask semgrep itself whether it accepts every compiled pattern (offline: a scan of empty files)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from codex.languages import default_filename
from codex.matchers import distribution_version
from codex.model import Rule
from codex.problems import Problem
from codex.semgrep_config import SemgrepMatcher, semgrep_config

_FLAGS = ("--json", "--metrics=off", "--disable-version-check", "--quiet", "--no-git-ignore", "--x-ignore-semgrepignore-files")


def find_semgrep() -> str | None:
    """The semgrep executable installed with the running interpreter (a venv or pipx environment called by its
    absolute path has no PATH entry), else the one on PATH."""
    name = "semgrep.exe" if os.name == "nt" else "semgrep"
    for directory in dict.fromkeys((Path(sys.executable).parent, Path(sysconfig.get_path("scripts")))):
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("semgrep")


def semgrep_version() -> str:
    """The installed semgrep's version: what judged a ruleset valid, and part of the result cache's key."""
    return distribution_version("semgrep")


def validate_semgrep(compiled: list[Rule], locations: dict[str, tuple[str, int]]) -> list[Problem]:
    """Problems for the rules semgrep rejects, each at its RFC heading; one semgrep run per bad rule found."""
    rules = [r for r in compiled if isinstance(r.matcher, SemgrepMatcher)]
    executable = find_semgrep()
    if not rules:
        return []
    if executable is None:
        return [Problem(message="semgrep is not installed, so semgrep patterns were not validated", hint="pip install semgrep", kind="engine")]
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="codex-validate-") as tmp:
        targets = [Path(tmp) / default_filename(lang) for lang in sorted({language for r in rules for language in r.languages})]
        for target in targets:
            target.touch()
        config = Path(tmp) / "rules.yml"
        while rules:
            config.write_text(semgrep_config(rules), encoding="utf-8")
            proc = subprocess.run(
                [executable, "scan", *_FLAGS, "--config", str(config), *map(str, targets)], capture_output=True, text=True, cwd=tmp, stdin=subprocess.DEVNULL
            )
            try:
                errors = json.loads(proc.stdout or "{}").get("errors", [])
            except json.JSONDecodeError:
                errors = []
            bad = {e.get("rule_id"): e for e in errors if e.get("level") == "error" and e.get("rule_id")}
            if not bad:
                if proc.returncode not in (0, 1):
                    tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
                    problems.append(Problem(path="rules/semgrep.yml", message=f"semgrep rejected the ruleset: {tail}", kind="engine"))
                break
            for rule_id, error in sorted(bad.items()):
                path, line = locations.get(rule_id, (None, None))
                message = " ".join(str(error.get("message", "")).split())
                problems.append(
                    Problem(
                        path=path,
                        line=line,
                        message=f"semgrep rejects rule {rule_id}: {message}",
                        hint="fix the ```yaml semgrep``` block (see semgrep's rule syntax)",
                    )
                )
            rules = [r for r in rules if r.id not in bad]
    return problems
