"""codex.model: the rule model every stage reads — rule ids, statements, versions, lookups, JSON round trips."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from codex.matchers.libcst import LibcstMatcher
from codex.matchers.treesitter import TreeSitterMatcher
from codex.model import LlmMatcher, RfcMeta, RfcRef, RfcStatus, Rule, Ruleset, Severity, Stage, is_rule_id, statement
from codex.semgrep_config import SemgrepMatcher


def _rule(rule_id: str, **changes: object) -> Rule:
    fields: dict[str, object] = dict(
        id=rule_id,
        title="No eval",
        need="to evaluate user input",
        use="`ast.literal_eval`",
        severity=Severity.error,
        stage=Stage.block,
        languages=("python",),
        matcher=SemgrepMatcher(body={"pattern": "eval(...)"}),
        rfc=RfcRef(id="RFC-0001", title="Safe input", path="rfcs/0001.md", anchor="cx0001-no-eval"),
    )
    return Rule.model_validate({**fields, **changes})


def _meta(rfc_id: str) -> RfcMeta:
    return RfcMeta(id=rfc_id, title="t", status=RfcStatus.accepted, path=f"rfcs/{rfc_id}.md", authors=("a",), created=dt.date(2026, 1, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CX0001", True),
        ("CX001", True),
        ("C0001", True),
        ("AB1C234", True),
        ("CX01", False),
        ("cx0001", False),
        ("CX0001 ", False),
        ("1CX0001", False),
        ("CX-0001", False),
        ("", False),
    ],
)
def test_a_rule_id_is_capital_letters_then_at_least_three_digits(text: str, expected: bool) -> None:
    assert is_rule_id(text) is expected


def test_the_statement_is_the_rfcs_own_sentence() -> None:
    assert statement("to evaluate user input", "`ast.literal_eval`") == "If you need to evaluate user input, use `ast.literal_eval`."
    assert _rule("CX0001").message == "If you need to evaluate user input, use `ast.literal_eval`."


def test_a_reference_links_to_its_url_or_else_its_path_and_anchor() -> None:
    ref = RfcRef(id="RFC-0001", title="t", path="rfcs/0001.md", anchor="cx0001-no-eval")
    assert ref.link == "rfcs/0001.md#cx0001-no-eval"
    assert ref.model_copy(update={"url": "https://example.invalid/r#a"}).link == "https://example.invalid/r#a"


def test_build_sorts_by_id_and_the_version_follows_content_not_order() -> None:
    one, two = _rule("CX0001"), _rule("CX0002", title="Other")
    built = Ruleset.build([_meta("RFC-0002"), _meta("RFC-0001")], [two, one])
    assert [r.id for r in built.rules] == ["CX0001", "CX0002"]
    assert [m.id for m in built.rfcs] == ["RFC-0001", "RFC-0002"]
    assert Ruleset.build([_meta("RFC-0001"), _meta("RFC-0002")], [one, two]).version == built.version
    assert len(built.version) == 16 and int(built.version, 16) >= 0
    retitled = Ruleset.build([_meta("RFC-0001"), _meta("RFC-0002")], [one, two.model_copy(update={"title": "Renamed"})])
    assert retitled.version != built.version


def test_rule_looks_up_the_rules_it_holds_even_after_a_copy_with_other_rules() -> None:
    one, two = _rule("CX0001"), _rule("CX0002")
    ruleset = Ruleset.build([], [one, two])
    assert ruleset.rule("CX0002") == two
    assert ruleset.rule("CX0003") is None
    narrowed = ruleset.model_copy(update={"rules": (one,)})
    assert narrowed.rule("CX0001") == one
    assert narrowed.rule("CX0002") is None  # not the index of the ruleset it was copied from


def test_the_content_hash_follows_what_decides_findings_only() -> None:
    rule = _rule("CX0001")
    assert rule.content_hash() == _rule("CX0001", title="Renamed", description="more words", stage=Stage.warn).content_hash()
    assert rule.content_hash() != _rule("CX0001", matcher=SemgrepMatcher(body={"pattern": "exec(...)"})).content_hash()
    assert rule.content_hash() != _rule("CX0001", languages=("python", "rust")).content_hash()
    assert rule.content_hash() != _rule("CX0001", tests="exempt").content_hash()


def test_every_matcher_kind_comes_back_from_json_as_its_own_model(tmp_path: Path) -> None:
    matchers = [
        SemgrepMatcher(body={"pattern": "eval(...)"}),
        LibcstMatcher(rule_class="codex.lints.swallowed_errors:SwallowedErrors"),
        TreeSitterMatcher(rule_class="codex.lints.rust_panics:UnwrapOrExpect"),
        LlmMatcher(question="Is it safe?", do_not_flag=("tests",)),
    ]
    ruleset = Ruleset.build([_meta("RFC-0001")], [_rule(f"CX000{n}", matcher=m) for n, m in enumerate(matchers, 1)])
    (tmp_path / "ruleset.json").write_text(ruleset.to_json(), encoding="utf-8")
    loaded = Ruleset.load(tmp_path / "ruleset.json")
    assert loaded == ruleset
    assert [type(r.matcher) for r in loaded.rules] == [SemgrepMatcher, LibcstMatcher, TreeSitterMatcher, LlmMatcher]
    assert ruleset.to_json().endswith("}\n") and json.loads(ruleset.to_json())["version"] == ruleset.version


def test_an_unknown_matcher_kind_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        _rule("CX0001", matcher={"kind": "regex", "pattern": "eval"})
    assert [e["msg"] for e in caught.value.errors()] == ["Value error, unknown matcher kind 'regex' (known: llm, semgrep, libcst, tree-sitter)"]


def test_models_are_frozen_and_refuse_unknown_fields() -> None:
    rule = _rule("CX0001")
    with pytest.raises(ValidationError):
        rule.title = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError) as caught:
        _rule("CX0001", owner="someone")
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("owner",), "extra_forbidden")]
