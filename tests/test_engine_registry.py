"""The engine registry (reviewer/engines) and the matcher kinds they run (codex/matchers): every engine listed,
its matcher model read back from a ruleset, its compile-time validation, and the tree-sitter engine keeping what works when a matcher or a file does not."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from pydantic import ValidationError

from codex import matchers
from codex.compiler import compile_rfcs
from codex.matchers.libcst import LibcstMatcher
from codex.matchers.treesitter import TreeSitterMatcher
from codex.model import LlmMatcher, Rule, Ruleset
from codex.rule_class import LintPackages
from codex.semgrep_config import SemgrepMatcher
from reviewer.engines import REGISTRY, all_engines, engine
from reviewer.matching import run_matchers
from reviewer.targets import Target


def test_the_registry_lists_each_engine_under_its_kind() -> None:
    assert [e.kind for e in all_engines()] == list(REGISTRY) == ["semgrep", "libcst", "tree-sitter"]
    assert [e.matcher for e in all_engines()] == [SemgrepMatcher, LibcstMatcher, TreeSitterMatcher]
    assert [e.background for e in all_engines()] == [True, False, False]


def test_each_engine_runs_the_matcher_kind_of_its_name() -> None:
    assert list(matchers.REGISTRY) == ["semgrep", "libcst", "tree-sitter"]
    assert [matchers.matcher_kind(kind).matcher for kind in matchers.REGISTRY] == [SemgrepMatcher, LibcstMatcher, TreeSitterMatcher]
    assert [matchers.matcher_kind(kind).kind for kind in matchers.REGISTRY] == ["semgrep", "libcst", "tree-sitter"]
    assert {e.kind: e.matcher for e in all_engines()} == {"semgrep": SemgrepMatcher, "libcst": LibcstMatcher, "tree-sitter": TreeSitterMatcher}


def test_versions_name_the_installed_distributions() -> None:
    assert engine("tree-sitter").version() == (f"tree-sitter {metadata.version('tree-sitter')}, tree-sitter-rust {metadata.version('tree-sitter-rust')}")
    assert engine("semgrep").version() == f"semgrep {metadata.version('semgrep')}"
    assert engine("libcst").version() == f"libcst {metadata.version('libcst')}"


def test_a_ruleset_reads_each_matcher_back_as_its_engines_model(shipped_ruleset: Ruleset) -> None:
    loaded = Ruleset.model_validate_json(shipped_ruleset.to_json())
    assert {r.id: type(r.matcher) for r in loaded.rules} == {
        "CX0001": TreeSitterMatcher,
        "CX0002": LlmMatcher,
        "CX0003": LibcstMatcher,
        "CX0004": LibcstMatcher,
        "CX0005": SemgrepMatcher,
        "CX0006": LibcstMatcher,
        "CX0007": SemgrepMatcher,
    }
    assert loaded.rules == shipped_ruleset.rules


def test_a_ruleset_with_an_unknown_matcher_kind_is_refused(shipped_ruleset: Ruleset) -> None:
    text = shipped_ruleset.to_json().replace('"kind": "tree-sitter"', '"kind": "regexp"')
    with pytest.raises(ValidationError, match=r"unknown matcher kind 'regexp' \(known: llm, semgrep, libcst, tree-sitter\)"):
        Ruleset.model_validate_json(text)


RFC = """---
id: RFC-0100
title: T
status: accepted
authors: [me]
created: 2026-01-01
---

# T

## RX0001: r

If you need a, use b.

```yaml codex
severity: error
languages: {languages}
matcher: {matcher}
rule_class: {rule_class}
```

```rust bad
fn f() {{
    // ruleid: RX0001
    x.unwrap();
}}
```

