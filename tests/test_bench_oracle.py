"""The oracle of bench/precision.py: which candidate sites it finds and how it labels them (its figures rest on this)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from _python_sites import python_sites
from _rust_sites import rust_sites

LIB_RS = """\
#[cfg(test)]
mod testing;
mod parser;

pub fn load(path: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    println!("{}", text.parse::<u32>().unwrap());
    text.lines().next().unwrap().trim().to_owned().parse::<String>()
        .unwrap()
}

#[cfg(all(test, unix))]
mod unix_tests {
    fn helper() { std::env::var("X").expect("set"); }
}

#[tokio::test]
async fn runs() { let _ = load("x").parse::<u8>().unwrap(); }
"""

PARSER_RS = """\
impl Parser {
    fn expect(&mut self, kind: Kind) -> Result<Token, Error> { todo!() }
    fn colon(&mut self) -> Result<(), Error> {
        self.expect(Kind::Colon)?;
        let first = self.tokens.first().expect("never empty");
        other.expect(Kind::Comma);
        Ok(())
    }
}
"""


def test_rust_sites_follow_the_test_code_model_macros_chains_and_own_expect(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text(LIB_RS)
    (tmp_path / "src" / "parser.rs").write_text(PARSER_RS)
    (tmp_path / "src" / "testing.rs").write_text('pub fn fixture() -> u8 { "1".parse().unwrap() }\n')
    (tmp_path / "build.rs").write_text('fn main() { std::env::var("OUT_DIR").unwrap(); }\n')
    got = sorted((s.path, s.line, s.column, s.verdict) for s in rust_sites(tmp_path))
    assert got == [
        ("build.rs", 1, 38, "ok"),
        ("src/lib.rs", 6, 46, "violation"),
        ("src/lib.rs", 7, 40, "violation"),
        ("src/lib.rs", 8, 25, "violation"),
        ("src/lib.rs", 9, 10, "violation"),
        ("src/lib.rs", 14, 38, "ok"),
        ("src/lib.rs", 18, 51, "ok"),
        ("src/parser.rs", 4, 14, "ok"),
        ("src/parser.rs", 5, 41, "violation"),
        ("src/parser.rs", 6, 15, "?"),
        ("src/testing.rs", 1, 38, "ok"),
    ]


PY = """\
import requests as r
import subprocess
import yaml
from yaml import load

s = r.Session()
try:
    r.get(u, timeout=None)
except (ValueError, Exception):
    pass
s.post(u)
r.get(u, timeout=3)
r.get(u, **kw)
subprocess.run(c, shell=flag)
subprocess.run(c, shell=[])
subprocess.run(c, shell='False')
load(t, Loader=yaml.FullLoader)
yaml.load(t, yaml.CSafeLoader)
yaml.load(t, Loader=custom)
try:
    pass
except Exception:
    log()
assert x

def other():
    s.get(u)
    t = r.session()
    t.get(u, timeout=1)

def another():
    t.get(u)
"""


@pytest.mark.parametrize("path, assert_verdict", [("pkg/mod.py", "violation"), ("pkg/test/helpers.py", "ok")])
def test_python_sites_resolve_imports_and_label_by_the_letter(tmp_path: Path, path: str, assert_verdict: str) -> None:
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(PY)
    (tmp_path / "py2.py").write_text("print 'x'\n")
    sites, unparsable = python_sites(tmp_path)
    assert sorted((s.rule, s.line, s.verdict) for s in sites) == [
        ("CX0003", 8, "violation"),
        ("CX0003", 11, "violation"),
        ("CX0003", 12, "ok"),
        ("CX0003", 13, "ok"),
        ("CX0003", 27, "violation"),
        ("CX0003", 29, "ok"),
        ("CX0004", 9, "violation"),
        ("CX0004", 22, "ok"),
        ("CX0005", 14, "violation"),
        ("CX0005", 15, "ok"),
        ("CX0005", 16, "violation"),
        ("CX0006", 17, "violation"),
        ("CX0006", 18, "ok"),
        ("CX0006", 19, "?"),
        ("CX0007", 24, assert_verdict),
    ]
    assert [entry.split(":")[0] for entry in unparsable] == ["py2.py"]
