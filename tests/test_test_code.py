"""The test-code model (reviewer/test_code.py) on real files: Rust items and module files, Python paths, configured
test-support files, and rules with ``tests: exempt`` through ``codex check`` on real git repositories."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from codex.model import Ruleset
from reviewer import test_code
from reviewer.cache import ResultCache
from reviewer.changes import ChangeSet, FileChange
from reviewer.engines.treesitter import parse
from reviewer.matching import run_matchers
from reviewer.targets import Known, Target, select_targets
from reviewer.test_code import WHOLE_FILE, TestCodeModel


def target(root: Path, path: str, language: str = "rust") -> Target:
    return Target(path, root / path, language, None, path)


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")


ITEMS = """\
fn production() {}
#[cfg(test)]
// a comment between the attribute and the item
use super::*;
#[cfg(feature = "x")]
fn featured() {}
#[cfg(all(feature = "x", test))]
mod gated {
    fn helper() {}
}
#[derive(Debug)]
#[cfg(any(test, all(test, unix)))]
struct Both;
mod outer {
    #[cfg(any(test, feature = "y"))]
    fn maybe() {}
    mod inner {
        #![cfg(test)]
        fn helper() {}
    }
    #[should_panic]
    #[sqlx::test]
    fn with_db() {}
    #[bench]
    fn speed() {}
    #[cfg_attr(test, derive(Debug))]
    struct Shown;
}
"""


def test_rust_test_items_exactly(tmp_path: Path) -> None:
    write(tmp_path, {"src/items.rs": ITEMS})
    assert TestCodeModel().test_lines(target(tmp_path, "src/items.rs")) == ((2, 4), (7, 10), (11, 13), (17, 20), (21, 23), (24, 25))


def test_an_inner_cfg_test_attribute_makes_the_whole_file_test_code(tmp_path: Path) -> None:
    write(tmp_path, {"src/support.rs": "#![cfg(test)]\nfn helper() {}\n"})
    assert TestCodeModel().test_lines(target(tmp_path, "src/support.rs")) == WHOLE_FILE


def parses_recorded(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The sources the model parses itself from now on."""
    parsed: list[bytes] = []
    fresh = test_code._parse_rust
    monkeypatch.setattr(test_code, "_parse_rust", lambda source: parsed.append(source) or fresh(source))
    return parsed


def test_a_tree_the_engine_shared_gives_the_lines_of_a_fresh_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"src/items.rs": ITEMS, "src/support.rs": "#![cfg(test)]\nfn helper() {}\n"})
    for path in ("src/items.rs", "src/support.rs"):
        source = (tmp_path / path).read_bytes()
        test_code.share_tree("rust", source, parse("rust", source))
    parsed = parses_recorded(monkeypatch)
    model = TestCodeModel()
    assert model.test_lines(target(tmp_path, "src/items.rs")) == ((2, 4), (7, 10), (11, 13), (17, 20), (21, 23), (24, 25))
    assert model.test_lines(target(tmp_path, "src/support.rs")) == WHOLE_FILE
    assert parsed == []


def test_a_shared_tree_never_stands_for_another_version_of_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"src/items.rs": ITEMS})
    test_code.share_tree("rust", ITEMS.encode(), parse("rust", ITEMS.encode()))
    write(tmp_path, {"src/items.rs": "fn production() {}\n" + ITEMS})
    parsed = parses_recorded(monkeypatch)
    assert TestCodeModel().test_lines(target(tmp_path, "src/items.rs"))[0] == (3, 5)
    assert parsed == [("fn production() {}\n" + ITEMS).encode()]


