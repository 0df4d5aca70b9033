"""codex.compiler and ``codex compile``: RFCs validated into rules, every problem reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from codex.compiler import compile_rfcs
from codex.matchers.libcst import LibcstMatcher
from codex.model import LlmMatcher, Stage
from codex.semgrep_config import SemgrepMatcher
from codex_testing.rfcs import LIBCST, LLM, rfc, rule


def project(root: Path, files: dict[str, str], pyproject: str = "") -> Path:
    for name, text in files.items():
        (root / "rfcs").mkdir(parents=True, exist_ok=True)
        (root / "rfcs" / name).write_text(text, encoding="utf-8")
    if pyproject:
        (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return root


def compiled(tmp_path: Path, files: dict[str, str], base_url: str | None = None):
    project(tmp_path, files)
    return compile_rfcs(tmp_path / "rfcs", tmp_path, base_url)


def problem_lines(result) -> list[str]:
    return [str(p) for p in result.problems]


def test_valid_rfc_compiles_into_the_rule_model(tmp_path: Path) -> None:
    result = compiled(tmp_path, {"0100-eval.md": rfc()})
    assert result.problems == []
    (only,) = result.ruleset.rules
    assert only.id == "CX0100" and only.title == "No eval"
    assert only.need == "to evaluate user input" and only.use == "`ast.literal_eval`"
    assert only.stage is Stage.block and only.languages == ("python",)
    assert isinstance(only.matcher, SemgrepMatcher) and only.matcher.body == {"pattern": "eval(...)"}
    assert only.description == "More prose."
    assert [(e.verdict, e.expected) for e in only.examples] == [("bad", (2,)), ("good", ())]
    assert only.rfc.model_dump() == {"id": "RFC-0100", "title": "Example RFC-0100", "path": "rfcs/0100-eval.md", "anchor": "cx0100-no-eval", "url": None}
    assert result.locations == {"CX0100": ("rfcs/0100-eval.md", 13)}


def test_matchers_stages_and_statuses(tmp_path: Path) -> None:
    result = compiled(
        tmp_path,
        {
            "a.md": rfc("RFC-0001", rules=rule("CX0001", LIBCST) + rule("CX0002", LLM)),
            "b.md": rfc("RFC-0002", status="draft", rules=rule("CX0003")),
            "c.md": rfc("RFC-0003", status="deprecated", rules=rule("CX0004")),
            "d.md": rfc("RFC-0004", status="superseded", rules=rule("CX0005")),
        },
        base_url="https://git.example.com/handbook/-/blob/main/",
    )
    assert result.problems == []
    rules = {r.id: r for r in result.ruleset.rules}
    assert set(rules) == {"CX0001", "CX0002", "CX0003"}  # deprecated and superseded rules are off
    assert {r.id for r in result.ruleset.rfcs} == {"RFC-0001", "RFC-0002", "RFC-0003", "RFC-0004"}
    assert isinstance(rules["CX0001"].matcher, LibcstMatcher) and rules["CX0001"].stage is Stage.warn
    assert isinstance(rules["CX0002"].matcher, LlmMatcher) and rules["CX0002"].matcher.question.startswith("Is a")
    assert rules["CX0003"].stage is Stage.shadow  # draft
    assert rules["CX0001"].rfc.url == "https://git.example.com/handbook/-/blob/main/rfcs/a.md#cx0001-no-eval"


def test_explicit_stage_and_paths(tmp_path: Path) -> None:
    config = "severity: error\nlanguages: [python]\nmatcher: semgrep\nstage: warn\npaths:\n  include: ['src/**']\n  exclude: ['**/tests/**']\n"
    result = compiled(tmp_path, {"a.md": rfc(rules=rule(config=config))})
    (only,) = result.ruleset.rules
    assert only.stage is Stage.warn
    assert only.paths.include == ("src/**",) and only.paths.exclude == ("**/tests/**",)


BROKEN = {
    "1-front.md": "---\nid: nope\ntitle: T\nstatus: maybe\nauthors: [A]\ncreated: 2026-01-01\n---\n# T\n" + rule("CX0201"),
    "2-statement.md": rfc("RFC-0202", rules=rule("CX0202", statement="Prefer literal_eval.")),
    "3-use.md": rfc("RFC-0203", rules=rule("CX0203", statement="If you need to parse, do it carefully.")),
    "4-matcher.md": rfc("RFC-0204", rules=rule("CX0204", config="severity: error\nlanguages: [python]\nmatcher: regexp\n")),
    "5-language.md": rfc("RFC-0205", rules=rule("CX0205", config="severity: error\nlanguages: [cobol]\nmatcher: semgrep\n")),
    "6-yaml.md": rfc("RFC-0206", rules=rule("CX0206", config="severity: error\nlanguages: [python\nmatcher: semgrep\n")),
    "7-dup-a.md": rfc("RFC-0207", rules=rule("CX0207", LIBCST)),
    "8-dup-b.md": rfc("RFC-0208", rules=rule("CX0207", LIBCST)),
    "9-semgrep-keys.md": rfc("RFC-0209", rules=rule("CX0209", matcher="1: x\n")),
}

EXPECTED = [
    ("rfcs/1-front.md:2:", "front matter: id: String should match pattern"),  # at the first key at fault
    ("rfcs/1-front.md:2:", "status: Input should be 'draft'"),
    ("rfcs/2-statement.md:13:", "rule CX0202 has no 'If you need X, use Y' statement"),
    ("rfcs/3-use.md:15:", "rule CX0203 has no 'If you need X, use Y' statement"),
    ("rfcs/4-matcher.md:13:", "unknown matcher 'regexp'"),
    ("rfcs/5-language.md:20:", "unknown language cobol"),
    ("rfcs/6-yaml.md:", "rule block is not valid YAML"),
    ("rfcs/8-dup-b.md:13:", "duplicate rule id CX0207 (also at rfcs/7-dup-a.md:13)"),
    ("rfcs/9-semgrep-keys.md:26:", "semgrep block has no pattern"),
]


def test_every_problem_in_one_run(tmp_path: Path) -> None:
    result = compiled(tmp_path, BROKEN)
    assert result.ruleset is None
    lines = problem_lines(result)
    for where, what in EXPECTED:
        assert any(line.startswith(where) and what in line for line in lines), (where, what, lines)
    assert all(" \u2014 " in line for line in lines)  # every problem says what to do
    assert len(lines) == 8  # both front matter errors of 1-front.md are in one problem


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("severity: fatal\nlanguages: [python]\nmatcher: semgrep\n", "severity: Input should be"),
        ("severity: error\nlanguages: python\nmatcher: semgrep\n", "languages: Input should be a valid list"),
        ("- a list\n", "rule block: Input should be a valid dictionary"),
        ("severity: error\nlanguages: [python]\nmatcher: semgrep\nprefilter: {regex: ['(']}\n", "prefilter regex '(' is not valid"),
        ("severity: error\nlanguages: [python]\nmatcher: libcst\nrule_class: codex.lints.swallowed_errors:cst\n", "is not a codex.lint.LintRule subclass"),
        ("severity: error\nlanguages: [python]\nmatcher: libcst\nrule_class: os:path\n", "os is not a package matcher classes may come from"),
        ("severity: error\nlanguages: [python]\nmatcher: libcst\nrule_class: codex.lints.no_such:X\n", "cannot load codex.lints.no_such:X"),
        ("severity: error\nlanguages: [rust]\nmatcher: libcst\nrule_class: x:Y\n", "libcst rules match Python only"),
        ("severity: error\nlanguages: [python]\nmatcher: semgrep\nunknown_key: 1\n", "unknown_key: Extra inputs are not permitted"),
    ],
)
def test_rule_block_problems(tmp_path: Path, config: str, words: str) -> None:
    result = compiled(tmp_path, {"a.md": rfc(rules=rule(config=config))})
    assert result.ruleset is None
    assert any(words in line and line.startswith("rfcs/a.md:") for line in problem_lines(result)), problem_lines(result)


def test_examples_are_required_and_checked(tmp_path: Path) -> None:
    no_mark = rule().replace("# ruleid: CX0100\n", "")
    no_good = rule().replace("```python good", "```python")
    result = compiled(tmp_path, {"a.md": rfc(rules=no_mark), "b.md": rfc("RFC-0101", rules=no_good.replace("CX0100", "CX0101"))})
    lines = problem_lines(result)
    assert any("bad example marks no line" in line for line in lines)
    assert any("rule CX0101 needs at least one bad and one good example" in line for line in lines)


def test_a_fixed_block_attaches_to_the_bad_block_before_it(tmp_path: Path) -> None:
    fixed = rule().replace("```python good", "```python fixed\nast.literal_eval(x)\n```\n\n```python good")
    stray = rule("CX0101").replace("ast.literal_eval(x)\n```\n\n", "ast.literal_eval(x)\n```\n\n```python fixed\nx\n```\n\n")
    result = compiled(tmp_path, {"a.md": rfc(rules=fixed), "b.md": rfc("RFC-0101", rules=stray)})
    assert problem_lines(result) == [
        "rfcs/b.md:38: a python fixed block must follow a python bad block — put it right after the bad block whose fixes it shows (one per bad block)"
    ]
    result = compiled(tmp_path / "one", {"a.md": rfc(rules=fixed)})
    [bad, good] = result.ruleset.rule("CX0100").examples
    assert (bad.verdict, bad.fixed, good.verdict, good.fixed) == ("bad", "ast.literal_eval(x)\n", "good", None)


def test_no_rfcs(tmp_path: Path) -> None:
    (tmp_path / "rfcs").mkdir()
    result = compile_rfcs(tmp_path / "rfcs", tmp_path)
    assert result.ruleset is None and "no RFC files" in result.problems[0].message


def test_version_follows_content(tmp_path: Path) -> None:
    one = compiled(tmp_path / "a", {"a.md": rfc()}).ruleset
    same = compiled(tmp_path / "b", {"a.md": rfc()}).ruleset
    changed = compiled(tmp_path / "c", {"a.md": rfc().replace("eval(...)", "exec(...)")}).ruleset
    assert one.version == same.version != changed.version


# --- the command --------------------------------------------------------------------------------


def test_compile_and_check_for_staleness(tmp_path: Path, run_codex) -> None:
    root = project(
        tmp_path, {"a.md": rfc(rules=rule("CX0100", LIBCST) + rule("CX0101", LLM))}, pyproject='[tool.codex]\nrfc_base_url = "https://h.example/x"\n'
    )
    stale = run_codex(["compile", "--check"], cwd=root)
    assert stale.code == 1 and "stale" in stale.out
    assert not (root / "rules").exists()  # --check writes nothing
    done = run_codex(["compile"], cwd=root)
    assert done.code == 0, done.err
    assert "2 rule(s) from 1 RFC(s)" in done.out
    written = (root / "rules" / "ruleset.json").read_bytes()
    assert b'"url": "https://h.example/x/rfcs/a.md#cx0100-no-eval"' in written
    assert run_codex(["compile", "--check"], cwd=root).code == 0
    assert run_codex(["compile"], cwd=root).code == 0
    assert (root / "rules" / "ruleset.json").read_bytes() == written
    (root / "rfcs" / "a.md").write_text(rfc(rules=rule("CX0100", LIBCST)), encoding="utf-8")
    again = run_codex(["compile", "--check"], cwd=root)
    assert again.code == 1 and "ruleset.json" in again.out


def test_compile_reports_semgrep_rejections_with_other_problems(tmp_path: Path, run_codex) -> None:
    root = project(
        tmp_path,
        {
            "a-rejected.md": rfc("RFC-0301", rules=rule("CX0301", matcher="pattern: eval((\n")),
            "b-no-use.md": rfc("RFC-0302", rules=rule("CX0302", LIBCST, statement="If you need it, just do it")),
            "c-fine.md": rfc("RFC-0303", rules=rule("CX0303", LLM)),
        },
    )
    result = run_codex(["compile"], cwd=root)
    assert result.code == 2
    errors = [line for line in result.err.splitlines() if line.startswith("rfcs/")]
    block = rule("CX0301", matcher="pattern: eval((\n")  # named at the first line inside its ```yaml semgrep``` block
    block_line = rfc("RFC-0301", rules=block).splitlines().index("```yaml semgrep") + 2
    assert any(line.startswith(f"rfcs/a-rejected.md:{block_line}: semgrep rejects rule CX0301") and " \u2014 " in line for line in errors), result.err
    assert any(line.startswith("rfcs/b-no-use.md:15: rule CX0302 has no") for line in errors), result.err
    assert "2 problem(s); rules/ left unchanged" in result.err
    assert "Traceback" not in result.err
    assert not (root / "rules").exists()


def test_compile_without_rfc_directory(tmp_path: Path, run_codex) -> None:
    result = run_codex(["compile", "--root", str(tmp_path)])
    assert result.code == 2 and "no RFC directory" in result.err


FRAGMENTS = [
    "---\n",
    "id: RFC-0001\n",
    "title: x\n",
    "status: draft\n",
    "authors: [a]\n",
    "created: 2026-01-01\n",
    "# T\n",
    "## CX0001: r\n",
    "If you need a, use b.\n",
    "```yaml codex\n",
    "```yaml semgrep\n",
    "```\n",
    "severity: error\n",
    "languages: [python]\n",
    "matcher: semgrep\n",
    "matcher: libcst\n",
    "matcher: llm\n",
    "pattern: x\n",
    "```python bad\n",
    "```python good path=a/b.py\n",
    "# ruleid: CX0001\n",
    "x\n",
    "\n",
    "paths: {include: [1]}\n",
    "prefilter: {keywords: x}\n",
    "examples: [a.py]\n",
    "pattern-either:\n",
    "1: 2\n",
    "[]\n",
    "null\n",
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=30))
def test_compiler_never_raises_on_arbitrary_markdown(tmp_path: Path, parts: list[str]) -> None:
    (tmp_path / "rfcs").mkdir(exist_ok=True)
    (tmp_path / "rfcs" / "a.md").write_text(rfc(rules="".join(parts)) + rule(), encoding="utf-8", errors="surrogatepass")
    result = compile_rfcs(tmp_path / "rfcs", tmp_path)
    assert (result.ruleset is None) == bool(result.problems)


@pytest.mark.parametrize(
    ("statement", "need", "use"),
    [
        ("If you need X, use Y. Because Z matters.", "X", "Y"),
        ("Background first. If you need a **parser**, use `ast.literal_eval`, e.g. `f(x)`. More.", "a parser", "`ast.literal_eval`, e.g. `f(x)`"),
        ("If you need a, b and c, use `x. Y` instead", "a, b and c", "`x. Y` instead"),
        (
            "**If you need ``a`b`` or `` `c` ``, use `__init__(**kw)` and __x__ [y](https://y.example).**",
            "``a`b`` or `` `c` ``",
            "`__init__(**kw)` and x [y](https://y.example)",
        ),
    ],
)
def test_statement_need_and_use(tmp_path: Path, statement: str, need: str, use: str) -> None:
    (only,) = compiled(tmp_path, {"a.md": rfc(rules=rule(statement=statement))}).ruleset.rules
    assert (only.need, only.use) == (need, use)


def test_front_matter_problem_at_its_key(tmp_path: Path) -> None:
    result = compiled(tmp_path, {"a.md": rfc().replace("created: 2026-01-01", "created: someday")})
    assert problem_lines(result)[0].startswith("rfcs/a.md:6: front matter: created:")


def test_duplicate_rfc_id_and_rfc_without_rules(tmp_path: Path) -> None:
    result = compiled(
        tmp_path,
        {"a.md": rfc("RFC-0100", rules=rule("CX0100")), "b.md": rfc("RFC-0100", rules=rule("CX0101")), "c.md": rfc("RFC-0102", rules="Only prose here.\n")},
    )
    lines = problem_lines(result)
    assert any(line.startswith("rfcs/b.md:2: RFC id RFC-0100 is also used by rfcs/a.md") for line in lines), lines
    assert any(line.startswith("rfcs/c.md:") and "no rule sections" in line for line in lines), lines


def test_code_spans_keep_dunders_and_double_stars_in_every_output(tmp_path: Path) -> None:
    import io
    import json

    from reviewer.check import CheckOptions, run_check
    from reviewer.formatters import get_formatter
    from reviewer.git_changes import whole_tree

    statement = "If you need to know the module's `__name__`, use **`logging.getLogger(__name__)`** and pass `**kwargs` on."
    result = compiled(tmp_path / "project", {"a.md": rfc(rules=rule("CX0100", LIBCST, statement=statement))})
    (only,) = result.ruleset.rules
    need, use = "to know the module's `__name__`", "`logging.getLogger(__name__)` and pass `**kwargs` on"
    assert (only.need, only.use) == (need, use)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text("try:\n    a()\nexcept:\n    pass\n", encoding="utf-8")
    report = run_check(result.ruleset, whole_tree(tree), CheckOptions(use_llm=False))
    outputs = {}
    for name in ("json", "text"):
        out = io.StringIO()
        get_formatter(name).write(report, out)
        outputs[name] = out.getvalue()
    (finding,) = json.loads(outputs["json"])["findings"]
    assert (finding["need"], finding["use"]) == (need, use)
    assert f"      rule: If you need {need}, use {use}.\n" in outputs["text"]


def test_tags_and_security_severity_come_from_the_front_matter_and_leave_other_rfcs_unchanged(tmp_path: Path) -> None:
    plain = compiled(tmp_path / "plain", {"a.md": rfc()}).ruleset
    tagged = compiled(tmp_path / "tagged", {"a.md": rfc(front="tags: [security, external/cwe/cwe-95]\nsecurity_severity: 9.1\n")}).ruleset
    assert (tagged.rfcs[0].tags, tagged.rfcs[0].security_severity) == (("security", "external/cwe/cwe-95"), 9.1)
    assert "tags" not in plain.to_json() and "security_severity" not in plain.to_json()  # versions of untagged RFCs stay as they were
    assert plain.version != tagged.version


@pytest.mark.parametrize(
    "front, problem",
    [
        ("security_severity: 11\n", "security_severity: Input should be less than or equal to 10"),
        ("security_severity: 0\n", "security_severity: Input should be greater than 0"),
        ("tags: [a, b, c, d, e, f, g, h, i, j, k]\n", "tags: List should have at most 10 items after validation, not 11"),
        ("tags: ['two words']\n", "tags.0: String should match pattern '^[\\w.:/-]{1,64}$'"),
    ],
)
def test_bad_tags_or_security_severity_are_front_matter_problems_at_their_line(tmp_path: Path, front: str, problem: str) -> None:
    assert problem_lines(compiled(tmp_path, {"a.md": rfc(front=front)})) == [f"rfcs/a.md:7: front matter: {problem} — see the RFC format in the README"]
