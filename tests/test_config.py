"""Where the configuration lives: ``.codex.toml`` > ``codex.toml`` > ``[tool.codex]`` of pyproject.toml, first found wins."""

from __future__ import annotations

import json

import pytest

from codex.config import load_config
from codex.problems import ProblemError
from reviewer.exclusion import AttributesAt, excluded_paths, linguist_marked

# Each file names itself in rfc_base_url, so the winner is visible.
FILES = {
    ".codex.toml": 'rfc_base_url = "https://dot.example"\n[llm]\ntimeout = 7\n',
    "codex.toml": 'rfc_base_url = "https://plain.example"\n[llm]\ntimeout = 8\n',
    "pyproject.toml": '[project]\nname = "x"\n[tool.codex]\nrfc_base_url = "https://pyproject.example"\n[tool.codex.llm]\ntimeout = 9\n',
}
WINNER = {".codex.toml": ("https://dot.example", 7.0), "codex.toml": ("https://plain.example", 8.0), "pyproject.toml": ("https://pyproject.example", 9.0)}


@pytest.mark.parametrize(
    ("present", "winner"),
    [
        ((".codex.toml", "codex.toml", "pyproject.toml"), ".codex.toml"),
        ((".codex.toml", "codex.toml"), ".codex.toml"),
        ((".codex.toml", "pyproject.toml"), ".codex.toml"),
        (("codex.toml", "pyproject.toml"), "codex.toml"),
        ((".codex.toml",), ".codex.toml"),
        (("codex.toml",), "codex.toml"),
        (("pyproject.toml",), "pyproject.toml"),
    ],
)
def test_one_file_wins_in_the_documented_order(git_repo, present, winner) -> None:
    repo = git_repo()
    repo.commit("config", {name: FILES[name] for name in present})
    config = load_config(repo.path)
    assert (config.rfc_base_url, config.llm.timeout) == WINNER[winner]


def test_a_pyproject_without_tool_codex_does_not_count(git_repo) -> None:
    repo = git_repo()
    repo.commit("config", {"codex.toml": FILES["codex.toml"], "pyproject.toml": '[project]\nname = "x"\n[tool.ruff]\nline-length = 1\n'})
    assert load_config(repo.path).rfc_base_url == "https://plain.example"
    repo.git("rm", "--quiet", "codex.toml")
    assert load_config(repo.path).rfc_base_url is None


def test_a_pyproject_with_tool_codex_does_not_outrank_codex_toml_even_when_invalid(git_repo) -> None:
    repo = git_repo()
    repo.commit("config", {"codex.toml": FILES["codex.toml"], "pyproject.toml": "[tool.codex]\nno_such_key = 1\n"})
    assert load_config(repo.path).rfc_base_url == "https://plain.example"


@pytest.mark.parametrize("name", [".codex.toml", "codex.toml"])
def test_an_unknown_key_is_named_with_its_file(git_repo, run_codex, name) -> None:
    repo = git_repo()
    repo.commit("config", {name: "shipped = true\n[llm]\ntimout = 5\n", "pyproject.toml": "[tool.codex]\nshipped = true\n", "app.py": "x = 1\n"})
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--root", str(repo.path)])
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{name}: llm.timout: Extra inputs are not permitted" in result.err


def test_a_bad_value_and_bad_toml_name_the_file(git_repo) -> None:
    repo = git_repo()
    repo.write("codex.toml", "[llm]\ntimeout = -1\n")
    with pytest.raises(ProblemError) as caught:
        load_config(repo.path)
    assert [(p.path, p.message) for p in caught.value.problems] == [("codex.toml", "llm.timeout: Input should be greater than 0")]
    repo.write(".codex.toml", "shipped = \n")
    with pytest.raises(ProblemError) as caught:
        load_config(repo.path)
    assert [(p.path, p.kind) for p in caught.value.problems] == [(".codex.toml", "config")]
    assert caught.value.problems[0].message.startswith("cannot read: Invalid value")


CALL = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"  # CX0003 (libcst): no timeout
ATTRIBUTES = "gen/** linguist-generated\nthird_party/** linguist-vendored=true\nkept_gen.py linguist-generated=false\n"


@pytest.fixture
def calls_repo(git_repo, libcst_ruleset):
    """Files that each break CX0003, skipped ones placed before and between checked ones; the libcst rules alone."""
    repo = git_repo()
    repo.commit(
        "base",
        {
            "rules/ruleset.json": libcst_ruleset.to_json(),
            ".gitattributes": ATTRIBUTES,
            **{path: CALL for path in ("a.py", "gen/b.py", "kept_gen.py", "m/skip/c.py", "n.py", "third_party/d.py", "z.py")},
        },
    )
    return repo


