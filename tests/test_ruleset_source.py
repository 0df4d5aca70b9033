"""Which ruleset judges a tree, and the shipped codex's links."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from codex.config import CodexConfig
from codex.ruleset_source import load_active


def test_a_tree_without_rules_gets_the_shipped_codex_linking_to_real_rfc_files(tmp_path: Path) -> None:
    loaded = load_active(tmp_path, CodexConfig())
    assert loaded.origin == "shipped codex"
    assert {r.id for r in loaded.ruleset.rules} >= {"CX0001", "CX0003", "CX0007"}
    for rule in loaded.ruleset.rules:
        link = urlparse(rule.rfc.url)
        assert link.scheme == "file" and link.fragment == rule.rfc.anchor
        rfc_file = Path(unquote(link.path))
        assert rfc_file.is_file() and f"## {rule.id}" in rfc_file.read_text(encoding="utf-8")


def test_a_rule_is_found_by_id_in_a_copy_with_other_rules(shipped_ruleset) -> None:
    assert shipped_ruleset.rule("CX0005").id == "CX0005" and shipped_ruleset.rule("CX9999") is None
    fewer = shipped_ruleset.model_copy(update={"rules": tuple(r for r in shipped_ruleset.rules if r.id != "CX0005")})
    assert fewer.rule("CX0005") is None and fewer.rule("CX0006") is not None  # the copy does not answer from the old index
    assert shipped_ruleset.rule("CX0005") is not None
