"""CX0001 on real tree-sitter: each kind of call, inside and outside macros, and test code left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.model import Ruleset
from reviewer.matching import run_matchers
from reviewer.targets import Target


@pytest.fixture(scope="module")
def cx0001(shipped_ruleset: Ruleset) -> Ruleset:
    rule = shipped_ruleset.rule("CX0001")
    assert rule is not None and rule.matcher.kind == "tree-sitter" and rule.tests == "exempt"
    return Ruleset.build([m for m in shipped_ruleset.rfcs if m.id == rule.rfc.id], [rule])


def flagged(ruleset: Ruleset, root: Path, code: str, path: str = "src/lib.rs") -> list[tuple[int, int]]:
    """(line, column) of every CX0001 finding in ``code`` saved as ``path``; problems must be none."""
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(code, encoding="utf-8")
    findings, problems, _ = run_matchers(ruleset, [Target(path, file, "rust", None, path)])
    assert problems == []
    return sorted((f.line, f.column) for f in findings)


# Each case: the body of fn f() { ... } (line 2 on), and the (line, column) of every finding.
CASES = {
    "unwrap": ("let a = x.unwrap();", [(2, 11)]),
    "not unwrap_or and friends": ("let a = x.unwrap_or(1);\nlet b = x.unwrap_or_else(|| 2);\nlet c = x.unwrap_or_default();", []),
    "expect with a message": ('let a = x.expect("set");', [(2, 11)]),
    "comments and strings": ('// x.unwrap()\nlet s = "x.unwrap() and y.expect(\\"m\\")";\n/* z.unwrap() */', []),
    "println argument": ('println!("{}", y.unwrap());', [(2, 18)]),
    "format with expect on a format message": ('let w = format!("{}", q.expect(&format!("no {}", 1)));', [(2, 25)]),
    "vec of two": ('let v = vec![a.unwrap(), b.expect("b")];', [(2, 16), (2, 28)]),
    "assert outside tests": ("assert!(z.unwrap() > 1);", [(2, 11)]),
    "parser's own expect with ?": ("let p = self.expect(Token::Eol)?;", []),
    "own expect on another receiver with ?": ("let r = parser.expect(Token::Ident(x))?;", []),
    "own expect with a variant, no ?": ("let t = lexer.expect(Token::Eol);", []),
    "own expect in a macro": ('println!("{:?}", self.expect(Token::Eol)?);', []),
    "expect followed by ?": ("let r = reader.expect(kind)?;", []),
    "expect followed by ? in a macro": ('println!("{:?}", reader.expect(kind)?);', []),
    "expect on self in a macro": ('println!("{}", self.expect("m"));', []),
    "expect with a variant in a macro": ('println!("{:?}", lexer.expect(Token::Eol));', []),
    "expect with a constructor in a macro": ('println!("{:?}", lexer.expect(Token::Ident(name)));', []),
    "expect with a message in a macro": ('println!("{}", cfg.expect(&msg));', [(2, 20)]),
    "expect with a constant message": ("let u = config.expect(errors::MISSING);", [(2, 16)]),
    "expect with two arguments": ('let m = thing.expect("a", "b");', []),
    "std expect on self": ('let h = self.expect("message");', []),
    "a chain, each unwrap on its own line": ("let c = a.b()\n    .unwrap()\n    .c()\n    .unwrap();", [(3, 6), (5, 6)]),
    "two unwraps on one line": ("let c = a.unwrap().b.unwrap();", [(2, 11), (2, 22)]),
    "paths to the std methods": ('let f = xs.iter().map(Result::unwrap);\nlet g = Option::expect(o, "x");', [(2, 23), (3, 9)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_calls(cx0001: Ruleset, tmp_path: Path, name: str) -> None:
    body, expected = CASES[name]
    code = "fn f() {\n" + body + "\n}\n"
    assert flagged(cx0001, tmp_path, code) == expected


def test_attribute_macro_arguments_are_read(cx0001: Ruleset, tmp_path: Path) -> None:
    code = "#[tracing::instrument(fields(id = id.unwrap()))]\nfn traced() {}\n"
    assert flagged(cx0001, tmp_path, code) == [(1, 38)]


TEST_ITEMS = """\
fn before() { a.unwrap(); }
#[cfg(test)]
fn helper() { a.unwrap(); }
#[cfg(not(test))]
fn production() { a.unwrap(); }
#[cfg(all(test, feature = "x"))]
fn all_test() { a.unwrap(); }
#[cfg(any(test, feature = "x"))]
fn any_test() { a.unwrap(); }
#[test]
fn plain() { a.unwrap(); }
#[tokio::test]
async fn tokio() { a.unwrap(); }
#[rstest]
#[case(1)]
fn with_rstest(#[case] n: u8) { a.unwrap(); }
#[test_case(1 ; "one")]
fn with_test_case(n: u8) { a.unwrap(); }
#[async_std::test]
async fn async_std() { a.unwrap(); }
impl Loader {
    #[test]
    fn in_impl() { a.unwrap(); }
    fn not_a_test() { a.unwrap(); }
}
#[cfg(test)]
mod tests {
    fn helper() { a.unwrap(); }
}
fn after() { a.unwrap(); }
"""


def test_test_items_are_exempt_and_nothing_else(cx0001: Ruleset, tmp_path: Path) -> None:
    assert [line for line, _ in flagged(cx0001, tmp_path, TEST_ITEMS)] == [1, 5, 9, 24, 30]


def test_a_large_test_module_is_exempt_to_its_end(cx0001: Ruleset, tmp_path: Path) -> None:
    """The brace-matching regex gave up on test modules of a few KB; the parser does not."""
    filler = "".join(f'    #[test]\n    fn case_{n}() {{ assert_eq!(parse("{n}").unwrap(), {n}); }}\n' for n in range(200))
    code = f"#[cfg(test)]\nmod tests {{\n{filler}    fn last() {{ b.unwrap(); }}\n}}\nfn production() {{ a.unwrap(); }}\n"
    assert len(code) > 8_000
    assert flagged(cx0001, tmp_path, code) == [(len(code.splitlines()), 21)]


def test_a_test_module_with_braces_in_strings_is_exempt_to_its_end(cx0001: Ruleset, tmp_path: Path) -> None:
    code = (
        '#[cfg(test)]\nmod tests {\n    const OPEN: &str = "{{";\n    const CLOSE: &str = "}";\n'
        "    fn helper() { a.unwrap(); }\n}\nfn production() { a.unwrap(); }\n"
    )
    assert flagged(cx0001, tmp_path, code) == [(7, 21)]


@pytest.mark.parametrize("path", ["tests/integration.rs", "benches/speed.rs", "examples/demo.rs", "build.rs", "crates/core/tests/it.rs"])
def test_test_directories_and_build_scripts_are_exempt(cx0001: Ruleset, tmp_path: Path, path: str) -> None:
    assert flagged(cx0001, tmp_path, "fn main() { a.unwrap(); }\n", path) == []


@pytest.mark.parametrize("path", ["src/tests_support.rs", "src/build.rs.in.rs", "src/main.rs"])
def test_other_paths_are_checked(cx0001: Ruleset, tmp_path: Path, path: str) -> None:
    assert flagged(cx0001, tmp_path, "fn main() { a.unwrap(); }\n", path) == [(1, 15)]