```rust good
fn f() {{}}
```
"""


@pytest.mark.parametrize(
    ("matcher", "languages", "rule_class", "message"),
    [
        (
            "tree-sitter",
            "[rust]",
            "no_such.module:X",
            "cannot load no_such.module:X: no_such.module is not a package matcher classes may come from (codex.lints)",
        ),
        (
            "tree-sitter",
            "[rust]",
            "codex.lints.no_such:X",
            "cannot load codex.lints.no_such:X: importing codex.lints.no_such failed: ModuleNotFoundError: No module named 'codex.lints.no_such'",
        ),
        (
            "tree-sitter",
            "[rust]",
            "codex.lints.swallowed_errors:SwallowedErrors",
            "cannot load codex.lints.swallowed_errors:SwallowedErrors: "
            "codex.lints.swallowed_errors:SwallowedErrors is not a codex.treesitter_lint.TreeSitterRule subclass",
        ),
        ("tree-sitter", "[rust, python]", "codex.lints.rust_panics:UnwrapOrExpect", "tree-sitter rules match Rust only"),
        ("regexp", "[rust]", "x:Y", "unknown matcher 'regexp'"),
    ],
)
def test_compiling_asks_the_engine(tmp_path: Path, matcher: str, languages: str, rule_class: str, message: str) -> None:
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs" / "0100-t.md").write_text(RFC.format(matcher=matcher, languages=languages, rule_class=rule_class))
    result = compile_rfcs(tmp_path / "rfcs", tmp_path)
    assert [(p.path, p.line, p.message) for p in result.problems] == [("rfcs/0100-t.md", 11, message)]


def test_an_unknown_matcher_is_told_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs" / "0100-t.md").write_text(RFC.format(matcher="regexp", languages="[rust]", rule_class="x:Y"))
    [problem] = compile_rfcs(tmp_path / "rfcs", tmp_path).problems
    assert problem.hint == "use semgrep, libcst, tree-sitter or llm"


def test_a_tree_sitter_rule_compiles_into_its_matcher(tmp_path: Path) -> None:
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs" / "0100-t.md").write_text(RFC.format(matcher="tree-sitter", languages="[rust]", rule_class="codex.lints.rust_panics:UnwrapOrExpect"))
    result = compile_rfcs(tmp_path / "rfcs", tmp_path)
    assert result.problems == []
    assert [r.matcher for r in result.rules] == [TreeSitterMatcher(rule_class="codex.lints.rust_panics:UnwrapOrExpect")]


def _test_matcher(unwrap: Rule, rule_id: str, name: str, **update: object) -> Rule:
    """CX0001 under another id, with a matcher class of codex_testing.lints in place of its own."""
    return unwrap.model_copy(update={"id": rule_id, "matcher": TreeSitterMatcher(rule_class=f"codex_testing.lints:{name}"), **update})


def test_a_broken_matcher_or_file_loses_nothing_else(shipped_ruleset: Ruleset, tmp_path: Path) -> None:
    unwrap = shipped_ruleset.rule("CX0001")
    rules = (
        _test_matcher(unwrap, "CX9001", "RaisesOnCalls"),
        _test_matcher(unwrap, "CX9002", "VisitsUnknownNodes"),
        unwrap,
    )
    (tmp_path / "broken.rs").write_text("fn f() {\n    let = ;\n}\nfn g() {\n    x.unwrap();\n}\n", encoding="utf-8")
    (tmp_path / "fine.rs").write_text("fn g() {\n    x.unwrap();\n}\n", encoding="utf-8")
    targets = [Target(name, tmp_path / name, "rust", None, name) for name in ("broken.rs", "fine.rs")]
    findings, problems, _ = run_matchers(shipped_ruleset.model_copy(update={"rules": rules}), targets, lint_packages=LintPackages(("codex_testing.lints",)))
    assert sorted((f.rule_id, f.path, f.line, f.engine) for f in findings) == [
        ("CX0001", "broken.rs", 5, "tree-sitter"),
        ("CX0001", "fine.rs", 2, "tree-sitter"),
    ]
    assert sorted(((p.path, p.line, p.kind, p.message.split(":")[0]) for p in problems), key=str) == [
        ("broken.rs", 2, "parse", "tree-sitter could not parse this part of the file (from line 2); tree-sitter rules may miss something in it"),
        ("broken.rs", None, "rule", "rule CX9001 failed on this file"),
        ("broken.rs", None, "rule", "rule CX9002 failed on this file"),
        ("fine.rs", None, "rule", "rule CX9001 failed on this file"),
        ("fine.rs", None, "rule", "rule CX9002 failed on this file"),
    ]


CALLS = "fn f() {\n    exit(code(1));\n    other();\n    x.exit(2);\n}\n"


def test_a_pattern_narrows_the_nodes_of_its_own_matcher_only(shipped_ruleset: Ruleset, tmp_path: Path) -> None:
    """Two matchers visit call expressions in one query; the pattern of one does not narrow the other's."""
    unwrap = shipped_ruleset.rule("CX0001")
    rules = tuple(_test_matcher(unwrap, rule_id, name, prefilter=None) for rule_id, name in (("CX9003", "FlagsExitCalls"), ("CX9004", "FlagsEveryCall")))
    (tmp_path / "calls.rs").write_text(CALLS, encoding="utf-8")
    ruleset = shipped_ruleset.model_copy(update={"rules": rules})
    target = Target("calls.rs", tmp_path / "calls.rs", "rust", None, "calls.rs")
    findings, problems, _ = run_matchers(ruleset, [target], lint_packages=LintPackages(("codex_testing.lints",)))
    assert problems == []
    assert sorted((f.rule_id, f.line, f.column) for f in findings) == [
        ("CX9003", 2, 5),
        ("CX9004", 2, 5),
        ("CX9004", 2, 10),
        ("CX9004", 3, 5),
        ("CX9004", 4, 5),
    ]


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        (["FlagsExitCalls"], [("CX9010", 2, 5)]),
        (["ExitCallsUnderOtherWords"], []),  # only around `other`: the exit call is not searched
        (["ExitCallsUnderOtherWords", "FlagsEveryCall"], [("CX9010", 2, 5)]),  # a class without words: the whole tree
    ],
)
def test_words_keep_the_search_where_they_occur(shipped_ruleset: Ruleset, tmp_path: Path, classes: list[str], expected: list[tuple[str, int, int]]) -> None:
    unwrap = shipped_ruleset.rule("CX0001")
    matchers = [TreeSitterMatcher(rule_class=f"codex_testing.lints:{name}") for name in classes]
    rules = tuple(unwrap.model_copy(update={"id": f"CX90{10 + i}", "matcher": matcher, "prefilter": None}) for i, matcher in enumerate(matchers))
    (tmp_path / "calls.rs").write_text(CALLS, encoding="utf-8")
    target = Target("calls.rs", tmp_path / "calls.rs", "rust", None, "calls.rs")
    ruleset = shipped_ruleset.model_copy(update={"rules": rules})
    findings, problems, _ = run_matchers(ruleset, [target], lint_packages=LintPackages(("codex_testing.lints",)))
    assert problems == []
    assert sorted((f.rule_id, f.line, f.column) for f in findings if f.rule_id == "CX9010") == expected


