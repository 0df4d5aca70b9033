"""Which ruleset judges a tree, and the shipped codex's links."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codex.compiler import compile_rfcs
from codex.config import CodexConfig
from codex.problems import ProblemError
from codex.ruleset_source import ConfigError, load_active, shipped_ruleset
from codex_testing.governance_rfcs import libcst_rule, rfc, unwrap_rule


def test_the_shipped_codex_links_no_rfc_file_and_links_the_published_catalog_when_configured(tmp_path: Path) -> None:
    loaded = load_active(tmp_path, CodexConfig())
    assert loaded.origin == "shipped codex"
    assert {r.id: r.rfc.url for r in loaded.ruleset.rules} == {f"CX000{n}": None for n in range(1, 8)}  # its files are not here
    catalog = load_active(tmp_path, CodexConfig(docs_url="https://docs.example.com/codex/"))
    assert {r.id: r.rfc.url for r in catalog.ruleset.rules} == {f"CX000{n}": f"https://docs.example.com/codex/rules/CX000{n}.html" for n in range(1, 8)}


def test_own_rules_keep_their_rfc_base_url_and_the_catalog_links_the_rest(tmp_path: Path) -> None:
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs" / "0100-example.md").write_text(rfc("RFC-0100", [libcst_rule("CX0100")]), encoding="utf-8")
    (tmp_path / "rfcs" / "0101-example.md").write_text(rfc("RFC-0101", [libcst_rule("CX0101")]), encoding="utf-8")
    config = CodexConfig(rfc_base_url="https://git.example.com/h/-/blob/main", docs_url="https://docs.example.com")
    urls = {r.id: r.rfc.url for r in load_active(tmp_path, config).ruleset.rules}
    assert (urls["CX0003"], urls["CX0100"], urls["CX0101"]) == (
        "https://docs.example.com/rules/CX0003.html",
        "https://git.example.com/h/-/blob/main/rfcs/0100-example.md#cx0100-outbound-requests-calls-have-a-timeout",
        "https://git.example.com/h/-/blob/main/rfcs/0101-example.md#cx0101-outbound-requests-calls-have-a-timeout",
    )
    own_only = {r.id: r.rfc.url for r in load_active(tmp_path, CodexConfig(docs_url="https://docs.example.com")).ruleset.rules}
    assert (own_only["CX0003"], own_only["CX0100"]) == ("https://docs.example.com/rules/CX0003.html", "https://docs.example.com/rules/CX0100.html")


def test_a_rule_is_found_by_id_in_a_copy_with_other_rules(shipped_ruleset) -> None:
    assert shipped_ruleset.rule("CX0005").id == "CX0005" and shipped_ruleset.rule("CX9999") is None
    fewer = shipped_ruleset.model_copy(update={"rules": tuple(r for r in shipped_ruleset.rules if r.id != "CX0005")})
    assert fewer.rule("CX0005") is None and fewer.rule("CX0006") is not None  # the copy does not answer from the old index
    assert shipped_ruleset.rule("CX0005") is not None


# --- own RFCs extend the shipped codex -----------------------------------------------------------

SHIPPED_IDS = ["CX0001", "CX0002", "CX0003", "CX0004", "CX0005", "CX0006", "CX0007"]
SHELL_TRUE = "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n"


def test_the_shipped_ids_these_tests_assume() -> None:
    assert [r.id for r in shipped_ruleset().rules] == SHIPPED_IDS
    assert [m.id for m in shipped_ruleset().rfcs] == ["RFC-0001", "RFC-0002", "RFC-0003", "RFC-0004", "RFC-0005"]


def test_own_rfcs_extend_the_shipped_codex_and_config_selects(tmp_path: Path) -> None:
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs/0100-own.md").write_text(rfc("RFC-0100", [libcst_rule("PY0001")]), encoding="utf-8")
    loaded = load_active(tmp_path, CodexConfig())
    assert [r.id for r in loaded.ruleset.rules] == [*SHIPPED_IDS, "PY0001"]
    assert loaded.origin == "shipped codex + rfcs/" and "RFC-0100" not in loaded.shipped_rfcs and "RFC-0001" in loaded.shipped_rfcs
    alone = load_active(tmp_path, CodexConfig(shipped=False))
    assert [r.id for r in alone.ruleset.rules] == ["PY0001"] and alone.origin == "rfcs/"
    fewer = load_active(tmp_path, CodexConfig(disable=["CX0007", "PY0001"]))
    assert [r.id for r in fewer.ruleset.rules] == SHIPPED_IDS[:-1]
    assert [m.id for m in fewer.ruleset.rfcs] == ["RFC-0001", "RFC-0002", "RFC-0003", "RFC-0004"]  # RFCs left without rules go
    with pytest.raises(ConfigError) as caught:
        load_active(tmp_path, CodexConfig(disable=["CX0007", "CX9999"]))
    assert [str(p) for p in caught.value.problems] == [
        "pyproject.toml: [tool.codex] disable: no rule CX9999 in the active rules — list ids that `codex rules` shows"
    ]


def test_no_shipped_codex_and_no_own_rules_is_a_problem_in_the_file_that_turned_it_off(tmp_path: Path) -> None:
    with pytest.raises(ProblemError) as caught:
        load_active(tmp_path, CodexConfig(shipped=False).read_from("codex.toml"))
    assert [(p.kind, str(p)) for p in caught.value.problems] == [
        ("config", "codex.toml: shipped = false and no rfcs/ nor rules/ruleset.json — write RFCs (`codex new`), or use the shipped codex")
    ]


def test_an_unknown_id_to_disable_is_exit_2(git_repo, run_codex) -> None:
    repo = git_repo()
    repo.commit("config", {"pyproject.toml": '[tool.codex]\ndisable = ["CX0070"]\n', "app.py": "x = 1\n"})
    result = run_codex(["check", "--all", "--no-llm", "--no-history"], cwd=repo.path)
    assert result.code == 2 and "disable: no rule CX0070" in result.err


def test_codex_own_tree_is_the_shipped_codex_not_loaded_twice() -> None:
    from codex_testing import PROJECT_ROOT

    loaded = load_active(PROJECT_ROOT, CodexConfig())
    assert loaded.origin == "rfcs/" and [r.id for r in loaded.ruleset.rules] == SHIPPED_IDS


def test_a_tree_carrying_the_shipped_rfcs_is_not_loaded_twice(tmp_path: Path) -> None:
    """A copy of the shipped RFCs (codex's own tree as a wheel sees it: not the packaged directory) is the codex itself."""
    from codex.ruleset_source import shipped_dir

    shutil.copytree(shipped_dir() / "rfcs", tmp_path / "rfcs")
    loaded = load_active(tmp_path, CodexConfig())
    assert loaded.origin == "rfcs/" and [r.id for r in loaded.ruleset.rules] == SHIPPED_IDS
    changed = tmp_path / "rfcs" / "0001-handle-errors-do-not-panic.md"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    with pytest.raises(ProblemError) as caught:  # a changed copy is an own RFC again: its ids collide with the shipped ones
        load_active(tmp_path, CodexConfig())
    assert "RFC id RFC-0001 is a shipped RFC" in str(caught.value)


TIMEOUTS = rfc("RFC-0100", [libcst_rule("CX0003")])


@pytest.fixture(scope="module")
def colliding(git_repo_factory, run_codex):
    """Own RFCs reusing shipped ids; an imported example file under rfcs/; compile, and check with the shipped codex."""
    repo = git_repo_factory("colliding")
    repo.commit(
        "own",
        {
            "rfcs/0001-mine.md": rfc("RFC-0001", [libcst_rule("PY0001")]),
            "rfcs/0100-timeouts.md": TIMEOUTS,
            "rfcs/examples/shell.py": SHELL_TRUE,
            "app.py": SHELL_TRUE,
        },
    )
    return repo, run_codex(["compile"], cwd=repo.path), run_codex(["check", "--all", "--no-llm", "--no-history", "--format", "json"], cwd=repo.path)


def test_own_ids_that_collide_with_shipped_ones_are_compile_problems(colliding) -> None:
    _, compiled, _ = colliding
    assert compiled.code == 2
    assert [line.split(" — ")[0] for line in compiled.err.splitlines() if line.startswith("rfcs/")] == [
        "rfcs/0001-mine.md:2: RFC id RFC-0001 is a shipped RFC (Handle errors, do not panic on input)",
        f"rfcs/0100-timeouts.md:{TIMEOUTS.splitlines().index('## CX0003: Outbound requests calls have a timeout') + 1}: "
        "rule id CX0003 is a shipped rule (Outbound requests calls have a timeout)",
    ]


def test_check_fails_stale_to_the_shipped_codex_and_never_checks_the_rfc_directory(colliding) -> None:
    _, _, checked = colliding
    assert checked.code == 1
    report = checked.json()
    assert [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]] == [("CX0005", "app.py", 4)]  # not rfcs/examples/
    assert report["stats"]["ruleset"]["origin"] == "shipped codex"
    assert [(e["path"], e["kind"]) for e in report["errors"]] == [("rfcs", "stale-ruleset"), ("rfcs/0001-mine.md", "input"), ("rfcs/0100-timeouts.md", "input")]
    assert "rule id CX0003 is a shipped rule" in report["errors"][2]["message"]