def test_the_engine_shares_the_files_an_exempt_rule_flagged(shipped_ruleset: Ruleset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CX0001 (tests: exempt) flags both files; the model parses neither again (lib.rs neither as a file nor as the
    parent declaring helpers.rs) and drops the findings in the test module and in the test-only module file."""
    unwrap = shipped_ruleset.rule("CX0001")
    assert unwrap is not None and unwrap.tests == "exempt"
    lib = "#[cfg(test)]\nmod helpers;\nfn f() { a.unwrap(); }\n#[cfg(test)]\nmod tests {\n    fn t() { b.unwrap(); }\n}\n"
    write(tmp_path, {"src/lib.rs": lib, "src/helpers.rs": "fn h() { c.unwrap(); }\n"})
    parsed = parses_recorded(monkeypatch)
    ruleset = shipped_ruleset.model_copy(update={"rules": (unwrap,)})
    targets = [target(tmp_path, "src/helpers.rs"), target(tmp_path, "src/lib.rs")]
    findings, problems, _ = run_matchers(ruleset, targets, test_code=TestCodeModel())
    assert problems == []
    assert sorted((f.path, f.line) for f in findings) == [("src/lib.rs", 3)]
    assert parsed == []


def test_a_new_engine_run_forgets_what_the_last_one_shared(shipped_ruleset: Ruleset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"src/items.rs": ITEMS, "src/main.rs": "fn main() { x.unwrap(); }\n"})
    test_code.share_tree("rust", ITEMS.encode(), parse("rust", ITEMS.encode()))
    run_matchers(shipped_ruleset.model_copy(update={"rules": (shipped_ruleset.rule("CX0001"),)}), [target(tmp_path, "src/main.rs")])
    parsed = parses_recorded(monkeypatch)
    assert TestCodeModel().test_lines(target(tmp_path, "src/items.rs")) == ((2, 4), (7, 10), (11, 13), (17, 20), (21, 23), (24, 25))
    assert parsed == [ITEMS.encode()]


CRATE = {
    "src/lib.rs": "#[cfg(test)]\nmod tests;\nmod parser;\nmod net;\nmod util;\n#[cfg(test)]\nmod fixtures {\n    mod data;\n}\n",
    "src/tests.rs": "fn t() {}\n",
    "src/parser.rs": '#[cfg(test)]\nmod helpers;\nmod lexer;\n#[cfg(test)]\n#[path = "parser_cases.rs"]\nmod cases;\n',
    "src/parser/helpers.rs": "mod deeper;\n",
    "src/parser/helpers/deeper.rs": "fn d() {}\n",
    "src/parser/lexer.rs": "fn l() {}\n",
    "src/parser_cases.rs": "fn c() {}\n",
    "src/net/mod.rs": "#[cfg(all(test, unix))]\nmod sockets;\nmod tcp;\n",
    "src/net/sockets.rs": "fn s() {}\n",
    "src/net/tcp.rs": "fn t() {}\n",
    "src/util/mod.rs": "#[cfg(not(test))]\nmod real;\n",
    "src/util/real.rs": "fn r() {}\n",
    "src/fixtures/data.rs": "fn f() {}\n",
}
DECLARED_TEST = ["src/tests.rs", "src/parser/helpers.rs", "src/parser/helpers/deeper.rs", "src/parser_cases.rs", "src/net/sockets.rs", "src/fixtures/data.rs"]
PRODUCTION = ["src/lib.rs", "src/parser.rs", "src/parser/lexer.rs", "src/net/mod.rs", "src/net/tcp.rs", "src/util/mod.rs", "src/util/real.rs"]


@pytest.mark.parametrize("shared", [False, True], ids=["parsed by the model", "shared by the engine"])
def test_module_files_declared_under_cfg_test_are_test_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool) -> None:
    write(tmp_path, CRATE)
    if shared:
        for path in CRATE:
            source = (tmp_path / path).read_bytes()
            test_code.share_tree("rust", source, parse("rust", source))
    parsed = parses_recorded(monkeypatch)
    model = TestCodeModel()
    whole = {path for path in CRATE if model.test_lines(target(tmp_path, path)) == WHOLE_FILE}
    assert sorted(whole) == sorted(DECLARED_TEST)
    assert sorted(set(CRATE) - whole) == sorted(PRODUCTION)
    assert sorted(parsed) == ([] if shared else sorted({text.encode() for text in CRATE.values()}))  # each content once


def test_a_warm_model_takes_each_reading_from_the_result_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache_dir = tmp_path / "tree", tmp_path / "cache"
    write(root, CRATE)
    cold = TestCodeModel(root=root, cache=ResultCache(cache_dir))
    assert sorted(p for p in CRATE if cold.test_lines(target(root, p)) == WHOLE_FILE) == sorted(DECLARED_TEST)
    parsed = parses_recorded(monkeypatch)
    warm = TestCodeModel(root=root, cache=ResultCache(cache_dir))
    assert sorted(p for p in CRATE if warm.test_lines(target(root, p)) == WHOLE_FILE) == sorted(DECLARED_TEST)
    assert parsed == []  # every content was kept, as a checked file and as a declaring parent
    production_helpers = CRATE["src/parser.rs"].replace("#[cfg(test)]\nmod helpers;", "mod helpers;")
    write(root, {"src/parser.rs": production_helpers, "src/tests.rs": "#[cfg(test)]\nfn t() {}\n"})
    changed = TestCodeModel(root=root, cache=ResultCache(cache_dir))
    assert changed.test_lines(target(root, "src/parser/helpers.rs")) == ()  # now declared outside cfg(test)
    assert changed.test_lines(target(root, "src/tests.rs")) == WHOLE_FILE
    assert sorted(parsed) == sorted([production_helpers.encode(), b"#[cfg(test)]\nfn t() {}\n"])  # only the new contents


def test_an_unreadable_kept_reading_is_a_note_and_the_file_is_read_again(tmp_path: Path) -> None:
    root, cache_dir = tmp_path / "tree", tmp_path / "cache"
    write(root, {"src/items.rs": ITEMS})
    TestCodeModel(root=root, cache=ResultCache(cache_dir)).test_lines(target(root, "src/items.rs"))
    [entry] = (cache_dir / "static").rglob("*.json")
    entry.write_text('{"test_items": [[2, "four"]]}', encoding="utf-8")
    cache = ResultCache(cache_dir)
    assert TestCodeModel(root=root, cache=cache).test_lines(target(root, "src/items.rs")) == ((2, 4), (7, 10), (11, 13), (17, 20), (21, 23), (24, 25))
    assert [(p.path, p.kind, p.message.split(" is unreadable")[0]) for p in cache.problems] == [("src/items.rs", "cache", f"cache entry {entry}")]
    again = ResultCache(cache_dir)
    TestCodeModel(root=root, cache=again).test_lines(target(root, "src/items.rs"))
    assert again.problems == []  # rewritten by the model that noted it


def known_target(root: Path, path: str, content: bytes) -> Target:
    """A target as the file index gives it: not read, its content known by its sha256."""
    return Target(path, root / path, "rust", None, path, known=Known(hashlib.sha256(content).hexdigest(), frozenset(), frozenset()))


def test_a_warm_model_reads_no_file_whose_reading_the_cache_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Targets as the file index gives them (unread): neither a checked file nor a declaring one is read again."""
    root, cache_dir = tmp_path / "tree", tmp_path / "cache"
    write(root, CRATE)
    cold = TestCodeModel(root=root, cache=ResultCache(cache_dir))
    targets = [known_target(root, path, text.encode()) for path, text in CRATE.items()]
    cold.drop_exempt(Ruleset.build([], []), targets, [])
    assert sorted(t.path for t in targets if cold.test_lines(t) == WHOLE_FILE) == sorted(DECLARED_TEST)
    read: list[str] = []
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: (read.append(self.name) if self.is_relative_to(root) else None) or real_read(self))
    warm = TestCodeModel(root=root, cache=ResultCache(cache_dir))
    targets = [known_target(root, path, text.encode()) for path, text in CRATE.items()]
    warm.drop_exempt(Ruleset.build([], []), targets, [])
    assert sorted(t.path for t in targets if warm.test_lines(t) == WHOLE_FILE) == sorted(DECLARED_TEST)
    assert read == []  # Target reads its file with Path.read_bytes too