def _check(run_codex, repo, config: str):
    repo.write("codex.toml", config)
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--no-cache", "--format", "json", "--root", str(repo.path)])
    report = json.loads(result.out)
    return result.code, sorted({f["path"] for f in report["findings"]}), report["stats"]


def test_excluded_generated_and_vendored_files_are_left_out_and_counted(calls_repo, run_codex) -> None:
    code, paths, stats = _check(run_codex, calls_repo, 'shipped = false\nexclude = ["m/**"]\n')
    assert code == 1
    assert paths == ["a.py", "kept_gen.py", "n.py", "z.py"]
    assert (stats["files_checked"], stats["files_excluded"]) == (4, 3)


def test_linguist_false_checks_generated_and_vendored_files(calls_repo, run_codex) -> None:
    _, paths, stats = _check(run_codex, calls_repo, 'shipped = false\nlinguist = false\nexclude = ["**/skip/*.py"]\n')
    assert paths == ["a.py", "gen/b.py", "kept_gen.py", "n.py", "third_party/d.py", "z.py"]
    assert (stats["files_checked"], stats["files_excluded"]) == (6, 1)


def test_the_text_summary_says_how_many_files_were_excluded(calls_repo, run_codex) -> None:
    calls_repo.write("codex.toml", 'shipped = false\nexclude = ["m/**"]\n')
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--no-cache", "--root", str(calls_repo.path)])
    assert "4 file(s) checked, 3 excluded (exclude, or linguist-generated/vendored)" in result.out


def test_outside_git_no_file_is_marked(tmp_path) -> None:
    (tmp_path / ".gitattributes").write_text("*.py linguist-generated\n")
    assert linguist_marked(tmp_path, ["a.py"]) == set()


def test_check_attr_reads_each_kind_of_mark(calls_repo) -> None:
    assert linguist_marked(calls_repo.path, ["a.py", "gen/b.py", "kept_gen.py", "third_party/d.py", "z.py"]) == {"gen/b.py", "third_party/d.py"}


def test_a_failing_check_attr_is_a_problem_and_only_the_exclude_globs_apply(calls_repo) -> None:
    excluded, problems = excluded_paths(calls_repo.path, ["a.py", "gen/b.py", "m/skip/c.py", "z.py"], ("m/**",), True, AttributesAt(calls_repo.path, "0" * 40))
    assert excluded == {"m/skip/c.py"}
    assert [(p.path, p.kind) for p in problems] == [(".gitattributes", "config")]
    assert problems[0].message.startswith("reading it through git failed, generated and vendored files are checked: fatal: ")


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        ("codex.toml", 'disable = ["CX9999"]\n', "codex.toml: disable: no rule CX9999 in the active rules"),
        ("pyproject.toml", '[tool.codex]\ndisable = ["CX9999"]\n', "pyproject.toml: [tool.codex] disable: no rule CX9999 in the active rules"),
    ],
)
def test_a_later_problem_with_a_key_names_the_file_that_won(git_repo, run_codex, name, content, named) -> None:
    repo = git_repo()
    repo.commit("config", {name: content, "app.py": "x = 1\n"})
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--root", str(repo.path)])
    assert result.code == 2 and named in result.err, result.err


@pytest.mark.parametrize("key, value", [("docs_url", "file:///opt/codex/site"), ("rfc_base_url", "rfcs"), ("docs_url", "https://")])
def test_a_link_base_must_be_an_http_url_a_reader_can_open(git_repo, key, value) -> None:
    repo = git_repo()
    repo.write("pyproject.toml", f'[tool.codex]\n{key} = "{value}"\n')
    with pytest.raises(ProblemError) as caught:
        load_config(repo.path)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("pyproject.toml", f"[tool.codex] {key}: Value error, must be an http(s) URL a reader can open (https://host/...)")
    ]