@pytest.mark.parametrize(
    "config, setting",
    [
        ({}, "[tool.codex] shipped = false in pyproject.toml"),  # no configuration: where it would go
        ({"codex.toml": 'rules = "rules"\n'}, "shipped = false in codex.toml"),
        ({"pyproject.toml": '[tool.codex]\nrules = "rules"\n'}, "[tool.codex] shipped = false in pyproject.toml"),
    ],
)
def test_a_compiled_ruleset_reusing_shipped_ids_fails_stale_to_the_shipped_codex(git_repo, tmp_path: Path, run_codex, config, setting) -> None:
    """No rfcs/, only rules/ compiled before the shipped codex took the id: checked as a colliding rfcs/ is, never not at all."""
    (tmp_path / "elsewhere" / "rfcs").mkdir(parents=True)
    (tmp_path / "elsewhere" / "rfcs" / "0100-timeouts.md").write_text(TIMEOUTS, encoding="utf-8")
    compiled = compile_rfcs(tmp_path / "elsewhere" / "rfcs", tmp_path / "elsewhere").ruleset
    repo = git_repo()
    repo.commit("own", {"rules/ruleset.json": compiled.to_json(), "app.py": SHELL_TRUE, **config})
    checked = run_codex(["check", "--all", "--no-llm", "--no-history", "--format", "json"], cwd=repo.path)
    assert checked.code == 1
    report = checked.json()
    assert [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]] == [("CX0005", "app.py", 4)]
    assert report["stats"]["ruleset"]["origin"] == "shipped codex"
    assert [(e["path"], e["kind"], e["message"]) for e in report["errors"]] == [
        ("rules/ruleset.json", "stale-ruleset", "reuses shipped ids; checked with the shipped codex alone"),
        ("rfcs/0100-timeouts.md", "input", "rule id CX0003 is a shipped rule (Outbound requests calls have a timeout)"),
    ]
    assert checked.err == (
        "codex: rules/ruleset.json: reuses shipped ids; checked with the shipped codex alone — pick ids no shipped "
        f"rule uses in rfcs/ and run `codex compile`, or set {setting}\n"
    )


