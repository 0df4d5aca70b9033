"""The generated ``rules/`` directory: written from a ruleset, and checked against it."""

from __future__ import annotations

from pathlib import Path

from codex.model import Ruleset


def write_rules(ruleset: Ruleset, rules_dir: Path) -> list[Path]:
    """Write ``ruleset.json`` and ``semgrep.yml``; returns the files written."""
    from codex.semgrep_config import semgrep_config

    rules_dir.mkdir(parents=True, exist_ok=True)
    outputs = {rules_dir / "ruleset.json": ruleset.to_json(), rules_dir / "semgrep.yml": semgrep_config(ruleset.rules)}
    for target, text in outputs.items():
        target.write_text(text, encoding="utf-8")
    return list(outputs)


def stale_files(ruleset: Ruleset, rules_dir: Path) -> list[str]:
    """Which files of ``rules/`` differ from what compiling would write."""
    from codex.semgrep_config import semgrep_config

    expected = {"ruleset.json": ruleset.to_json(), "semgrep.yml": semgrep_config(ruleset.rules)}
    stale = []
    for name, text in expected.items():
        target = rules_dir / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