def test_a_bad_pattern_is_a_problem_of_its_rule(shipped_ruleset: Ruleset, tmp_path: Path) -> None:
    unwrap = shipped_ruleset.rule("CX0001")
    rules = (
        _test_matcher(unwrap, "CX9005", "PatternForAnUnvisitedType"),
        _test_matcher(unwrap, "CX9006", "PatternOfAnotherType"),
        unwrap,
    )
    (tmp_path / "main.rs").write_text("fn main() {\n    x.unwrap();\n}\n", encoding="utf-8")
    ruleset = shipped_ruleset.model_copy(update={"rules": rules})
    target = Target("main.rs", tmp_path / "main.rs", "rust", None, "main.rs")
    findings, problems, _ = run_matchers(ruleset, [target], lint_packages=LintPackages(("codex_testing.lints",)))
    assert [(f.rule_id, f.line) for f in findings] == [("CX0001", 2)]
    assert sorted((p.path, p.kind, p.message.split(": ", 1)) for p in problems) == [
        (
            "main.rs",
            "rule",
            [
                "rule CX9005 failed on this file",
                "ValueError: PATTERNS names macro_invocation, which PatternForAnUnvisitedType has no visit_macro_invocation method for",
            ],
        ),
        (
            "main.rs",
            "rule",
            ["rule CX9006 failed on this file", "ValueError: the pattern for call_expression must start with (call_expression: (macro_invocation)"],
        ),
    ]


def test_a_missing_tree_sitter_is_an_engine_problem_not_a_pass(shipped_ruleset: Ruleset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer.engines import treesitter

    monkeypatch.setattr(treesitter, "_language", lambda language: __import__("tree_sitter_cobol"))
    (tmp_path / "main.rs").write_text("fn main() {\n    x.unwrap();\n}\n", encoding="utf-8")
    ruleset = shipped_ruleset.model_copy(update={"rules": (shipped_ruleset.rule("CX0001"),)})
    findings, problems, _ = run_matchers(ruleset, [Target("main.rs", tmp_path / "main.rs", "rust", None, "main.rs")])
    assert findings == []
    assert [(p.path, p.kind, p.message) for p in problems] == [
        (None, "engine", "tree-sitter cannot run (No module named 'tree_sitter_cobol'); tree-sitter rules were not run")
    ]