def test_new_and_import_hand_out_ids_no_shipped_rule_uses(tmp_path: Path, run_codex) -> None:
    created = run_codex(["new", "Mine", "--language", "python"], cwd=tmp_path)
    assert created.code == 0 and "(RFC-0006, rule CX0008, draft)" in created.out
    taken = run_codex(["new", "Mine too", "--rule-id", "CX0005"], cwd=tmp_path)
    assert taken.code == 2 and "rule id CX0005 is a shipped rule" in taken.err
    (tmp_path / "eval.yaml").write_text(
        "rules:\n- id: no-eval\n  pattern: eval(...)\n  message: If you need to run code, use a table of functions.\n"
        "  languages: [python]\n  severity: ERROR\n",
        encoding="utf-8",
    )
    imported = run_codex(["import", "semgrep", tmp_path / "eval.yaml"], cwd=tmp_path)
    assert imported.code == 0 and "no-eval → CX0009" in imported.out
    assert sorted(p.name for p in (tmp_path / "rfcs").glob("*.md")) == ["0006-mine.md", "0007-eval.md"]


def test_semgrep_s_acceptance_of_own_rules_is_remembered_per_semgrep_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codex import semgrep_validate

    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs" / "0100-own.md").write_text(rfc("RFC-0100", [unwrap_rule("RX0100")]), encoding="utf-8")
    memos = tmp_path / ".codex" / "cache" / "semgrep-accepted"
    load_active(tmp_path, CodexConfig())
    first = sorted(p.name for p in memos.iterdir())
    load_active(tmp_path, CodexConfig())
    assert sorted(p.name for p in memos.iterdir()) == first and len(first) == 1  # the same semgrep: not asked again
    monkeypatch.setattr(semgrep_validate, "semgrep_version", lambda: "semgrep 0.0-another")
    load_active(tmp_path, CodexConfig())
    assert len(list(memos.iterdir())) == 2  # another semgrep judged the same rules afresh