def test_a_link_base_loses_its_trailing_slash(git_repo) -> None:
    repo = git_repo()
    repo.write("codex.toml", 'docs_url = "https://docs.example.com/codex/"\n')
    assert load_config(repo.path).docs_url == "https://docs.example.com/codex"


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        (".codex.toml", 'default_branch = "mian"\n', ".codex.toml: default_branch 'mian' does not exist here"),
        ("codex.toml", 'default_branch = "mian"\n', "codex.toml: default_branch 'mian' does not exist here"),
        ("pyproject.toml", '[tool.codex]\ndefault_branch = "mian"\n', "pyproject.toml: [tool.codex] default_branch 'mian' does not exist here"),
    ],
)
def test_a_default_branch_that_does_not_exist_names_the_file_that_set_it(git_repo, run_codex, name, content, named) -> None:
    repo = git_repo()
    repo.commit("config", {name: content, "app.py": "x = 1\n"})
    result = run_codex(["check", "--no-llm", "--no-history", "--root", str(repo.path)])
    assert result.code == 2 and named in result.err, result.err


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"codex.toml": "[llm]\ntimeout = 5\n"}, "no model configured: set CODEX_LLM_MODEL or [llm] model in codex.toml"),
        (
            {".codex.toml": "shipped = true\n", "pyproject.toml": "[tool.codex.llm]\ntimeout = 5\n"},
            "no model configured: set CODEX_LLM_MODEL or [llm] model in .codex.toml",
        ),
        ({"pyproject.toml": "[tool.codex.llm]\ntimeout = 5\n"}, "no model configured: set CODEX_LLM_MODEL or [tool.codex.llm] model in pyproject.toml"),
        ({}, "no model configured: set CODEX_LLM_MODEL or [tool.codex.llm] model in pyproject.toml"),
    ],
)
def test_the_llm_table_s_messages_name_the_file_that_won(files, reason) -> None:
    from codex.config import config_from
    from reviewer.llm.settings import resolve

    config = config_from(files.get)
    assert resolve(config.llm, {}) == (None, reason)
    assert config.llm.file == config.file == (next(iter(files)) if files else "pyproject.toml")


# The same settings in both files: a size limit app.py is under and big.py over, a cache directory under a file (so
# it cannot be written), health thresholds that a rule firing on its only file passes, and no history.
CHECK_SETTINGS = 'shipped = false\nmax_file_bytes = 200\ncache_dir = "app.py/cache"\n'
GOVERNANCE = 'history = ""\nhealth_min_files = 1\nhealth_max_share = 0.5\n'
SPELLED = {
    "codex.toml": (CHECK_SETTINGS + "\n[governance]\n" + GOVERNANCE, "{key} in codex.toml", "[governance] {key}"),
    "pyproject.toml": (
        "[tool.codex]\n" + CHECK_SETTINGS + "\n[tool.codex.governance]\n" + GOVERNANCE,
        "[tool.codex] {key} in pyproject.toml",
        "[tool.codex.governance] {key}",
    ),
}
BARE_EXCEPT = "import requests\n\ndef fetch(url):\n    try:\n        return requests.get(url, timeout=5)\n    except:\n        pass\n"


@pytest.mark.parametrize("name", list(SPELLED))
def test_every_hint_names_the_file_read_and_spells_the_key_its_way(git_repo, run_codex, name) -> None:
    from codex_testing import PROJECT_ROOT

    content, top, table = SPELLED[name]
    repo = git_repo()
    repo.commit(
        "tree",
        {
            "rfcs/0003-resilient-python-calls.md": (PROJECT_ROOT / "rfcs/0003-resilient-python-calls.md").read_text(),
            name: content,
            "app.py": BARE_EXCEPT,
            "big.py": "x = 1\n" * 50,
        },
    )
    result = run_codex(["check", "--all", "--no-llm", "--format", "json"], cwd=repo.path)
    assert result.code == 0, result.err  # CX0004 held at warn by the health guard
    errors = [(e["kind"], e["hint"]) for e in result.json()["errors"]]
    assert errors == [
        ("skipped", f"raise {top.format(key='max_file_bytes')} to check it, or leave generated files out of the rules' paths"),
        ("cache", f"make it writable, or set {top.format(key='cache_dir')}, or pass --no-cache"),
        (
            "health",
            f"check the rule (`codex test CX0004`); thresholds: {table.format(key='health_max_share')} and {table.format(key='health_min_files')} in {name}",
        ),
    ]


@pytest.mark.parametrize("name", list(SPELLED))
def test_a_matcher_class_outside_lint_packages_names_the_setting_as_its_file_spells_it(git_repo, run_codex, name) -> None:
    from codex_testing.governance_rfcs import libcst_rule, rfc

    _, top, _ = SPELLED[name]
    repo = git_repo()
    repo.commit(
        "tree",
        {
            "rfcs/0100-lints.md": rfc("RFC-0100", [libcst_rule("PY0001", rule_class="acme_lints.rules:Rule")]),
            name: ("" if name == "codex.toml" else "[tool.codex]\n") + 'shipped = false\nlint_packages = ["other_lints"]\n',
        },
    )
    result = run_codex(["compile"], cwd=repo.path)
    assert result.code == 2
    [problem] = [line for line in result.err.splitlines() if "acme_lints" in line]
    assert problem.endswith(
        "cannot load acme_lints.rules:Rule: acme_lints.rules is not a package matcher classes may come from "
        f"(codex.lints, other_lints) — name a codex.lint.LintRule subclass in codex.lints or in a package "
        f"listed by {top.format(key='lint_packages')}, as 'package.module:ClassName'"
    )