def test_a_file_changed_since_the_index_knew_it_has_no_test_code_and_no_kept_reading(tmp_path: Path) -> None:
    root, cache_dir = tmp_path / "tree", tmp_path / "cache"
    write(root, {"src/lib.rs": ITEMS})
    changed = known_target(root, "src/lib.rs", b"#![cfg(test)]\n")  # what the index knew: now another content
    assert TestCodeModel(root=root, cache=ResultCache(cache_dir)).test_lines(changed) == ()
    assert changed.unread == "changed while codex checked it"  # run_check reports it, without its findings
    assert list(cache_dir.rglob("*.json")) == []


def test_a_declaring_file_among_the_targets_is_taken_from_its_target_not_read_again(tmp_path: Path, shipped_ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"src/lib.rs": "#[cfg(test)]\nmod helpers;\nmod parser;\n", "src/helpers.rs": "fn h() {}\n", "src/parser.rs": "fn p() {}\n"})
    paths = ("src/lib.rs", "src/helpers.rs", "src/parser.rs")
    targets, _ = select_targets(ChangeSet(tmp_path, [FileChange(p, None) for p in paths]), {"rust"}, max_bytes=1000)
    read: list[str] = []
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or real_read(self))
    model = TestCodeModel(root=tmp_path)
    model.drop_exempt(shipped_ruleset, targets, [])
    assert [model.test_lines(t) for t in targets] == [((1, 2),), WHOLE_FILE, ()]
    assert read == []  # every file, the declaring lib.rs too, as select_targets read it


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("pkg/test_api.py", True),
        ("pkg/api_test.py", True),
        ("pkg/tests.py", True),
        ("conftest.py", True),
        ("pkg/tests/helpers.py", True),
        ("test/helpers.py", True),
        ("pkg/testing.py", False),
        ("pkg/api.py", False),
        ("pkg/contest.py", False),
        ("pkg/test.py", True),
        ("pkg/testing/fakes.py", True),
    ],
)
def test_python_test_paths(tmp_path: Path, path: str, expected: bool) -> None:
    write(tmp_path, {path: "x = 1\n"})
    model = TestCodeModel(test_paths=["pkg/test.py", "**/testing/**"])
    assert (model.test_lines(target(tmp_path, path, "python")) == WHOLE_FILE) is expected


@pytest.mark.parametrize(
    ("language", "path", "expected"),
    [
        ("rust", "tests/it.rs", True),
        ("rust", "src/tests.rs", False),  # a module file named tests: its parent's declaration decides
        ("rust", "crates/core/benches/speed.rs", True),
        ("rust", "examples/demo/main.rs", True),
        ("rust", "crates/core/build.rs", True),
        ("rust", "src/build.rs.in.rs", False),
        ("rust", "testsuite/x.rs", False),
        ("rust", "test/x.rs", False),  # test/ is a Python test directory, not a Rust one
        ("rust", "./tests/x.rs", True),
        ("rust", "a//examples/x.rs", True),
        ("rust", "tests/x/", True),  # the last part is x, under tests/
        ("rust", "src/tests/", False),  # the last part is tests itself
        ("python", "test_x.py/helpers.py", False),  # a directory named like a test file
        ("python", "pkg/test/", False),
        ("python", "pkg/test_x.py/.", True),
        ("python", "a/b/c/tests/d/e.py", True),
        ("python", "/abs/test/x.py", True),
        ("python", "tests_data/x.py", False),
        ("go", "tests/x_test.go", False),  # other languages: by content and configuration only
    ],
)
def test_test_paths_by_language(tmp_path: Path, language: str, path: str, expected: bool) -> None:
    assert TestCodeModel().is_test_path(Target(path, tmp_path / "x", language, None, path)) is expected


def test_python_support_modules_are_production_without_configuration(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/test.py": "x = 1\n"})
    assert TestCodeModel().test_lines(target(tmp_path, "pkg/test.py", "python")) == ()


ASSERTING = "def check(x):\n    assert x > 0\n    return x\n"


def test_check_drops_findings_of_exempt_rules_in_test_code_only(git_repo, run_codex) -> None:
    """In a real repository: a change to a module file declared under #[cfg(test)] (its parent untouched) and to
    configured Python test-support files is not flagged; the same code in production files is."""
    repo = git_repo()
    repo.commit(
        "start",
        {
            "pyproject.toml": '[tool.codex]\ntest_paths = ["app/test.py"]\n',
            "src/lib.rs": "#[cfg(test)]\nmod tests;\nmod config;\n",
            "src/tests.rs": "fn t() {}\n",
            "src/config.rs": "fn c() {}\n",
            "app/__init__.py": "",
            "app/test.py": "x = 1\n",
            "app/views.py": "x = 1\n",
            "app/tests.py": "x = 1\n",
        },
    )
    repo.write_files(
        {
            "src/tests.rs": 'fn t() {\n    let v = read("x").unwrap();\n}\n',
            "src/config.rs": 'fn c() {\n    let v = read("x").unwrap();\n}\n',
            "app/test.py": ASSERTING,
            "app/views.py": ASSERTING,
            "app/tests.py": ASSERTING,
        }
    )
    result = run_codex(["check", "--no-llm", "--no-cache", "--no-history", "--format", "json"], cwd=repo.path)
    report = result.json()
    assert sorted((f["rule_id"], f["path"], f["line"]) for f in report["findings"]) == [("CX0001", "src/config.rs", 2), ("CX0007", "app/views.py", 2)]
    assert report["errors"] == [] and result.code == 1
